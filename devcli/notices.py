"""One-line notices from the layers below the UI (loading, downloads, server warnings).

Lower layers call `notify`; the front end that owns the terminal decides where the lines go
(`use_notice_sink`), so they pass through its redactor and never land on top of a live
spinner. Without a front end they go to stderr, prefixed with `devcli:`.
"""

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum

from pydantic import BaseModel


class NoticeLevel(StrEnum):
    INFO = "info"
    WARNING = "warning"
    PROGRESS = "progress"  # a download's periodic progress line


class Notice(BaseModel):
    text: str
    level: NoticeLevel = NoticeLevel.INFO

    def line(self) -> str:
        prefix = "warning: " if self.level is NoticeLevel.WARNING else ""
        return f"devcli: {prefix}{self.text}"


NoticeSink = Callable[[Notice], None]


def stderr_sink(notice: Notice) -> None:
    stream = sys.stderr
    if stream is not None:
        stream.write(notice.line() + "\n")
        stream.flush()


_lock = threading.Lock()
_sink: NoticeSink = stderr_sink


def notify(text: str, level: NoticeLevel = NoticeLevel.INFO) -> None:
    _sink(Notice(text=text, level=level))


def warn(text: str) -> None:
    notify(text, NoticeLevel.WARNING)


@contextmanager
def use_notice_sink(sink: NoticeSink) -> Iterator[None]:
    """Send notices to `sink` while the block runs."""
    global _sink
    with _lock:
        previous, _sink = _sink, sink
    try:
        yield
    finally:
        with _lock:
            _sink = previous
