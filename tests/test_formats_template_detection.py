"""Which call format a chat template teaches: found by rendering it with a made-up tool and
call, then by its source, then by the GGUF's architecture; and how the choice is summarised."""

from pathlib import Path

import pytest

from devcli.llm.formats.tool_format_detection import detect_tool_format, read_template_tools
from devcli.llm.model_cards import ToolFormat, card_by_key
from devcli.llm.model_metadata import GgufFacts, read_gguf_facts
from devcli.llm.tool_format_choice import choose_tool_format, summarise_formats
from tests.support.llm_files import MISTRAL_STYLE_TEMPLATE, smollm2_gguf
from tests.support.template_ggufs import (
    LLAMA3_STYLE_TEMPLATE,
    QWEN_STYLE_TEMPLATE,
    write_tiny_qwen_gguf,
)

CHATML_WITHOUT_TOOLS = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# Tools are listed, calls are written as XML inside <tool_call> tags: not the JSON syntax.
XML_IN_TAGS = (
    "{% if tools %}<tools>{% for t in tools %}{{ t | tojson }}{% endfor %}</tools>{% endif %}"
    "{% for m in messages %}{% if m.tool_calls %}{% for c in m.tool_calls %}<tool_call>"
    "<function={{ c.function.name }}>{% for k, v in c.function.arguments.items() %}"
    "<parameter={{ k }}>{{ v }}</parameter>{% endfor %}</function></tool_call>"
    "{% endfor %}{% else %}{{ m.content }}{% endif %}{% endfor %}"
)
# Refuses assistant calls outright, but its source shows the syntax it expects.
REFUSES_CALLS = (
    "{% if tools %}<tools>{{ tools | tojson }}</tools>{% endif %}"
    "{% for m in messages %}{% if m.tool_calls %}"
    "{{ raise_exception('calls are written by the model as <tool_call> JSON') }}"
    "{% endif %}{{ m.content }}{% endfor %}"
)
# Lists tools but never shows the call of an assistant message.
TOOLS_ONLY = (
    "{% if tools %}{% for t in tools %}{{ t | tojson }}{% endfor %}{% endif %}"
    "{% for m in messages %}{{ m.content }}{% endfor %}"
)


@pytest.mark.parametrize(
    ("template", "renders", "syntax"),
    [
        (QWEN_STYLE_TEMPLATE, True, ToolFormat.HERMES),
        (LLAMA3_STYLE_TEMPLATE, True, ToolFormat.LLAMA3),
        (MISTRAL_STYLE_TEMPLATE, True, ToolFormat.MISTRAL),
        (CHATML_WITHOUT_TOOLS, False, None),
        (XML_IN_TAGS, True, None),
        (REFUSES_CALLS, True, ToolFormat.HERMES),
        (TOOLS_ONLY, True, None),
        ("{% for m in messages %}{{ m.content }", False, None),  # not valid Jinja
    ],
    ids=["qwen", "llama3", "mistral", "chatml", "xml-in-tags", "refuses", "tools-only", "bad"],
)
def test_what_a_template_teaches(template: str, renders: bool, syntax: ToolFormat | None) -> None:
    found = read_template_tools(template)
    assert (found.renders_tools, found.call_syntax) == (renders, syntax)


@pytest.mark.parametrize(
    ("template", "architecture", "tool_calls_token", "expected"),
    [
        (QWEN_STYLE_TEMPLATE, "qwen2", False, ToolFormat.HERMES),
        (QWEN_STYLE_TEMPLATE, "llama", True, ToolFormat.HERMES),
        (LLAMA3_STYLE_TEMPLATE, "llama", False, ToolFormat.LLAMA3),
        (MISTRAL_STYLE_TEMPLATE, "llama", True, ToolFormat.MISTRAL),
        (MISTRAL_STYLE_TEMPLATE, "llama", False, ToolFormat.OPENHANDS),
        (CHATML_WITHOUT_TOOLS, "qwen2", False, ToolFormat.OPENHANDS),
        (XML_IN_TAGS, "qwen3moe", False, ToolFormat.OPENHANDS),
        (TOOLS_ONLY, "qwen2", False, ToolFormat.HERMES),
        (TOOLS_ONLY, "llama", False, ToolFormat.OPENHANDS),
        (None, "llama", True, ToolFormat.MISTRAL),
        (None, "llama", False, ToolFormat.OPENHANDS),
    ],
)
def test_the_format_for_a_gguf_without_a_card(
    template: str | None, architecture: str, tool_calls_token: bool, expected: ToolFormat
) -> None:
    assert detect_tool_format(template, architecture, tool_calls_token) is expected


def test_the_setting_wins_then_the_card_then_the_template() -> None:
    devstral_2505 = card_by_key("devstral-small-2505")
    assert choose_tool_format("llama3", devstral_2505, QWEN_STYLE_TEMPLATE) is ToolFormat.LLAMA3
    assert choose_tool_format("auto", devstral_2505, QWEN_STYLE_TEMPLATE) is ToolFormat.OPENHANDS
    assert choose_tool_format("auto", None, QWEN_STYLE_TEMPLATE) is ToolFormat.HERMES


def test_smollm2s_own_template_keeps_the_openhands_format() -> None:
    facts = read_gguf_facts(smollm2_gguf())
    assert facts.chat_template and "<|im_start|>" in facts.chat_template
    assert read_template_tools(facts.chat_template).renders_tools is False
    summary = summarise_formats(smollm2_gguf(), facts, None)
    assert summary.prompt == "the GGUF's chat template"
    assert summary.calls.startswith("OpenHands text calls")
    assert "shows no tools" in summary.calls


def test_a_qwen_style_gguf_is_summarised_from_its_header(tmp_path: Path) -> None:
    path = write_tiny_qwen_gguf(tmp_path)
    facts = read_gguf_facts(path)
    assert facts.architecture == "qwen2" and facts.chat_template == QWEN_STYLE_TEMPLATE
    summary = summarise_formats(path, facts, None)
    assert summary.prompt == "the GGUF's chat template"
    assert summary.calls == "the template's <tool_call> JSON calls"


def test_a_card_with_a_tokenizer_is_prompted_by_mistral_common(tmp_path: Path) -> None:
    facts = GgufFacts(architecture="llama", has_chat_template=True, has_tool_calls_token=True)
    card = card_by_key("devstral-small-2")
    summary = summarise_formats(tmp_path / "x.gguf", facts, card)
    assert summary.prompt == "mistral-common v13 (tekken.json)"
    assert summary.calls == "native Mistral calls ([TOOL_CALLS])"
