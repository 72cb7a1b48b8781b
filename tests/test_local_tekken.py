"""The Mistral token path end to end on real llama.cpp: a one-layer GGUF with the Tekken
vocabulary (random weights, written by the test) and a v13 tokenizer file beside it."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devcli.config import Settings
from devcli.llm.backend import BackendError, ChatMessage, ContextOverflowError, Role
from devcli.llm.formats.chat_format import ChatFormat
from devcli.llm.formats.mistral_prompt import MistralCommonPrompt
from devcli.llm.formats.prompt_renderer import ToolSchemas
from devcli.llm.formats.template import ChatTemplatePrompt
from devcli.llm.local import LocalBackend
from devcli.llm.model_cards import ToolFormat
from devcli.llm.model_setup import build_local_backend
from devcli.tool_schema import ToolSchema
from devcli.tools.registry import ToolBox
from tests.support.llm_files import MISTRAL_STYLE_TEMPLATE, write_tiny_tekken_gguf

PICK = ToolSchema.model_validate(
    {
        "type": "function",
        "function": {
            "name": "pick",
            "description": "Pick the only choice.",
            "parameters": {
                "type": "object",
                "properties": {"choice": {"type": "string", "enum": ["alpha"]}},
                "required": ["choice"],
                "additionalProperties": False,
            },
        },
    }
)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    folder = tmp_path_factory.mktemp("tiny-tekken")
    gguf = write_tiny_tekken_gguf(folder)
    settings = Settings(
        model=str(gguf), ctx_size=4096, temperature=0.0, tool_choice="required", max_tokens=48
    )
    built = build_local_backend(settings)
    yield built
    built.close()


@pytest.fixture(scope="module")
def real_tools(tmp_path_factory: pytest.TempPathFactory) -> list[ToolSchema]:
    toolbox = ToolBox.default(tmp_path_factory.mktemp("repo"))
    try:
        return toolbox.schemas()
    finally:
        toolbox.close()


def _renderer(backend: LocalBackend) -> MistralCommonPrompt:
    renderer = backend.chat_format.renderer
    assert isinstance(renderer, MistralCommonPrompt)
    return renderer


def _start() -> list[ChatMessage]:
    return [
        ChatMessage(role=Role.SYSTEM, content="You pick things."),
        ChatMessage(role=Role.USER, content="Pick one."),
    ]


def test_loads_with_a_q8_0_k_cache_and_the_tokenizer_file(backend: LocalBackend) -> None:
    assert backend.llama.context_params.type_k == 8  # GGML_TYPE_Q8_0
    assert backend.llama.context_params.type_v == 1  # f16
    assert _renderer(backend).version == "v13"
    assert backend.chat_format.tool_format is ToolFormat.MISTRAL


def test_llama_tokenizes_rendered_text_like_mistral_common(
    backend: LocalBackend, real_tools: list[ToolSchema]
) -> None:
    from mistral_common.protocol.instruct.messages import (
        AssistantMessage,
        SystemMessage,
        ToolMessage,
        UserMessage,
    )
    from mistral_common.protocol.instruct.request import ChatCompletionRequest
    from mistral_common.protocol.instruct.tool_calls import Function, FunctionCall, Tool, ToolCall

    def call(call_id: str, name: str, arguments: dict[str, Any]) -> ToolCall:
        return ToolCall(
            id=call_id, function=FunctionCall(name=name, arguments=json.dumps(arguments))
        )

    tools = [Tool(function=Function(**schema.function.model_dump())) for schema in real_tools]
    messages = [
        SystemMessage(content="You are a careful engineer."),
        UserMessage(content="Fix the bug in app.py — ünïcode, tabs\tand    spaces."),
        AssistantMessage(
            content="Looking.", tool_calls=[call("aaaaaaaaa", "execute_bash", {"command": "ls"})]
        ),
        ToolMessage(content="app.py\nREADME.md", tool_call_id="aaaaaaaaa"),
        AssistantMessage(
            content=None,
            tool_calls=[
                call("bbbbbbbbb", "think", {"thought": "two calls"}),
                call("ccccccccc", "str_replace_editor", {"command": "view", "path": "/r/app.py"}),
            ],
        ),
        ToolMessage(content="noted", tool_call_id="bbbbbbbbb"),
        ToolMessage(content="     1\tprint('hi')", tool_call_id="ccccccccc"),
    ]
    encoded = _renderer(backend)._tokenizer.encode_chat_completion(
        ChatCompletionRequest(messages=messages, tools=tools)
    )
    from mistral_common.tokens.tokenizers.base import SpecialTokenPolicy

    text = _renderer(backend)._tokenizer.decode(encoded.tokens, SpecialTokenPolicy.KEEP)
    assert text.startswith("<s>[SYSTEM_PROMPT]") and "[TOOL_CALLS]think[ARGS]" in text
    by_llama = backend.llama.tokenize(text.encode(), add_bos=False, special=True)
    assert by_llama == encoded.tokens
    assert len(encoded.tokens) > 100


def test_prompt_matches_mistral_common_when_nothing_was_generated_here(
    backend: LocalBackend, real_tools: list[ToolSchema]
) -> None:
    from mistral_common.protocol.instruct.messages import SystemMessage, UserMessage
    from mistral_common.protocol.instruct.request import ChatCompletionRequest
    from mistral_common.protocol.instruct.tool_calls import Function, Tool

    expected = _renderer(backend)._tokenizer.encode_chat_completion(
        ChatCompletionRequest(
            messages=[SystemMessage(content="You pick things."), UserMessage(content="Pick one.")],
            tools=[
                Tool(function=Function(**schema.function.model_dump())) for schema in real_tools
            ],
        )
    )
    assert backend.prompt_tokens(_start(), real_tools) == expected.tokens


def test_forced_call_is_generated_as_control_tokens_and_parsed(backend: LocalBackend) -> None:
    turn = backend.next_turn(_start(), [PICK])
    renderer = _renderer(backend)
    assert backend.last_generated[0] == renderer.controls.tool_calls
    assert renderer.controls.args in backend.last_generated
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [("pick", {"choice": "alpha"})]
    assert turn.usage.completion_tokens == len(backend.last_generated)
    assert turn.usage.prompt_tokens == len(backend.last_prompt)


def test_next_prompt_extends_the_last_one_and_reuses_the_cache(backend: LocalBackend) -> None:
    first = backend.next_turn(_start(), [PICK])
    previous = backend.last_prompt + backend.last_generated
    history = [
        *_start(),
        ChatMessage(role=Role.ASSISTANT, content=first.content, tool_calls=first.tool_calls),
        ChatMessage(
            role=Role.TOOL, content="picked alpha", tool_call_id=first.tool_calls[0].id, name="pick"
        ),
    ]
    backend.next_turn(history, [PICK])
    prompt = backend.last_prompt
    assert prompt[: len(previous)] == previous
    new_tokens = len(prompt) - len(previous)
    assert backend.last_timings is not None
    # Only the new tokens, plus the end-of-turn token that was sampled but never evaluated.
    assert backend.last_timings.prompt_evaluated <= new_tokens + 1
    assert backend.last_timings.prompt_tokens == len(prompt)


class _ForcedText(ChatFormat):
    """The model's format, with a grammar that forces one given token into the reply."""

    def __init__(self, base: ChatFormat, grammar: str) -> None:
        super().__init__(base.renderer, base.tool_format, base.pieces, base.controls)
        self._grammar = grammar

    def forcing_grammar(self, tools: ToolSchemas) -> str | None:
        return self._grammar


def test_indentation_made_of_long_tokens_survives_generation(backend: LocalBackend) -> None:
    tekken = _renderer(backend)._tokenizer.instruct_tokenizer.tokenizer
    indented = " " * 64 + "X"
    ids = tekken.encode(indented, bos=False, eos=False)
    long_token = max(ids, key=lambda token: len(tekken.id_to_byte_piece(token)))
    long_text = tekken.id_to_byte_piece(long_token).decode()
    assert len(long_text) > 32 and long_text.strip() == ""
    rest = indented[len(long_text) :]
    grammar = (
        f'root ::= <[9]> "think" <[32]> "{{\\"thought\\": \\"" <[{long_token}]> "{rest}\\"}}"\n'
    )
    forced = LocalBackend(
        backend.llama,
        _ForcedText(backend.chat_format, grammar),
        backend.sampling,
        model_name=backend.model_name,
        max_tokens=32,
        force_tool_call=True,
    )
    turn = forced.next_turn(_start(), [PICK])
    assert long_token in forced.last_generated
    assert turn.tool_calls[0].arguments == {"thought": indented}


def test_grammar_forces_a_call_of_an_offered_tool(
    backend: LocalBackend, real_tools: list[ToolSchema]
) -> None:
    turn = backend.next_turn(_start(), real_tools)
    assert backend.last_generated[0] == _renderer(backend).controls.tool_calls
    assert len(turn.tool_calls) == 1
    assert turn.tool_calls[0].name in {"execute_bash", "str_replace_editor", "think", "finish"}


def test_a_conversation_too_long_for_the_context_stops_cleanly(backend: LocalBackend) -> None:
    long_task = "word " * 6000
    messages = [ChatMessage(role=Role.USER, content=long_task)]
    with pytest.raises(ContextOverflowError, match="no longer fits the model's context"):
        backend.next_turn(messages, [PICK])


def test_an_impossible_history_is_a_backend_error(backend: LocalBackend) -> None:
    messages = [
        *_start(),
        ChatMessage(role=Role.TOOL, content="orphan", tool_call_id="abcdefghi", name="pick"),
    ]
    with pytest.raises(BackendError, match="cannot be written as a prompt"):
        backend.next_turn(messages, [PICK])


def test_gguf_path_is_named_in_the_model_name(backend: LocalBackend, tmp_path: Path) -> None:
    assert backend.model_name == "tiny-tekken.gguf"
    assert backend.kind == "local"


@pytest.fixture(scope="module")
def template_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    """The same kind of model without a tekken.json: prompts come from its chat template."""
    folder = tmp_path_factory.mktemp("tiny-tekken-template")
    gguf = write_tiny_tekken_gguf(
        folder, chat_template=MISTRAL_STYLE_TEMPLATE, keep_tokenizer=False
    )
    settings = Settings(
        model=str(gguf), ctx_size=2048, temperature=0.0, tool_choice="required", max_tokens=48
    )
    built = build_local_backend(settings)
    yield built
    built.close()


def test_without_a_tokenizer_file_the_chat_template_renders_prompts(
    template_backend: LocalBackend,
) -> None:
    assert isinstance(template_backend.chat_format.renderer, ChatTemplatePrompt)
    assert template_backend.chat_format.tool_format is ToolFormat.MISTRAL
    controls = template_backend.chat_format.controls
    assert controls is not None and (controls.tool_calls, controls.args) == (9, 32)
    prompt = template_backend.prompt_tokens(_start(), [PICK])
    assert prompt[:2] == [1, 17]  # one BOS, then [SYSTEM_PROMPT]
    assert 5 in prompt and 3 in prompt  # [AVAILABLE_TOOLS], [INST]


def test_template_path_forces_and_reads_native_calls(template_backend: LocalBackend) -> None:
    turn = template_backend.next_turn(_start(), [PICK])
    assert template_backend.last_generated[0] == 9
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [("pick", {"choice": "alpha"})]
    history = [
        *_start(),
        ChatMessage(role=Role.ASSISTANT, content=turn.content, tool_calls=turn.tool_calls),
        ChatMessage(
            role=Role.TOOL, content="done", tool_call_id=turn.tool_calls[0].id, name="pick"
        ),
    ]
    second = template_backend.next_turn(history, [PICK])
    assert second.tool_calls[0].name == "pick"
    assert 7 in template_backend.last_prompt  # the result went back as [TOOL_RESULTS]
