"""The model's own tool format on real llama.cpp: tiny random-weight GGUFs (written by the
tests) whose chat templates teach Hermes/Qwen `<tool_call>` calls or Llama 3 JSON calls. The
template renders the tools, a grammar forces one well-formed call in its syntax, the call is
parsed and executed, and the next prompt re-uses the generated tokens exactly."""

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devcli.config import Settings
from devcli.events import AssistantTurn, Observation, read_session_file
from devcli.llm.backend import ChatMessage, Role
from devcli.llm.formats.template import ChatTemplatePrompt
from devcli.llm.local import LocalBackend
from devcli.llm.model_cards import ToolFormat
from devcli.llm.model_setup import build_local_backend
from devcli.tool_schema import ToolSchema
from devcli.tools.registry import ToolBox
from tests.support.cli import new_user_env, run_devcli_as
from tests.support.template_ggufs import LLAMA3_STYLE_TEMPLATE, write_tiny_qwen_gguf


@pytest.fixture(scope="module")
def qwen_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_qwen_gguf(tmp_path_factory.mktemp("tiny-qwen"))


@pytest.fixture(scope="module")
def llama3_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-llama3")
    return write_tiny_qwen_gguf(folder, chat_template=LLAMA3_STYLE_TEMPLATE, name="tiny-llama3")


def _backend(gguf: Path, **settings: Any) -> LocalBackend:
    chosen: dict[str, Any] = {"max_tokens": 160, **settings}
    return build_local_backend(
        Settings(model=str(gguf), ctx_size=8192, temperature=0.0, tool_choice="required", **chosen)
    )


@pytest.fixture(scope="module")
def qwen(qwen_gguf: Path) -> Iterator[LocalBackend]:
    built = _backend(qwen_gguf)
    yield built
    built.close()


@pytest.fixture(scope="module")
def llama3(llama3_gguf: Path) -> Iterator[LocalBackend]:
    built = _backend(llama3_gguf)
    yield built
    built.close()


@pytest.fixture(scope="module")
def toolbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolBox]:
    """Tools whose forced calls are harmless to run with random arguments."""
    box = ToolBox.default(tmp_path_factory.mktemp("work"), Settings(tools=["think"]))
    yield box
    box.close()


@pytest.fixture(scope="module")
def bounded_schemas(toolbox: ToolBox) -> list[ToolSchema]:
    """The real tools' schemas with each free-text parameter narrowed to one value, so that a
    random-weight model's forced call ends quickly (and is still valid for the real tool)."""
    schemas = [copy.deepcopy(schema.wire()) for schema in toolbox.schemas()]
    for schema in schemas:
        properties = schema["function"]["parameters"]["properties"]
        for key, spec in properties.items():
            if spec.get("type") == "string" and "enum" not in spec:
                spec["enum"] = [f"a short {key}"]
    return [ToolSchema.model_validate(schema) for schema in schemas]


def _start() -> list[ChatMessage]:
    return [
        ChatMessage(role=Role.SYSTEM, content="You are a careful engineer."),
        ChatMessage(role=Role.USER, content="Think about the bug, then finish."),
    ]


def _text(backend: LocalBackend, tokens: list[int]) -> str:
    return b"".join(backend.vocab.piece(token) for token in tokens).decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("name", "tool_format", "description"),
    [
        ("qwen", ToolFormat.HERMES, "<tool_call> JSON calls"),
        ("llama3", ToolFormat.LLAMA3, "Llama 3 JSON calls"),
    ],
)
def test_the_templates_format_is_chosen(
    name: str, tool_format: ToolFormat, description: str, request: pytest.FixtureRequest
) -> None:
    backend: LocalBackend = request.getfixturevalue(name)
    assert backend.chat_format.tool_format is tool_format
    assert isinstance(backend.chat_format.renderer, ChatTemplatePrompt)
    assert backend.chat_format.description == f"the GGUF's chat template, {description}"
    assert backend.llama.context_params.type_k == 8  # the q8_0 K cache, as for every model


@pytest.mark.parametrize("name", ["qwen", "llama3"])
def test_the_rendered_prompt_holds_the_tool_schemas(
    name: str, toolbox: ToolBox, request: pytest.FixtureRequest
) -> None:
    backend: LocalBackend = request.getfixturevalue(name)
    text = _text(backend, backend.prompt_tokens(_start(), toolbox.schemas()))
    for schema in toolbox.schemas():
        assert json.dumps(schema.wire(), ensure_ascii=False) in text
    assert "You are a careful engineer." in text and "Think about the bug" in text


@pytest.mark.parametrize(
    ("name", "opening", "key"),
    [
        ("qwen", '<tool_call>\n{"name": "', '"arguments": '),
        ("llama3", '{"name": "', '"parameters": '),
    ],
)
def test_a_forced_call_is_written_in_the_templates_syntax_and_runs(
    name: str,
    opening: str,
    key: str,
    toolbox: ToolBox,
    bounded_schemas: list[ToolSchema],
    request: pytest.FixtureRequest,
) -> None:
    backend: LocalBackend = request.getfixturevalue(name)
    shown: list[str] = []
    turn = backend.next_turn(_start(), bounded_schemas, shown.append)
    written = _text(backend, backend.last_generated)
    assert written.startswith(opening) and key in written
    assert len(turn.tool_calls) == 1
    call = turn.tool_calls[0]
    assert call.name in {"think", "finish"} and call.raw_arguments is None
    tool, args = toolbox.prepare(call)  # the arguments are valid for the real tool
    result = tool.execute(args)
    assert result.content
    assert "".join(shown) == ""  # the call is parsed, never streamed as prose


@pytest.mark.parametrize("name", ["qwen", "llama3"])
def test_the_next_prompt_extends_the_last_one_and_reuses_the_cache(
    name: str, bounded_schemas: list[ToolSchema], request: pytest.FixtureRequest
) -> None:
    backend: LocalBackend = request.getfixturevalue(name)
    first = backend.next_turn(_start(), bounded_schemas)
    reply = [t for t in backend.last_generated if not backend.vocab.is_end_of_generation(t)]
    previous = backend.last_prompt + reply
    history = [
        *_start(),
        ChatMessage(role=Role.ASSISTANT, content=first.content, tool_calls=first.tool_calls),
        *[
            ChatMessage(role=Role.TOOL, content="noted", tool_call_id=c.id, name=c.name)
            for c in first.tool_calls
        ],
    ]
    backend.next_turn(history, bounded_schemas)
    prompt = backend.last_prompt
    assert prompt[: len(previous)] == previous
    new_tokens = len(prompt) - len(previous)
    assert backend.last_timings is not None
    # Only the new tokens, plus the end-of-turn token that was sampled but never evaluated.
    assert backend.last_timings.prompt_evaluated <= new_tokens + 1


def test_results_go_back_the_way_the_template_writes_them(
    qwen: LocalBackend, bounded_schemas: list[ToolSchema]
) -> None:
    first = qwen.next_turn(_start(), bounded_schemas)
    history = [
        *_start(),
        ChatMessage(role=Role.ASSISTANT, content=first.content, tool_calls=first.tool_calls),
        ChatMessage(
            role=Role.TOOL,
            content="the result ✓",
            tool_call_id=first.tool_calls[0].id,
            name=first.tool_calls[0].name,
        ),
    ]
    text = _text(qwen, qwen.prompt_tokens(history, bounded_schemas))
    assert "<|im_start|>user\n<tool_response>\nthe result ✓\n</tool_response><|im_end|>" in text


def test_openhands_can_still_be_asked_for(
    qwen_gguf: Path, bounded_schemas: list[ToolSchema]
) -> None:
    backend = _backend(qwen_gguf, tool_format="openhands", max_tokens=60)
    try:
        assert backend.chat_format.tool_format is ToolFormat.OPENHANDS
        text = _text(backend, backend.prompt_tokens(_start(), bounded_schemas))
        assert "<tools>" not in text and "---- FUNCTION 1: think ----" in text
        turn = backend.next_turn(_start(), bounded_schemas)
        assert _text(backend, backend.last_generated).startswith("<function=")
        assert len(turn.tool_calls) == 1
    finally:
        backend.close()


@pytest.mark.slow
def test_devcli_run_with_required_tool_calls(
    qwen_gguf: Path, git_repo: Path, tmp_path: Path
) -> None:
    session = tmp_path / "session.jsonl"
    env = new_user_env(tmp_path)
    env.update(DEVCLI_TOOLS="think", DEVCLI_MAX_TOKENS="120")
    args = ["run", "--model", str(qwen_gguf), "--tool-choice", "required", "--temperature", "0"]
    args += ["--max-steps", "3", "--session-file", str(session), "Look at the repository."]
    result = run_devcli_as(env, *args, cwd=git_repo)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1, 3), result.stderr
    events = read_session_file(session)
    turns = [event for event in events if isinstance(event, AssistantTurn)]
    calls = [call for turn in turns for call in turn.tool_calls]
    # Every turn is one call of an offered tool (random weights may run out of tokens inside
    # a string: that call is then reported back to the model instead of run).
    assert [len(turn.tool_calls) for turn in turns] == [1] * len(turns)
    assert calls and all(call.name in {"think", "finish"} for call in calls)
    observations = {e.tool_call_id: e for e in events if isinstance(e, Observation)}
    assert {call.id for call in calls} <= set(observations)
    for call in calls:
        assert observations[call.id].is_error == (call.raw_arguments is not None)


def test_models_list_shows_each_ggufs_formats(qwen_gguf: Path, tmp_path: Path) -> None:
    env = new_user_env(tmp_path)
    cache = Path(env["LLAMA_CACHE"])
    cache.mkdir()
    (cache / "someone_Tiny-GGUF_tiny-qwen.gguf").symlink_to(qwen_gguf)
    from tests.support.llm_files import smollm2_gguf

    (cache / "someone_Smol-GGUF_SmolLM2-135M-Instruct.Q4_1.gguf").symlink_to(smollm2_gguf())
    (cache / "broken.gguf").write_bytes(b"GGUF" + b"\0" * 12)
    result = run_devcli_as(env, "models", "list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()

    def formats_of(name: str) -> str:
        at = next(i for i, line in enumerate(lines) if line.rstrip().endswith(name))
        return lines[at + 1]

    assert "prompt: the GGUF's chat template" in formats_of("tiny-qwen.gguf")
    assert "tool calls: the template's <tool_call> JSON calls" in formats_of("tiny-qwen.gguf")
    assert "tool calls: OpenHands text calls" in formats_of("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert "formats unknown" in formats_of("broken.gguf")


def test_smollm2_without_tool_support_keeps_openhands_calls(
    bounded_schemas: list[ToolSchema], toolbox: ToolBox
) -> None:
    from tests.support.llm_files import smollm2_gguf

    backend = _backend(smollm2_gguf(), max_tokens=60)
    try:
        assert backend.chat_format.tool_format is ToolFormat.OPENHANDS
        text = _text(backend, backend.prompt_tokens(_start(), bounded_schemas))
        assert "---- FUNCTION 1: think ----" in text and "<tools>" not in text
        turn = backend.next_turn(_start(), bounded_schemas)
        assert len(turn.tool_calls) == 1 and turn.tool_calls[0].raw_arguments is None
        tool, args = toolbox.prepare(turn.tool_calls[0])
        assert tool.execute(args).content
    finally:
        backend.close()


def test_doctor_names_the_templates_call_format(qwen_gguf: Path, git_repo: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1", "HF_HUB_OFFLINE": "1"}
    result = run_devcli_as(env, "doctor", "--json", "--model", str(qwen_gguf), cwd=git_repo)
    checks = {f"{c['area']}/{c['name']}": c for c in json.loads(result.stdout)["checks"]}
    assert checks["model/prompt format"]["detail"] == "the GGUF's chat template"
    assert checks["model/tool calls"]["detail"] == "hermes"
