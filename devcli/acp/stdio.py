"""stdin and stdout for the protocol: stdout carries JSON-RPC lines and nothing else."""

import asyncio
import os
import sys
from typing import BinaryIO


def reserve_stdout() -> BinaryIO:
    """Keep the real stdout for the protocol and send everything else written there to stderr.

    File descriptor 1 becomes a copy of stderr, so a library's `print`, llama.cpp's C code or
    a child process that inherits stdout cannot corrupt the stream the client reads.
    """
    sys.stdout.flush()
    protocol = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


async def protocol_streams(
    protocol_out: BinaryIO, limit: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Asyncio streams over stdin and the reserved stdout; `limit` bounds one message."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, protocol_out
    )
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)
