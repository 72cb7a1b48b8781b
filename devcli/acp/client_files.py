"""The editor tool's file contents through the client, when the client offers it.

Reading through `fs/read_text_file` sees the editor's unsaved buffers; writing through
`fs/write_text_file` makes the edit appear in the editor, with its own undo. The saved file
is still read first for the editor tool's checks (size, binary content, encoding), and
whatever the client does not offer goes to the disk. Checkpoints are unaffected: they
snapshot the work tree on disk before each step, whichever way the edit is written.
"""

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from acp import RequestError

from devcli.acp.channel import ClientChannel, ClientGone
from devcli.tools.file_store import DiskFiles
from devcli.tools.text_file import TextFile, dominant_newline, read_text_file

T = TypeVar("T")


class ClientFiles:
    def __init__(self, channel: ClientChannel, reads: bool, writes: bool) -> None:
        self.channel = channel
        self.reads = reads
        self.writes = writes
        self._disk = DiskFiles()

    def read(self, path: Path) -> TextFile:
        saved = read_text_file(path)
        if not self.reads:
            return saved
        text = _through_client(path, lambda: self.channel.read_text_file(path))
        return TextFile(text=text, encoding=saved.encoding, newline=dominant_newline(text))

    def write(self, path: Path, text: str, encoding: str) -> None:
        if self.writes:
            _through_client(path, lambda: self.channel.write_text_file(path, text))
        else:
            self._disk.write(path, text, encoding)

    def keep(self, path: Path) -> bytes | None:
        if not self.writes:
            return self._disk.keep(path)
        return self.read(path).text.encode("utf-8") if path.exists() else None

    def put_back(self, path: Path, kept: bytes | None) -> None:
        if not self.writes or kept is None:  # the protocol cannot delete: a new file goes here
            self._disk.put_back(path, kept)
        else:
            self.write(path, kept.decode("utf-8"), "utf-8")


def _through_client(path: Path, action: Callable[[], T]) -> T:
    """The client's answer; its refusals become the OSError the editor tool reports."""
    try:
        return action()
    except RequestError as exc:
        detail = exc.data.get("details") if isinstance(exc.data, dict) else None
        raise OSError(f"the editor could not open it ({detail or exc})") from exc
    except ClientGone as exc:
        raise OSError(f"the editor closed the connection before {path.name} was done") from exc
