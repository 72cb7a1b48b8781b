"""The unified diff an editor call is about to make, worked out before it runs.

Shown to the person when the call starts (and before they approve it). It mirrors the
editor's rules only as far as a preview needs: a call the editor will refuse has no preview,
and the editor's own error is shown instead.
"""

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devcli.tools.text_file import FileRefused, read_text_file

PREVIEWED_COMMANDS = frozenset({"create", "str_replace", "insert"})


def _current_text(path: Path) -> str | None:
    try:
        return read_text_file(path).text.replace("\r\n", "\n")
    except (OSError, FileRefused):
        return None


def proposed_change(
    arguments: dict[str, Any], read: Callable[[Path], str | None] = _current_text
) -> tuple[str, str] | None:
    """(before, after) of the file the call edits, or None when there is nothing to preview.

    `read` gives a file's text with `\n` line endings (None when it cannot be read): from
    disk by default, from an editor's buffers when the editor tool goes through them.
    """
    command = arguments.get("command")
    raw_path = arguments.get("path")
    if command not in PREVIEWED_COMMANDS or not isinstance(raw_path, str):
        return None
    path = Path(raw_path)
    if not path.is_absolute():
        return None
    if command == "create":
        text = arguments.get("file_text")
        if not isinstance(text, str) or path.exists():
            return None
        return "", text.replace("\r\n", "\n")
    before = read(path)
    if before is None:
        return None
    if command == "str_replace":
        old = str(arguments.get("old_str") or "").replace("\r\n", "\n")
        new = str(arguments.get("new_str") or "").replace("\r\n", "\n")
        if not old or before.count(old) != 1 or old == new:
            return None
        return before, before.replace(old, new, 1)
    line = arguments.get("insert_line")
    new_text = arguments.get("new_str")
    if not isinstance(line, int) or not isinstance(new_text, str):
        return None
    lines = before.splitlines(keepends=True)
    if not 0 <= line <= len(lines):
        return None
    block = new_text.replace("\r\n", "\n")
    if not block.endswith("\n"):
        block += "\n"
    if line == len(lines) and lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines[line:line] = [block]
    return before, "".join(lines)


def unified_diff(label: str, before: str, after: str, context: int = 3) -> str:
    diff = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile="/dev/null" if not before else f"a/{label}",
        tofile=f"b/{label}",
        n=context,
        lineterm="",
    )
    return "\n".join(diff)


def edit_diff(arguments: dict[str, Any], label: str) -> str | None:
    """The diff of the edit, its files named by `label`; None when there is none to show."""
    change = proposed_change(arguments)
    if change is None:
        return None
    return unified_diff(label, *change) or None
