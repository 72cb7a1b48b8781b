"""Which folders a sandboxed session may write: the repository (with git's data where it
lives outside the work tree), a private temporary folder, and the configured caches; and
what stays read-only inside them."""

import contextlib
import os
from pathlib import Path

from pydantic import BaseModel, Field

from devcli.config import ConfigError, SandboxMode, Settings
from devcli.git_command import GitMissing, git_command

# devcli's own git calls (checkpoints, the git tool's status, diff and commit) run outside the
# sandbox, so commands inside must not be able to change what git runs or where it looks:
# the configuration (fsmonitor, filters, diff drivers, aliases), the hooks, and the files that
# point a linked worktree at its repository stay read-only.
_GIT_CONTROLS = ("config", "config.worktree", "hooks", "commondir", "gitdir")


class RepositoryFolders(BaseModel):
    top: Path  # the work tree, or the workspace itself outside git
    git_folders: list[Path] = Field(default_factory=list)  # git dir and common dir

    def outside_top(self) -> list[Path]:
        """The git folders a linked worktree or submodule keeps outside its work tree."""
        return [g for g in self.git_folders if self.top not in (g, *g.parents)]

    def pinned(self) -> list[Path]:
        """The git folders, bound onto themselves so that they become mount points: a mount
        point cannot be renamed, so `.git` cannot be swapped for a folder of a command's own."""
        return [folder for folder in self.git_folders if folder.is_dir()]


class WritableFolders(BaseModel):
    repository: Path | None = None  # None: read-only mode
    # The git folders (also a linked worktree's, outside the work tree), bound on their own.
    git_data: list[Path] = Field(default_factory=list)
    caches: list[Path] = Field(default_factory=list)
    temporary: Path | None = None  # the session's own, once it has made one
    protected: list[Path] = Field(default_factory=list)  # read-only within the above

    def all(self) -> list[Path]:
        top = [self.repository] if self.repository is not None else []
        private = [self.temporary] if self.temporary is not None else []
        return [*top, *self.git_data, *self.caches, *private]

    def roots(self) -> list[Path]:
        """`all()` without the folders that lie inside another: what to show a person."""
        folders = self.all()
        return [f for f in folders if not any(other in f.parents for other in folders)]

    def allows(self, path: str) -> bool:
        """Whether `path` (absolute) leads, symbolic links followed, into a writable folder
        and not into a protected path."""
        resolved = Path(os.path.realpath(path))

        def within(folder: Path) -> bool:
            return resolved == folder or folder in resolved.parents

        return any(map(within, self.all())) and not any(map(within, self.protected))


def repository_folders(workspace: Path) -> RepositoryFolders:
    """The work tree around `workspace` (or `workspace` outside git) and its git folders."""
    plain = RepositoryFolders(top=workspace.resolve())
    try:
        result = git_command(
            ["rev-parse", "--show-toplevel", "--git-dir", "--git-common-dir"],
            cwd=workspace,
            timeout=10,
        )
    except GitMissing:
        return plain
    lines = result.text.splitlines()
    if not result.ok or len(lines) != 3:
        return plain
    # git prints the git folders relative to `workspace`.
    folders = list(dict.fromkeys((workspace / line).resolve() for line in lines[1:]))
    return RepositoryFolders(top=(workspace / lines[0]).resolve(), git_folders=folders)


def git_controls(repository: RepositoryFolders) -> list[Path]:
    """The paths of `_GIT_CONTROLS` that exist, and a linked worktree's `.git` file. A missing
    hooks folder is made (empty, as `git init` makes it), or a command could create and fill it."""
    controls: list[Path] = []
    if (repository.top / ".git").is_file():
        controls.append(repository.top / ".git")
    for folder in repository.git_folders:
        with contextlib.suppress(OSError):
            (folder / "hooks").mkdir(exist_ok=True)
        controls += [folder / name for name in _GIT_CONTROLS if (folder / name).exists()]
    return controls


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
    repository = repository_folders(workspace)
    return WritableFolders(
        repository=repository.top,
        git_data=repository.pinned(),
        caches=configured_caches(settings.sandbox_writable),
        protected=git_controls(repository),
    )
