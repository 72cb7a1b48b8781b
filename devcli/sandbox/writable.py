"""Which folders a sandboxed session may write: the repository (with git's data where it
lives outside the work tree), a private temporary folder, and the configured caches."""

import os
import subprocess
from pathlib import Path

from pydantic import BaseModel, Field

from devcli.config import ConfigError, SandboxMode, Settings


class WritableFolders(BaseModel):
    repository: Path | None = None  # None: read-only mode
    # A linked worktree's or a submodule's git folders, outside the work tree.
    git_data: list[Path] = Field(default_factory=list)
    caches: list[Path] = Field(default_factory=list)
    temporary: Path | None = None  # the session's own, once it has made one

    def all(self) -> list[Path]:
        top = [self.repository] if self.repository is not None else []
        private = [self.temporary] if self.temporary is not None else []
        return [*top, *self.git_data, *self.caches, *private]

    def allows(self, path: str) -> bool:
        """Whether `path` (absolute) leads, symbolic links followed, into a writable folder."""
        resolved = Path(os.path.realpath(path))
        return any(resolved == folder or folder in resolved.parents for folder in self.all())


def repository_folders(workspace: Path) -> tuple[Path, list[Path]]:
    """The work tree around `workspace` (or `workspace` outside git) and the git folders that
    lie outside it: `git commit` in a linked worktree writes to the main repository's."""
    top = workspace.resolve()
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--show-toplevel", "--git-dir", "--git-common-dir"],
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return top, []
    lines = result.stdout.splitlines()
    if result.returncode != 0 or len(lines) != 3:
        return top, []
    top = (workspace / lines[0]).resolve()
    outside: list[Path] = []
    for line in lines[1:]:
        folder = (workspace / line).resolve()  # git prints these relative to `workspace`
        if top not in (folder, *folder.parents) and folder not in outside:
            outside.append(folder)
    return top, outside


def configured_caches(entries: list[str]) -> list[Path]:
    """The `sandbox_writable` folders that exist (`~` and `$VARS` expanded); a folder made
    later is not bound until the next session."""
    folders: list[Path] = []
    for entry in entries:
        path = Path(os.path.expandvars(os.path.expanduser(entry)))
        if not path.is_absolute():
            raise ConfigError(
                f"setting `sandbox_writable`: {entry!r} is not an absolute path (~ is allowed)"
            )
        if path.is_dir():
            folders.append(path.resolve())
    return folders


def writable_folders(settings: Settings, workspace: Path) -> WritableFolders:
    """What the sandbox's mode lets commands write in `workspace`, before the temporary folder
    is made: nothing in read-only mode."""
    if settings.sandbox is SandboxMode.READ_ONLY:
        return WritableFolders()
    top, git_data = repository_folders(workspace)
    return WritableFolders(
        repository=top, git_data=git_data, caches=configured_caches(settings.sandbox_writable)
    )
