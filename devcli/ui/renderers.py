"""Picks the renderer for `--output text`: rich on a terminal, plain lines anywhere else."""

from pathlib import Path
from typing import Protocol, TextIO

from devcli.agent.budget import context_window
from devcli.config import Settings
from devcli.events import Event
from devcli.llm.base import Backend
from devcli.ui.plain import PlainRenderer


class TextRenderer(Protocol):
    def __call__(self, event: Event) -> None: ...

    def on_text(self, chunk: str) -> None: ...

    def stop(self) -> None: ...


def text_renderer(
    stream: TextIO, workspace: Path, backend: Backend, settings: Settings
) -> TextRenderer:
    if not stream.isatty():
        return PlainRenderer(stream)
    from devcli.ui.console import ConsoleRenderer, make_console

    return ConsoleRenderer(
        make_console(file=stream),
        workspace,
        model=backend.model_name,
        backend_kind=backend.kind,
        context_window=context_window(backend, settings.ctx_size),
        echo_task=True,
    )
