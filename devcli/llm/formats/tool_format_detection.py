"""Which tool-call format a GGUF's chat template teaches, found by rendering it.

The template is rendered with one made-up tool and one made-up call. If the tool's schema
shows up in the prompt, the template renders tools; the text it writes for the call tells the
syntax (`<tool_call>` blocks, a `{"name", "parameters"}` object, `[TOOL_CALLS]`). A template
that cannot render the probe is read as source text instead, and the GGUF's architecture
settles a template that renders tools but no calls.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict

from devcli.llm.formats.jinja_env import template_environment
from devcli.llm.model_cards import ToolFormat

_TOOL_NAME = "devcli_probe_tool"
_DESCRIPTION = "Devcli probe description."
_VALUE = "devcli-probe-value"
_USER_TEXT = "devcli probe question"
_PROBE_TOOL = {
    "type": "function",
    "function": {
        "name": _TOOL_NAME,
        "description": _DESCRIPTION,
        "parameters": {
            "type": "object",
            "properties": {"probe_key": {"type": "string", "description": "A probe value."}},
            "required": ["probe_key"],
        },
    },
}
_START: list[dict[str, Any]] = [
    {"role": "system", "content": "devcli probe system"},
    {"role": "user", "content": _USER_TEXT},
]
_CALL_TURNS: list[dict[str, Any]] = [
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "probecall1",
                "type": "function",
                "function": {"name": _TOOL_NAME, "arguments": {"probe_key": _VALUE}},
            }
        ],
    },
    {
        "role": "tool",
        "content": "devcli probe result",
        "tool_call_id": "probecall1",
        "name": _TOOL_NAME,
    },
]
# Architectures whose chat models are trained on `<tool_call>` blocks.
_HERMES_ARCHITECTURES = ("qwen2", "qwen2moe", "qwen3", "qwen3moe", "qwen2vl", "qwen3vl")


class TemplateTools(BaseModel):
    """What a chat template does with tools."""

    model_config = ConfigDict(frozen=True)

    renders_tools: bool
    shows_calls: bool  # the probe's call came out of the template
    call_syntax: ToolFormat | None  # how it writes an assistant's call; None: not a known one


def _render(template: Any, messages: list[dict[str, Any]], tools: list[Any] | None) -> str | None:
    try:
        text = template.render(
            messages=messages,
            tools=tools,
            add_generation_prompt=False,
            bos_token="",
            eos_token="",
        )
    except Exception:  # any template error: this probe just learns nothing
        return None
    return str(text)


def _syntax_of(snippet: str) -> ToolFormat | None:
    if "[TOOL_CALLS]" in snippet:
        return ToolFormat.MISTRAL
    if "<tool_call>" in snippet:
        # Some templates put an XML-like body inside the tags: not the JSON syntax.
        return None if "<function=" in snippet else ToolFormat.HERMES
    if '"parameters"' in snippet and '"name"' in snippet:
        return ToolFormat.LLAMA3
    return None


def _syntax_in_source(source: str) -> ToolFormat | None:
    if "<tool_call>" in source:
        return ToolFormat.HERMES
    if '"parameters"' in source and ("<|python_tag|>" in source or "ipython" in source):
        return ToolFormat.LLAMA3
    if "[TOOL_CALLS]" in source:
        return ToolFormat.MISTRAL
    return None


def read_template_tools(source: str) -> TemplateTools:
    """What `source` does with tools; a template that does not compile renders none."""
    try:
        template = template_environment().from_string(source)
    except Exception:
        return TemplateTools(renders_tools=False, shows_calls=False, call_syntax=None)
    with_tools = _render(template, _START, [_PROBE_TOOL])
    renders_tools = with_tools is not None and _DESCRIPTION in with_tools
    conversation = _render(template, _START + _CALL_TURNS, [_PROBE_TOOL])
    syntax: ToolFormat | None = None
    shows_calls = conversation is not None and _VALUE in conversation
    if conversation is not None and shows_calls:
        after_user = conversation.rfind(_USER_TEXT)
        start = after_user + len(_USER_TEXT) if after_user >= 0 else 0
        syntax = _syntax_of(conversation[start : conversation.find(_VALUE, start)])
    elif conversation is None:
        syntax = _syntax_in_source(source)
    return TemplateTools(renders_tools=renders_tools, shows_calls=shows_calls, call_syntax=syntax)


def detect_tool_format(
    template: str | None, architecture: str = "", has_tool_calls_token: bool = False
) -> ToolFormat:
    """The call format to use with a GGUF that has no model card.

    The template's own format when it renders tools and teaches a JSON call syntax; native
    Mistral calls when the vocabulary has the [TOOL_CALLS] control token; OpenHands text calls
    otherwise (devcli then describes the tools itself).
    """
    if template:
        tools = read_template_tools(template)
        syntax = tools.call_syntax
        unseen = syntax is None and not tools.shows_calls
        if unseen and tools.renders_tools and architecture in _HERMES_ARCHITECTURES:
            syntax = ToolFormat.HERMES
        if tools.renders_tools and syntax in (ToolFormat.HERMES, ToolFormat.LLAMA3):
            assert syntax is not None
            return syntax
    if has_tool_calls_token:
        return ToolFormat.MISTRAL
    return ToolFormat.OPENHANDS
