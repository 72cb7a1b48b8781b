"""Finds the text files of `prompts/`, inside the installed wheel or beside the source tree."""

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def prompts_dir() -> Path:
    for candidate in (_PACKAGE_DIR / "prompts", _PACKAGE_DIR.parent / "prompts"):
        if (candidate / "system_prompt.md").is_file():
            return candidate
    raise FileNotFoundError("devcli's prompts folder is missing from this installation")


@cache
def read_prompt(relative: str) -> str:
    """A prompt file's text; read once per process (tool schemas ask for it every step)."""
    return (prompts_dir() / relative).read_text(encoding="utf-8")
