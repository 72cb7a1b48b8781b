"""Where a path word of a command really points, and what is dangerous to delete or change.

Paths are resolved as the kernel would see them: relative to the command's directory, with
`..` and symlinks followed. A word with a glob keeps its pattern, applied in a resolved folder.
"""

import fnmatch
import os
import posixpath
import re
from dataclasses import dataclass

from devcli.shell_syntax.simple_commands import UNKNOWN
from devcli.shell_syntax.wrappers import FOUND

_GLOB_CHARS = ("*", "?", "[", FOUND)


@dataclass(frozen=True)
class Target:
    """A path, or (with `pattern`) the entries of `path` a glob matches."""

    path: str
    pattern: str | None = None
    deeper: bool = False  # more path components follow the pattern
    unknown: bool = False  # part of the path is only known when the command runs


def _is_pattern(component: str) -> bool:
    return any(char in component for char in _GLOB_CHARS)


def resolve_target(word: str, cwd: str, follow_last: bool = False) -> Target:
    """Resolve a path word; `follow_last` follows a final symlink (rm removes the link)."""
    if not word.startswith("/"):
        if UNKNOWN in cwd:
            return Target(path=word, unknown=True)
        word = posixpath.join(cwd, word)
    if UNKNOWN in word:
        known = word.split(UNKNOWN, 1)[0]
        return Target(path=posixpath.dirname(known) or "/", unknown=True)
    parts = word.split("/")
    for index, part in enumerate(parts):
        if _is_pattern(part):
            base = os.path.realpath("/".join(parts[:index]) or "/")
            deeper = any(parts[index + 1 :])
            return Target(path=base, pattern=part, deeper=deeper)
    head, name = posixpath.split(word)
    if follow_last or not name or name in (".", ".."):
        return Target(path=os.path.realpath(word))
    return Target(path=posixpath.join(os.path.realpath(head or "/"), name))


def is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _broad(pattern: str) -> bool:
    """A pattern with nothing literal but dots matches most names: `*`, `.*`, `[a-z]*`."""
    literal = re.sub(r"\[[^\]]*\]", "", pattern)
    return bool(pattern) and all(char in "*?." for char in literal)


def _matches_dotted(name: str, pattern: str) -> bool:
    # Bash globs match a leading dot only when the pattern starts with one.
    return pattern.startswith(".") and fnmatch.fnmatchcase(name, pattern)


@dataclass(frozen=True)
class Places:
    """The folders a command must not destroy. Both paths are resolved."""

    root: str
    home: str

    @property
    def git_dir(self) -> str:
        return posixpath.join(self.root, ".git")

    def _special(self, path: str) -> str | None:
        if path == "/":
            return "the filesystem root `/`"
        if path == self.home:
            return f"your home folder `{path}`"
        if path == self.root:
            return f"the repository root `{path}`"
        if is_within(self.root, path):
            return f"`{path}`, a folder that contains the repository"
        if is_within(self.home, path):
            return f"`{path}`, a folder that contains your home folder"
        return None

    def deletion_problem(self, target: Target) -> str | None:
        """What deleting the target recursively would destroy, or None when it is fine."""
        if target.unknown:
            return "a path that is only known when the command runs"
        if target.pattern is None:
            special = self._special(target.path)
            if special is not None:
                return special
            if not is_within(target.path, self.root):
                return f"`{target.path}`, outside the repository"
            if is_within(target.path, self.git_dir):
                return "the repository's `.git` folder (its whole history)"
            return None
        where = target.path
        if not is_within(where, self.root):
            return f"entries of `{where}`, outside the repository"
        if _matches_dotted("..", target.pattern):
            return f"entries matched by `{target.pattern}`, which also matches `..`"
        if is_within(where, self.git_dir):
            return "files of the repository's `.git` folder (its history)"
        if where == self.root and not target.deeper:
            if _matches_dotted(".git", target.pattern):
                return f"entries matched by `{target.pattern}`, including `.git`"
            if _broad(target.pattern):
                return f"everything in the repository root `{where}`"
        return None

    def outside_problem(self, target: Target) -> str | None:
        """For changes other than deletion: only the repository's own files are fine."""
        if target.unknown:
            return "a path that is only known when the command runs"
        if is_within(target.path, self.root):
            return None
        special = self._special(target.path)
        if special is not None:
            return special
        return f"`{target.path}`, outside the repository"
