"""The official system prompt a Mistral model repository ships as SYSTEM_PROMPT.txt."""

from datetime import date, timedelta
from pathlib import Path

from devcli.llm.model_download import fetch_repo_file
from devcli.llm.models import ModelCard

SYSTEM_PROMPT_FILE = "SYSTEM_PROMPT.txt"


def find_system_prompt_file(gguf: Path | None, card: ModelCard | None) -> Path | None:
    if gguf is not None and (gguf.parent / SYSTEM_PROMPT_FILE).is_file():
        return gguf.parent / SYSTEM_PROMPT_FILE
    if card is None:
        return None
    return fetch_repo_file(card.original_repo, SYSTEM_PROMPT_FILE)


def fill_placeholders(text: str, model_name: str, today: date) -> str:
    """Mistral Small 3's prompt names the model and the dates; other braces stay as they are."""
    return (
        text.replace("{name}", model_name)
        .replace("{today}", today.isoformat())
        .replace("{yesterday}", (today - timedelta(days=1)).isoformat())
    )


def official_system_prompt(
    gguf: Path | None, card: ModelCard | None, today: date | None = None
) -> str | None:
    path = find_system_prompt_file(gguf, card)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    name = card.original_repo.rsplit("/", 1)[-1] if card is not None else path.parent.name
    return fill_placeholders(text, name, today or date.today()).strip() or None
