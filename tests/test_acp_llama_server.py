"""One `devcli acp` turn against a real model: `python -m llama_cpp.server` serving SmolLM2-135M
on loopback, driven by the SDK's client over stdio."""

import asyncio
import os
from pathlib import Path

import pytest
from acp import text_block
from acp.schema import AgentMessageChunk, ToolCallProgress, ToolCallStart

from devcli.events import AssistantTurn, UserMessage, read_session_file
from devcli.sessions import list_sessions
from tests.support.acp_client import RecordingClient, devcli_acp
from tests.support.llama_server import running_llama_server

pytestmark = pytest.mark.slow

N_CTX = 8192


def test_one_turn_with_a_real_model(
    git_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "MISTRAL_")):
            monkeypatch.delenv(name)
    (git_repo / "README.md").write_text("# demo\n")
    client = RecordingClient()

    async def scenario(url: str) -> str:
        args = [
            "--endpoint", url,
            "--temperature", "0", "--seed", "7",
            "--ctx-size", str(N_CTX),
            "--max-steps", "3",
            "--approval", "auto",
        ]  # fmt: skip
        async with devcli_acp(client, args, cwd=git_repo) as agent:
            capabilities = agent.init.agent_capabilities
            assert capabilities is not None and capabilities.prompt_capabilities is not None
            assert capabilities.prompt_capabilities.image is True  # a server that takes images
            sid = (await agent.conn.new_session(cwd=str(git_repo), mcp_servers=[])).session_id
            done = await agent.conn.prompt(
                session_id=sid, prompt=[text_block("List the files in this repository.")]
            )
            assert done.stop_reason in ("end_turn", "max_turn_requests")
            return sid

    with running_llama_server(tmp_path, n_ctx=N_CTX) as server:
        sid = asyncio.run(scenario(server.url))

    (info,) = [s for s in list_sessions(git_repo) if s.id == sid]
    events = read_session_file(info.path)
    assert [e.content for e in events if isinstance(e, UserMessage)] == [
        "List the files in this repository."
    ]
    turns = [e for e in events if isinstance(e, AssistantTurn)]
    assert turns, "the model answered nothing"
    updates = client.updates()
    # Every call the model made was shown, and each one's end too.
    started = [u.tool_call_id for u in updates if isinstance(u, ToolCallStart)]
    assert started, "the model made no tool call"  # as with `devcli run` and this model
    assert started == [call.id for turn in turns for call in turn.tool_calls]
    ended = {
        u.tool_call_id
        for u in updates
        if isinstance(u, ToolCallProgress) and u.status in ("completed", "failed")
    }
    assert set(started) <= ended
    # What the model wrote reached the client as message chunks.
    if any(turn.content.strip() for turn in turns):
        assert any(isinstance(u, AgentMessageChunk) and u.content.text for u in updates)
