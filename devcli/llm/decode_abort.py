"""Stopping llama.cpp inside a decode when a turn is cancelled or Ctrl-C is pressed.

A long prompt is evaluated in one native call that can take minutes on a CPU, with no Python
code running in between; llama.cpp asks an abort callback between the steps of its compute
graph instead. While one is installed, a set event makes the running decode return early
(llama-cpp-python raises RuntimeError) with the KV cache and the token count left consistent:
the next evaluation starts again from the last whole batch.

A Ctrl-C in a terminal would otherwise wait for the decode to end; and the callback runs on
the thread that called the decode (the main thread), where Python would raise the
KeyboardInterrupt inside the callback, for ctypes to print and swallow. So while a decode may
run, Python's own Ctrl-C handler is replaced by one that only takes note: the callback then
aborts the decode, and KeyboardInterrupt is raised once it has returned.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from devcli.llm.backend import TurnCancelled


class DecodeWatch:
    """Whether the turn should stop: asked by llama.cpp inside a decode, and by the caller
    between tokens (GPU backends never ask the callback)."""

    def __init__(self, stop: threading.Event | None) -> None:
        self.stop = stop
        self.interrupted = False

    def __call__(self, _data: Any) -> bool:
        return self.interrupted or (self.stop is not None and self.stop.is_set())

    def take_interrupt(self, _signal: int, _frame: Any) -> None:
        self.interrupted = True

    def stopping(self) -> BaseException | None:
        """KeyboardInterrupt after a Ctrl-C, TurnCancelled once the stop event is set."""
        if self.interrupted:
            return KeyboardInterrupt()
        if self.stop is not None and self.stop.is_set():
            return TurnCancelled()
        return None

    def check(self) -> None:
        stopped = self.stopping()
        if stopped is not None:
            raise stopped


@contextmanager
def _ctrl_c_noted(watch: DecodeWatch) -> Iterator[None]:
    """Ctrl-C sets `watch.interrupted` instead of raising, where Python's default handler is
    the one in place (signals can only be handled on the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield
        return
    signal.signal(signal.SIGINT, watch.take_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def aborting_on(context: Any, stop: threading.Event | None) -> Iterator[DecodeWatch]:
    """While inside, llama.cpp gives up the decode it is running on `context` once `stop`
    is set, or on Ctrl-C (raised as KeyboardInterrupt on the way out). Nothing is installed
    without an event."""
    watch = DecodeWatch(stop)
    if stop is None:
        yield watch
        return
    import llama_cpp

    # ctypes keeps no reference of its own: the callback must live as long as it is installed.
    callback = llama_cpp.ggml_abort_callback(watch)
    llama_cpp.llama_set_abort_callback(context, callback, None)
    try:
        with _ctrl_c_noted(watch):
            yield watch
    except RuntimeError as exc:  # how llama-cpp-python reports an aborted decode
        stopped = watch.stopping()
        if stopped is not None:
            raise stopped from exc
        raise
    finally:
        llama_cpp.llama_set_abort_callback(context, llama_cpp.ggml_abort_callback(), None)
    if watch.interrupted:
        raise KeyboardInterrupt
