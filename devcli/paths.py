"""Where devcli keeps its data and caches; DEVCLI_DATA_DIR and DEVCLI_CACHE_DIR override the
platform's defaults."""

import hashlib
import os
import re
from pathlib import Path


def data_dir() -> Path:
    override = os.environ.get("DEVCLI_DATA_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("devcli", appauthor=False)


def cache_dir() -> Path:
    """Files devcli can rebuild (probe verdicts, prompt caches); DEVCLI_CACHE_DIR overrides."""
    override = os.environ.get("DEVCLI_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("devcli", appauthor=False)


def tool_images_dir() -> Path:
    """Images tools returned, kept by content so that resumed sessions can send them again."""
    return data_dir() / "tool-images"


def repository_key(workspace: Path) -> str:
    """A readable, collision-free folder name for one repository's sessions."""
    resolved = str(workspace.resolve())
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", workspace.resolve().name) or "root"
    return f"{name}-{hashlib.sha256(resolved.encode()).hexdigest()[:8]}"


def sessions_dir(workspace: Path) -> Path:
    return data_dir() / "sessions" / repository_key(workspace)


def repository_root(workspace: Path) -> Path:
    """The top of the git work tree around `workspace`, or `workspace` itself."""
    from devcli.git_command import GitMissing, git_command

    try:
        result = git_command(["-C", str(workspace), "rev-parse", "--show-toplevel"], timeout=10)
    except GitMissing:
        return workspace.resolve()
    top = result.text.strip()
    return Path(top).resolve() if result.ok and top else workspace.resolve()
