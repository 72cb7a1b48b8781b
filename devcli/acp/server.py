"""Serving the protocol on stdin/stdout until the client closes the connection."""

import asyncio
import logging
import os
import stat
import sys
from typing import Any

import acp
from acp.core import DEFAULT_STDIO_BUFFER_LIMIT_BYTES

from devcli.acp.agent import DevcliAcpAgent
from devcli.acp.stdio import ProtocolPipes, protocol_streams
from devcli.exit_codes import ExitCode
from devcli.llm.base import Backend


def serve(backend: Backend, overrides: dict[str, Any], pipes: ProtocolPipes) -> int:
    """Answer the client on the reserved stdin and stdout; logs go to stderr."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="devcli acp: %(levelname)s: %(message)s"
    )
    try:
        if not all(_streamable(pipe.fileno()) for pipe in pipes):
            print(
                "devcli: acp talks to its client over pipes on stdin and stdout, as an editor "
                "starts it; a file or /dev/null will not do",
                file=sys.stderr,
            )
            return int(ExitCode.USAGE)
        asyncio.run(_serve(backend, overrides, pipes))
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)
    finally:
        backend.close()
    return int(ExitCode.COMPLETED)


def _streamable(fd: int) -> bool:
    """What asyncio can wait on: a pipe, a socket or a terminal."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(fd)


async def _serve(backend: Backend, overrides: dict[str, Any], pipes: ProtocolPipes) -> None:
    reader, writer = await protocol_streams(pipes, DEFAULT_STDIO_BUFFER_LIMIT_BYTES)
    agent = DevcliAcpAgent(backend, overrides)
    try:
        await acp.run_agent(agent, writer, reader)
    finally:
        await agent.close()
