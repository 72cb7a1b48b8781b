"""Serving the protocol on stdin/stdout until the client closes the connection."""

import asyncio
import logging
import os
import stat
import sys
from typing import Any, BinaryIO

import acp
from acp.core import DEFAULT_STDIO_BUFFER_LIMIT_BYTES

from devcli.acp.agent import DevcliAcpAgent
from devcli.acp.stdio import protocol_streams
from devcli.exit_codes import ExitCode
from devcli.llm.base import Backend


def serve(backend: Backend, overrides: dict[str, Any], protocol_out: BinaryIO) -> int:
    """Answer the client on `protocol_out` (the reserved stdout); logs go to stderr."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="devcli acp: %(levelname)s: %(message)s"
    )
    try:
        if stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode):
            # asyncio reads only pipes, sockets and terminals
            print("devcli: acp talks to its client over a pipe, not a file", file=sys.stderr)
            return int(ExitCode.USAGE)
        asyncio.run(_serve(backend, overrides, protocol_out))
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)
    finally:
        backend.close()
    return int(ExitCode.COMPLETED)


async def _serve(backend: Backend, overrides: dict[str, Any], protocol_out: BinaryIO) -> None:
    reader, writer = await protocol_streams(protocol_out, DEFAULT_STDIO_BUFFER_LIMIT_BYTES)
    agent = DevcliAcpAgent(backend, overrides)
    try:
        await acp.run_agent(agent, writer, reader)
    finally:
        await agent.close()
