"""`python tests/support/llama_server_launcher.py ARGS…`: llama_cpp.server with devcli's CPU
repack policy applied first, so the server the tests start survives the same CPUs devcli does."""

import sys

from devcli.llm.cpu_repack import CpuRepack, apply_repack, repack_enabled
from devcli.llm.runtime_facts import read_runtime_facts

if __name__ == "__main__":
    apply_repack(repack_enabled(CpuRepack.AUTO, read_runtime_facts()))
    from llama_cpp.server.__main__ import main

    sys.argv[0] = "llama_cpp.server"
    sys.exit(main())
