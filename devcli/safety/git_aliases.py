"""What git runs for an alias, and the commands git configuration makes it run.

`git nuke` after `git config alias.nuke '!rm -rf ~'` runs a shell command; a plain alias
(`alias.co = checkout -f`) runs another git command. Both are expanded here so the gates
judge what would really run. Setting such an alias, or another setting that names a command
(`core.pager`, `core.sshCommand`, a diff or filter driver …), is judged by that command too,
when it is set.
"""

import posixpath
import shlex

from devcli.safety.gate_rules import GateContext
from devcli.safety.gates_git import split_git
from devcli.shell_syntax.simple_commands import (
    UNKNOWN,
    ShellEnvironment,
    SimpleCommand,
    opaque_command,
)
from devcli.shell_syntax.wrappers import parse_script

# git's own commands: an alias of the same name is never used, so no lookup is needed.
BUILTIN = frozenset(
    (
        "add", "am", "annotate", "apply", "archive", "bisect", "blame", "branch", "bundle",
        "cat-file", "check-attr", "check-ignore", "check-mailmap", "check-ref-format", "checkout",
        "checkout-index", "cherry", "cherry-pick", "citool", "clean", "clone", "column", "commit",
        "commit-graph", "commit-tree", "config", "count-objects", "credential", "describe", "diff",
        "diff-files", "diff-index", "diff-tree", "difftool", "fast-export", "fast-import", "fetch",
        "fetch-pack", "filter-branch", "fmt-merge-msg", "for-each-ref", "for-each-repo",
        "format-patch", "fsck", "gc", "get-tar-commit-id", "grep", "gui", "hash-object", "help",
        "hook", "http-fetch", "index-pack", "init", "instaweb", "interpret-trailers", "log",
        "ls-files", "ls-remote", "ls-tree", "mailinfo", "mailsplit", "maintenance", "merge",
        "merge-base", "merge-file", "merge-index", "merge-tree", "mergetool", "mktag", "mktree",
        "multi-pack-index", "mv", "name-rev", "notes", "pack-objects", "pack-redundant",
        "pack-refs", "prune", "prune-packed", "pull", "push", "range-diff", "read-tree", "rebase",
        "receive-pack", "reflog", "remote", "repack", "replace", "request-pull", "rerere", "reset",
        "restore", "rev-list", "rev-parse", "revert", "rm", "send-email", "shortlog", "show",
        "show-branch", "show-index", "show-ref", "sparse-checkout", "stage", "stash", "status",
        "stripspace", "submodule", "switch", "symbolic-ref", "tag", "unpack-file",
        "unpack-objects", "update-index", "update-ref", "update-server-info", "upload-archive",
        "upload-pack", "var", "verify-commit", "verify-pack", "verify-tag", "version",
        "whatchanged", "worktree", "write-tree",
    )
)  # fmt: skip
# Settings whose value is a command git runs (a `!` in front is allowed, as for aliases).
_COMMAND_SETTINGS = frozenset(
    {
        "core.pager",
        "core.editor",
        "core.sshcommand",
        "core.fsmonitor",
        "core.askpass",
        "sequence.editor",
        "diff.external",
        "credential.helper",
        "gpg.program",
        "uploadpack.packobjectshook",
    }
)
_DRIVER_SECTIONS = ("filter.", "diff.", "merge.", "difftool.", "mergetool.")
_DRIVER_KEYS = (".clean", ".smudge", ".process", ".command", ".textconv", ".driver", ".cmd")
MAX_ALIAS_DEPTH = 5


def _runs_command(key: str) -> bool:
    key = key.lower()
    if key.startswith(("alias.", "pager.")) or key in _COMMAND_SETTINGS:
        return True
    return key.startswith(_DRIVER_SECTIONS) and key.endswith(_DRIVER_KEYS)


def _inline_settings(command: SimpleCommand) -> dict[str, str]:
    """`git -c key=value …`: settings for this one run."""
    found: dict[str, str] = {}
    args = list(command.args)
    for index, arg in enumerate(args[:-1]):
        if arg == "-c":
            key, _, value = args[index + 1].partition("=")
            found[key.lower()] = value
        elif not arg.startswith("-"):
            break
    return found


def _top(cwd: str, context: GateContext) -> str:
    """Shell aliases run from the top of the work tree."""
    root = context.root
    return root if UNKNOWN not in cwd and (cwd == root or cwd.startswith(root + "/")) else cwd


def _as_commands(
    parent: SimpleCommand, value: str, cwd: str, env: ShellEnvironment, via: str
) -> list[SimpleCommand]:
    """The commands a setting's value runs: a shell command, or (for an alias without `!`)
    git again with those words."""
    if UNKNOWN in value:
        return [opaque_command(parent, f"`{via}` is set to a value only known when it runs", via)]
    if value.startswith("!") or not via.startswith("git alias"):
        script = value[1:] if value.startswith("!") else value
        return [command.run_by(parent, via) for command in parse_script(script, cwd, env)]
    try:
        words = shlex.split(value)
    except ValueError:
        return [opaque_command(parent, f"`{via}` cannot be read", via)]
    return [SimpleCommand(argv=("git", *words), cwd=cwd, text=parent.text, via=via)]


def alias_commands(
    command: SimpleCommand, context: GateContext, env: ShellEnvironment
) -> list[SimpleCommand]:
    """What a git command runs through configuration: its alias, and commands it sets."""
    if command.program != "git":
        return []
    cwd, sub, args = split_git(command)
    found: list[SimpleCommand] = []
    inline = _inline_settings(command)
    for key, setting in inline.items():
        if _runs_command(key) and not key.startswith("alias."):
            found += _as_commands(command, setting, cwd, env, f"git -c {key}")
    if sub == "config":
        found += _setting_commands(command, args, cwd, env)
    if not sub or sub in BUILTIN or sub.startswith("-"):
        return found
    value = inline.get(f"alias.{sub.lower()}")
    if value is None and UNKNOWN not in cwd + sub:
        value = context.git_alias(cwd, sub)
    if value is None:
        return found
    if value.startswith("!"):
        arguments = " ".join(shlex.quote(a) for a in args)
        script = value + (" " + arguments if arguments else "")
        return found + _as_commands(command, script, _top(cwd, context), env, f"git alias {sub}")
    expanded = _as_commands(command, value, cwd, env, f"git alias {sub}")
    return found + [
        SimpleCommand(argv=(*c.argv, *args), cwd=c.cwd, text=c.text, via=c.via) for c in expanded
    ]


def _setting_commands(
    parent: SimpleCommand, args: list[str], cwd: str, env: ShellEnvironment
) -> list[SimpleCommand]:
    """`git config [--global] [set] KEY VALUE` for a key whose value git runs."""
    operands = [a for a in args if not a.startswith("-")]
    if operands[:1] in (["set"], ["--add"]):
        operands = operands[1:]
    if len(operands) < 2 or not _runs_command(operands[0]):
        return []
    key, value = operands[0], operands[1]
    via = f"git alias {key.split('.', 1)[1]}" if key.lower().startswith("alias.") else key
    if via.startswith("git alias") and not value.startswith("!"):
        return _as_commands(parent, value, cwd, env, via)
    return _as_commands(parent, value, posixpath.normpath(cwd), env, via)
