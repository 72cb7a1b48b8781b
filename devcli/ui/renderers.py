"""Picks the renderer for `--output text`: rich on a terminal, plain lines anywhere else."""

from pathlib import Path
from typing import Protocol, TextIO

from devcli.events import Event
from devcli.llm.backend import Backend
from devcli.ui.plain import PlainRenderer


class TextRenderer(Protocol):
    def __call__(self, event: Event) -> None: ...

    def on_text(self, chunk: str) -> None: ...

    def stop(self) -> None: ...


def text_renderer(
    stream: TextIO, workspace: Path, backend: Backend, context_window: int
) -> TextRenderer:
    if not stream.isatty():
        return PlainRenderer(stream)
    from devcli.ui.console import ConsoleRenderer, make_console

    return ConsoleRenderer(
        make_console(file=stream),
        workspace,
        model=backend.model_name,
        backend_kind=backend.kind,
        context_window=context_window,
        echo_task=True,
    )


def show_reasoning_on_stderr(backend: Backend) -> None:
    """A reasoning model's thoughts, dimmed, on a terminal's stderr; never mixed into pipes."""
    import sys

    stream = sys.stderr
    if stream is None or not stream.isatty() or backend.on_reasoning is not None:
        return

    def show(text: str) -> None:
        stream.write(f"\x1b[2m{text}\x1b[0m")
        stream.flush()

    backend.on_reasoning = show
