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
}


class Violation(BaseModel):
    rule: GateRule
    command: str  # the source text of the offending command
    problem: str  # what it would do, e.g. "would delete the filesystem root `/`"

    @property
    def safer(self) -> str:
        return SAFER[self.rule]

    def message(self) -> str:
        return (
            f"Refused by the hard gate `{self.rule}`: `{self.command.strip()}` {self.problem}. "
            f"A safer way: {self.safer}."
        )


def always_false(_: int) -> bool:
    return False


def assume_changes(_cwd: str, _pathspecs: Sequence[str]) -> bool:
    return True


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
