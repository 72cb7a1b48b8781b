"""The remote backend and `devcli run --endpoint` against the real `python -m llama_cpp.server`
serving SmolLM2-135M on loopback."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devcli.config import Settings
from devcli.events import AssistantTurn, Finished, Observation, read_session_file
from devcli.llm.backend import ChatMessage, ContextOverflowError, Role
from devcli.llm.remote import RemoteBackend, build_remote_backend
from devcli.tools.registry import ToolBox
from tests.support.llama_server import LlamaServer, running_llama_server

pytestmark = pytest.mark.slow

N_CTX = 8192
TOOLS = ToolBox.default(Path("/")).schemas()
TOOL_NAMES = {schema.name for schema in TOOLS}


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    with running_llama_server(tmp_path_factory.mktemp("llama-server"), n_ctx=N_CTX) as server:
        yield server


@pytest.fixture
def backend(llama_server: LlamaServer) -> Iterator[RemoteBackend]:
    settings = Settings(endpoint=llama_server.url, temperature=0.0, seed=7, max_tokens=48)
    built = build_remote_backend(settings, {})
    yield built
    built.close()


def _messages(task: str) -> list[ChatMessage]:
    return [
        ChatMessage(role=Role.SYSTEM, content="You are a coding agent. Use the tools."),
        ChatMessage(role=Role.USER, content=task),
    ]


def test_the_model_comes_from_the_server_list(
    backend: RemoteBackend, llama_server: LlamaServer
) -> None:
    assert backend.model_name == llama_server.model


def test_a_plain_answer_streams_in_pieces(backend: RemoteBackend) -> None:
    shown: list[str] = []
    turn = backend.next_turn(_messages("Say hello in one short sentence."), [], shown.append)
    assert turn.content.strip()
    assert turn.tool_calls == ()
    assert len(shown) > 1  # arrived as a stream
    assert "".join(shown).strip() == turn.content


def test_the_server_returns_a_real_tool_call(backend: RemoteBackend) -> None:
    turn = backend.next_turn(_messages("List the files in the current folder."), TOOLS)
    assert turn.tool_calls, turn.content
    for call in turn.tool_calls:
        assert call.name in TOOL_NAMES
        assert call.raw_arguments is None and isinstance(call.arguments, dict)
    assert turn.usage.prompt_tokens > 0 and turn.usage.completion_tokens > 0


def test_an_oversized_prompt_is_a_context_overflow(backend: RemoteBackend) -> None:
    with pytest.raises(ContextOverflowError, match="context window"):
        backend.next_turn(_messages("word " * (N_CTX + 500)), [])


def test_devcli_run_reaches_a_tool_call_and_ends_cleanly(
    llama_server: LlamaServer, git_repo: Path, tmp_path: Path
) -> None:
    session = tmp_path / "session.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MISTRAL_"))}
    env.update(NO_COLOR="1", HOME=str(tmp_path))
    result = subprocess.run(
        [
            sys.executable, "-m", "devcli", "run",
            "--endpoint", llama_server.url,
            "--temperature", "0", "--seed", "7",
            "--ctx-size", str(N_CTX),
            "--max-steps", "3",
            "--session-file", str(session),
            "List the files in this repository.",
        ],
        cwd=git_repo,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    events = read_session_file(session)
    calls = [c for e in events if isinstance(e, AssistantTurn) for c in e.tool_calls]
    assert calls, output
    answered = {e.tool_call_id for e in events if isinstance(e, Observation)}
    assert all(call.id in answered for call in calls)
    finished = events[-1]
    assert isinstance(finished, Finished), output
    assert result.returncode == finished.exit_code
    assert finished.reason in ("finish", "step_limit", "no_tool_call", "stuck")
