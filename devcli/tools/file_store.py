"""Where the editor tool reads and writes file contents: the disk, or an editor's buffers.

A front end whose client holds the files (an IDE speaking ACP) gives the editor tool a store
that goes through the client, so unsaved buffers are read and edits land in the editor.
"""

from pathlib import Path
from typing import Protocol

from devcli.tools.text_file import TextFile, read_text_file, write_atomically, write_text_file


class FileStore(Protocol):
    def read(self, path: Path) -> TextFile:
        """The file's text; raises OSError or FileRefused."""
        ...

    def write(self, path: Path, text: str, encoding: str) -> None: ...

    def keep(self, path: Path) -> bytes | None:
        """What `put_back` needs to restore the file as it is now; None: it does not exist."""
        ...

    def put_back(self, path: Path, kept: bytes | None) -> None:
        """Restore what `keep` returned (None removes the file)."""
        ...


class DiskFiles:
    """Files on disk, written atomically, keeping their encoding, BOM and line endings."""

    def read(self, path: Path) -> TextFile:
        return read_text_file(path)

    def write(self, path: Path, text: str, encoding: str) -> None:
        write_text_file(path, text, encoding)

    def keep(self, path: Path) -> bytes | None:
        return path.read_bytes() if path.exists() else None

    def put_back(self, path: Path, kept: bytes | None) -> None:
        if kept is None:
            path.unlink(missing_ok=True)
        else:
            write_atomically(path, kept)
