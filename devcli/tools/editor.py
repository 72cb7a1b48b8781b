"""`str_replace_editor`: view, create and edit files with exact, undoable, atomic writes."""

import os
import re
from collections import defaultdict, deque
from pathlib import Path
from typing import Literal

from pydantic import Field

from devcli.tools.base import Tool, ToolArgs, ToolResult
from devcli.tools.file_store import DiskFiles, FileStore
from devcli.tools.text_file import FileRefused, TextFile
from devcli.truncation import clip_end

MAX_VIEW_CHARS = 16_000
SNIPPET_CONTEXT = 4
UNDO_LEVELS = 10
_GREP_HINT = "Search the file with `grep -n` and view the lines you need with view_range."


class EditorArgs(ToolArgs):
    command: Literal["view", "create", "str_replace", "insert", "undo_edit"] = Field(
        description="The operation: view, create, str_replace, insert or undo_edit."
    )
    path: str = Field(description="Absolute path of the file or directory.")
    file_text: str | None = Field(default=None, description="`create`: the new file's content.")
    old_str: str | None = Field(
        default=None,
        description="`str_replace`: the exact text to replace; it must occur exactly once.",
    )
    new_str: str | None = Field(
        default=None,
        description="`str_replace`: the replacement (empty deletes); `insert`: the text to add.",
    )
    insert_line: int | None = Field(
        default=None, description="`insert`: the new text goes after this line (0 = top)."
    )
    view_range: list[int] | None = Field(
        default=None,
        description="`view` of a file: [first, last] line numbers; last = -1 reads to the end.",
    )


class EditError(ValueError):
    """A request the editor refuses; the message tells the model what to do instead."""


def _lines_with_ends(text: str) -> list[str]:
    # str.splitlines would also split on form feeds and Unicode separators.
    parts = re.split(r"(?<=\n)", text)
    return parts[:-1] if parts and parts[-1] == "" else parts


def _numbered(lines: list[str], first_number: int) -> str:
    return "\n".join(
        f"{number:6}\t{line.rstrip(chr(10)).rstrip(chr(13))}"
        for number, line in enumerate(lines, start=first_number)
    )


def _to_newline(text: str, newline: str) -> str:
    normal = text.replace("\r\n", "\n")
    return normal.replace("\n", newline) if newline != "\n" else normal


class EditorTool(Tool[EditorArgs]):
    name = "str_replace_editor"
    args_model = EditorArgs

    def __init__(self, cwd: Path, files: FileStore | None = None) -> None:
        self.root = cwd
        # File contents go through the store; directories and existence are looked up on disk.
        self.files: FileStore = files or DiskFiles()
        # Per file, what the store kept before each edit; None means the file did not exist.
        self._history: defaultdict[Path, deque[bytes | None]] = defaultdict(
            lambda: deque(maxlen=UNDO_LEVELS)
        )

    def execute(self, args: EditorArgs) -> ToolResult:
        try:
            path = self._absolute(args.path)
            match args.command:
                case "view":
                    content = self._view(path, args.view_range)
                case "create":
                    content = self._create(path, args.file_text)
                case "str_replace":
                    content = self._replace(path, args.old_str, args.new_str)
                case "insert":
                    content = self._insert(path, args.insert_line, args.new_str)
                case "undo_edit":
                    content = self._undo(path)
        except EditError as exc:
            return ToolResult(content=str(exc), is_error=True)
        except FileRefused as exc:
            return ToolResult(content=f"Refused to open {args.path}: {exc}.", is_error=True)
        except OSError as exc:
            return ToolResult(content=f"{args.path}: {exc.strerror or exc}.", is_error=True)
        return ToolResult(content=content)

    # -- paths -----------------------------------------------------------------------------

    def _absolute(self, raw: str) -> Path:
        path = Path(raw)
        if not path.is_absolute():
            suggestion = (self.root / raw).resolve()
            raise EditError(
                f"The path `{raw}` is not absolute. Use an absolute path, e.g. `{suggestion}`."
            )
        return path

    def _existing_file(self, path: Path) -> TextFile:
        if not path.exists():
            raise EditError(f"{path} does not exist.")
        if path.is_dir():
            raise EditError(f"{path} is a directory; this command works on files only.")
        return self.files.read(path)

    def _remember(self, path: Path) -> None:
        self._history[path].append(self.files.keep(path))

    # -- commands --------------------------------------------------------------------------

    def _view(self, path: Path, view_range: list[int] | None) -> str:
        if path.is_dir():
            if view_range is not None:
                raise EditError("view_range applies to files, not directories.")
            return clip_end(self._list_directory(path), MAX_VIEW_CHARS, _GREP_HINT)
        lines = _lines_with_ends(self._existing_file(path).text)
        first, last = 1, len(lines)
        if view_range is not None:
            if len(view_range) != 2:
                raise EditError("view_range takes two numbers: [first_line, last_line].")
            first, last = view_range
            if not 1 <= first <= max(len(lines), 1):
                raise EditError(
                    f"view_range starts at line {first}, but {path} has {len(lines)} lines."
                )
            if last == -1 or last > len(lines):
                last = len(lines)
            elif last < first:
                raise EditError(f"view_range [{first}, {last}] ends before it starts.")
        if not lines:
            return f"{path} is empty."
        body = _numbered(lines[first - 1 : last], first)
        header = f"Here is {path}" + (f", lines {first}-{last}" if view_range else "") + ":\n"
        return clip_end(header + body, MAX_VIEW_CHARS, _GREP_HINT)

    def _list_directory(self, root: Path) -> str:
        shown: list[str] = []
        hidden = 0

        def walk(folder: Path, depth: int) -> None:
            nonlocal hidden
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                return
            for entry in entries:
                if entry.name.startswith("."):
                    hidden += 1
                    continue
                is_dir = entry.is_dir(follow_symlinks=False)
                shown.append(entry.path + ("/" if is_dir else ""))
                if is_dir and depth < 2:
                    walk(Path(entry.path), depth + 1)

        walk(root, 1)
        text = (
            f"Files and directories in {root}, two levels deep, hidden entries left out:\n"
            + "\n".join(shown)
        )
        if hidden:
            text += f"\n\n{hidden} hidden entries were left out; `ls -la {root}` shows them."
        return text

    def _create(self, path: Path, file_text: str | None) -> str:
        if file_text is None:
            raise EditError("`create` needs `file_text`, the content of the new file.")
        if path.exists():
            raise EditError(
                f"{path} already exists; `create` never overwrites. Edit it with str_replace, "
                "or remove it first."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        self._remember(path)
        self.files.write(path, file_text, "utf-8")
        return f"Created {path}."

    def _replace(self, path: Path, old_str: str | None, new_str: str | None) -> str:
        if old_str is None or old_str == "":
            raise EditError("`str_replace` needs a non-empty `old_str`.")
        new_str = new_str or ""
        file = self._existing_file(path)
        text = file.text
        target, replacement = old_str, new_str
        starts = [m.start() for m in re.finditer(re.escape(target), text)]
        if not starts and "\n" in old_str and file.newline == "\r\n":
            target = _to_newline(old_str, "\r\n")
            replacement = _to_newline(new_str, "\r\n")
            starts = [m.start() for m in re.finditer(re.escape(target), text)]
        if not starts:
            raise EditError(
                f"No change made: old_str does not occur verbatim in {path}. Check whitespace "
                "and indentation with `view`."
            )
        if len(starts) > 1:
            numbers = [text.count("\n", 0, start) + 1 for start in starts]
            raise EditError(
                f"No change made: old_str occurs {len(starts)} times in {path}, at lines "
                f"{numbers}. Include more surrounding lines so it is unique."
            )
        if target == replacement:
            raise EditError("No change made: new_str is identical to old_str.")
        start = starts[0]
        updated = text[:start] + replacement + text[start + len(target) :]
        self._remember(path)
        self.files.write(path, updated, file.encoding)
        first_line = text.count("\n", 0, start) + 1
        spanned = replacement.count("\n") - (1 if replacement.endswith("\n") else 0)
        last_line = first_line + max(spanned, 0)
        return f"Edited {path}.\n" + self._snippet(updated, first_line, last_line)

    def _insert(self, path: Path, insert_line: int | None, new_str: str | None) -> str:
        if insert_line is None:
            raise EditError("`insert` needs `insert_line` (0 puts the text at the top).")
        if new_str is None:
            raise EditError("`insert` needs `new_str`, the text to insert.")
        file = self._existing_file(path)
        lines = _lines_with_ends(file.text)
        if not 0 <= insert_line <= len(lines):
            raise EditError(
                f"insert_line {insert_line} is outside the file: it must be between 0 and "
                f"{len(lines)}."
            )
        block = _to_newline(new_str, file.newline)
        if not block.endswith(file.newline):
            block += file.newline
        if insert_line == len(lines) and lines and not lines[-1].endswith("\n"):
            # After a last line with no newline: the file keeps ending without one.
            lines[-1] += file.newline
            block = block[: -len(file.newline)]
        lines[insert_line:insert_line] = [block]
        updated = "".join(lines)
        self._remember(path)
        self.files.write(path, updated, file.encoding)
        added = new_str.replace("\r\n", "\n").rstrip("\n").count("\n") + 1
        return f"Inserted into {path}.\n" + self._snippet(
            updated, insert_line + 1, insert_line + added
        )

    def _undo(self, path: Path) -> str:
        history = self._history.get(path)
        if not history:
            raise EditError(f"There is no edit of {path} to undo.")
        previous = history.pop()
        self.files.put_back(path, previous)
        if previous is None:
            return f"Undid the creation of {path}; the file was removed."
        return f"Restored {path} to its content before the last edit."

    def _snippet(self, text: str, first_line: int, last_line: int) -> str:
        lines = _lines_with_ends(text)
        start = max(1, first_line - SNIPPET_CONTEXT)
        end = min(len(lines), last_line + SNIPPET_CONTEXT)
        body = _numbered(lines[start - 1 : end], start)
        return clip_end(
            f"Lines {start}-{end} now read:\n{body}\nCheck that the change is what you intended.",
            MAX_VIEW_CHARS,
            _GREP_HINT,
        )
