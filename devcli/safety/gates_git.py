"""Hard gates for git: lost uncommitted work, force pushes, deleted branches, rewritten history."""

import os
import posixpath
from collections.abc import Iterator

from devcli.safety.gate_rules import GateContext, GateRule, Violation
from devcli.shell_syntax.simple_commands import UNKNOWN, SimpleCommand

# Global options of git that take a separate value.
_GLOBAL_VALUED = frozenset(
    {
        "-C",
        "-c",
        "--git-dir",
        "--work-tree",
        "--namespace",
        "--super-prefix",
        "--config-env",
        "--exec-path",
    }
)
_REBASE_CONTINUING = frozenset(
    {"--abort", "--quit", "--continue", "--skip", "--edit-todo", "--show-current-patch"}
)
_CHECKOUT_VALUED = frozenset({"-b", "-B", "--orphan", "--conflict", "--pathspec-from-file"})
_RESTORE_VALUED = frozenset({"-s", "--source", "--conflict", "--pathspec-from-file"})


def _short_flags(args: list[str]) -> str:
    """All single-letter flags given, clustered or not (`-fdx` gives "fdx")."""
    letters = ""
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
            letters += arg[1:]
    return letters


def _has(args: list[str], *long_options: str) -> bool:
    return any(a == o or a.startswith(o + "=") for a in args for o in long_options)


def _operands(args: list[str], valued: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """Operands before `--`, and the pathspecs after it."""
    before: list[str] = []
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg == "--":
            return before, args[index + 1 :]
        if arg in valued:
            skip = True
        elif not arg.startswith("-") or arg == "-":
            before.append(arg)
    return before, []


def split_git(command: SimpleCommand) -> tuple[str, str, list[str]]:
    """(directory git runs in, subcommand, its arguments)."""
    cwd = command.cwd
    args = list(command.args)
    index = 0
    while index < len(args) and args[index].startswith("-"):
        arg = args[index]
        if arg == "-C" and index + 1 < len(args):
            target = args[index + 1]
            cwd = UNKNOWN if UNKNOWN in target + cwd else posixpath.join(cwd, target)
        index += 2 if arg in _GLOBAL_VALUED else 1
    if index >= len(args):
        return cwd, "", []
    return cwd, args[index], args[index + 1 :]


def _exists(cwd: str, path: str) -> bool:
    return UNKNOWN not in cwd + path and os.path.lexists(posixpath.join(cwd, path))


def _looks_like_path(cwd: str, operand: str) -> bool:
    return operand in (".", ":/", "*") or operand.startswith(":(") or _exists(cwd, operand)


def _violation(command: SimpleCommand, rule: GateRule, problem: str) -> Violation:
    return Violation(rule=rule, command=command.text, problem=problem)


def check_git(command: SimpleCommand, context: GateContext) -> Iterator[Violation]:
    cwd, sub, args = split_git(command)
    flags = _short_flags(args)
    changes = context.uncommitted_changes
    if sub == "reset":
        if _has(args, "--hard"):
            yield _violation(
                command,
                GateRule.GIT_RESET_HARD,
                "would throw away every uncommitted change in the work tree",
            )
            return
        before, after = _operands(args)
        commit = before[0] if before and (after or not _looks_like_path(cwd, before[0])) else None
        if commit is not None and commit not in ("HEAD", "@"):
            yield _violation(
                command,
                GateRule.GIT_HISTORY_REWRITE,
                f"would move the current branch to `{commit}`, dropping commits from it",
            )
    elif sub == "clean":
        if "n" not in flags and not _has(args, "--dry-run"):
            yield _violation(
                command,
                GateRule.GIT_CLEAN,
                "would permanently delete untracked files, which git cannot bring back",
            )
    elif sub == "checkout":
        before, after = _operands(args, _CHECKOUT_VALUED)
        paths = after or [op for op in before if _looks_like_path(cwd, op)]
        forced = "f" in flags or _has(args, "--force")
        if (paths or forced) and changes(cwd, paths):
            yield _violation(
                command,
                GateRule.GIT_DISCARD,
                "would overwrite uncommitted changes in the work tree",
            )
    elif sub == "restore":
        staged_only = ("S" in flags or _has(args, "--staged")) and not (
            "W" in flags or _has(args, "--worktree")
        )
        before, after = _operands(args, _RESTORE_VALUED)
        paths = before + after
        if not staged_only and paths and changes(cwd, paths):
            yield _violation(
                command,
                GateRule.GIT_DISCARD,
                "would overwrite uncommitted changes in the work tree",
            )
    elif sub == "switch":
        if ("f" in flags or _has(args, "--force", "--discard-changes")) and changes(cwd, []):
            yield _violation(
                command,
                GateRule.GIT_DISCARD,
                "would throw away uncommitted changes in the work tree",
            )
        if "C" in flags or _has(args, "--force-create"):
            yield _violation(
                command, GateRule.GIT_HISTORY_REWRITE, "would reset an existing branch"
            )
    elif sub == "worktree":
        yield from _worktree(command, cwd, args, context)
    elif sub == "stash":
        before, _ = _operands(args)
        if before and before[0] in ("drop", "clear"):
            yield _violation(command, GateRule.GIT_STASH_DROP, "would delete stashed work for good")
    elif sub == "push":
        yield from _push(command, args, flags)
    elif sub == "branch":
        if "d" in flags or "D" in flags or _has(args, "--delete"):
            yield _violation(command, GateRule.GIT_BRANCH_DELETE, "would delete a branch")
        elif "f" in flags or "M" in flags or "C" in flags or _has(args, "--force"):
            yield _violation(
                command, GateRule.GIT_HISTORY_REWRITE, "would overwrite an existing branch"
            )
    elif sub == "update-ref":
        if "d" in flags:
            yield _violation(command, GateRule.GIT_BRANCH_DELETE, "would delete a reference")
        else:
            yield _violation(
                command, GateRule.GIT_HISTORY_REWRITE, "would move a reference by hand"
            )
    elif sub == "rebase":
        if not any(a in _REBASE_CONTINUING for a in args):
            yield _violation(command, GateRule.GIT_HISTORY_REWRITE, "would rewrite commits")
    elif sub == "commit":
        if _has(args, "--amend"):
            yield _violation(command, GateRule.GIT_HISTORY_REWRITE, "would rewrite the last commit")
    elif sub in ("filter-branch", "filter-repo", "replace"):
        if not (sub == "replace" and ("l" in flags or _has(args, "--list"))):
            yield _violation(command, GateRule.GIT_HISTORY_REWRITE, "would rewrite history")
    elif sub == "reflog":
        before, _ = _operands(args)
        if before and before[0] in ("expire", "delete"):
            yield _violation(
                command,
                GateRule.GIT_HISTORY_REWRITE,
                "would erase the reflog that lost commits are recovered from",
            )
    elif sub == "prune" or (sub == "gc" and any(a in ("--prune=now", "--prune=all") for a in args)):
        yield _violation(
            command, GateRule.GIT_HISTORY_REWRITE, "would make unreachable commits unrecoverable"
        )


def _push(command: SimpleCommand, args: list[str], flags: str) -> Iterator[Violation]:
    before, _ = _operands(args)
    refspecs = before[1:]
    if (
        "f" in flags
        or _has(args, "--force", "--force-with-lease", "--force-if-includes", "--mirror")
        or any(spec.startswith("+") for spec in refspecs)
    ):
        yield _violation(command, GateRule.GIT_FORCE_PUSH, "would overwrite commits on the remote")
    if (
        "d" in flags
        or _has(args, "--delete", "--prune")
        or any(spec.startswith(":") for spec in refspecs)
    ):
        yield _violation(command, GateRule.GIT_BRANCH_DELETE, "would delete a branch on the remote")


def _worktree(
    command: SimpleCommand, cwd: str, args: list[str], context: GateContext
) -> Iterator[Violation]:
    """`git worktree remove --force` deletes a worktree's folder, its changes and untracked
    files with it; without --force git itself refuses when there are any."""
    before, _ = _operands(args)
    if before[:1] != ["remove"] or not ("f" in _short_flags(args) or _has(args, "--force")):
        return
    for path in before[1:]:
        folder = UNKNOWN if UNKNOWN in cwd + path else posixpath.join(cwd, path)
        if UNKNOWN in folder or context.worktree_dirty(os.path.realpath(folder)):
            yield _violation(
                command,
                GateRule.GIT_DISCARD,
                f"would delete the worktree `{path}` with its uncommitted work",
            )
