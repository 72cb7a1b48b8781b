"""How the layers below the UI report while they work: one-line notices, an activity that
takes a while (loading a model), and the progress of a download.

Lower layers call `notify`, `activity` and `progress`; the front end that owns the terminal
installs a `Reporter` (`use_reporter`), so lines pass through it, never land on top of a live
spinner, and a terminal gets a spinner or a bar where a log gets plain lines. Without a front
end, everything goes to stderr as lines prefixed with `devcli:`.
"""

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel

from devcli.units import human_size


class NoticeLevel(StrEnum):
    INFO = "info"
    WARNING = "warning"
    LOG = "log"  # a line of a runtime's own log (--verbose), shown as it is


class Notice(BaseModel):
    text: str
    level: NoticeLevel = NoticeLevel.INFO
    wait: float = 0.0  # seconds devcli is about to wait (a retry's backoff)

    def line(self) -> str:
        if self.level is NoticeLevel.LOG:
            return self.text
        prefix = "warning: " if self.level is NoticeLevel.WARNING else ""
        return f"devcli: {prefix}{self.text}"


NoticeSink = Callable[[Notice], None]


class Progress(Protocol):
    """A transfer under way: `advance` by bytes, `finish` at the end."""

    def advance(self, amount: int) -> None: ...

    def finish(self) -> None: ...


class Reporter(Protocol):
    def notice(self, notice: Notice) -> None: ...

    def activity(self, label: str) -> AbstractContextManager[None]: ...

    def progress(self, label: str, total: int | None, done: int = 0) -> Progress: ...


def _write(line: str) -> None:
    stream = sys.stderr
    if stream is not None:
        stream.write(line + "\n")
        stream.flush()


class _LineProgress:
    """One line every few percent: readable in a log or a CI job."""

    def __init__(self, label: str, total: int | None, done: int, step_percent: int = 5) -> None:
        self.label, self.total, self.done = label, total, done
        self.step = step_percent
        self._reported = -1

    def advance(self, amount: int) -> None:
        self.done += amount
        if not self.total:
            return
        percent = int(100 * self.done / self.total)
        if percent // self.step > self._reported:
            self._reported = percent // self.step
            _write(
                f"devcli: {self.label}: {percent}% ({human_size(self.done)} of "
                f"{human_size(self.total)})"
            )

    def finish(self) -> None:
        return None


class LineReporter:
    """Plain lines on stderr: for logs, pipes and CI."""

    def notice(self, notice: Notice) -> None:
        _write(notice.line())

    @contextmanager
    def activity(self, label: str) -> Iterator[None]:
        _write(f"devcli: {label} …")
        yield

    def progress(self, label: str, total: int | None, done: int = 0) -> Progress:
        return _LineProgress(label, total, done)


_lock = threading.Lock()
_reporter: Reporter = LineReporter()


def publish(notice: Notice) -> None:
    """Hand a notice to the front end (a NoticeSink itself, for backends)."""
    _reporter.notice(notice)


def notify(text: str, level: NoticeLevel = NoticeLevel.INFO) -> None:
    publish(Notice(text=text, level=level))


def warn(text: str) -> None:
    notify(text, NoticeLevel.WARNING)


def activity(label: str) -> AbstractContextManager[None]:
    """Something that takes a while, e.g. `with activity("loading Devstral"): …`."""
    return _reporter.activity(label)


def progress(label: str, total: int | None, done: int = 0) -> Progress:
    return _reporter.progress(label, total, done)


@contextmanager
def use_reporter(reporter: Reporter) -> Iterator[None]:
    """Report through `reporter` while the block runs."""
    global _reporter
    with _lock:
        previous, _reporter = _reporter, reporter
    try:
        yield
    finally:
        with _lock:
            _reporter = previous
