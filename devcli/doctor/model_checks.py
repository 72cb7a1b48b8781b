"""The local model: where it is (or what a download would take), what it is, how devcli will
prompt it, and whether it fits in memory."""

import json
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from devcli.config import Settings
from devcli.doctor.report import Report, Status
from devcli.llm.companion_files import find_tokenizer_file
from devcli.llm.hub_access import hub_reach
from devcli.llm.model_cards import (
    HubModel,
    LocalModel,
    ModelCard,
    ModelError,
    ToolFormat,
    card_for_name,
    card_for_source,
    parse_model_reference,
)
from devcli.llm.model_download import (
    DownloadPlan,
    download_folder,
    find_or_plan,
    free_space,
)
from devcli.llm.model_files import find_local_models
from devcli.llm.model_loading import LoadPlan, available_memory, kv_cache_bytes, plan_load
from devcli.llm.model_metadata import GgufFacts, read_gguf_facts
from devcli.llm.tool_format_choice import choose_tool_format
from devcli.units import human_size

AREA = "model"
_QUANT = re.compile(r"((?:UD-)?(?:I?Q\d[A-Z0-9_]*|F16|BF16|F32))", re.IGNORECASE)


class LocalModelFacts(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    path: Path
    card: ModelCard | None
    facts: GgufFacts
    plan: LoadPlan


def quantisation(path: Path) -> str:
    found = _QUANT.findall(path.stem)
    return found[-1] if found else "unknown"


def _where(path: Path) -> str:
    for found in find_local_models():
        if found.path == path:
            return f"{path} ({found.place.value})"
    return str(path)


def _missing(report: Report, plan: DownloadPlan) -> None:
    reach = hub_reach()
    size = human_size(plan.size)
    if reach.reachable:
        report.add(
            AREA,
            "model",
            Status.WARNING,
            f"not downloaded yet: {plan.description} ({size})",
            f"the first run downloads it, or now: devcli models pull {plan.source.label}",
        )
    else:
        report.add(
            AREA,
            "model",
            Status.PROBLEM,
            f"not on this machine, and Hugging Face cannot be reached ({reach.detail}): "
            f"{plan.description} ({size})",
            "download it once while online (devcli models pull), use --model FILE.gguf, "
            "or --endpoint URL",
        )
    folder = download_folder()
    free = free_space(folder)
    if plan.size and free is not None and free < plan.size:
        report.add(
            AREA,
            "disk",
            Status.PROBLEM,
            f"{human_size(free)} free in {folder}; the download needs {size}",
            "free some space, or point HF_HOME at a disk with room",
        )
    else:
        report.add(AREA, "disk", Status.OK, f"{human_size(free)} free in {folder}")


def locate(report: Report, settings: Settings) -> tuple[Path, ModelCard | None] | None:
    try:
        source = parse_model_reference(settings.model)
    except ModelError as exc:
        report.add(AREA, "model", Status.PROBLEM, str(exc), "fix --model or `model` in config")
        return None
    card = card_for_source(source)
    if isinstance(source, LocalModel):
        if not source.path.is_file():
            report.add(AREA, "model", Status.PROBLEM, f"{source.path} does not exist")
            return None
        return source.path, card
    assert isinstance(source, HubModel)
    found = find_or_plan(source, card)
    if isinstance(found, DownloadPlan):
        _missing(report, found)
        return None
    return found, card


def _prompt_format(report: Report, path: Path, card: ModelCard | None, facts: GgufFacts) -> None:
    tokenizer = find_tokenizer_file(path, card)
    if tokenizer is not None:
        try:
            config = json.loads(tokenizer.read_text(encoding="utf-8")).get("config", {})
            version = str(config.get("version", "unknown"))
        except (OSError, ValueError, AttributeError):
            version = "unreadable"
        report.add(AREA, "tokenizer", Status.OK, f"{tokenizer} (Tekken {version})")
        report.add(AREA, "prompt format", Status.OK, f"mistral-common {version}, token for token")
    elif card is not None and card.tokenizer_version is not None:
        report.add(
            AREA,
            "tokenizer",
            Status.WARNING,
            f"no tekken.json for {card.title} (offline, or not downloaded yet)",
            "run once online, or put tekken.json beside the GGUF",
        )
        report.add(AREA, "prompt format", Status.WARNING, "the GGUF's chat template (fallback)")
    elif facts.has_chat_template:
        report.add(AREA, "tokenizer", Status.OK, "the GGUF's own vocabulary")
        report.add(AREA, "prompt format", Status.OK, "the GGUF's chat template")
    else:
        report.add(
            AREA,
            "prompt format",
            Status.PROBLEM,
            "no chat template in the GGUF and no tekken.json beside it",
            "use a chat (instruct) model",
        )


def _tool_format(settings: Settings, card: ModelCard | None, facts: GgufFacts) -> ToolFormat:
    return choose_tool_format(
        settings.tool_format,
        card,
        facts.chat_template,
        facts.architecture,
        facts.has_tool_calls_token,
    )


def _memory(report: Report, plan: LoadPlan, facts: GgufFacts) -> None:
    weights = plan.path.stat().st_size
    cache = kv_cache_bytes(plan, facts)
    free = available_memory()
    need = weights + (cache or 0)
    detail = (
        f"weights {human_size(weights)} + KV cache {human_size(cache)} at {plan.n_ctx} tokens "
        f"({plan.cache_type_k}/{plan.cache_type_v}) against {human_size(free)} free"
    )
    if plan.n_gpu_layers != 0:
        report.add(AREA, "memory", Status.OK, detail + " (layers offloaded to the GPU)")
    elif free is not None and need > free:
        report.add(
            AREA, "memory", Status.WARNING, detail, "lower --ctx-size, or use a smaller quant"
        )
    else:
        report.add(AREA, "memory", Status.OK, detail)


def check_local_model(report: Report, settings: Settings) -> LocalModelFacts | None:
    located = locate(report, settings)
    if located is None:
        return None
    path, card = located
    try:
        facts = read_gguf_facts(path)
    except ModelError as exc:
        report.add(AREA, "model", Status.PROBLEM, str(exc), "download the file again")
        return None
    card = card or card_for_name(facts.name)
    title = f"{card.title}: " if card is not None else ""
    report.add(AREA, "model", Status.OK, f"{title}{_where(path)}")
    report.add(
        AREA,
        "file",
        Status.OK,
        f"{human_size(path.stat().st_size)}, {quantisation(path)}, {facts.architecture}, "
        f"trained context {facts.context_length or 'unknown'}",
    )
    _prompt_format(report, path, card, facts)
    report.add(AREA, "tool calls", Status.OK, _tool_format(settings, card, facts).value)
    try:
        plan, _warnings = plan_load(path, settings, facts)
    except ModelError as exc:
        report.add(AREA, "load plan", Status.PROBLEM, str(exc))
        return None
    _memory(report, plan, facts)
    return LocalModelFacts(path=path, card=card, facts=facts, plan=plan)
