"""stdin and stdout for the protocol: nobody else reads the one or writes to the other."""

import asyncio
import os
import sys
from typing import BinaryIO, NamedTuple


class ProtocolPipes(NamedTuple):
    incoming: BinaryIO  # the client's messages (the process's original stdin)
    outgoing: BinaryIO  # the answers (the process's original stdout)


def reserve_stdio() -> ProtocolPipes:
    """Keep the real stdin and stdout for the protocol alone.

    File descriptor 1 becomes a copy of stderr and descriptor 0 reads /dev/null, so a
    library's `print`, llama.cpp's C code or a child process that inherits them can neither
    corrupt the stream the client reads nor swallow a message the client sends.
    """
    sys.stdout.flush()
    pipes = ProtocolPipes(
        incoming=os.fdopen(os.dup(0), "rb", buffering=0),
        outgoing=os.fdopen(os.dup(1), "wb", buffering=0),
    )
    os.dup2(2, 1)
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.close(nothing)
    sys.stdout = sys.stderr
    return pipes


async def protocol_streams(
    pipes: ProtocolPipes, limit: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Asyncio streams over the reserved pipes; `limit` bounds one message."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipes.incoming)
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, pipes.outgoing
    )
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)
