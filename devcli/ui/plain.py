"""Plain-text rendering of events, for pipes, logs and terminals without colour."""

import json
from pathlib import Path
from typing import TextIO

from devcli.events import AssistantTurn, ErrorEvent, Event, Finished, Observation, ToolCall

FOLD_LINES = 6
_EDITOR_ACTIONS = {
    "view": "view",
    "create": "create",
    "str_replace": "edit",
    "insert": "insert into",
    "undo_edit": "undo edit of",
}


def shown_path(raw: object, workspace: Path | None) -> str:
    """A path relative to `workspace` when it lies inside it."""
    path = str(raw)
    if workspace is not None:
        try:
            return str(Path(path).relative_to(workspace)) or "."
        except ValueError:
            pass
    return path


def describe_call(call: ToolCall, workspace: Path | None = None) -> str:
    """One line that says what a call does: the command, or the editor action and path.

    Paths inside `workspace` are shown relative to it.
    """
    args = call.arguments
    if call.raw_arguments is not None:
        return f"{call.name} (unparseable arguments)"
    if call.name == "execute_bash":
        prefix = "input: " if args.get("is_input") == "true" else "$ "
        return prefix + str(args.get("command", "")).strip()
    if call.name == "str_replace_editor":
        action = _EDITOR_ACTIONS.get(str(args.get("command")), str(args.get("command", "?")))
        return f"{action} {shown_path(args.get('path', '?'), workspace)}"
    if call.name == "think":
        return (
            "think: " + str(args.get("thought", "")).strip().splitlines()[0][:100]
            if str(args.get("thought", "")).strip()
            else "think"
        )
    if call.name == "finish":
        return "finish"
    return f"{call.name} {json.dumps(args, ensure_ascii=False)[:100]}"


def fold_lines(text: str, keep: int = FOLD_LINES) -> tuple[list[str], int]:
    """The first `keep` lines of `text` and how many more there are."""
    lines = text.rstrip("\n").splitlines()
    return lines[:keep], max(0, len(lines) - keep)


def fold(text: str, keep: int = FOLD_LINES) -> str:
    shown, rest = fold_lines(text, keep)
    return "\n".join(shown) + (f"\n… {rest} more lines" if rest else "")


class PlainRenderer:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, event: Event) -> None:
        match event:
            case AssistantTurn():
                if event.content.strip():
                    self._print(event.content.strip())
                for call in event.tool_calls:
                    self._print(f"→ {describe_call(call)}")
            case Observation():
                if event.name in ("think", "finish"):
                    return
                body = fold(event.content)
                self._print("  " + body.replace("\n", "\n  ") if body else "  (no output)")
            case ErrorEvent():
                self._print(f"error: {event.message}")
            case Finished():
                self._print(
                    f"finished ({event.reason}, task completed: {event.task_completed}, "
                    f"exit code {event.exit_code}): {event.message}"
                )

    def on_text(self, chunk: str) -> None:
        """Streamed text is not shown: plain output prints each turn once it is complete."""

    def stop(self) -> None:
        """Nothing is left on screen to tidy up."""

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)
