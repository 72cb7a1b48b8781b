"""An MCP server's image reaches a model that takes images: `devcli run` with a real MCP server
over stdio, against a loopback server whose replies are scripted (it records the requests)."""

import base64
import json
import os
from pathlib import Path

from devcli.events import Observation, read_session_file
from tests.support.cli import run_devcli
from tests.support.fault_server import call_reply, finish_call_reply, running_fault_server
from tests.support.mcp_servers import stdio_server, write_user_config
from tests.support.mcp_test_server import PIXEL_PNG


def test_the_image_a_tool_returned_goes_to_the_model_after_its_result(
    git_repo: Path, tmp_path: Path
) -> None:
    write_user_config(
        Path(os.environ["XDG_CONFIG_HOME"]),
        {"local": stdio_server(git_repo, tmp_path / "pids", tools=["describe"])},
    )
    session = tmp_path / "session.jsonl"
    with running_fault_server() as server:
        server.script(
            call_reply([("a1B2c3D4e", "mcp__local__describe", "{}")]),
            finish_call_reply("I looked at the picture."),
        )
        result = run_devcli(
            "run",
            "--endpoint", server.url,
            "--session-file", str(session),
            "--max-steps", "3",
            "Describe the repository.",
            cwd=git_repo,
            timeout=300,
        )  # fmt: skip
        requests = [request.body for request in server.chat_requests]
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(requests) == 2
    second = requests[1]["messages"]
    roles = [message["role"] for message in second]
    assert roles == ["system", "user", "assistant", "tool", "user"]
    assert "shown to the model if it takes images" in second[3]["content"]
    label, picture = second[4]["content"]
    assert label["text"] == "The image returned by `mcp__local__describe`:"
    url = picture["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == PIXEL_PNG
    # The session records where the image was kept, so a resumed session sends it again.
    events = read_session_file(session)
    (observation,) = [
        e for e in events if isinstance(e, Observation) and e.name == "mcp__local__describe"
    ]
    assert [Path(p).read_bytes() for p in observation.images] == [PIXEL_PNG]
    assert "base64" not in json.dumps(observation.model_dump())  # kept as a file, not inline
