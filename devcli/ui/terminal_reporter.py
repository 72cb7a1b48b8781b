"""Reporting for a terminal: notices as lines on stderr, a spinner while a model loads, a live
bar while a download runs. rich is imported only when one of them is shown."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from devcli.notices import Notice, Progress


class _BarProgress:
    def __init__(self, label: str, total: int | None, done: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as RichProgress

        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        self._bar: Any = RichProgress(*columns, console=Console(stderr=True))
        self._bar.start()
        self._task = self._bar.add_task(label, total=total, completed=done)

    def advance(self, amount: int) -> None:
        self._bar.advance(self._task, amount)

    def finish(self) -> None:
        self._bar.stop()


class TerminalReporter:
    def notice(self, notice: Notice) -> None:
        import sys

        sys.stderr.write(notice.line() + "\n")
        sys.stderr.flush()

    @contextmanager
    def activity(self, label: str) -> Iterator[None]:
        from rich.console import Console
        from rich.progress import Progress as RichProgress
        from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with RichProgress(*columns, console=Console(stderr=True), transient=True) as shown:
            shown.add_task(label, total=None)
            yield

    def progress(self, label: str, total: int | None, done: int = 0) -> Progress:
        return _BarProgress(label, total, done)


class ConsoleReporter(TerminalReporter):
    """For the interactive session: notices go through its console, with any live display
    paused first, so they never land on top of a spinner."""

    def __init__(self, console: Any, pause: Any) -> None:
        self.console = console
        self.pause = pause

    def notice(self, notice: Notice) -> None:
        from rich.text import Text

        from devcli.notices import NoticeLevel

        style = "yellow" if notice.level is NoticeLevel.WARNING else "dim"
        with self.pause():
            self.console.print(Text(notice.line(), style=style))
