"""Which prompt and tool-call formats devcli uses for a local GGUF, decided the same way when
the model is loaded, checked by `devcli doctor` and listed by `devcli models list`."""

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from devcli.llm.formats.template_calls import template_call_syntax
from devcli.llm.formats.tool_format_detection import detect_tool_format, read_template_tools
from devcli.llm.model_cards import ModelCard, ModelError, ToolFormat, card_for_name
from devcli.llm.model_metadata import GgufFacts, read_gguf_facts

TOKENIZER_FILE = "tekken.json"


def choose_tool_format(
    setting: str,
    card: ModelCard | None,
    template: str | None,
    architecture: str = "",
    has_tool_calls_token: bool = False,
) -> ToolFormat:
    """`--tool-format` when given, else the model card's, else what the GGUF teaches."""
    if setting != "auto":
        return ToolFormat(setting)
    if card is not None:
        return card.tool_format
    return detect_tool_format(template, architecture, has_tool_calls_token)


def template_misses_tools(tool_format: ToolFormat, template: str | None) -> bool:
    """A template-taught format was asked for, but the template never shows the tools."""
    if template_call_syntax(tool_format) is None:
        return False
    return not (template and read_template_tools(template).renders_tools)


class FormatSummary(BaseModel):
    """The two formats, in words for people."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    calls: str


_CALL_WORDS = {
    ToolFormat.MISTRAL: "native Mistral calls ([TOOL_CALLS])",
    ToolFormat.HERMES: "the template's <tool_call> JSON calls",
    ToolFormat.LLAMA3: "the template's Llama 3 JSON calls",
    ToolFormat.OPENHANDS: "OpenHands text calls (<function=...>)",
}


def summarise_formats(
    path: Path, facts: GgufFacts, card: ModelCard | None, setting: str = "auto"
) -> FormatSummary:
    """The formats a run would use, read from the GGUF's header without loading it. A model
    card with a tokenizer version means mistral-common renders prompts (its tekken.json is
    fetched on the first run)."""
    tool_format = choose_tool_format(
        setting, card, facts.chat_template, facts.architecture, facts.has_tool_calls_token
    )
    beside = (path.parent / TOKENIZER_FILE).is_file()
    by_template = template_call_syntax(tool_format) is not None
    if not by_template and (beside or (card is not None and card.tokenizer_version)):
        version = card.tokenizer_version if card is not None and card.tokenizer_version else ""
        prompt = f"mistral-common {version}".rstrip() + " (tekken.json)"
    elif facts.has_chat_template:
        prompt = "the GGUF's chat template"
    else:
        prompt = "none (no chat template, no tekken.json)"
    calls = _CALL_WORDS[tool_format]
    if tool_format is ToolFormat.OPENHANDS and setting == "auto" and card is None:
        template = facts.chat_template
        if not (template and read_template_tools(template).renders_tools):
            calls += "; the chat template shows no tools"
        else:
            calls += "; the chat template's own call syntax is not one devcli writes"
    return FormatSummary(prompt=prompt, calls=calls)


def describe_local_formats(path: Path, card: ModelCard | None) -> str:
    """One line for `devcli models list`: the formats a run with default settings uses."""
    try:
        facts = read_gguf_facts(path)
    except ModelError as exc:
        return f"formats unknown: {exc}"
    summary = summarise_formats(path, facts, card or card_for_name(facts.name))
    return f"prompt: {summary.prompt} · tool calls: {summary.calls}"
