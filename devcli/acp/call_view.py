"""What a client is shown of one tool call: title, kind, locations, content and status."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from acp import text_block, tool_content, tool_diff_content
from acp.schema import (
    ContentToolCallContent,
    FileEditToolCallContent,
    TerminalToolCallContent,
    ToolCallLocation,
    ToolCallStatus,
    ToolKind,
)

from devcli.agent.approval import command_scope
from devcli.events import Observation, ToolCall
from devcli.ui.edit_preview import proposed_change
from devcli.ui.plain import describe_call

CallContent = ContentToolCallContent | FileEditToolCallContent | TerminalToolCallContent
TextReader = Callable[[Path], str | None]

_BASH = "execute_bash"
_EDITOR = "str_replace_editor"
# Programs that look for things: their calls show as searches rather than commands.
_SEARCH_PROGRAMS = frozenset(
    {"grep", "egrep", "fgrep", "rg", "ag", "ack", "find", "fd", "git grep"}
)
# git tool operations that only read the repository.
_GIT_READS = frozenset({"status", "diff", "log", "show", "blame"})
_TITLE_CHARS = 200


def title(call: ToolCall, workspace: Path) -> str:
    line = describe_call(call, workspace).strip().splitlines()
    text = line[0] if line else call.name
    return text if len(text) <= _TITLE_CHARS else text[: _TITLE_CHARS - 1] + "…"


def kind(call: ToolCall) -> ToolKind:
    args = call.arguments
    if call.name == _BASH:
        scope = command_scope(str(args.get("command", "")))
        return "search" if scope in _SEARCH_PROGRAMS else "execute"
    if call.name == _EDITOR:
        return "read" if args.get("command") == "view" else "edit"
    if call.name == "think":
        return "think"
    if call.name == "git":
        return "read" if args.get("operation") in _GIT_READS else "other"
    return "other"


def locations(call: ToolCall) -> list[ToolCallLocation] | None:
    """The file an editor call works on, with its line where the call names one."""
    if call.name != _EDITOR or not isinstance(call.arguments.get("path"), str):
        return None
    args = call.arguments
    line: int | None = None
    if isinstance(args.get("insert_line"), int):
        line = max(int(args["insert_line"]), 1)
    elif isinstance(args.get("view_range"), list) and args["view_range"]:
        first = args["view_range"][0]
        line = first if isinstance(first, int) and first >= 1 else None
    return [ToolCallLocation(path=str(args["path"]), line=line)]


def edit_preview(call: ToolCall, read: TextReader) -> FileEditToolCallContent | None:
    """The whole-file diff an editor call is about to make (None when it has none to show)."""
    if call.name != _EDITOR:
        return None
    change = proposed_change(call.arguments, read)
    if change is None:
        return None
    before, after = change
    creating = call.arguments.get("command") == "create"
    return tool_diff_content(str(call.arguments["path"]), after, None if creating else before)


def edit_fragments(call: ToolCall) -> FileEditToolCallContent | None:
    """The diff an edit made, from its own arguments: for history, where the file has moved on."""
    args = call.arguments
    path = args.get("path")
    if call.name != _EDITOR or not isinstance(path, str):
        return None
    match args.get("command"):
        case "create" if isinstance(args.get("file_text"), str):
            return tool_diff_content(path, args["file_text"], None)
        case "str_replace" if isinstance(args.get("old_str"), str):
            return tool_diff_content(path, str(args.get("new_str") or ""), args["old_str"])
        case "insert" if isinstance(args.get("new_str"), str):
            return tool_diff_content(path, args["new_str"], "")
    return None


def request_content(call: ToolCall, read: TextReader) -> list[CallContent]:
    """What a person deciding about the call needs to see: the diff, the command, the thought."""
    preview = edit_preview(call, read)
    if preview is not None:
        return [preview]
    args = call.arguments
    if call.name == _BASH and str(args.get("command", "")).strip():
        return [text(fenced(str(args["command"])))]
    if call.name == "think" and isinstance(args.get("thought"), str):
        return [text(args["thought"])]
    return []


def result_content(
    call: ToolCall | None, observation: Observation, diff: FileEditToolCallContent | None
) -> list[CallContent]:
    if call is not None and call.name == "finish":
        return []  # its message is shown as the agent's answer
    if call is not None and call.name == "think" and not observation.is_error:
        thought = call.arguments.get("thought")
        return [text(thought)] if isinstance(thought, str) else []
    if diff is not None and not observation.is_error:
        return [diff]
    return [text(fenced(observation.content))] if observation.content.strip() else []


def status(observation: Observation) -> ToolCallStatus:
    """Failed: an error, or a command that exited non-zero (-1 only means it still runs)."""
    if observation.is_error or observation.exit_code not in (None, 0, -1):
        return "failed"
    return "completed"


def raw_input(call: ToolCall) -> dict[str, Any]:
    if call.raw_arguments is not None:
        return {"raw_arguments": call.raw_arguments}
    return dict(call.arguments)


def text(value: str) -> ContentToolCallContent:
    return tool_content(text_block(value))


def fenced(value: str) -> str:
    """A markdown code block that no run of backticks inside `value` can close."""
    ticks = "`" * max(3, _longest_backtick_run(value) + 1)
    return f"{ticks}\n{value.rstrip()}\n{ticks}"


def _longest_backtick_run(value: str) -> int:
    longest = current = 0
    for char in value:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    return longest
