"""`/model` in the interactive session: what the argument asks for, and the guidance shown
while there is no model at all."""

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from devcli.config import Settings

if TYPE_CHECKING:
    from devcli.llm.factory import ModelUnavailable

NO_MODEL_HINT = (
    "Choose one with /model PATH.gguf, /model --endpoint URL, /model N (a GGUF found on this "
    "machine) or /model --download."
)


class ModelRequest(BaseModel):
    model: str | None = None
    endpoint: str | None = None
    provider: str | None = None
    download: bool = False


def parse_model_request(argument: str, found: list[Path]) -> ModelRequest:
    """`NAME`, `PATH.gguf`, `N` (the Nth GGUF of the last list shown), `--endpoint URL`,
    `--provider NAME`, `--model NAME` and `--download`, in any combination that makes sense."""
    from devcli.ui.slash_commands import CommandFailed

    try:
        words = shlex.split(argument)
    except ValueError as exc:
        raise CommandFailed(f"cannot read {argument!r}: {exc}") from exc
    request = ModelRequest()
    position = 0
    while position < len(words):
        word = words[position]
        if word == "--download":
            request.download = True
        elif word in ("--endpoint", "--provider", "--model"):
            if position + 1 >= len(words):
                raise CommandFailed(f"{word} needs a value, e.g. /model {word} VALUE")
            position += 1
            setattr(request, word[2:], words[position])
        elif word.startswith("--"):
            raise CommandFailed(
                f"unknown option {word}; use --endpoint URL, --provider NAME, --model NAME "
                "or --download"
            )
        elif request.model is None:
            request.model = _numbered(word, found)
        else:
            raise CommandFailed(f"/model takes one model name, got {word!r} too")
        position += 1
    return request


def _numbered(word: str, found: list[Path]) -> str:
    if not word.isdigit():
        return word
    from devcli.ui.slash_commands import CommandFailed

    index = int(word)
    if not found:
        raise CommandFailed("no GGUF files were listed; /model alone lists them")
    if not 1 <= index <= len(found):
        raise CommandFailed(f"choose a number from 1 to {len(found)}")
    return str(found[index - 1])


def apply_model_request(settings: Settings, request: ModelRequest) -> Settings:
    """The settings the new backend is built from. A local file leaves any server behind; a
    server replaces the other kind of server."""
    update: dict[str, object] = {}
    if request.endpoint is not None:
        update.update(endpoint=request.endpoint, provider=None, model=request.model)
    elif request.provider is not None:
        update.update(provider=request.provider, endpoint=None, model=request.model)
    elif request.model is not None:
        update["model"] = request.model
        if request.model.lower().endswith(".gguf") and Path(request.model).expanduser().exists():
            update.update(endpoint=None, provider=None)
    return settings.model_copy(update=update)


def download_configured_model(settings: Settings) -> None:
    """Download the model the settings name, with a progress bar; ModelUnavailable-style
    failures come back as CommandFailed."""
    from devcli.llm.hub_access import hub_reach
    from devcli.llm.model_cards import HubModel, ModelError, card_for_source, parse_model_reference
    from devcli.llm.model_download import obtain_gguf
    from devcli.ui.slash_commands import CommandFailed

    hub_reach.cache_clear()  # asked for now: the network may have come back since the start
    try:
        source = parse_model_reference(settings.model)
        if not isinstance(source, HubModel):
            raise CommandFailed(f"{settings.model} is a file on disk: nothing to download")
        obtain_gguf(source, card_for_source(source))
    except ModelError as exc:
        raise CommandFailed(str(exc)) from exc


def no_model_guidance(missing: "ModelUnavailable | None", found: list[Path]) -> str:
    from devcli.llm.model_download import download_folder, free_space
    from devcli.units import human_size

    lines: list[str] = []
    if missing is not None:
        plan = missing.plan
        approx = "about " if plan.size else ""
        lines.append(
            f"The model {plan.description} ({approx}{human_size(plan.size)}) is not on this "
            "machine."
        )
        folder = download_folder()
        if missing.downloadable:
            lines.append(
                f"  - download it now: /model --download ({human_size(free_space(folder))} "
                f"free in {folder})"
            )
        else:
            lines.append(f"  - it cannot be downloaded now ({missing.why})")
    else:
        lines.append("There is no model yet.")
    lines.append("  - a GGUF you have:   /model /path/to/model.gguf")
    lines.append("  - a model server:    /model --endpoint http://HOST:PORT/v1 [--model NAME]")
    if found:
        lines.append("  - found on this machine (/model N):")
        lines += [f"      {number}. {path}" for number, path in enumerate(found, start=1)]
    return "\n".join(lines)
