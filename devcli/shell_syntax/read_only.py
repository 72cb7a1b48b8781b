"""Whether a shell command is known to leave every file as it was.

Only known programs with harmless arguments count, and every part of the command must be one:
anything unknown, unparseable, or writing through a redirection is treated as a change.
"""

import re

from devcli.shell_syntax.simple_commands import ShellEnvironment, SimpleCommand
from devcli.shell_syntax.wrappers import commands_of, skip_options

_READERS = frozenset(
    {
        "ls",
        "cat",
        "head",
        "tail",
        "grep",
        "egrep",
        "fgrep",
        "rg",
        "ag",
        "ack",
        "wc",
        "pwd",
        "echo",
        "printf",
        "which",
        "type",
        "whereis",
        "file",
        "stat",
        "du",
        "df",
        "cut",
        "tr",
        "nl",
        "tac",
        "rev",
        "column",
        "fold",
        "diff",
        "cmp",
        "comm",
        "md5sum",
        "sha1sum",
        "sha256sum",
        "sha512sum",
        "cksum",
        "basename",
        "dirname",
        "realpath",
        "readlink",
        "true",
        "false",
        "test",
        "[",
        "date",
        "whoami",
        "id",
        "uname",
        "printenv",
        "nproc",
        "free",
        "uptime",
        "ps",
        "pgrep",
        "seq",
        "sleep",
        "jq",
        "od",
        "hexdump",
        "strings",
        "cd",
        "pushd",
        "popd",
        "dirs",
        "less",
        "more",
        "locate",
        "tree",
        "sort",
        "uniq",
        "xxd",
        "sed",
        "awk",
        "gawk",
        "find",
        "xargs",
        "env",
        "export",
        "set",
        "unset",
        "command",
        "hash",
        "alias",
        "time",
        "nice",
        "timeout",
        "git",
    }
)
_GIT_READERS = frozenset(
    {
        "status",
        "log",
        "diff",
        "show",
        "rev-parse",
        "ls-files",
        "ls-tree",
        "blame",
        "grep",
        "describe",
        "shortlog",
        "cat-file",
        "rev-list",
        "show-ref",
        "for-each-ref",
        "merge-base",
        "name-rev",
        "whatchanged",
        "help",
        "version",
        "count-objects",
        "check-ignore",
        "check-attr",
        "var",
        "annotate",
        "cherry",
    }
)
_SAFE_OUTPUTS = ("/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty")


def is_read_only(command: str, cwd: str = "/", home: str = "/") -> bool:
    env = ShellEnvironment(cwd=cwd, home=home)
    commands, readable = commands_of(command, env)
    return readable and bool(commands) and all(_reads_only(c) for c in commands)


def _reads_only(command: SimpleCommand) -> bool:
    for target in command.output_targets():
        if target not in _SAFE_OUTPUTS and not target.isdigit():
            return False
    program = command.program
    args = list(command.args)
    if len(args) == 1 and args[0] in ("--version", "-V", "--help", "-h"):
        return True
    if program not in _READERS:
        return False
    options = [a for a in args if a.startswith("-")]
    operands = [a for a in args if not a.startswith("-")]
    match program:
        case "git":
            return _git_reads_only(args)
        case "sort" | "tree":
            return not any(o == "-o" or o.startswith(("--output", "-o")) for o in options)
        case "uniq" | "xxd":
            return len(operands) <= 1
        case "sed":
            in_place = any(
                o.startswith("--in-place") or (not o.startswith("--") and "i" in o[1:])
                for o in options
            )
            return not in_place and not any(re.search(r"(^|[;}/\s])[wW]\s", a) for a in operands)
        case "awk" | "gawk":
            return not any(re.search(r">|\|\s*\"|system|getline", a) for a in operands)
        case "find":
            return not any(a in ("-delete", "-fls") or a.startswith("-fprint") for a in args)
        case "env" | "time" | "nice" | "timeout" | "command" | "xargs":
            return True  # what they run is checked as a command of its own
        case _:
            return True


def _git_reads_only(args: list[str]) -> bool:
    rest = args
    while rest and rest[0].startswith("-"):
        rest = rest[2:] if rest[0] in ("-C", "-c", "--git-dir", "--work-tree") else rest[1:]
    if not rest:
        return True
    sub, sub_args = rest[0], rest[1:]
    if sub in _GIT_READERS:
        return not any(a.startswith("--output") for a in sub_args)
    operands = skip_options(sub_args, frozenset())
    flags = [a for a in sub_args if a.startswith("-")]
    if sub == "branch":
        listing = {
            "-a",
            "-r",
            "-v",
            "-vv",
            "--list",
            "-l",
            "--all",
            "--remotes",
            "--show-current",
            "--verbose",
            "--no-color",
            "--color",
        }
        return not operands and all(
            f in listing
            or f.startswith(("--sort", "--format", "--contains", "--merged", "--no-merged"))
            for f in flags
        )
    if sub == "tag":
        return not operands or "-l" in flags or "--list" in flags
    if sub == "stash":
        return bool(operands) and operands[0] in ("list", "show")
    if sub == "remote":
        return not operands or operands[0] in ("show", "get-url")
    if sub == "config":
        return any(f in ("--get", "--get-all", "--list", "-l", "--get-regexp") for f in flags)
    if sub == "reflog":
        return not operands or operands[0] == "show"
    return False
