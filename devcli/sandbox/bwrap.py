"""bubblewrap's command line for the shell: a read-only system, writable task folders."""

from pathlib import Path

from devcli.config import NetworkMode

# Deliberately absent: `--new-session`. The shell must keep the terminal devcli gave it, or
# bash loses job control (Ctrl-C, the hard timeout's process groups). Leaving it out lets a
# sandboxed process push keystrokes (TIOCSTI) into that terminal, but only devcli reads it,
# never a person's shell, so nothing outside the sandbox would run them.
_ISOLATION = ("--unshare-pid", "--unshare-ipc", "--die-with-parent", "--cap-drop", "ALL")


def isolation_args(network: NetworkMode) -> list[str]:
    """Own process and IPC namespaces, no capabilities (root keeps none: it could remount
    the system writable), and a network namespace of its own when the network is off."""
    return [*_ISOLATION, *(["--unshare-net"] if network is NetworkMode.OFF else [])]


def _system_view() -> list[str]:
    return ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]


def bwrap_prefix(
    binary: str,
    writable: list[Path],
    temporary: Path,
    network: NetworkMode,
    protected: list[Path] | None = None,
) -> list[str]:
    """The arguments before the shell's own command line.

    Writable folders are bound over the read-only root, parents before the folders inside
    them, so a cache inside the home folder stays writable when the home folder is not; the
    `protected` paths inside them are bound read-only again on top.
    """
    binds: list[str] = []
    for folder in sorted(set(writable), key=lambda path: len(path.parts)):
        binds += ["--bind", str(folder), str(folder)]
    for path in protected or []:
        binds += ["--ro-bind", str(path), str(path)]
    return [
        binary,
        *isolation_args(network),
        *_system_view(),
        *binds,
        "--setenv",
        "TMPDIR",
        str(temporary),
        "--",
    ]


def probe_command(binary: str, network: NetworkMode) -> list[str]:
    """The smallest sandbox with the same namespaces, running `true`."""
    return [binary, *isolation_args(network), *_system_view(), "--", "true"]
