"""The Mistral tokenizer file (tekken.json) that renders prompts exactly as the model was
trained: found beside the GGUF, or fetched from the model's original repository."""

from pathlib import Path
from typing import Any

from devcli.llm.model_download import fetch_repo_file
from devcli.llm.models import ModelCard, ModelError

TOKENIZER_FILE = "tekken.json"


def find_tokenizer_file(gguf: Path, card: ModelCard | None) -> Path | None:
    beside = gguf.parent / TOKENIZER_FILE
    if beside.is_file():
        return beside
    if card is None or card.tokenizer_version is None:
        return None
    return fetch_repo_file(card.original_repo, TOKENIZER_FILE)


def load_mistral_tokenizer(path: Path) -> Any:
    """A mistral-common MistralTokenizer; ModelError when the file cannot be used."""
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    try:
        return MistralTokenizer.from_file(str(path))
    except (OSError, ValueError, KeyError, AssertionError) as exc:
        raise ModelError(f"cannot use the tokenizer file {path}: {exc}") from exc
