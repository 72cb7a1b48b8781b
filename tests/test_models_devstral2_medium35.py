"""Devstral Small 2 (local, mistral-common v13) and Mistral Medium 3.5 (remote, with a
reasoning effort), each checked along its whole path against mistral-common with tokenizer
files built offline."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devcli.config import Settings
from devcli.events import ToolCall
from devcli.llm.backend import ChatMessage, Role
from devcli.llm.companion_files import load_mistral_tokenizer
from devcli.llm.formats.mistral_prompt import MistralCommonPrompt
from devcli.llm.local import LocalBackend
from devcli.llm.model_cards import (
    DEFAULT_MODEL,
    HubModel,
    ModelError,
    ToolFormat,
    card_by_key,
    card_for_name,
    card_for_source,
    parse_model_reference,
    takes_reasoning_effort,
)
from devcli.llm.model_download import MissingModelError, obtain_gguf
from devcli.llm.model_setup import build_local_backend
from devcli.tool_schema import ToolSchema
from tests.support.fault_server import FaultServer, running_fault_server, text_reply
from tests.support.llm_files import write_tiny_tekken_gguf
from tests.support.tekken_v15 import write_v15_tekken
from tests.test_remote_faults import TOOLS, Harness

DEVSTRAL_2_FILE = "Devstral-Small-2-24B-Instruct-2512-UD-Q4_K_XL.gguf"
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
            },
        },
    }
)


# -- Devstral Small 2 -------------------------------------------------------------------------


def test_devstral_small_2_is_known_by_its_short_name() -> None:
    source = parse_model_reference("devstral-small-2")
    assert source == HubModel(
        repo="unsloth/Devstral-Small-2-24B-Instruct-2512-GGUF", quant="UD-Q4_K_XL"
    )
    card = card_for_source(source)
    assert card is not None and card.title == "Devstral Small 2"
    assert card.gguf_filename("UD-Q4_K_XL") == DEVSTRAL_2_FILE
    assert (card.tokenizer_version, card.context, card.tool_format) == (
        "v13",
        262144,
        ToolFormat.MISTRAL,
    )
    assert card.original_repo == "mistralai/Devstral-Small-2-24B-Instruct-2512"
    # The default model stays Devstral Small 1.1.
    assert DEFAULT_MODEL == "unsloth/Devstral-Small-2507-GGUF:UD-Q4_K_XL"
    assert parse_model_reference(None) == HubModel(
        repo="unsloth/Devstral-Small-2507-GGUF", quant="UD-Q4_K_XL"
    )


@pytest.mark.parametrize(
    "name",
    [
        DEVSTRAL_2_FILE,
        "unsloth_Devstral-Small-2-24B-Instruct-2512-GGUF_Devstral-Small-2-24B-Instruct-2512-Q8_0.gguf",
        "Devstral Small 2 24B Instruct 2512",
        "mistralai/Devstral-Small-2-24B-Instruct-2512",
    ],
)
def test_devstral_small_2_files_and_names_are_recognised(name: str) -> None:
    card = card_for_name(name)
    assert card is not None and card.key == "devstral-small-2"


def test_older_devstral_names_keep_their_cards() -> None:
    for name, key in [
        ("Devstral-Small-2507-UD-Q4_K_XL.gguf", "devstral-small-2507"),
        ("Devstral-Small-2505-Q4_K_M.gguf", "devstral-small-2505"),
    ]:
        card = card_for_name(name)
        assert card is not None and card.key == key


def test_devstral_small_2_offline_names_its_file_and_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setenv("LLAMA_CACHE", str(tmp_path / "llama.cpp"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    source = parse_model_reference("devstral-small-2")
    assert isinstance(source, HubModel)
    with pytest.raises(MissingModelError) as missing:
        obtain_gguf(source, card_for_source(source))
    message = str(missing.value)
    assert DEVSTRAL_2_FILE in message and "about 15.0 GB" in message


@pytest.fixture(scope="module")
def devstral_2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    """A tiny random-weight model with the Tekken vocabulary, named like Devstral Small 2's
    GGUF, with a v13 tekken.json beside it."""
    folder = tmp_path_factory.mktemp("devstral-2")
    written = write_tiny_tekken_gguf(folder)
    gguf = written.rename(folder / DEVSTRAL_2_FILE)
    settings = Settings(
        model=str(gguf), ctx_size=4096, temperature=0.0, tool_choice="required", max_tokens=48
    )
    built = build_local_backend(settings)
    yield built
    built.close()


def _renderer(backend: LocalBackend) -> MistralCommonPrompt:
    renderer = backend.chat_format.renderer
    assert isinstance(renderer, MistralCommonPrompt)
    return renderer


def _mistral_request(messages: list[dict[str, Any]], tools: list[ToolSchema]) -> Any:
    from mistral_common.protocol.instruct.request import ChatCompletionRequest

    return ChatCompletionRequest.from_openai(
        messages=messages, tools=[tool.wire() for tool in tools]
    )


def test_devstral_small_2_is_prompted_by_mistral_common_v13(devstral_2: LocalBackend) -> None:
    card = card_by_key("devstral-small-2")
    assert card is not None
    assert devstral_2.model_name == f"Devstral Small 2 ({DEVSTRAL_2_FILE})"
    assert _renderer(devstral_2).version == card.tokenizer_version
    assert devstral_2.chat_format.tool_format is ToolFormat.MISTRAL
    assert devstral_2.sampling.temperature == 0.0  # the setting, over the card's 0.15


def test_the_whole_devstral_small_2_path_is_token_exact(devstral_2: LocalBackend) -> None:
    from mistral_common.tokens.tokenizers.base import SpecialTokenPolicy

    renderer = _renderer(devstral_2)
    start = [
        ChatMessage(role=Role.SYSTEM, content="You pick things."),
        ChatMessage(role=Role.USER, content="Pick one — ünïcode, tabs\tand    spaces."),
    ]
    wire = [{"role": m.role.value, "content": m.content} for m in start]
    expected = renderer._tokenizer.encode_chat_completion(_mistral_request(wire, [PICK]))
    assert devstral_2.prompt_tokens(start, [PICK]) == expected.tokens
    text = renderer._tokenizer.decode(expected.tokens, SpecialTokenPolicy.KEEP)
    assert devstral_2.llama.tokenize(text.encode(), add_bos=False, special=True) == (
        expected.tokens
    )

    turn = devstral_2.next_turn(start, [PICK])
    assert devstral_2.last_generated[0] == renderer.controls.tool_calls
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [("pick", {"choice": "alpha"})]
    call = turn.tool_calls[0]
    history = [
        *start,
        ChatMessage(role=Role.ASSISTANT, content=turn.content, tool_calls=turn.tool_calls),
        ChatMessage(role=Role.TOOL, content="picked", tool_call_id=call.id, name="pick"),
    ]
    prompt = devstral_2.prompt_tokens(history, [PICK])
    assert prompt[: len(devstral_2.last_prompt)] == devstral_2.last_prompt
    wire += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": "pick", "arguments": json.dumps(call.arguments)},
                }
            ],
        },
        {"role": "tool", "content": "picked", "tool_call_id": call.id, "name": "pick"},
    ]
    reference = renderer._tokenizer.encode_chat_completion(_mistral_request(wire, [PICK]))
    keep = SpecialTokenPolicy.KEEP
    # The generated call goes back as the model's own tokens; as text it is mistral-common's.
    assert renderer._tokenizer.decode(prompt, keep) == renderer._tokenizer.decode(
        reference.tokens, keep
    )


# -- Mistral Medium 3.5 -----------------------------------------------------------------------


def test_mistral_medium_3_5_is_a_remote_model_with_a_reasoning_effort() -> None:
    card = card_for_name("mistral-medium-2604")
    assert card is not None and card.title == "Mistral Medium 3.5"
    assert card.original_repo == "mistralai/Mistral-Medium-3.5-128B"
    assert card.context == 262144 and card.reasoning_effort
    for name in ("mistral-medium-3.5", "mistral-medium-3-5", "mistral-small-2603"):
        assert takes_reasoning_effort(name), name
    for name in ("devstral-small-2507", "mistral-medium-2508", "qwen2.5-coder"):
        assert not takes_reasoning_effort(name), name
    with pytest.raises(ModelError, match="--endpoint or --provider"):
        parse_model_reference("mistral-medium-2604")


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running_fault_server(models=["mistral-medium-2604"]) as running:
        yield running


HISTORY = [
    ChatMessage(role=Role.SYSTEM, content="You are a test."),
    ChatMessage(role=Role.USER, content="Look around."),
    ChatMessage(
        role=Role.ASSISTANT,
        content="",
        tool_calls=(ToolCall(id="abcDEF123", name="think", arguments={"thought": "ü plan"}),),
    ),
    ChatMessage(role=Role.TOOL, content="noted", tool_call_id="abcDEF123", name="think"),
]


@pytest.mark.parametrize(("effort", "temperature"), [("high", 0.7), ("none", 0.15)])
def test_medium_3_5_requests_are_valid_v15_prompts(
    effort: str, temperature: float, server: FaultServer, tmp_path: Path
) -> None:
    from mistral_common.protocol.instruct.request import ChatCompletionRequest
    from mistral_common.tokens.tokenizers.base import SpecialTokenPolicy

    server.script(text_reply("ok"))
    Harness(
        server,
        provider="mistral",
        lenient=False,
        model="mistral-medium-2604",
        reasoning_effort=effort,
    ).turn(HISTORY, TOOLS)
    body = server.chat_requests[0].body
    assert body["model"] == "mistral-medium-2604"
    assert body["reasoning_effort"] == effort and body["temperature"] == temperature
    assert not {"top_k", "min_p", "repeat_penalty", "stream_options"} & set(body)
    tokenizer = load_mistral_tokenizer(write_v15_tekken(tmp_path))
    request = ChatCompletionRequest.from_openai(
        messages=body["messages"], tools=body["tools"], reasoning_effort=body["reasoning_effort"]
    )
    text = tokenizer.decode(
        tokenizer.encode_chat_completion(request).tokens, SpecialTokenPolicy.KEEP
    )
    assert f'[MODEL_SETTINGS]{{"reasoning_effort": "{effort}"}}[/MODEL_SETTINGS]' in text
    assert text.index("[/AVAILABLE_TOOLS]") < text.index("[INST]Look around.[/INST]")
    assert '[TOOL_CALLS]think[ARGS]{"thought": "ü plan"}</s>[TOOL_RESULTS]noted' in text


def test_devcli_run_against_the_mistral_provider_with_medium_3_5(
    server: FaultServer, git_repo: Path
) -> None:
    server.script(
        text_reply(
            '<tool_call>{"name": "finish", "arguments": {"message": "m", "task_completed": "true"}}'
            "</tool_call>"
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MISTRAL_"))}
    env.update(MISTRAL_API_KEY="test-key", NO_COLOR="1", HOME=str(git_repo.parent))
    args = ["run", "--provider", "mistral", "--endpoint", server.url, "--model"]
    args += ["mistral-medium-3.5", "--reasoning-effort", "high", "finish at once"]
    result = subprocess.run(
        [sys.executable, "-m", "devcli", *args],
        cwd=git_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    body = server.chat_requests[0].body
    assert (body["model"], body["reasoning_effort"], body["temperature"]) == (
        "mistral-medium-3.5",
        "high",
        0.7,
    )
    headers = {key.lower(): value for key, value in server.chat_requests[0].headers.items()}
    assert headers["authorization"] == "Bearer test-key"
