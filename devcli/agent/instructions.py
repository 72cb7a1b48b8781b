"""Project instructions: the AGENTS.md files of the repository, added to the system prompt.

The file at the repository root comes first, then those of each folder down to the working
directory, so the most specific instructions are read last.
"""

from pathlib import Path

from pydantic import BaseModel

from devcli.paths import repository_root

INSTRUCTIONS_FILE = "AGENTS.md"
# A runaway instructions file must not eat a small model's context.
MAX_INSTRUCTION_CHARS = 20_000


class InstructionFile(BaseModel):
    path: Path
    text: str
    clipped: bool = False


def instruction_folders(workspace: Path) -> list[Path]:
    """Root first, then each folder down to the workspace; just the workspace outside a repo."""
    workspace = workspace.resolve()
    root = repository_root(workspace)
    if not workspace.is_relative_to(root):
        return [workspace]
    folders = [root]
    for part in workspace.relative_to(root).parts:
        folders.append(folders[-1] / part)
    return folders


def _read(path: Path) -> InstructionFile | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    text = raw.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    if len(text) > MAX_INSTRUCTION_CHARS:
        return InstructionFile(path=path, text=text[:MAX_INSTRUCTION_CHARS], clipped=True)
    return InstructionFile(path=path, text=text)


def find_instructions(workspace: Path) -> list[InstructionFile]:
    found: list[InstructionFile] = []
    for folder in instruction_folders(workspace):
        candidate = folder / INSTRUCTIONS_FILE
        if candidate.is_file():
            loaded = _read(candidate)
            if loaded is not None:
                found.append(loaded)
    return found


def instructions_section(workspace: Path) -> str:
    """The text appended to the system prompt, or "" when there are no instructions."""
    files = find_instructions(workspace)
    if not files:
        return ""
    parts = [
        "<PROJECT_INSTRUCTIONS>",
        "The people who work on this repository wrote these instructions for coding agents. "
        "Follow them; when two disagree, the later (more specific) one wins.",
    ]
    for item in files:
        parts.append(f"\n--- {item.path} ---\n{item.text}")
        if item.clipped:
            parts.append(f"[cut at {MAX_INSTRUCTION_CHARS} characters; read the file for more]")
    parts.append("</PROJECT_INSTRUCTIONS>")
    return "\n".join(parts)
