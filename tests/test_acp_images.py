"""Images from the editor go with the message they came in, in any turn of a session:
`devcli acp` with the SDK's client, against a loopback server that records the requests."""

import asyncio
import base64
import os
from pathlib import Path

import pytest
from acp import image_block, text_block

from tests.support.acp_client import RecordingClient, devcli_acp
from tests.support.fault_server import running_fault_server, text_reply
from tests.support.mcp_test_server import PIXEL_PNG


def test_an_image_in_a_later_prompt_goes_with_that_prompt(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "MISTRAL_")):
            monkeypatch.delenv(name)
    client = RecordingClient()
    encoded = base64.b64encode(PIXEL_PNG).decode()

    async def scenario(url: str) -> None:
        async with devcli_acp(client, ["--endpoint", url], cwd=git_repo) as agent:
            sid = (await agent.conn.new_session(cwd=str(git_repo), mcp_servers=[])).session_id
            for prompt in (
                [text_block("What is in this repository?")],
                [text_block("And what is in this picture?"), image_block(encoded, "image/png")],
            ):
                done = await agent.conn.prompt(session_id=sid, prompt=prompt)
                assert done.stop_reason == "end_turn"

    with running_fault_server() as server:
        server.script(text_reply("Nothing yet."), text_reply("One pixel."))
        asyncio.run(scenario(server.url))
        requests = [request.body["messages"] for request in server.chat_requests]
    assert len(requests) == 2
    first_prompt, second_prompt = requests[1][1], requests[1][3]
    assert isinstance(first_prompt["content"], str)  # the first message has no image
    text, picture = second_prompt["content"]
    assert text["text"].startswith("And what is in this picture?")
    url = picture["image_url"]["url"]
    assert base64.b64decode(url.split(",", 1)[1]) == PIXEL_PNG
