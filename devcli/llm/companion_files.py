"""Files a model needs beside its weights: the Mistral tokenizer (tekken.json) that renders
prompts exactly as the model was trained, and the official system prompt (SYSTEM_PROMPT.txt).
Each is taken from beside the GGUF, else fetched from the model's original repository."""

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from devcli.llm.model_cards import ModelCard, ModelError
from devcli.llm.model_download import fetch_repo_file

TOKENIZER_FILE = "tekken.json"
SYSTEM_PROMPT_FILE = "SYSTEM_PROMPT.txt"


def find_companion_file(gguf: Path | None, card: ModelCard | None, name: str) -> Path | None:
    """`name` beside the GGUF, else from the card's original repository (cached, or
    downloaded when the hub can be reached); None when neither has it."""
    if gguf is not None and (gguf.parent / name).is_file():
        return gguf.parent / name
    if card is None:
        return None
    return fetch_repo_file(card.original_repo, name)


def find_tokenizer_file(gguf: Path, card: ModelCard | None) -> Path | None:
    if card is not None and card.tokenizer_version is None:
        card = None  # not a Mistral-tokenizer model: only a file beside the GGUF counts
    return find_companion_file(gguf, card, TOKENIZER_FILE)


def find_system_prompt_file(gguf: Path | None, card: ModelCard | None) -> Path | None:
    return find_companion_file(gguf, card, SYSTEM_PROMPT_FILE)


def load_mistral_tokenizer(path: Path) -> Any:
    """A mistral-common MistralTokenizer; ModelError when the file cannot be used."""
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    try:
        return MistralTokenizer.from_file(str(path))
    except (OSError, ValueError, KeyError, AssertionError) as exc:
        raise ModelError(f"cannot use the tokenizer file {path}: {exc}") from exc


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
