"""Whether bubblewrap can run here, found out once: sandboxed tests skip with the reason."""

import pytest

from devcli.config import NetworkMode
from devcli.sandbox.host import detect_host

# `--network off` needs the most (a network namespace too): if it works, every mode does.
HOST = detect_host(None, NetworkMode.OFF)

requires_sandbox = pytest.mark.skipif(
    not HOST.usable, reason=f"the sandbox cannot run here: {HOST.problem}"
)
