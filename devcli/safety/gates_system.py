"""Commands that reach the whole system: refused in every mode, whatever anyone allows.

Deleting anything in the filesystem root or a system folder (`find / -name x -exec rm {} +`),
changing permissions there recursively, writing kernel controls (`/proc/sysrq-trigger`,
`/proc/sys`, `/sys`), signalling every process (`kill -9 -1`) and fork bombs.
"""

import posixpath
from collections.abc import Iterator

from devcli.safety.gate_rules import GateRule, Violation
from devcli.safety.targets import Places, Target, is_within
from devcli.shell_syntax.simple_commands import SimpleCommand

SYSTEM_FOLDERS = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/snap",
    "/srv",
    "/sys",
    "/usr",
    "/var",
)
# Scratch space inside system folders that programs are meant to write.
_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/user")
_KERNEL_CONTROLS = ("/proc/sysrq-trigger", "/proc/sys", "/sys")


def system_problem(target: Target, places: Places) -> str | None:
    """What makes a deletion or permission change of `target` reach the whole system."""
    if target.unknown:
        return None
    path = target.path
    if any(is_within(path, place) for place in (places.home, places.root, *_SCRATCH)):
        return None
    if path == "/":
        return "reaches into the filesystem root `/`"
    for folder in SYSTEM_FOLDERS:
        if is_within(path, folder):
            return f"reaches into the system folder `{folder}`"
    return None


def kernel_control(path: str) -> bool:
    normal = posixpath.normpath(path) if path.startswith("/") else path
    return any(is_within(normal, control) for control in _KERNEL_CONTROLS)


def system_writes(command: SimpleCommand) -> Iterator[Violation]:
    """Writes to kernel controls, through redirection or the programs that write files."""
    written = list(command.output_targets())
    if command.program == "tee":
        written += [a for a in command.args if not a.startswith("-")]
    elif command.program == "dd":
        written += [a[3:] for a in command.args if a.startswith("of=")]
    elif command.program in ("cp", "mv", "install", "ln") and command.args:
        written.append(command.args[-1])
    for path in written:
        if kernel_control(path):
            yield system_violation(command, f"would write the kernel control `{path}`")


def system_violation(command: SimpleCommand, problem: str) -> Violation:
    if command.via is not None:
        problem += f" (run through `{command.via}`)"
    return Violation(rule=GateRule.SYSTEM_WIDE, command=command.text, problem=problem, always=True)


def hazards(command: SimpleCommand) -> Iterator[Violation]:
    if command.hazard is not None:
        yield system_violation(command, command.hazard)
