"""The hard gates: destructive shell commands found before they run.

A command is parsed into the simple commands it may run (through `&&`, `;`, `|`, `$(…)`,
`bash -c`, `xargs`, `find -exec`, `sudo`, interpreters' inline code, git aliases, scripts
written during the session …), with `cd`, variables, `~`, `..` and symlinks followed; each is
then checked against the rules. Commands bashlex cannot parse get a rough reading instead, so
they are never waved through unread; what cannot be known before it runs is unanalysable.
"""

import posixpath
import re
from collections.abc import Callable, Iterator

from pydantic import BaseModel, Field

from devcli.safety.command_expansion import expanded_commands
from devcli.safety.gate_rules import GateContext, GateRule, Violation
from devcli.safety.gates_git import check_git
from devcli.safety.gates_system import hazards, system_problem, system_violation, system_writes
from devcli.safety.targets import Places, Target, resolve_target
from devcli.shell_syntax.simple_commands import OWN_JOB, UNKNOWN, ShellEnvironment, SimpleCommand
from devcli.shell_syntax.wrappers import PRIVILEGE_COMMANDS, SHELLS, analyse

DOWNLOADERS = frozenset({"curl", "wget", "fetch", "http", "https", "xh", "aria2c", "lwp-request"})
CODE_RUNNERS = SHELLS | frozenset(
    {"python", "python3", "perl", "ruby", "node", "php", "pwsh", "source", ".", "eval"}
)
_DISK_TOOLS = frozenset(
    {
        "mkswap",
        "wipefs",
        "fdisk",
        "sfdisk",
        "cfdisk",
        "parted",
        "gdisk",
        "sgdisk",
        "blkdiscard",
        "mdadm",
        "cryptsetup",
        "losetup",
    }
)
_HARMLESS_DEVICES = (
    "/dev/null",
    "/dev/zero",
    "/dev/stdout",
    "/dev/stderr",
    "/dev/stdin",
    "/dev/tty",
    "/dev/random",
    "/dev/urandom",
    "/dev/full",
)
_HARMLESS_DEVICE_FOLDERS = ("/dev/fd/", "/dev/pts/", "/dev/shm/")
_KILLERS_BY_NAME = frozenset({"pkill", "killall", "killall5", "skill", "slay"})
_POWER = frozenset({"shutdown", "reboot", "halt", "poweroff"})
_POWER_VERBS = frozenset(
    {"poweroff", "reboot", "halt", "kexec", "suspend", "hibernate", "hybrid-sleep"}
)


def environment_of(context: GateContext) -> ShellEnvironment:
    return ShellEnvironment(
        cwd=context.cwd, home=context.home, environ=context.environ, functions=context.functions
    )


class GateVerdict(BaseModel):
    violations: list[Violation]
    # Functions the command defines in the shell, for later commands to be read with.
    defined: dict[str, str] = Field(default_factory=dict)


def judge_command(command: str, context: GateContext) -> GateVerdict:
    """The rules `command` breaks, each once, in the order its parts would run."""
    env = environment_of(context)
    analysis = analyse(command, env)
    places = Places(root=context.root, home=context.home)
    found: list[Violation] = []
    for simple in expanded_commands(analysis.commands, context, env):
        for violation in _check(simple, context, places):
            if violation not in found:
                found.append(violation)
    if context.sandboxed:
        # What the parser cannot read, the sandbox still confines.
        found = [violation for violation in found if not violation.contained_by_sandbox]
    return GateVerdict(violations=found, defined=analysis.defined)


def check_command(command: str, context: GateContext) -> list[Violation]:
    return judge_command(command, context).violations


def _check(command: SimpleCommand, context: GateContext, places: Places) -> Iterator[Violation]:
    program = command.program
    if command.opaque is not None:
        yield _violation(
            command, GateRule.UNANALYSABLE, f"cannot be checked before it runs: {command.opaque}"
        )
        return
    yield from hazards(command)
    yield from system_writes(command)
    yield from _device_writes(command)
    if program in PRIVILEGE_COMMANDS:
        yield _violation(
            command, GateRule.PRIVILEGE, f"would run with elevated rights (`{program}`)"
        )
    if program.startswith("mkfs") or program in _DISK_TOOLS:
        yield _violation(command, GateRule.DISK_WRITE, "would format or repartition a disk")
    checker = _CHECKERS.get(program)
    if checker is not None:
        yield from checker(command, context, places)
    if program in CODE_RUNNERS:
        yield from _download_into_shell(command)


def _violation(
    command: SimpleCommand, rule: GateRule, problem: str, always: bool = False
) -> Violation:
    text = command.text
    if command.via is not None:
        problem += f" (run through `{command.via}`)"
    return Violation(rule=rule, command=text, problem=problem, always=always)


def _split_options(args: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(options, operands); `--` ends the options."""
    options: list[str] = []
    operands: list[str] = []
    ended = False
    for arg in args:
        if not ended and arg == "--":
            ended = True
        elif not ended and arg.startswith("-") and len(arg) > 1:
            options.append(arg)
        else:
            operands.append(arg)
    return options, operands


def _clustered(options: list[str], letters: str, long_option: str) -> bool:
    return any(
        option == long_option
        or (not option.startswith("--") and any(letter in option[1:] for letter in letters))
        for option in options
    )


# -- deletion and permissions ---------------------------------------------------------------


def _rm(command: SimpleCommand, ctx: GateContext, places: Places) -> Iterator[Violation]:
    options, operands = _split_options(command.args)
    if "--no-preserve-root" in options:
        yield _violation(
            command, GateRule.RECURSIVE_DELETE, "asks rm to delete `/` without its safety check"
        )
    recursive = _clustered(options, "rR", "--recursive")
    for operand in operands:
        target = resolve_target(operand, command.cwd)
        system = system_problem(target, places)
        problem = places.deletion_problem(target) if recursive else None
        if problem is not None:
            yield _violation(
                command, GateRule.RECURSIVE_DELETE, f"would delete {problem}", system is not None
            )
        elif system is not None:
            yield system_violation(command, f"would delete files: it {system}")


def _mv(command: SimpleCommand, ctx: GateContext, places: Places) -> Iterator[Violation]:
    _, operands = _split_options(command.args)
    for source in operands[:-1]:
        target = resolve_target(source, command.cwd)
        if target.unknown or target.pattern is not None:
            continue
        problem = places.deletion_problem(target)
        if problem is not None and "outside the repository" not in problem:
            yield _violation(command, GateRule.RECURSIVE_DELETE, f"would move away {problem}")


def _rsync(command: SimpleCommand, ctx: GateContext, places: Places) -> Iterator[Violation]:
    options, operands = _split_options(command.args)
    if not any(o.startswith(("--del", "--remove-source")) for o in options) or len(operands) < 2:
        return
    destination = operands[-1]
    if re.match(r"^[^/]*:", destination):
        return  # a remote destination
    folder = resolve_target(destination, command.cwd, follow_last=True)
    target = Target(path=folder.path, pattern="*", unknown=folder.unknown)
    problem = places.deletion_problem(target)
    if problem is not None:
        yield _violation(command, GateRule.RECURSIVE_DELETE, f"would delete files from {problem}")


def _permissions(command: SimpleCommand, ctx: GateContext, places: Places) -> Iterator[Violation]:
    options, operands = _split_options(command.args)
    if not _clustered(options, "R", "--recursive"):
        return
    has_reference = any(o.startswith("--reference") for o in options)
    paths = operands if has_reference else operands[1:]
    for path in paths:
        target = resolve_target(path, command.cwd, follow_last=True)
        problem = places.outside_problem(target)
        if problem is not None:
            yield _violation(
                command,
                GateRule.RECURSIVE_PERMISSIONS,
                f"would change permissions or owners of everything in {problem}",
                system_problem(target, places) is not None,
            )


# -- devices, processes, power ----------------------------------------------------------------


def _is_device(path: str) -> bool:
    normal = posixpath.normpath(path) if path.startswith("/") else path
    if not normal.startswith("/dev/"):
        return False
    return normal not in _HARMLESS_DEVICES and not normal.startswith(_HARMLESS_DEVICE_FOLDERS)


def _device_writes(command: SimpleCommand) -> Iterator[Violation]:
    written = list(command.output_targets())
    program = command.program
    _, operands = _split_options(command.args)
    if program == "dd":
        written += [a[3:] for a in command.args if a.startswith("of=")]
    elif program == "tee":
        written += operands
    elif program in ("cp", "mv", "install", "shred", "truncate") and operands:
        written += operands if program in ("shred", "truncate") else operands[-1:]
    for path in written:
        if _is_device(path):
            yield _violation(command, GateRule.DISK_WRITE, f"would write to the device `{path}`")


def _kill(command: SimpleCommand, ctx: GateContext, places: Places) -> Iterator[Violation]:
    args = list(command.args)
    if any(a in ("-l", "-L", "--list", "--table") for a in args):
        return
    targets: list[str] = []
    signal_given = False
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-s", "-n", "--signal") and not signal_given:
            if index + 1 < len(args) and args[index + 1] == "0":
                return  # signal 0 only checks that a process exists
            signal_given = True
            index += 2
            continue
        if arg == "--":
            targets.extend(args[index + 1 :])
            break
        # Only the first dash word names a signal; later ones are process groups (`-1`: all).
        if not signal_given and not targets and re.fullmatch(r"-([A-Za-z][A-Za-z0-9+]*|\d+)", arg):
            if arg == "-0":
                return
            signal_given = True
            index += 1
            continue
        targets.append(arg)
        index += 1
    for target in targets:
        problem = _foreign_process(target, ctx)
        if problem is not None:
            # -1 is every process the user may signal: the whole session and more.
            yield _violation(command, GateRule.KILL_FOREIGN, problem, target.strip() == "-1")


def _foreign_process(target: str, context: GateContext) -> str | None:
    if target.startswith("%") or target == OWN_JOB:
        return None  # a job of this session's shell
    if UNKNOWN in target or OWN_JOB in target:
        return "would signal processes that are only known when the command runs"
    try:
        pid = int(target)
    except ValueError:
        return f"would signal `{target}`, which is not a process of this session"
    if pid in (0, -1):
        return "would signal every process it is allowed to"
    if context.owns_process(abs(pid)):
        return None
    return f"would signal process {target}, which this session did not start"


def _by_name(command: SimpleCommand, ctx: GateContext, places: Places) -> Iterator[Violation]:
    yield _violation(
        command,
        GateRule.KILL_FOREIGN,
        f"would signal every process matching a name (`{command.program}`), not only this "
        "session's",
    )


def _power(command: SimpleCommand, ctx: GateContext, places: Places) -> Iterator[Violation]:
    program = command.program
    _, operands = _split_options(command.args)
    if program in _POWER or (program in ("init", "telinit") and operands[:1] in (["0"], ["6"])):
        yield _violation(command, GateRule.POWER, "would shut down or restart the machine")
    elif program in ("systemctl", "loginctl") and set(operands) & _POWER_VERBS:
        yield _violation(command, GateRule.POWER, "would power off, suspend or restart the machine")


# -- downloaded code --------------------------------------------------------------------------


def _code_word(command: SimpleCommand) -> str | None:
    """The word a code runner takes its program from, or None when it reads stdin."""
    program = command.program
    args = list(command.args)
    if program in ("eval", "source", "."):
        return " ".join(args) if args else None
    for index, arg in enumerate(args):
        if arg in ("-c", "-e", "-r", "--command") and index + 1 < len(args):
            return args[index + 1]
        clustered_c = re.fullmatch(r"-[a-zA-Z]*c[a-zA-Z]*", arg) is not None
        if program in SHELLS and clustered_c and index + 1 < len(args):
            return args[index + 1]
        if arg == "-m" and program.startswith("python"):
            return args[index + 1] if index + 1 < len(args) else ""
        if arg == "-s" and program in SHELLS:
            return None
        if arg == "-" or not arg.startswith("-"):
            return None if arg == "-" else arg
    return None


def _download_into_shell(command: SimpleCommand) -> Iterator[Violation]:
    code = _code_word(command)
    downloaded_input = bool(set(command.piped_from) & DOWNLOADERS)
    downloaded_code = (
        bool(set(command.fed_by) & DOWNLOADERS) and code is not None and UNKNOWN in code
    )
    if (code is None and downloaded_input) or downloaded_code:
        yield _violation(
            command,
            GateRule.DOWNLOAD_TO_SHELL,
            f"would run code straight from a download with `{command.program}`",
        )


def _git(command: SimpleCommand, ctx: GateContext, places: Places) -> Iterator[Violation]:
    yield from check_git(command, ctx)


Checker = Callable[[SimpleCommand, GateContext, Places], Iterator[Violation]]

_CHECKERS: dict[str, Checker] = {
    "rm": _rm,
    "mv": _mv,
    "rsync": _rsync,
    "chmod": _permissions,
    "chown": _permissions,
    "chgrp": _permissions,
    "kill": _kill,
    "git": _git,
    **dict.fromkeys(_KILLERS_BY_NAME, _by_name),
    **dict.fromkeys(_POWER | {"init", "telinit", "systemctl", "loginctl"}, _power),
}
