"""The hard gates: which rule a command breaks, what it would do, and a safer way."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel


class GateRule(StrEnum):
    RECURSIVE_DELETE = "recursive-delete"
    RECURSIVE_PERMISSIONS = "recursive-permissions"
    GIT_RESET_HARD = "git-reset-hard"
    GIT_CLEAN = "git-clean"
    GIT_DISCARD = "git-discard-changes"
    GIT_FORCE_PUSH = "git-force-push"
    GIT_BRANCH_DELETE = "git-branch-delete"
    GIT_HISTORY_REWRITE = "git-history-rewrite"
    GIT_STASH_DROP = "git-stash-drop"
    PRIVILEGE = "privilege-escalation"
    DISK_WRITE = "disk-write"
    DOWNLOAD_TO_SHELL = "download-into-shell"
    KILL_FOREIGN = "kill-foreign-process"
    POWER = "system-power"
    SYSTEM_WIDE = "system-wide"
    UNANALYSABLE = "unanalysable-command"


SAFER: dict[GateRule, str] = {
    GateRule.RECURSIVE_DELETE: (
        "delete specific paths inside the repository (e.g. `rm -rf build/`), spelled out "
        "rather than built from variables or command output; check them first with `ls`"
    ),
    GateRule.RECURSIVE_PERMISSIONS: (
        "change the permissions of specific paths inside the repository "
        "(e.g. `chmod +x scripts/run.sh`)"
    ),
    GateRule.GIT_RESET_HARD: (
        "set changes aside with `git stash push --include-untracked` so they stay "
        "recoverable, or undo your own edits file by file"
    ),
    GateRule.GIT_CLEAN: (
        "see what it would remove with `git clean -n`, then delete specific files with `rm`"
    ),
    GateRule.GIT_DISCARD: (
        "inspect the changes with `git diff` first; undo your own edits with the editor's "
        "`undo_edit`, or set changes aside with `git stash push -- <paths>`"
    ),
    GateRule.GIT_FORCE_PUSH: (
        "push to a new branch instead (`git push origin HEAD:refs/heads/<new-name>`) and "
        "leave force-pushing to the user"
    ),
    GateRule.GIT_BRANCH_DELETE: "leave branches in place; the user can delete them after review",
    GateRule.GIT_HISTORY_REWRITE: (
        "add a new commit (a follow-up fix, or `git revert`) instead of rewriting existing ones"
    ),
    GateRule.GIT_STASH_DROP: "leave the stash as it is; read it with `git stash list` / `show`",
    GateRule.PRIVILEGE: (
        "run the command without elevated rights; if it truly needs root, stop and ask the "
        "user to run it"
    ),
    GateRule.DISK_WRITE: "work with ordinary files inside the repository, never with devices",
    GateRule.DOWNLOAD_TO_SHELL: (
        "download the script to a file inside the repository, read it, then run it explicitly"
    ),
    GateRule.KILL_FOREIGN: (
        "stop only processes this session started (`kill %1`, `kill $!`, or a PID it printed); "
        "check with `ps` first"
    ),
    GateRule.POWER: "never shut down, suspend or reboot the machine",
    GateRule.SYSTEM_WIDE: (
        "work on files inside the repository only; commands that reach the whole system "
        "(system folders, every process, kernel settings) are not run by devcli"
    ),
    GateRule.UNANALYSABLE: (
        "spell the command out literally: no command names or scripts built from variables, "
        "`$(…)`, `eval` or a pipe into a shell, and literal paths in code that deletes or runs "
        "things; or write the script with the editor so it can be read before it runs. "
        "Commands like this run when devcli's sandbox is on"
    ),
}


class Violation(BaseModel):
    rule: GateRule
    command: str  # the source text of the offending command
    problem: str  # what it would do, e.g. "would delete the filesystem root `/`"
    always: bool = False  # refused in every mode: nobody may allow it once

    @property
    def safer(self) -> str:
        return SAFER[self.rule]

    @property
    def contained_by_sandbox(self) -> bool:
        """Whether a sandbox that confines writes makes the command safe to run."""
        return self.rule is GateRule.UNANALYSABLE

    def message(self) -> str:
        shown = self.command.strip()
        if len(shown) > 300:
            shown = shown[:150] + " … " + shown[-100:]
        text = (
            f"Refused by the hard gate `{self.rule}`: `{shown}` {self.problem}. "
            f"A safer way: {self.safer}."
        )
        return text + (" It is refused in every approval mode." if self.always else "")


def always_false(_: int) -> bool:
    return False


def assume_changes(_cwd: str, _pathspecs: Sequence[str]) -> bool:
    return True


def assume_dirty(_path: str) -> bool:
    return True


def no_alias(_cwd: str, _name: str) -> str | None:
    return None


@dataclass(frozen=True)
class GateContext:
    """What the gates know about the place a command runs in. Paths are resolved strings."""

    root: str
    cwd: str
    home: str
    environ: Mapping[str, str] = field(default_factory=dict)
    # Whether a process id belongs to this session (a descendant of its shell).
    owns_process: Callable[[int], bool] = always_false
    # Whether the work tree has uncommitted changes under these pathspecs (all when empty).
    uncommitted_changes: Callable[[str, Sequence[str]], bool] = assume_changes
    # Whether a work tree (a linked worktree's folder) holds changes or untracked files.
    worktree_dirty: Callable[[str], bool] = assume_dirty
    # The value of git's `alias.NAME` as seen from a directory, or None.
    git_alias: Callable[[str, str], str | None] = no_alias
    # Functions earlier commands defined in the session's shell: name -> definition.
    functions: Mapping[str, str] = field(default_factory=dict)
    # When the session began (epoch seconds): files changed since were written in it. None
    # when unknown: then no file counts as written in the session.
    session_started: float | None = None
    # Whether commands run in a sandbox that confines their writes to the task's folders.
    # The sandbox sets it; unanalysable commands are then allowed.
    sandboxed: bool = False
