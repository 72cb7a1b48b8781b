"""Image files kept by content: the same image is stored once, and a path stays valid for as
long as the folder does (sessions name these paths, and send the images again on resume)."""

import hashlib
from pathlib import Path

from devcli.tools.text_file import write_atomically


def keep_image(data: bytes, folder: Path, suffix: str) -> Path:
    """The image's file in `folder`, written now unless the same image is already there."""
    path = folder / (hashlib.sha256(data).hexdigest()[:32] + suffix)
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data)
    return path
