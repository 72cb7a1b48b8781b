"""Scripts the session itself wrote, when a command runs them: `bash cleanup.sh`, `./tool.sh`,
`python3 fix.py`, `source env.sh`, `make` with a Makefile written in the session.

A file changed since the session began is no more trusted than the command that runs it, so
its content is read as that command: a shell script is parsed, code is searched as inline
code is, a Makefile's recipes are parsed as shell commands. Files that were there before the
session are the project's own and run as they are; so do compiled programs. A script whose
name is only known when it runs, or that the same command writes first, is unanalysable.
"""

import os
import posixpath
import re
from pathlib import Path

from devcli.safety.gate_rules import GateContext
from devcli.shell_syntax.inline_code import code_commands, language_of
from devcli.shell_syntax.simple_commands import (
    UNKNOWN,
    ShellEnvironment,
    SimpleCommand,
    opaque_command,
)
from devcli.shell_syntax.wrappers import SHELLS, parse_script

MAX_SCRIPT_BYTES = 1_000_000
_MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
_SHELL_FLAGS_WITH_VALUE = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})
_INTERPRETER_FLAGS_WITH_VALUE = frozenset({"-W", "-X", "-I", "-M", "-r", "-C", "-d", "-x"})
_SHEBANG = re.compile(r"#!\s*(\S+)(?:[ \t]+(\S+))?")
# Letters of the options that give an interpreter its code inline (or, for Python, a module).
_INLINE_LETTERS = {"python": "cm", "perl": "eE", "ruby": "e", "node": "ep", "php": "r"}


def _first_operand(args: list[str], valued: frozenset[str], stops: str) -> str | None:
    """The script a shell or interpreter runs: its first operand, unless code comes inline
    (an option whose letter is in `stops`, alone or in a cluster)."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            return args[index + 1] if index + 1 < len(args) else None
        if arg in ("--eval", "--print", "--command") or (
            arg.startswith("-") and not arg.startswith("--") and set(arg[1:]) & set(stops)
        ):
            return None
        if not arg.startswith(("-", "+")) or arg == "-":
            return None if arg == "-" else arg
        index += 2 if arg in valued else 1
    return None


def _make_file(command: SimpleCommand) -> tuple[str | None, str]:
    """The Makefile `make` reads (None for a dry run), and the folder it runs in."""
    args = list(command.args)
    folder = command.cwd
    chosen: str | None = None
    index = 0
    while index < len(args):
        arg = args[index]
        value = args[index + 1] if index + 1 < len(args) else ""
        if arg in ("-n", "--dry-run", "--just-print", "--recon", "-q", "--question"):
            return None, folder
        if arg in ("-C", "--directory"):
            folder = posixpath.join(folder, value)
            index += 2
            continue
        if arg.startswith("--directory="):
            folder = posixpath.join(folder, arg.split("=", 1)[1])
        elif arg in ("-f", "--file", "--makefile"):
            chosen = value
            index += 2
            continue
        elif arg.startswith(("--file=", "--makefile=")):
            chosen = arg.split("=", 1)[1]
        index += 1
    if chosen is None:
        chosen = next(
            (name for name in _MAKEFILES if os.path.isfile(posixpath.join(folder, name))), None
        )
    return chosen, folder


def script_run(command: SimpleCommand) -> tuple[str, str, str] | None:
    """(file word, how it is read: "shell", "make", "exec" or a language, folder) when the
    command runs a script file."""
    program = command.program
    args = list(command.args)
    if command.argv and "/" in command.argv[0] and program not in SHELLS:
        return command.argv[0], "exec", command.cwd
    if program in SHELLS and program != "busybox":
        word = _first_operand(args, _SHELL_FLAGS_WITH_VALUE, "cs")
        return (word, "shell", command.cwd) if word else None
    if program in ("source", ".") and args:
        return args[0], "shell", command.cwd
    language = language_of(program)
    if language is not None:
        word = _first_operand(args, _INTERPRETER_FLAGS_WITH_VALUE, _INLINE_LETTERS[language])
        return (word, language, command.cwd) if word else None
    if program in ("make", "gmake"):
        makefile, folder = _make_file(command)
        return (makefile, "make", folder) if makefile else None
    return None


def written_in_session(path: str, context: GateContext) -> bool:
    if context.session_started is None:
        return False
    try:
        changed = os.stat(path).st_mtime
    except OSError:
        return False
    return changed >= context.session_started - 1.0


def script_commands(
    command: SimpleCommand, context: GateContext, env: ShellEnvironment, written: set[str]
) -> list[SimpleCommand]:
    """What a script written in the session makes the command run (empty for other files)."""
    run = script_run(command)
    if run is None:
        return []
    word, kind, folder = run
    if UNKNOWN in word + folder:
        if kind == "exec":
            return []  # a program named in full, from a folder found when it runs
        return [opaque_command(command, "it runs a script whose name is only known when it runs")]
    path = posixpath.normpath(posixpath.join(folder, word))
    if path in written:
        return [opaque_command(command, f"it runs `{word}`, which the same command writes first")]
    if not os.path.isfile(path) or not written_in_session(path, context):
        return []
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SCRIPT_BYTES + 1)
    except OSError:
        return []
    if len(data) > MAX_SCRIPT_BYTES:
        return [opaque_command(command, f"it runs `{word}`, too long a script to check")]
    if b"\0" in data[:8192]:
        return []  # a compiled program: its code cannot be read here
    text = data.decode("utf-8", errors="replace")
    via = f"{word}, written during this session"
    if kind == "exec":
        kind = _kind_of(text)
    if kind == "make":
        return _make_commands(command, text, folder, env, via)
    if kind == "shell":
        return _relabel(parse_script(text, folder, env), command, via)
    if kind in ("python", "perl", "ruby", "node", "php"):
        return _relabel(code_commands(command, text, kind), command, via)
    return [opaque_command(command, f"it runs `{word}`, a script it cannot read ({kind})")]


def _kind_of(text: str) -> str:
    """How a file run directly is read: its `#!` line, else as a shell script."""
    found = _SHEBANG.match(text)
    if found is None:
        return "shell"
    program = Path(found.group(1)).name
    if program == "env" and found.group(2):
        program = found.group(2)
    if program in SHELLS:
        return "shell"
    return language_of(program) or program


def _relabel(inner: list[SimpleCommand], parent: SimpleCommand, via: str) -> list[SimpleCommand]:
    return [command.run_by(parent, via) for command in inner]


_MAKE_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)\s*(?::{1,3}=|\?=|\+=|=)\s*(.*)$")
_MAKE_REFERENCE = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]")


def _make_commands(
    parent: SimpleCommand, text: str, folder: str, env: ShellEnvironment, via: str
) -> list[SimpleCommand]:
    """Every recipe of a Makefile, as the shell commands make would run."""
    lines = text.replace("\\\n", " ").split("\n")
    variables: dict[str, str] = {}
    recipes: list[str] = []
    for line in lines:
        if line.startswith("\t"):
            recipes.append(line.lstrip("\t").lstrip("@+- "))
            continue
        assigned = _MAKE_ASSIGNMENT.match(line.strip())
        if assigned is not None:
            variables[assigned.group(1)] = assigned.group(2)
    commands: list[SimpleCommand] = []
    for recipe in recipes:
        script = recipe
        for _ in range(4):  # variables that name variables, a few levels deep
            script = _MAKE_REFERENCE.sub(
                lambda found: variables.get(found.group(1), f"$({found.group(1)})"), script
            )
        script = re.sub(r"\$[@<^*?%]", "target", script).replace("$$", "$")
        commands += _relabel(parse_script(script, folder, env), parent, via)
    return commands
