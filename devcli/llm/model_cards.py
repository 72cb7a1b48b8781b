"""The models devcli knows, and what a `--model` value refers to.

A card holds what the weights alone do not say: where the original repository keeps the
tokenizer and the official system prompt, which tokenizer version renders the prompt, the
context the model was trained for, and the sampling its authors recommend.
"""

import re
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from devcli.config import Settings

DEFAULT_MODEL = "unsloth/Devstral-Small-2507-GGUF:UD-Q4_K_XL"
DEFAULT_CTX_SIZE = 32768


class ToolFormat(StrEnum):
    MISTRAL = "mistral"  # native calls: [TOOL_CALLS]name[ARGS]{...}
    OPENHANDS = "openhands"  # text calls: <function=name><parameter=k>v</parameter></function>
    HERMES = (
        "hermes"  # the template's own: <tool_call>{"name": ..., "arguments": {...}}</tool_call>
    )
    LLAMA3 = "llama3"  # the template's own: {"name": ..., "parameters": {...}}


class ModelError(ValueError):
    """A model reference that cannot be used; the message says what to do instead."""


class Sampling(BaseModel):
    """Sampling parameters. The defaults are Devstral's (model card and Unsloth), also used
    for models devcli does not know."""

    model_config = ConfigDict(frozen=True)

    temperature: float = 0.15
    top_p: float = 0.95
    top_k: int = 64
    min_p: float = 0.01
    repeat_penalty: float = 1.0
    # The temperature the authors recommend with reasoning effort "high", where it differs.
    reasoning_temperature: float | None = None


# What a setting may override, by the same name.
SAMPLING_SETTINGS = ("temperature", "top_p", "top_k", "min_p", "repeat_penalty")


class ModelCard(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    original_repo: str
    gguf_repo: str | None = None
    gguf_stem: str | None = None  # GGUF files are named f"{gguf_stem}-{quant}.gguf"
    default_quant: str | None = None
    approx_gguf_bytes: int | None = None
    tokenizer_version: str | None = None
    context: int
    sampling: Sampling = Sampling()
    tool_format: ToolFormat = ToolFormat.MISTRAL
    name_patterns: tuple[str, ...] = ()
    # Takes `reasoning_effort` ("none" or "high") per request; its sampling depends on it.
    reasoning_effort: bool = False

    def gguf_filename(self, quant: str) -> str | None:
        return f"{self.gguf_stem}-{quant}.gguf" if self.gguf_stem else None

    @property
    def default_reference(self) -> str | None:
        if self.gguf_repo and self.default_quant:
            return f"{self.gguf_repo}:{self.default_quant}"
        return None


MODEL_CARDS: tuple[ModelCard, ...] = (
    ModelCard(
        key="devstral-small-2507",
        title="Devstral Small 1.1",
        original_repo="mistralai/Devstral-Small-2507",
        gguf_repo="unsloth/Devstral-Small-2507-GGUF",
        gguf_stem="Devstral-Small-2507",
        default_quant="UD-Q4_K_XL",
        approx_gguf_bytes=14_300_000_000,
        tokenizer_version="v13",
        context=131072,
        name_patterns=("devstral-small-2507", "devstral-small-1.1"),
    ),
    ModelCard(
        key="devstral-small-2505",
        title="Devstral Small 1.0",
        original_repo="mistralai/Devstral-Small-2505",
        gguf_repo="unsloth/Devstral-Small-2505-GGUF",
        gguf_stem="Devstral-Small-2505",
        default_quant="UD-Q4_K_XL",
        approx_gguf_bytes=14_300_000_000,
        tokenizer_version="v7",
        context=131072,
        tool_format=ToolFormat.OPENHANDS,
        name_patterns=("devstral-small-2505", "devstral-small-1.0"),
    ),
    ModelCard(
        key="mistral-small-2501",
        title="Mistral Small 3",
        original_repo="mistralai/Mistral-Small-24B-Instruct-2501",
        gguf_repo="unsloth/Mistral-Small-24B-Instruct-2501-GGUF",
        gguf_stem="Mistral-Small-24B-Instruct-2501",
        default_quant="Q4_K_M",
        approx_gguf_bytes=14_300_000_000,
        tokenizer_version="v7",
        context=32768,
        sampling=Sampling(temperature=0.15, top_p=1.0, top_k=0, min_p=0.0),
        name_patterns=("mistral-small-24b-instruct-2501", "mistral-small-3-"),
    ),
    ModelCard(
        # December 2025, 256k context. v13: the highest version mistral-common 1.8.6 (the
        # model card's minimum) knows; the GGUF's template has the v13 layout too.
        key="devstral-small-2",
        title="Devstral Small 2",
        original_repo="mistralai/Devstral-Small-2-24B-Instruct-2512",
        gguf_repo="unsloth/Devstral-Small-2-24B-Instruct-2512-GGUF",
        gguf_stem="Devstral-Small-2-24B-Instruct-2512",
        default_quant="UD-Q4_K_XL",
        approx_gguf_bytes=15_000_000_000,
        tokenizer_version="v13",
        context=262144,
        name_patterns=("devstral-small-2-24b", "devstral-small-2-2512"),
    ),
    ModelCard(
        # A 119B mixture of experts: served remotely, never loaded by devcli itself.
        key="mistral-small-2603",
        title="Mistral Small 4",
        original_repo="mistralai/Mistral-Small-4-119B-2603",
        context=262144,
        sampling=Sampling(
            temperature=0.15, reasoning_temperature=0.7, top_p=0.95, top_k=0, min_p=0.0
        ),
        name_patterns=("mistral-small-4-119b-2603", "mistral-small-2603", "mistral-small-4"),
        reasoning_effort=True,
    ),
    ModelCard(
        # A dense 128B model, used through Mistral's API (or a server of one's own).
        key="mistral-medium-2604",
        title="Mistral Medium 3.5",
        original_repo="mistralai/Mistral-Medium-3.5-128B",
        context=262144,
        sampling=Sampling(
            temperature=0.15, reasoning_temperature=0.7, top_p=0.95, top_k=0, min_p=0.0
        ),
        name_patterns=("mistral-medium-2604", "mistral-medium-3.5", "mistral-medium-3-5"),
        reasoning_effort=True,
    ),
)


def sampling_for(settings: Settings, card: ModelCard | None) -> Sampling:
    """The card's sampling (the defaults for an unknown model), with reasoning effort and the
    settings that are set applied on top."""
    base = card.sampling if card is not None else Sampling()
    if settings.reasoning_effort == "high" and base.reasoning_temperature is not None:
        base = base.model_copy(update={"temperature": base.reasoning_temperature})
    chosen = settings.model_dump(include=set(SAMPLING_SETTINGS), exclude_none=True)
    return base.model_copy(update=chosen)


def card_by_key(key: str) -> ModelCard | None:
    return next((card for card in MODEL_CARDS if card.key == key.lower()), None)


def card_for_name(name: str) -> ModelCard | None:
    """The card whose name appears in a repository, file name or GGUF metadata name."""
    folded = name.lower().replace("_", "-").replace(" ", "-")
    for card in MODEL_CARDS:
        if any(pattern in folded for pattern in card.name_patterns):
            return card
    return None


def takes_reasoning_effort(model: str) -> bool:
    """Whether a served model's name is one of the cards that take `reasoning_effort`."""
    card = card_for_name(model)
    return card is not None and card.reasoning_effort


class LocalModel(BaseModel):
    """A GGUF file on disk, named directly."""

    model_config = ConfigDict(frozen=True)

    path: Path


class HubModel(BaseModel):
    """A GGUF in a Hugging Face repository, by file name or by quantisation tag."""

    model_config = ConfigDict(frozen=True)

    repo: str
    filename: str | None = None
    quant: str | None = None

    @property
    def label(self) -> str:
        return f"{self.repo}/{self.filename}" if self.filename else f"{self.repo}:{self.quant}"


ModelSource = LocalModel | HubModel

_REPO = r"[A-Za-z0-9][\w.-]*/[\w.-]+"
_REPO_WITH_QUANT = re.compile(rf"(?P<repo>{_REPO}):(?P<quant>[\w.-]+)")
_REPO_WITH_FILE = re.compile(rf"(?P<repo>{_REPO})/(?P<file>[\w./-]+\.gguf)", re.IGNORECASE)
_REPO_ONLY = re.compile(_REPO)


def _looks_like_path(text: str) -> bool:
    return text.startswith(("/", "./", "../", "~")) or Path(text).expanduser().exists()


def parse_model_reference(text: str | None) -> ModelSource:
    """What `--model` names: a .gguf path, REPO:QUANT, REPO/FILE.gguf, REPO, or a card key."""
    text = (text or DEFAULT_MODEL).strip()
    if _looks_like_path(text):
        path = Path(text).expanduser()
        if not path.is_file():
            raise ModelError(f"no GGUF file at {path}")
        # Not resolved: a link keeps the folder it sits in, with any tekken.json beside it.
        return LocalModel(path=path.absolute())
    card = card_by_key(text)
    if card is not None:
        if card.default_reference is None:
            raise ModelError(
                f"{card.title} has no GGUF that devcli can run locally; use it through a "
                "server with --endpoint or --provider"
            )
        text = card.default_reference
    if match := _REPO_WITH_QUANT.fullmatch(text):
        return HubModel(repo=match["repo"], quant=match["quant"])
    if match := _REPO_WITH_FILE.fullmatch(text):
        return HubModel(repo=match["repo"], filename=match["file"])
    if _REPO_ONLY.fullmatch(text):
        card = card_for_name(text)
        if card is not None and card.gguf_repo and card.gguf_repo.lower() == text.lower():
            return HubModel(repo=card.gguf_repo, quant=card.default_quant)
        raise ModelError(
            f"say which file of {text} to use: {text}:QUANT (for example {text}:Q4_K_M) "
            f"or {text}/FILE.gguf"
        )
    if text.lower().endswith(".gguf"):
        raise ModelError(f"no GGUF file at {Path(text).expanduser()}")
    known = ", ".join(card.key for card in MODEL_CARDS if card.default_reference)
    raise ModelError(
        f"--model {text!r} is not a .gguf path, a Hugging Face REPO:QUANT or REPO/FILE.gguf, "
        f"or a known model ({known}); a server's model name needs --endpoint"
    )


def card_for_source(source: ModelSource) -> ModelCard | None:
    if isinstance(source, LocalModel):
        return card_for_name(source.path.name)
    return card_for_name(source.repo) or card_for_name(source.filename or "")
