"""Rich rendering of a session for a terminal.

The assistant's text streams as markdown under a spinner and is printed in full when the turn
is complete; each tool call is one line, its result folded to a few lines; edits show as
coloured unified diffs before they run; a spinner shows the elapsed time while the model or a
tool works; a finished task ends with a status line (context in use, tokens/s for local models).
"""

import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.markdown import Markdown
from rich.spinner import Spinner
from rich.text import Text

from devcli.events import (
    AssistantTurn,
    Condensation,
    ErrorEvent,
    Event,
    Finished,
    Observation,
    SessionStarted,
    ToolCall,
    UserMessage,
)
from devcli.ui.edit_preview import edit_diff
from devcli.ui.plain import describe_call, fold_lines, shown_path
from devcli.ui.session_stats import SessionStats, stats_of, status_line

RESULT_LINES = 6
VIEW_LINES = 3
DIFF_LINES = 40
STREAM_PREVIEW_LINES = 12
_EDIT_COMMANDS = frozenset({"create", "str_replace", "insert"})
_BASH_NOTE = re.compile(
    r"\n?\[The command finished with exit code (-?\d+)\. Working directory: [^\n]*\]\Z"
)
_DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


def make_console(no_color: bool = False, file: TextIO | None = None) -> Console:
    """A console for devcli's output; NO_COLOR in the environment also turns colour off."""
    return Console(
        file=file, no_color=True if no_color else None, highlight=False, markup=False, emoji=False
    )


def diff_text(diff: str, keep: int = DIFF_LINES) -> Text:
    """A unified diff, coloured line by line and folded after `keep` lines."""
    shown, rest = fold_lines(diff, keep)
    text = Text()
    for line in shown:
        style = next((s for prefix, s in _DIFF_STYLES if line.startswith(prefix)), "")
        text.append("    " + line + "\n", style=style)
    if rest:
        text.append(f"    … {rest} more lines of diff\n", style="dim")
    return text


def split_bash_note(content: str) -> tuple[str, int | None]:
    """The command output without the closing note the model reads, and the exit code."""
    match = _BASH_NOTE.search(content)
    if match is None:
        return content, None
    return content[: match.start()], int(match.group(1))


def _markdown_tail(text: str, lines: int) -> str:
    """The last lines of streamed markdown, reopening a code block the cut fell inside."""
    all_lines = text.splitlines()
    head, tail = all_lines[:-lines], all_lines[-lines:]
    open_fence = sum(1 for line in head if line.lstrip().startswith("```")) % 2 == 1
    return ("```\n" if open_fence else "") + "\n".join(tail)


class _Activity:
    """The live region: streamed text so far, then a spinner with the elapsed time."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.first_text: float | None = None  # when the model's first words arrived
        self.preview = ""
        self._spinner = Spinner("dots", style="cyan")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.preview.strip():
            yield Markdown(_markdown_tail(self.preview, STREAM_PREVIEW_LINES))
        elapsed = time.monotonic() - self.started
        self._spinner.update(text=Text(f"{self.label} {elapsed:.1f}s", style="dim"))
        yield self._spinner


class ConsoleRenderer:
    """An event sink (and text sink) that draws the session on a rich console."""

    def __init__(
        self,
        console: Console,
        workspace: Path,
        model: str = "",
        backend_kind: str = "",
        context_window: int | None = None,
        echo_task: bool = False,
    ) -> None:
        self.console = console
        self.workspace = workspace
        self.model = model
        self.backend_kind = backend_kind
        self.context_window = context_window
        self.echo_task = echo_task
        self.tokens_per_second: float | None = None
        self._counted: list[Event] = []  # what the status line's figures come from
        self._waiting: deque[ToolCall] = deque()
        self._diffed: set[str] = set()
        self._activity: _Activity | None = None
        self._live: Live | None = None
        self._lock = threading.RLock()

    # -- sinks -----------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        with self._lock:
            match event:
                case SessionStarted():
                    self._counted.clear()
                    self.tokens_per_second = None
                case UserMessage():
                    self._user(event)
                case AssistantTurn():
                    self._assistant(event)
                case Observation():
                    self._observation(event)
                case ErrorEvent():
                    self._end_activity()
                    self.console.print(Text(f"error: {event.message}", style="bold red"))
                case Finished():
                    self._finished(event)
                case Condensation():
                    self._counted.append(event)
                    self._condensed(event)

    def on_text(self, chunk: str) -> None:
        """Streamed assistant text, shown under the spinner until the turn is complete."""
        with self._lock:
            if self._activity is None:
                self._begin_activity("Thinking")
            assert self._activity is not None
            self._activity.label = "Writing"
            if self._activity.first_text is None:
                self._activity.first_text = time.monotonic()
            self._activity.preview += chunk

    # -- what the REPL and headless runs call ------------------------------------------------

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Take the spinner off the screen while the person is asked something."""
        with self._lock:
            live, self._live = self._live, None
            if live is not None:
                live.stop()
        try:
            yield
        finally:
            with self._lock:
                if self._activity is not None and self._live is None:
                    self._start_live()

    def stop(self) -> None:
        """End any spinner; a run is over (or was interrupted)."""
        with self._lock:
            self._end_activity()
            self._waiting.clear()

    def stats(self) -> SessionStats:
        return stats_of(self._counted)

    def status_text(self, approval: str | None = None, stats: SessionStats | None = None) -> str:
        return status_line(
            self.model or "model",
            stats or self.stats(),
            self.context_window,
            self.tokens_per_second,
            approval,
        )

    # -- events ----------------------------------------------------------------------------

    def _user(self, event: UserMessage) -> None:
        self._end_activity()
        if event.synthetic:
            self.console.print(
                Text("↻ devcli reminded the model to use a tool or call finish", style="dim")
            )
        elif self.echo_task:
            self.console.print(Text("› " + event.content.strip(), style="bold"))
        self._begin_activity("Thinking")

    def _assistant(self, turn: AssistantTurn) -> None:
        activity = self._activity
        self._end_activity()
        self._counted.append(turn)
        if activity is not None and self.backend_kind == "local" and turn.usage.completion_tokens:
            # Generation speed: from the first streamed words when there were any, so the
            # time spent reading the prompt does not count.
            elapsed = time.monotonic() - (activity.first_text or activity.started)
            self.tokens_per_second = turn.usage.completion_tokens / elapsed if elapsed else None
        if turn.content.strip():
            self.console.print(Markdown(turn.content.strip()))
        self._waiting.extend(turn.tool_calls)
        self._start_next_call()

    def _start_next_call(self) -> None:
        if not self._waiting:
            return
        call = self._waiting[0]
        if call.name == "finish":
            return  # the finish event says it all
        self.console.print(
            Text("● ", style="cyan") + Text(describe_call(call, self.workspace), style="bold")
        )
        if call.name == "str_replace_editor" and call.arguments.get("command") in _EDIT_COMMANDS:
            label = shown_path(call.arguments.get("path", ""), self.workspace)
            diff = edit_diff(call.arguments, label)
            if diff is not None:
                self.console.print(diff_text(diff), end="")
                self._diffed.add(call.id)
        self._begin_activity("Running" if call.name == "execute_bash" else "Working")

    def _observation(self, event: Observation) -> None:
        self._end_activity()
        if self._waiting and self._waiting.popleft().id != event.tool_call_id:
            self._waiting.clear()  # out of step with the calls shown: drop the rest
        self._print_result(event, diffed=event.tool_call_id in self._diffed)
        self._diffed.discard(event.tool_call_id)
        if self._waiting:
            self._start_next_call()
        elif event.name != "finish":
            self._begin_activity("Thinking")

    def _print_result(self, event: Observation, diffed: bool) -> None:
        if event.name in ("think", "finish") and not event.is_error:
            return
        body, exit_code = event.content, event.exit_code
        keep = RESULT_LINES
        if event.name == "execute_bash":
            body, noted = split_bash_note(body)
            exit_code = noted if noted is not None else exit_code
        elif event.name == "str_replace_editor" and not event.is_error:
            keep = 1 if diffed else VIEW_LINES
        shown, rest = fold_lines(body, keep)
        if diffed:
            rest = 0  # the diff already showed what the rest of the message repeats
        style = "red" if event.is_error else "dim"
        if not shown:
            shown = ["(no output)"]
        text = Text()
        for number, line in enumerate(shown):
            text.append(("  ⎿ " if number == 0 else "    ") + line + "\n", style=style)
        if rest:
            text.append(f"    … {rest} more lines\n", style="dim italic")
        if exit_code not in (None, 0):
            text.append(f"    exit code {exit_code}\n", style="yellow")
        self.console.print(text, end="")

    def _finished(self, event: Finished) -> None:
        unfinished = self._activity.preview.strip() if self._activity is not None else ""
        self._end_activity()
        if unfinished:  # an interrupted answer stays on screen as far as it got
            self.console.print(Markdown(unfinished))
        self._waiting.clear()
        if event.reason == "finish":
            mark, style = {
                "true": ("✔ Done", "bold green"),
                "partial": ("◐ Partly done", "bold yellow"),
            }.get(event.task_completed, ("✘ Not done", "bold red"))
            self.console.print(Text(mark, style=style))
            if event.message.strip():
                self.console.print(Markdown(event.message.strip()))
        elif event.reason == "interrupted":
            self.console.print(Text("Interrupted.", style="bold yellow"))
        else:
            self.console.print(Text(f"Stopped ({event.reason}): {event.message}", style="yellow"))
        self.console.print(Text(self.status_text(), style="dim"))

    def _condensed(self, event: Condensation) -> None:
        label = self._activity.label if self._activity is not None else None
        self._end_activity()
        sizes = (
            f" ({event.tokens_before} → {event.tokens_after} tokens)" if event.tokens_after else ""
        )
        self.console.print(Text(f"↻ condensed the earlier conversation{sizes}", style="dim"))
        if label is not None:
            self._begin_activity(label)

    # -- the live region -------------------------------------------------------------------

    def _begin_activity(self, label: str) -> None:
        self._activity = _Activity(label)
        if self._live is None:
            self._start_live()
        else:
            self._live.update(self._activity)

    def _start_live(self) -> None:
        if not self.console.is_terminal or self._activity is None:
            return
        self._live = Live(
            self._activity,
            console=self.console,
            transient=True,
            refresh_per_second=8,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def _end_activity(self) -> None:
        self._activity = None
        if self._live is not None:
            self._live.stop()
            self._live = None
