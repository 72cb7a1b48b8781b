"""The stable prefix of prompts: where it ends in tokens for each chat format, and that requests
to a server start with the same bytes from run to run (servers' own prefix caches then hit)."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from devcli.config import Settings
from devcli.events import SessionStarted, event_to_json, read_session_file
from devcli.llm.backend import ChatMessage, Role
from devcli.llm.companion_files import load_mistral_tokenizer
from devcli.llm.formats.chat_format import ChatFormat
from devcli.llm.formats.mistral_prompt import MistralCommonPrompt
from devcli.llm.formats.prompt_renderer import HistoryMessage
from devcli.llm.model_cards import ToolFormat
from devcli.llm.model_setup import choose_chat_format
from devcli.llm.prompt_prefix import common_prefix_length, first_turn_prefix
from devcli.tool_schema import ToolSchemas
from devcli.tools.registry import ToolBox
from tests.support.fault_server import FaultServer, finish_call_reply, running_fault_server
from tests.support.llm_files import smollm2_gguf, write_v13_tekken

SYSTEM = "You are a careful engineer working in /repo. " * 5
TASK = "Fix the failing test in app.py."


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> ToolSchemas:
    toolbox = ToolBox.default(tmp_path_factory.mktemp("repo"))
    try:
        return toolbox.schemas()
    finally:
        toolbox.close()


def _conversation(task: str = TASK) -> list[ChatMessage]:
    return [
        ChatMessage(role=Role.SYSTEM, content=SYSTEM),
        ChatMessage(role=Role.USER, content=task),
    ]


def _render(chat_format: ChatFormat, tools: ToolSchemas) -> Any:
    def render(messages: list[ChatMessage]) -> list[int]:
        history = [HistoryMessage.model_validate(m.model_dump()) for m in messages]
        return chat_format.prompt(history, tools)

    return render


def test_common_prefix_length() -> None:
    assert common_prefix_length([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix_length([1, 2], [1, 2, 3]) == 2
    assert common_prefix_length([], [1]) == 0
    assert common_prefix_length([9], [1]) == 0


def test_mistral_prefix_ends_at_the_first_inst(tmp_path: Path, tools: ToolSchemas) -> None:
    renderer = MistralCommonPrompt(load_mistral_tokenizer(write_v13_tekken(tmp_path)))
    chat_format = ChatFormat(renderer, ToolFormat.MISTRAL, renderer.pieces, renderer.controls)
    render = _render(chat_format, tools)
    prompt = render(_conversation())
    prefix = first_turn_prefix(render, _conversation(), prompt)
    assert prefix is not None
    tekken = renderer._tokenizer.instruct_tokenizer.tokenizer
    inst = tekken.get_special_token("[INST]")
    assert prompt[prefix - 1] == inst and prompt.count(inst) == 1
    assert tekken.get_special_token("[/AVAILABLE_TOOLS]") in prompt[:prefix]
    task = tekken.encode(TASK, bos=False, eos=False)
    assert prompt[prefix:] == [*task, tekken.get_special_token("[/INST]")]
    # The same prefix whatever the task.
    other = render(_conversation("Count the lines."))
    assert other[:prefix] == prompt[:prefix]


def test_template_prefix_ends_where_the_user_text_begins(tools: ToolSchemas) -> None:
    import llama_cpp

    path = smollm2_gguf()
    llama = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    chat_format = choose_chat_format(Settings(model=str(path)), None, path, llama)
    assert chat_format.tool_format is ToolFormat.OPENHANDS
    render = _render(chat_format, tools)
    prompt = render(_conversation())
    prefix = first_turn_prefix(render, _conversation(), prompt)
    assert prefix is not None
    head = llama.detokenize(prompt[:prefix], special=True).decode()
    rest = llama.detokenize(prompt[prefix:], special=True).decode()
    assert head.rstrip().endswith("<|im_start|>user") and "---- FUNCTION" in head
    assert rest.lstrip().startswith(TASK)


def test_no_prefix_once_the_model_has_replied(tools: ToolSchemas, tmp_path: Path) -> None:
    renderer = MistralCommonPrompt(load_mistral_tokenizer(write_v13_tekken(tmp_path)))
    chat_format = ChatFormat(renderer, ToolFormat.MISTRAL, renderer.pieces, renderer.controls)
    render = _render(chat_format, tools)
    later = [
        *_conversation(),
        ChatMessage(role=Role.ASSISTANT, content="Looking."),
        ChatMessage(role=Role.USER, content="Go on."),
    ]
    assert first_turn_prefix(render, later, render(later)) is None


# -- requests to a server -------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running_fault_server() as running:
        yield running


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MISTRAL_"))}
    env.update(NO_COLOR="1", HOME=str(cwd.parent), DEVCLI_TRIES="1")
    return subprocess.run(
        [sys.executable, "-m", "devcli", "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def _before_first_user(body: dict[str, Any]) -> str:
    messages = body["messages"]
    first = next(i for i, m in enumerate(messages) if m["role"] == "user")
    return json.dumps([messages[:first], body.get("tools")])


def test_requests_of_two_runs_start_with_the_same_bytes(
    server: FaultServer, git_repo: Path
) -> None:
    for task in (TASK, "Count the lines."):
        result = _run(git_repo, "--endpoint", server.url, task)
        assert result.returncode == 4 and "Traceback" not in result.stderr  # the server failed
    first, second = (request.body for request in server.chat_requests)
    assert _before_first_user(first) == _before_first_user(second)
    assert json.dumps(first) != json.dumps(second)  # the tasks differ after the prefix


def test_a_resumed_session_keeps_the_prompt_it_began_with(
    server: FaultServer, git_repo: Path, tmp_path: Path
) -> None:
    session = tmp_path / "session.jsonl"
    server.script(finish_call_reply("done", "true"))
    begun = _run(git_repo, "--endpoint", server.url, "--session-file", str(session), TASK)
    assert begun.returncode == 0, begun.stdout + begun.stderr
    # The session began on another day: its date stays in the system prompt.
    events = read_session_file(session)
    assert isinstance(events[0], SessionStarted)
    original = _before_first_user(server.chat_requests[0].body)
    today = datetime.fromisoformat(events[0].started).astimezone().date().isoformat()
    header = events[0].model_copy(update={"started": "2020-01-02T12:00:00+00:00"})
    lines = session.read_text().splitlines()
    session.write_text("\n".join([event_to_json(header), *lines[1:]]) + "\n")

    resumed = _run(git_repo, "--endpoint", server.url, "--resume", str(session))
    assert resumed.returncode == 4, resumed.stdout + resumed.stderr
    again = _before_first_user(server.chat_requests[-1].body)
    assert "2020-01-02" in again
    assert again == original.replace(today, "2020-01-02")
