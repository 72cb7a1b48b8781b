"""Starting a session's sandbox: decide from the settings and the host, make the private
temporary folder, and give the tools what they need (the shell's wrapper, the write check)."""

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from devcli.config import ConfigError, NetworkMode, SandboxMode, Settings
from devcli.sandbox.bwrap import bwrap_prefix
from devcli.sandbox.host import HostFacts, detect_host
from devcli.sandbox.state import SandboxState, planned_state
from devcli.sandbox.writable import WritableFolders, writable_folders

# Where one line for the person goes (the UI owns it): why the sandbox is not running.
SandboxNotice = Callable[[str], None]


class SandboxUnavailable(ConfigError):
    """`--sandbox required` on a machine where the sandbox cannot run."""


def _shown(path: Path) -> str:
    home = Path.home()
    return f"~/{path.relative_to(home)}" if home in path.parents else str(path)


class Sandbox:
    """One session's sandbox. Inactive (the host cannot run bubblewrap) it still keeps
    devcli's own tools from writing in read-only mode."""

    def __init__(self, state: SandboxState, folders: WritableFolders | None, prefix: list[str]):
        self.state = state
        self.folders = folders
        self._prefix = prefix

    @property
    def isolates_processes(self) -> bool:
        return self.state.active

    def wrap_shell(self, argv: list[str]) -> list[str]:
        return [*self._prefix, *argv] if self._prefix else list(argv)

    def write_refusal(self, path: str) -> str | None:
        if self.state.mode is SandboxMode.READ_ONLY:
            return (
                f"Not written: this session is read-only (sandbox mode read-only), so {path} "
                "cannot be changed. Answer without changing files."
            )
        if self.folders is None or self.folders.allows(path):
            return None
        places = ", ".join(_shown(folder) for folder in self.folders.roots())
        return (
            f"Not written: {path} is outside the repository and the other folders the "
            f"sandbox lets this session write ({places}). Work inside the repository."
        )

    def prompt_line(self) -> str:
        network = "on" if self.state.network is NetworkMode.ON else "off"
        if self.folders is None:
            if self.state.mode is SandboxMode.READ_ONLY:
                return "This session is read-only: answer without changing any file."
            return ""
        # No paths that change from one session to the next: the prompt stays the same, and so
        # does a prompt cache built on it.
        if self.folders.repository is None:
            return (
                "Commands run in a read-only sandbox where only $TMPDIR is writable (other writes "
                "fail with `Read-only file system`), so answer without changing files; network "
                f"access is {network}."
            )
        caches = ", ".join(_shown(folder) for folder in self.folders.caches)
        return (
            "Commands run in a sandbox that can write only to the repository, $TMPDIR"
            + (f" and the caches {caches}" if caches else "")
            + f" (other writes fail with `Read-only file system`); network access is {network}."
        )

    def close(self) -> None:
        if self.folders is not None and self.folders.temporary is not None:
            shutil.rmtree(self.folders.temporary, ignore_errors=True)


def start_sandbox(
    settings: Settings,
    workspace: Path,
    notice: SandboxNotice | None = None,
    host: HostFacts | None = None,
) -> Sandbox | None:
    """The session's sandbox, or None when it is off or the host cannot run it (then
    `notice` hears why, once). Raises SandboxUnavailable for `required`."""
    if settings.sandbox is SandboxMode.OFF:
        if settings.network is NetworkMode.OFF and notice is not None:
            notice("network off needs the sandbox, which is off: the network stays on")
        return None
    facts = host or detect_host(settings.sandbox_binary, settings.network)
    folders = writable_folders(settings, workspace)
    state = planned_state(settings, facts, folders)
    if not state.active or facts.binary is None:
        if settings.sandbox is SandboxMode.REQUIRED:
            raise SandboxUnavailable(f"the sandbox is required but cannot run: {state.reason}")
        if notice is not None:
            notice(f"commands run without a sandbox: {state.reason}")
        return Sandbox(state, None, []) if settings.sandbox is SandboxMode.READ_ONLY else None
    temporary = Path(tempfile.mkdtemp(prefix="devcli-tmp-")).resolve()
    folders = folders.model_copy(update={"temporary": temporary})
    prefix = bwrap_prefix(
        facts.binary, folders.all(), temporary, settings.network, folders.protected
    )
    return Sandbox(state, folders, prefix)
