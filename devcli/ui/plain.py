"""Plain-text rendering of events, for pipes, logs and terminals without colour."""

import json
from typing import TextIO

from devcli.events import AssistantTurn, ErrorEvent, Event, Finished, Observation, ToolCall

FOLD_LINES = 6


def describe_call(call: ToolCall) -> str:
    """One line that says what a call does: the command, or the editor action and path."""
    args = call.arguments
    if call.raw_arguments is not None:
        return f"{call.name} (unparseable arguments)"
    if call.name == "execute_bash":
        prefix = "input: " if args.get("is_input") == "true" else "$ "
        return prefix + str(args.get("command", "")).strip()
    if call.name == "str_replace_editor":
        return f"{args.get('command', '?')} {args.get('path', '?')}"
    if call.name == "think":
        return (
            "think: " + str(args.get("thought", "")).strip().splitlines()[0][:100]
            if str(args.get("thought", "")).strip()
            else "think"
        )
    if call.name == "finish":
        return "finish"
    return f"{call.name} {json.dumps(args, ensure_ascii=False)[:100]}"


def fold(text: str, keep: int = FOLD_LINES) -> str:
    lines = text.rstrip("\n").splitlines()
    if len(lines) <= keep:
        return "\n".join(lines)
    return "\n".join(lines[:keep]) + f"\n… {len(lines) - keep} more lines"


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

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)
