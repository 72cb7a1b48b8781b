"""The commands a command runs beyond what its text shows: scripts written in the session,
git aliases and settings, and paths through symlinks the same command creates.

`ln -s ~ h && rm -rf h/` deletes the home folder; at the time of checking, `h` does not exist
yet, so the paths of later parts are read through the links earlier parts make.
"""

import posixpath
from collections.abc import Iterable

from devcli.safety.gate_rules import GateContext
from devcli.safety.git_aliases import alias_commands
from devcli.safety.session_scripts import script_commands
from devcli.shell_syntax.simple_commands import UNKNOWN, Redirect, ShellEnvironment, SimpleCommand
from devcli.shell_syntax.wrappers import with_inner_commands

MAX_EXPANSION_DEPTH = 4
_WRITERS_LAST_OPERAND = frozenset({"cp", "mv", "install", "ln", "rsync"})


def _absolute(word: str, cwd: str) -> str | None:
    if UNKNOWN in word + cwd or not word:
        return None
    return posixpath.normpath(posixpath.join(cwd, word))


def _operands(command: SimpleCommand) -> list[str]:
    return [a for a in command.args if not a.startswith("-")]


def writes_of(command: SimpleCommand) -> set[str]:
    """Files the command writes, as far as its words say."""
    words = list(command.output_targets())
    operands = _operands(command)
    if command.program == "tee":
        words += operands
    elif command.program in _WRITERS_LAST_OPERAND and operands:
        words.append(operands[-1])
    elif command.program in ("curl", "wget"):
        args = list(command.args)
        for index, arg in enumerate(args[:-1]):
            if arg in ("-o", "--output", "-O", "--output-document"):
                words.append(args[index + 1])
    written = {_absolute(word, command.cwd) for word in words}
    return {path for path in written if path is not None}


def planned_links(commands: Iterable[SimpleCommand]) -> dict[str, str]:
    """Symbolic links the commands create: link path -> the path it points to."""
    links: dict[str, str] = {}
    for command in commands:
        if command.program != "ln":
            continue
        flags = "".join(a[1:] for a in command.args if a.startswith("-") and a[1:2] != "-")
        if "s" not in flags and "--symbolic" not in command.args:
            continue
        operands = _operands(command)
        if len(operands) != 2:
            continue
        link = _absolute(operands[1], command.cwd)
        if link is None:
            continue
        target = _absolute(operands[0], posixpath.dirname(link))
        links[link] = target if target is not None else UNKNOWN
    return links


def _through(word: str, cwd: str, links: dict[str, str]) -> str:
    """The word with a leading path through a planned link replaced by where it leads."""
    path = _absolute(word, cwd)
    if path is None or word.startswith("-"):
        return word
    for link, target in links.items():
        if path == link and word.endswith("/"):
            return target + "/"
        if path.startswith(link + "/"):
            return target + path[len(link) :]
    return word


def through_links(command: SimpleCommand, links: dict[str, str]) -> SimpleCommand:
    if not links or command.program == "ln":
        return command
    argv = (command.argv[0], *(_through(word, command.cwd, links) for word in command.args))
    redirects = tuple(
        Redirect(r.operator, _through(r.target, command.cwd, links), r.body)
        for r in command.redirects
    )
    if argv == command.argv and redirects == command.redirects:
        return command
    return SimpleCommand(
        argv=argv,
        cwd=command.cwd,
        text=command.text,
        redirects=redirects,
        piped_from=command.piped_from,
        fed_by=command.fed_by,
        via=command.via,
        opaque=command.opaque,
        hazard=command.hazard,
    )


def expanded_commands(
    commands: list[SimpleCommand], context: GateContext, env: ShellEnvironment, depth: int = 0
) -> list[SimpleCommand]:
    """The commands, each followed by what it runs through scripts and git configuration."""
    links = planned_links(commands)
    written: set[str] = set()
    result: list[SimpleCommand] = []
    for original in commands:
        command = through_links(original, links)
        result.append(command)
        if depth < MAX_EXPANSION_DEPTH:
            extra = script_commands(command, context, env, written)
            extra += alias_commands(command, context, env)
            if extra:
                inner = with_inner_commands(extra, env)
                result += expanded_commands(inner, context, env, depth + 1)
        written |= writes_of(command)
    return result
