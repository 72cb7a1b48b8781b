"""The sandbox's state in one model: what `devcli doctor` and the session report."""

from pathlib import Path

from pydantic import BaseModel

from devcli.config import NetworkMode, SandboxMode, Settings
from devcli.sandbox.host import BinarySource, HostFacts, detect_host
from devcli.sandbox.writable import WritableFolders, writable_folders


class SandboxState(BaseModel):
    mode: SandboxMode
    network: NetworkMode
    active: bool  # commands run inside bubblewrap
    binary: str | None = None
    binary_source: BinarySource | None = None
    system: str
    kernel: str
    reason: str | None = None  # why it is not active although the mode asks for it
    writable: list[str]  # what commands may write, besides a private temporary folder


def planned_state(settings: Settings, host: HostFacts, folders: WritableFolders) -> SandboxState:
    """The state a session with these settings gets on this host."""
    wanted = settings.sandbox is not SandboxMode.OFF
    active = wanted and host.usable
    return SandboxState(
        mode=settings.sandbox,
        network=settings.network,
        active=active,
        binary=host.binary,
        binary_source=host.binary_source,
        system=host.system,
        kernel=host.kernel,
        reason=host.problem if wanted and not active else None,
        writable=[str(folder) for folder in folders.roots()] if active else [],
    )


def sandbox_state(
    settings: Settings, workspace: Path, host: HostFacts | None = None
) -> SandboxState:
    """Whether and how the sandbox runs for `workspace` with `settings` on this machine."""
    facts = host or detect_host(settings.sandbox_binary, settings.network)
    return planned_state(settings, facts, writable_folders(settings, workspace))
