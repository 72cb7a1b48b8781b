"""Reading and writing text files without changing their encoding, BOM or line endings."""

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from pydantic import BaseModel

MAX_FILE_BYTES = 10 * 1024 * 1024
_SNIFF_BYTES = 8192


class FileRefused(ValueError):
    """A file the editor will not touch; the message is written for the model."""


class TextFile(BaseModel):
    """A decoded file; `text` keeps the original line endings."""

    text: str
    encoding: str
    newline: str  # the dominant line ending, used for lines the model adds

    @property
    def crlf(self) -> bool:
        return self.newline == "\r\n"


def _encoding_of(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in raw[:_SNIFF_BYTES]:
        raise FileRefused("it looks like a binary file")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        # Any byte string decodes as Latin-1 and encodes back identically.
        return "latin-1"
    return "utf-8"


def read_text_file(path: Path) -> TextFile:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileRefused(f"it is {size / 1_048_576:.1f} MB, over the 10 MB limit")
    raw = path.read_bytes()
    encoding = _encoding_of(raw)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileRefused(f"it could not be decoded as {encoding}") from exc
    return TextFile(text=text, encoding=encoding, newline=dominant_newline(text))


def dominant_newline(text: str) -> str:
    """The line ending most lines of `text` use; lines the model adds get it too."""
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    return "\r\n" if crlf > lf else "\n"


def write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename: a crash leaves the old or the new file."""
    mode: int | None = None
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(path.stat().st_mode)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_text_file(path: Path, text: str, encoding: str) -> None:
    write_atomically(path, text.encode(encoding))
