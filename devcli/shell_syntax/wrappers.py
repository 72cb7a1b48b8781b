"""Commands that run other commands: `sudo rm …`, `xargs rm -rf`, `bash -c '…'`, `find -exec`,
a shell or an interpreter fed code (`bash <<< …`, `python3 -c …`), `eval`, `alias`.

Each wrapper yields the commands it would run, so rules see through any nesting. What cannot
be known before it runs (a script built from command output, code read from a pipe) becomes
an opaque command, which the gates treat as unanalysable.
"""

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from devcli.shell_syntax.fallback import rough_commands
from devcli.shell_syntax.inline_code import code_commands, language_of
from devcli.shell_syntax.shell_source import count_words
from devcli.shell_syntax.simple_commands import (
    UNKNOWN,
    CommandTooLong,
    ShellEnvironment,
    ShellParseError,
    SimpleCommand,
    opaque_command,
    parse_commands_from,
    parse_with_functions,
)

FOUND = "\x01"  # one entry `find` matched: never its start folder itself
MAX_DEPTH = 6
MAX_ROUGH_WORDS = 5000  # the rough reader of unparseable commands: linear, about 0.3 s at most

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "busybox"})
PRIVILEGE_COMMANDS = frozenset({"sudo", "doas", "pkexec", "run0", "su", "runuser"})

# Options that take a value, per wrapper; everything else starting with `-` is a flag.
_VALUED: dict[str, frozenset[str]] = {
    "sudo": frozenset(
        {
            "-u",
            "-g",
            "-p",
            "-C",
            "-D",
            "-h",
            "-r",
            "-t",
            "-U",
            "-T",
            "--user",
            "--group",
            "--prompt",
            "--chdir",
            "--host",
            "--role",
            "--type",
        }
    ),
    "doas": frozenset({"-u", "-C"}),
    "pkexec": frozenset({"--user"}),
    "run0": frozenset({"-u", "--user", "-D", "--chdir"}),
    "runuser": frozenset({"-u", "-g", "-G", "--user", "--group"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p", "--class", "--classdata"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "stdbuf": frozenset({"-i", "-o", "-e", "--input", "--output", "--error"}),
    "exec": frozenset({"-a"}),
    "flock": frozenset({"-w", "--timeout", "-E", "--conflict-exit-code"}),
    "taskset": frozenset(),
    "xargs": frozenset(
        {
            "-a",
            "--arg-file",
            "-d",
            "--delimiter",
            "-E",
            "-e",
            "--eof",
            "-I",
            "--replace",
            "-L",
            "-l",
            "--max-lines",
            "-n",
            "--max-args",
            "-P",
            "--max-procs",
            "-s",
            "--max-chars",
            "--process-slot-var",
        }
    ),
    "watch": frozenset({"-n", "--interval", "-d", "--differences", "-q", "--equexit"}),
    "uv": frozenset(
        {
            "--with",
            "--python",
            "-p",
            "--project",
            "--directory",
            "--group",
            "--extra",
            "--env-file",
            "--package",
            "--index",
            "-w",
            "--from",
        }
    ),
}
_TRANSPARENT = frozenset(
    {
        "nohup",
        "time",
        "builtin",
        "setsid",
        "unbuffer",
        "chronic",
        "ifne",
        "caffeinate",
        "nice",
        "ionice",
        "stdbuf",
        "exec",
        "command",
    }
)
_RUNNERS = frozenset({"poetry", "pipenv", "pdm", "hatch", "rye", "uv"})
_FIND_TESTS = frozenset(
    {
        "-name",
        "-iname",
        "-path",
        "-ipath",
        "-wholename",
        "-iwholename",
        "-regex",
        "-iregex",
        "-type",
        "-xtype",
        "-newer",
        "-anewer",
        "-cnewer",
        "-mtime",
        "-mmin",
        "-atime",
        "-amin",
        "-ctime",
        "-cmin",
        "-size",
        "-empty",
        "-user",
        "-group",
        "-perm",
        "-links",
        "-inum",
        "-samefile",
        "-lname",
        "-ilname",
        "-uid",
        "-gid",
        "-nouser",
        "-nogroup",
        "-used",
    }
)
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})


@dataclass
class Analysis:
    commands: list[SimpleCommand]  # every command it may run, wrappers unwrapped
    readable: bool  # False when bashlex could not parse it (a rough reading, or none)
    defined: dict[str, str] = field(default_factory=dict)  # functions it defines


def analyse(command: str, env: ShellEnvironment) -> Analysis:
    """The commands `command` may run, read in time bounded by its length."""
    top = SimpleCommand(argv=(UNKNOWN,), cwd=env.cwd, text=command[:200])
    try:
        parsed, defined = parse_with_functions(command, env)
    except CommandTooLong as exc:
        return Analysis([opaque_command(top, f"it is too long to check ({exc})")], False)
    except ShellParseError:
        words = count_words(command)
        if words > MAX_ROUGH_WORDS:
            reason = f"it cannot be parsed and is too long to read roughly ({words} words)"
            return Analysis([opaque_command(top, reason)], False)
        return Analysis(with_inner_commands(rough_commands(command, env.cwd, env), env), False)
    return Analysis(with_inner_commands(parsed, env), True, defined)


def commands_of(command: str, env: ShellEnvironment) -> tuple[list[SimpleCommand], bool]:
    """Every command it may run, wrappers unwrapped; False when bashlex could not parse it."""
    analysis = analyse(command, env)
    return analysis.commands, analysis.readable


def with_inner_commands(
    commands: Iterable[SimpleCommand], env: ShellEnvironment, depth: int = 0
) -> list[SimpleCommand]:
    """The commands and, after each, whatever it runs in turn."""
    result: list[SimpleCommand] = []
    for command in commands:
        result.append(command)
        if depth < MAX_DEPTH:
            result.extend(with_inner_commands(inner_commands(command, env), env, depth + 1))
    return result


def parse_script(script: str, cwd: str, env: ShellEnvironment) -> list[SimpleCommand]:
    """A command string given to a shell; the rough reading when bashlex cannot parse it."""
    try:
        return parse_commands_from(script, cwd, env)
    except CommandTooLong as exc:
        top = SimpleCommand(argv=(UNKNOWN,), cwd=cwd, text=script[:200])
        return [opaque_command(top, f"the script it runs is too long to check ({exc})")]
    except ShellParseError:
        if count_words(script) > MAX_ROUGH_WORDS:
            top = SimpleCommand(argv=(UNKNOWN,), cwd=cwd, text=script[:200])
            return [opaque_command(top, "the script it runs cannot be parsed")]
        return rough_commands(script, cwd, env)


def inner_commands(command: SimpleCommand, env: ShellEnvironment) -> list[SimpleCommand]:
    program = command.program
    args = list(command.args)
    if program in ("sudo", "doas", "pkexec", "run0", "runuser"):
        return _run(command, skip_options(args, _VALUED[program]), program)
    if program == "su":
        return _su(command, args, env)
    if program == "env":
        return _env(command, args, env)
    if program == "command" and any(a in ("-v", "-V") for a in args):
        return []  # a lookup, not a run
    if program in _TRANSPARENT:
        return _run(command, skip_options(args, _VALUED.get(program, frozenset())), program)
    if program == "timeout":
        rest = skip_options(args, _VALUED["timeout"])
        return _run(command, rest[1:], program)
    if program == "taskset":
        rest = skip_options(args, frozenset())
        return _run(command, rest[1:], program)
    if program == "flock":
        return _flock(command, args, env)
    if program in SHELLS:
        return _shell(command, args, env)
    language = language_of(program)
    if language is not None:
        return _interpreter(command, args, language, env)
    if program == "eval":
        return _script(command, " ".join(args), env, "eval")
    if program == "alias":
        return _alias(command, args, env)
    if program == "shopt" and "-s" in args and "expand_aliases" in args:
        reason = "it turns alias expansion on, after which a command may not be what it reads"
        return [opaque_command(command, reason)]
    if program == "trap" and args and not args[0].startswith("-"):
        return _script(command, args[0], env, "trap")
    if program == "watch":
        rest = skip_options(args, _VALUED["watch"])
        return _script(command, " ".join(rest), env, "watch") if rest else []
    if program == "xargs":
        return _xargs(command, args)
    if program == "find":
        return _find(command, args)
    if program in _RUNNERS and args and args[0] == "run":
        return _run(command, skip_options(args[1:], _VALUED.get(program, frozenset())), program)
    return []


def skip_options(args: Sequence[str], valued: frozenset[str]) -> list[str]:
    """The operands after leading options; a valued option swallows the next word."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            return list(args[index + 1 :])
        if not arg.startswith("-") or arg == "-":
            break
        if arg in valued:
            index += 2
            continue
        index += 1
    return list(args[index:])


def _child(
    parent: SimpleCommand, argv: Sequence[str], via: str, cwd: str | None = None
) -> SimpleCommand:
    return SimpleCommand(
        argv=tuple(argv),
        cwd=parent.cwd if cwd is None else cwd,
        text=parent.text,
        piped_from=parent.piped_from,
        fed_by=parent.fed_by,
        via=via,
    )


def _run(parent: SimpleCommand, argv: Sequence[str], via: str) -> list[SimpleCommand]:
    return [_child(parent, argv, via)] if argv else []


def _script(
    parent: SimpleCommand, script: str, env: ShellEnvironment, via: str
) -> list[SimpleCommand]:
    if UNKNOWN in script:
        # The script is text built when it runs: bash reads it again as commands.
        return [opaque_command(parent, f"`{via}` runs text that is only known when it runs", via)]
    inner = parse_script(script, parent.cwd, env)
    return [
        SimpleCommand(
            argv=c.argv,
            cwd=c.cwd,
            text=c.text,
            redirects=c.redirects,
            piped_from=c.piped_from or parent.piped_from,
            fed_by=c.fed_by + parent.fed_by,
            via=c.via or via,
        )
        for c in inner
    ]


def _shell(parent: SimpleCommand, args: list[str], env: ShellEnvironment) -> list[SimpleCommand]:
    if parent.program == "busybox":
        return _run(parent, args, "busybox") if args and args[0] not in SHELLS else []
    takes_string = reads_stdin = False
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            index += 2
            continue
        if arg == "--":
            index += 1
            break
        if arg.startswith("-") and len(arg) > 1 and not arg.startswith("--"):
            takes_string = takes_string or "c" in arg[1:]
            reads_stdin = reads_stdin or "s" in arg[1:]
            index += 1
            continue
        if arg.startswith("--"):
            index += 1
            continue
        break
    if takes_string and index < len(args):
        return _script(parent, args[index], env, f"{parent.program} -c")
    if not reads_stdin and index < len(args) and args[index] != "-":
        return []  # a script file: see session_scripts
    return _fed_program(parent, env, None)


def _fed_program(
    parent: SimpleCommand, env: ShellEnvironment, language: str | None
) -> list[SimpleCommand]:
    """A shell or interpreter that reads its program from stdin."""
    fed = parent.stdin_text
    if fed is not None:
        if language is not None:
            return code_commands(parent, fed, language)
        return _script(parent, fed, env, f"{parent.program} <<")
    if any(r.operator in ("<<", "<<-", "<<<") for r in parent.redirects):
        return [opaque_command(parent, "it reads a program from a here-document")]
    if parent.piped_from:
        return [opaque_command(parent, f"`{parent.program}` runs what a pipe feeds it")]
    return []


# Options after which an interpreter takes its code: the next word, or the rest of the word.
_CODE_OPTIONS = {
    "python": ("-c",),
    "perl": ("-e", "-E"),
    "ruby": ("-e",),
    "node": ("-e", "--eval", "-p", "--print"),
    "php": ("-r",),
}
# Short options whose value follows (in the same word or the next): a cluster ends there.
_VALUED_LETTERS = frozenset("WXmMIxiCrd0lF")
_VALUED_WORDS = frozenset({"-W", "-X", "-I", "-M", "-r", "--require", "-C", "-d", "-x"})


def _inline_code(arg: str, next_word: str | None, letters: str) -> str | None:
    """The code a cluster of short options (`-Bc`, `-lne`, `-e'print 1'`) passes, if any."""
    if not arg.startswith("-") or arg.startswith("--"):
        return None
    cluster = arg[1:]
    for position, letter in enumerate(cluster):
        if letter in letters:
            attached = cluster[position + 1 :]
            return attached or next_word
        if letter in _VALUED_LETTERS or not letter.isalpha():
            return None
    return None


def _interpreter(
    parent: SimpleCommand, args: list[str], language: str, env: ShellEnvironment
) -> list[SimpleCommand]:
    """Inline code (`python3 -c`, `perl -e`) or a program fed on stdin; a module (`-m`) or a
    script file is not read here."""
    options = _CODE_OPTIONS[language]
    letters = "".join(option[1] for option in options if not option.startswith("--"))
    index = 0
    while index < len(args):
        arg = args[index]
        next_word = args[index + 1] if index + 1 < len(args) else None
        if arg in options:
            return code_commands(parent, next_word or "", language)
        code = _inline_code(arg, next_word, letters)
        if code is not None:
            return code_commands(parent, code, language)
        if arg.startswith("-m") and language == "python":
            return []  # a module
        if arg == "-":
            break
        if arg == "--" or not arg.startswith("-"):
            return []  # a script file: see session_scripts
        index += 2 if arg in _VALUED_WORDS else 1
    return _fed_program(parent, env, language)


def _alias(parent: SimpleCommand, args: list[str], env: ShellEnvironment) -> list[SimpleCommand]:
    """`alias name=value`: the value is what would run in its place, checked now."""
    found: list[SimpleCommand] = []
    for arg in args:
        name, equals, value = arg.partition("=")
        if equals and name and not name.startswith("-"):
            found += _script(parent, value, env, f"alias {name}")
    return found


def _su(parent: SimpleCommand, args: list[str], env: ShellEnvironment) -> list[SimpleCommand]:
    for index, arg in enumerate(args[:-1]):
        if arg in ("-c", "--command"):
            return _script(parent, args[index + 1], env, "su -c")
    return []


def _env(parent: SimpleCommand, args: list[str], env: ShellEnvironment) -> list[SimpleCommand]:
    cwd = parent.cwd
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-u", "--unset"):
            index += 2
        elif arg in ("-C", "--chdir") and index + 1 < len(args):
            target = args[index + 1]
            cwd = target if target.startswith("/") else posixpath.join(cwd, target)
            index += 2
        elif arg in ("-S", "--split-string") and index + 1 < len(args):
            script = " ".join(args[index + 1 :])
            return _script(_child(parent, parent.argv, "env", cwd), script, env, "env -S")
        elif (arg.startswith("-") and arg != "-") or ("=" in arg and not arg.startswith("=")):
            index += 1
        else:
            break
    rest = args[index:]
    return [_child(parent, rest, "env", cwd)] if rest else []


def _flock(parent: SimpleCommand, args: list[str], env: ShellEnvironment) -> list[SimpleCommand]:
    rest = skip_options(args, _VALUED["flock"])
    for index, arg in enumerate(args[:-1]):
        if arg in ("-c", "--command"):
            return _script(parent, args[index + 1], env, "flock -c")
    return _run(parent, rest[1:], "flock")


def _xargs(parent: SimpleCommand, args: list[str]) -> list[SimpleCommand]:
    replace_with: str | None = None
    for index, arg in enumerate(args):
        if arg in ("-I", "--replace") and index + 1 < len(args):
            replace_with = args[index + 1]
        elif arg.startswith("-I") and len(arg) > 2:
            replace_with = arg[2:]
        elif arg.startswith("--replace="):
            replace_with = arg.split("=", 1)[1]
        elif arg == "-i":
            replace_with = "{}"
    rest = _xargs_command(args)
    if not rest:
        rest = ["echo"]
    argv = [a.replace(replace_with, UNKNOWN) for a in rest] if replace_with else [*rest, UNKNOWN]
    return [_child(parent, argv, "xargs")]


def _xargs_command(args: list[str]) -> list[str]:
    index = 0
    valued = _VALUED["xargs"]
    while index < len(args):
        arg = args[index]
        if arg == "--":
            return args[index + 1 :]
        if not arg.startswith("-"):
            return args[index:]
        index += 2 if arg in valued else 1
    return []


def _find(parent: SimpleCommand, args: list[str]) -> list[SimpleCommand]:
    index = 0
    while index < len(args) and args[index] in ("-H", "-L", "-P", "-D", "-O3", "-O2", "-O1"):
        index += 2 if args[index] == "-D" else 1
    starts: list[str] = []
    while index < len(args) and not args[index].startswith(("-", "(", "!", ",")):
        starts.append(args[index])
        index += 1
    expression = args[index:]
    filtered = any(token in _FIND_TESTS for token in expression)
    skips_start = _min_depth(expression) >= 1
    found: list[str] = []
    for start in starts or ["."]:
        base = start.rstrip("/") or "/"
        if filtered:
            found.append(posixpath.join(base, FOUND))
        elif skips_start:
            found.append(posixpath.join(base, "*"))
        else:
            found.append(start)
    inner: list[SimpleCommand] = []
    if "-delete" in expression:
        inner.extend(_child(parent, ["rm", "-r", path], "find -delete") for path in found)
    position = 0
    while position < len(expression):
        if expression[position] not in _FIND_EXEC:
            position += 1
            continue
        end = position + 1
        while end < len(expression) and expression[end] not in (";", "+"):
            end += 1
        template = expression[position + 1 : end]
        for path in found:
            argv = [word.replace("{}", path) for word in template]
            if argv:
                inner.append(_child(parent, argv, f"find {expression[position]}"))
        position = end + 1
    return inner


def _min_depth(expression: list[str]) -> int:
    for index, token in enumerate(expression[:-1]):
        if token == "-mindepth" and expression[index + 1].isdigit():
            return int(expression[index + 1])
    return 0
