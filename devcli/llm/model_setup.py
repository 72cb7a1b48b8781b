"""From settings to a running local backend: find or download the GGUF, load it, and choose
how prompts are written (mistral-common with the model's tekken.json, else the GGUF's template)
and which call format the model gets (see tool_format_choice)."""

from pathlib import Path
from typing import Any

from devcli.config import Settings
from devcli.llm.companion_files import (
    find_tokenizer_file,
    load_mistral_tokenizer,
    official_system_prompt,
)
from devcli.llm.cpu_repack import CpuRepack, apply_repack
from devcli.llm.decode_probe import ProbeRequest
from devcli.llm.formats.chat_format import ChatFormat
from devcli.llm.formats.mistral_prompt import MistralCommonPrompt
from devcli.llm.formats.mistral_tokens import MistralControls
from devcli.llm.formats.prompt_renderer import PromptError, PromptRenderer
from devcli.llm.formats.template import ChatTemplatePrompt
from devcli.llm.formats.template_calls import template_call_syntax
from devcli.llm.formats.token_text import TokenPieces
from devcli.llm.hub_access import hub_reach
from devcli.llm.local import LocalBackend
from devcli.llm.model_cards import (
    HubModel,
    LocalModel,
    ModelCard,
    ModelError,
    card_for_name,
    card_for_source,
    parse_model_reference,
    sampling_for,
)
from devcli.llm.model_download import MissingModelError, find_or_plan
from devcli.llm.model_download import download as download_gguf
from devcli.llm.model_loading import LoadPlan, cache_type, load_llama, plan_load
from devcli.llm.model_metadata import read_gguf_facts
from devcli.llm.model_vocab import LlamaPieces
from devcli.llm.prompt_cache import open_prompt_cache
from devcli.llm.runtime_facts import read_runtime_facts
from devcli.llm.runtime_guard import RuntimeDecision, decide_runtime
from devcli.llm.runtime_verdicts import VerdictStore
from devcli.llm.tool_format_choice import choose_tool_format, template_misses_tools
from devcli.notices import notify, warn
from devcli.paths import cache_dir


def locate_model(settings: Settings, download: bool = True) -> tuple[Path, ModelCard | None]:
    """The GGUF's path and the card of the model, if known. A model that is not on disk is
    downloaded, or with `download` off reported by MissingModelError (with whether it could
    be downloaded now)."""
    source = parse_model_reference(settings.model)
    card = card_for_source(source)
    if isinstance(source, LocalModel):
        return source.path, card
    assert isinstance(source, HubModel)
    found = find_or_plan(source, card)
    if isinstance(found, Path):
        return found, card
    if not download:
        reach = hub_reach()
        why = "not downloaded yet" if reach.reachable else (reach.detail or "offline")
        raise MissingModelError(source, found.filename, found.size, why, reach.reachable)
    return download_gguf(found), card


def _vocab_controls(vocab: LlamaPieces) -> MistralControls | None:
    tool_calls = vocab.token_id("[TOOL_CALLS]")
    if tool_calls is None:
        return None
    return MistralControls(eos=vocab.eos_id, tool_calls=tool_calls, args=vocab.token_id("[ARGS]"))


def _mistral_renderer(
    path: Path, card: ModelCard | None, vocab: LlamaPieces
) -> MistralCommonPrompt | None:
    tokenizer_file = find_tokenizer_file(path, card)
    if tokenizer_file is None:
        return None
    try:
        renderer = MistralCommonPrompt(load_mistral_tokenizer(tokenizer_file))
    except PromptError as exc:
        raise ModelError(f"{tokenizer_file}: {exc}") from exc
    if renderer.vocab_size != vocab.vocab_size:
        warn(
            f"{tokenizer_file} has {renderer.vocab_size} tokens but the model has "
            f"{vocab.vocab_size}; ignoring it"
        )
        return None
    return renderer


def _template_renderer(
    llama: Any, vocab: LlamaPieces, path: Path, splice_calls: bool = False
) -> ChatTemplatePrompt:
    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        raise ModelError(
            f"{path.name} has no chat template and there is no tekken.json beside it, so "
            "devcli cannot write prompts for it"
        )
    bos = int(llama.token_bos())
    wants_bos = llama.metadata.get("tokenizer.ggml.add_bos_token", "false") == "true"

    def tokenize(text: str) -> list[int]:
        return list(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    try:
        return ChatTemplatePrompt(
            template,
            tokenize,
            vocab.is_end_of_generation,
            bos_text=vocab.piece(bos).decode("utf-8", errors="replace") if bos >= 0 else "",
            eos_text=vocab.piece(vocab.eos_id).decode("utf-8", errors="replace"),
            bos_id=bos if wants_bos and bos >= 0 else None,
            splice_calls=splice_calls,
        )
    except PromptError as exc:
        raise ModelError(f"{path.name}: {exc}") from exc


def choose_chat_format(
    settings: Settings, card: ModelCard | None, path: Path, llama: Any
) -> ChatFormat:
    vocab = LlamaPieces(llama)
    controls = _vocab_controls(vocab)
    template = llama.metadata.get("tokenizer.chat_template")
    architecture = str(llama.metadata.get("general.architecture", ""))
    tool_format = choose_tool_format(
        settings.tool_format, card, template, architecture, controls is not None
    )
    # Calls the template teaches are rendered by the template, with the tools it is given.
    by_template = template_call_syntax(tool_format) is not None
    if by_template and template_misses_tools(tool_format, template):
        warn(
            f"the chat template of {path.name} does not show tools to the model; "
            f"{tool_format.value} calls may not work (try --tool-format openhands)"
        )
    mistral = None if by_template else _mistral_renderer(path, card, vocab)
    renderer: PromptRenderer
    pieces: TokenPieces
    if mistral is not None:
        renderer, pieces, controls = mistral, mistral.pieces, mistral.controls
    else:
        if card is not None and card.tokenizer_version is not None and not by_template:
            notify(
                f"no tekken.json for {card.title} (offline, or not downloaded yet): prompts come "
                "from the GGUF's chat template, which may differ slightly from the training format"
            )
        renderer, pieces = _template_renderer(llama, vocab, path, splice_calls=by_template), vocab
    return ChatFormat(renderer, tool_format, pieces, controls)


def _system_prompt(settings: Settings, path: Path, card: ModelCard | None) -> str | None:
    if settings.system_prompt != "official":
        return None
    text = official_system_prompt(path, card)
    if text is None:
        notify("this model has no official system prompt available; using devcli's own")
    return text


def choose_runtime(plan: LoadPlan, settings: Settings) -> RuntimeDecision:
    """How llama.cpp must run this model here; probed in a child process the first time.
    Raises NativeCrashError when every configuration crashes."""
    request = ProbeRequest(
        model_path=plan.path,
        repack=True,
        n_gpu_layers=plan.n_gpu_layers,
        n_threads=plan.n_threads,
        type_k=cache_type(plan.cache_type_k, "k")[0],
        type_v=cache_type(plan.cache_type_v, "v")[0],
        flash_attn=plan.flash_attn,
    )
    store = VerdictStore(cache_dir() / "runtime-verdicts.json")
    decision = decide_runtime(request, CpuRepack(settings.cpu_repack), read_runtime_facts(), store)
    if decision.notice:
        notify(decision.notice)
    if decision.probed and settings.verbose:
        notify(f"checked that llama.cpp runs this model here in {decision.probe_seconds:.1f} s")
    return decision


def build_local_backend(settings: Settings, download: bool = True) -> LocalBackend:
    """Raises ModelError with a message for the user when the model cannot be had or loaded,
    and NativeCrashError when llama.cpp crashes on this machine whatever is tried."""
    path, card = locate_model(settings, download)
    facts = read_gguf_facts(path)
    card = card or card_for_name(facts.name)
    plan, warnings = plan_load(path, settings, facts)
    for warning in warnings:
        warn(warning)
    label = f"{card.title} ({path.name})" if card is not None else path.name
    decision = choose_runtime(plan, settings)
    apply_repack(decision.repack)
    llama, _seconds = load_llama(plan, label)
    try:
        chat_format = choose_chat_format(settings, card, path, llama)
        system_prompt = _system_prompt(settings, path, card)
    except BaseException:
        llama.close()
        raise
    return LocalBackend(
        llama,
        chat_format,
        sampling_for(settings, card),
        model_name=label,
        max_tokens=settings.max_tokens,
        force_tool_call=settings.tool_choice == "required",
        system_prompt=system_prompt,
        prompt_cache=open_prompt_cache(settings, plan, decision.repack, label),
    )
