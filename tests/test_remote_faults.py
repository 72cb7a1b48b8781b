"""The remote backend against a loopback server that fails on purpose: every fault ends in a
correct turn after retrying, or in a clear BackendError."""

import base64
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devcli.config import Settings
from devcli.events import ToolCall
from devcli.ids import is_valid_tool_call_id
from devcli.llm.backend import (
    BackendError,
    ChatMessage,
    ContextOverflowError,
    Role,
    TurnCancelled,
)
from devcli.llm.providers import Endpoint
from devcli.llm.remote import BROKEN_OFF, RemoteBackend
from devcli.llm.retry import RetryPolicy
from devcli.notices import Notice
from devcli.tools.registry import ToolBox
from tests.support.fault_server import (
    FaultServer,
    Status,
    Stream,
    call_reply,
    chunk,
    data,
    finish_call_reply,
    running_fault_server,
    text_reply,
)

TOOLS = ToolBox.default(Path("/")).schemas()
CONVERSATION = [
    ChatMessage(role=Role.SYSTEM, content="You are a test."),
    ChatMessage(role=Role.USER, content="Say hello."),
]


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running_fault_server() as running:
        yield running


class Harness:
    """A backend wired to the fault server, with a clock that records waits instead of sleeping."""

    def __init__(self, server: FaultServer, tries: int = 4, **settings: Any) -> None:
        self.waits: list[float] = []
        self.notices: list[Notice] = []
        self.shown: list[str] = []
        endpoint = Endpoint(
            base_url=server.url,
            model=settings.pop("model", "fault-model"),
            provider=settings.pop("provider", None),
            lenient=settings.pop("lenient", True),
        )
        self.backend = RemoteBackend(
            endpoint,
            Settings(**settings),
            policy=RetryPolicy(tries=tries, base_delay=0.01, max_delay=0.05),
            sleep=self.waits.append,
            notices=self.notices.append,
        )

    def turn(self, messages: list[ChatMessage] | None = None, tools: Any = None) -> Any:
        return self.backend.next_turn(
            messages or CONVERSATION, TOOLS if tools is None else tools, self.shown.append
        )


def test_a_plain_streamed_answer_with_usage(server: FaultServer) -> None:
    server.script(text_reply("Hello there, friend.", pieces=4, usage=(31, 5)))
    harness = Harness(server)
    turn = harness.turn()
    assert turn.content == "Hello there, friend."
    assert turn.tool_calls == ()
    assert (turn.usage.prompt_tokens, turn.usage.completion_tokens) == (31, 5)
    assert "".join(harness.shown) == "Hello there, friend."
    assert len(harness.shown) >= 2  # streamed, not shown at the end in one piece


def test_rate_limit_waits_as_long_as_retry_after_says(server: FaultServer) -> None:
    server.script(Status(429, headers={"Retry-After": "7"}), text_reply("ok"))
    harness = Harness(server)
    assert harness.turn().content == "ok"
    assert len(server.chat_requests) == 2
    assert len(harness.waits) == 1 and harness.waits[0] >= 7
    assert "429" in harness.notices[0].text and harness.notices[0].wait >= 7


def test_a_server_error_then_success(server: FaultServer) -> None:
    server.script(Status(500), Status(502), text_reply("recovered"))
    harness = Harness(server)
    assert harness.turn().content == "recovered"
    assert len(server.chat_requests) == 3
    assert len(harness.waits) == 2
    assert all(0 < wait <= 0.05 for wait in harness.waits)


def test_a_reset_mid_stream_is_asked_again_without_duplicated_text(server: FaultServer) -> None:
    broken = text_reply("first attempt text that breaks", pieces=6)
    broken.reset_after = 3
    server.script(broken, text_reply("second attempt"))
    harness = Harness(server)
    turn = harness.turn()
    assert turn.content == "second attempt"
    assert len(server.chat_requests) == 2
    assert "connection broke in the middle" in harness.notices[0].text
    shown = "".join(harness.shown)
    assert shown.count(BROKEN_OFF) == 1
    assert shown.split(BROKEN_OFF)[1] == "second attempt"


def test_a_malformed_sse_line_is_asked_again(server: FaultServer) -> None:
    good = text_reply("fine now")
    server.script(Stream([data(chunk({"content": "par"})), "data: {not json"]), good)
    harness = Harness(server)
    assert harness.turn().content == "fine now"
    assert len(server.chat_requests) == 2
    assert "not JSON" in harness.notices[0].text


def test_a_stream_that_stops_without_a_finish_reason_is_asked_again(server: FaultServer) -> None:
    server.script(Stream([data(chunk({"content": "half"}))]), text_reply("whole"))
    assert Harness(server).turn().content == "whole"
    assert len(server.chat_requests) == 2


def test_tool_call_deltas_split_at_every_byte(server: FaultServer) -> None:
    arguments = {"command": "printf 'h\u00e9llo \u2713 {}\\n' \"$HOME\"", "timeout": 5}
    reply = call_reply([("call_abc", "execute_bash", json.dumps(arguments, ensure_ascii=False))])
    reply.bytewise = True  # and every byte of the body arrives on its own
    server.script(reply)
    turn = Harness(server).turn()
    assert len(turn.tool_calls) == 1
    call = turn.tool_calls[0]
    assert call.name == "execute_bash" and call.arguments == arguments
    assert call.raw_arguments is None
    assert is_valid_tool_call_id(call.id)


def test_interleaved_tool_call_indices(server: FaultServer) -> None:
    first = {"thought": "look around first"}
    second = {"command": "ls -la", "is_input": "false"}
    server.script(
        call_reply(
            [
                ("id_one", "think", json.dumps(first)),
                ("id_two", "execute_bash", json.dumps(second)),
            ],
            interleave=True,
            piece=3,
        )
    )
    turn = Harness(server).turn()
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [
        ("think", first),
        ("execute_bash", second),
    ]
    assert turn.tool_calls[0].id != turn.tool_calls[1].id


@pytest.mark.parametrize(
    "text",
    [
        'Let me finish.[TOOL_CALLS]finish[ARGS]{"message": "all done", "task_completed": "true"}',
        'Let me finish.[TOOL_CALLS][{"name": "finish", "arguments": '
        '{"message": "all done", "task_completed": "true"}}]',
        "Let me finish.\n<function=finish>\n<parameter=message>all done</parameter>\n"
        "<parameter=task_completed>true</parameter>\n</function>",
    ],
    ids=["v13", "v7-list", "openhands"],
)
def test_a_tool_call_written_into_content_is_parsed(server: FaultServer, text: str) -> None:
    server.script(text_reply(text, pieces=9))
    harness = Harness(server)
    turn = harness.turn()
    assert turn.content == "Let me finish."
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [
        ("finish", {"message": "all done", "task_completed": "true"})
    ]
    shown = "".join(harness.shown)
    assert "Let me finish." in shown
    assert "[TOOL_CALLS]" not in shown and "<function=" not in shown


def test_persistent_failure_gives_up_with_a_clear_message(server: FaultServer) -> None:
    server.fallback = Status(503, {"error": {"message": "overloaded"}})
    harness = Harness(server, tries=3)
    with pytest.raises(BackendError) as raised:
        harness.turn()
    message = str(raised.value)
    assert "503" in message and "overloaded" in message and "3 tries" in message
    assert len(server.chat_requests) == 3
    assert len(harness.waits) == 2


def test_a_refused_key_is_not_retried(server: FaultServer) -> None:
    server.script(Status(401, {"error": {"message": "invalid api key"}}))
    with pytest.raises(BackendError, match="API key"):
        Harness(server).turn()
    assert len(server.chat_requests) == 1


def test_not_found_lists_the_served_models(server: FaultServer) -> None:
    server.models = ["devstral-small-2507", "mistral-small-2603"]
    server.script(Status(404, {"error": {"message": "model not found"}}))
    with pytest.raises(BackendError) as raised:
        Harness(server, model="devstral").turn()
    assert "devstral-small-2507, mistral-small-2603" in str(raised.value)
    assert len(server.chat_requests) == 1


def test_a_context_length_error_is_its_own_kind(server: FaultServer) -> None:
    message = "This model's maximum context length is 2048 tokens. However, you requested 4000."
    server.script(Status(400, {"error": {"message": message}}))
    with pytest.raises(ContextOverflowError, match="context window"):
        Harness(server).turn()
    assert len(server.chat_requests) == 1


def test_an_empty_stream_falls_back_to_a_whole_answer(server: FaultServer) -> None:
    whole = {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "fault-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call__0_think_cmpl-123",
                            "type": "function",
                            "function": {"name": "think", "arguments": '{"thought": "hm"}'},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 40, "completion_tokens": 6, "total_tokens": 46},
    }
    from tests.support.fault_server import Whole

    server.script(Stream([], done=False), Whole(whole), Whole(whole))
    harness = Harness(server)
    turn = harness.turn()
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [("think", {"thought": "hm"})]
    assert turn.usage.prompt_tokens == 40
    harness.turn()
    streamed = [r.body.get("stream") for r in server.chat_requests]
    assert streamed == [True, False, False]
    assert "stream_options" not in server.chat_requests[1].body


def test_refused_extra_sampling_fields_are_left_out(server: FaultServer) -> None:
    refusal = {"error": {"message": "Unrecognized request argument supplied: top_k"}}
    server.script(Status(400, refusal), text_reply("plain"), text_reply("again"))
    harness = Harness(server)
    assert harness.turn().content == "plain"
    assert harness.turn().content == "again"
    first, second, third = (r.body for r in server.chat_requests)
    assert first["top_k"] == 64 and "stream_options" in first
    for body in (second, third):
        assert not {"top_k", "min_p", "repeat_penalty", "stream_options"} & set(body)
        assert body["temperature"] == 0.15


def test_a_strict_provider_gets_only_fields_it_knows(server: FaultServer) -> None:
    server.script(text_reply("ok"))
    Harness(server, provider="mistral", lenient=False, seed=3407, reasoning_effort="high").turn()
    body = server.chat_requests[0].body
    assert not {"top_k", "min_p", "stream_options", "seed"} & set(body)
    assert body["random_seed"] == 3407
    assert body["reasoning_effort"] == "high"


def test_sampling_follows_the_model_card_and_settings(server: FaultServer) -> None:
    server.script(text_reply("a"), text_reply("b"))
    Harness(server).turn()
    Harness(server, temperature=0.0, top_k=10, max_tokens=99, seed=1).turn()
    card, chosen = (r.body for r in server.chat_requests)
    assert (card["temperature"], card["top_p"], card["top_k"], card["min_p"]) == (
        0.15,
        0.95,
        64,
        0.01,
    )
    assert card["tools"] == [tool.wire() for tool in TOOLS] and card["tool_choice"] == "auto"
    assert card["stream"] is True and card["model"] == "fault-model"
    assert (chosen["temperature"], chosen["top_k"], chosen["max_tokens"], chosen["seed"]) == (
        0.0,
        10,
        99,
        1,
    )


def test_history_sent_back_is_valid_for_strict_servers(server: FaultServer) -> None:
    server.script(text_reply("next"))
    broken = ToolCall(id="call-from-vllm-0001", name="execute_bash", raw_arguments='{"command": ')
    good = ToolCall(id="call-from-vllm-0002", name="think", arguments={"thought": "ü ok"})
    history = [
        *CONVERSATION,
        ChatMessage(role=Role.ASSISTANT, content="", tool_calls=(broken, good)),
        ChatMessage(
            role=Role.TOOL, content="not valid JSON", tool_call_id=broken.id, name=broken.name
        ),
        ChatMessage(role=Role.TOOL, content="noted", tool_call_id=good.id, name=good.name),
    ]
    Harness(server).turn(history)
    sent = server.chat_requests[0].body["messages"]
    assistant = sent[2]
    assert assistant["content"] == ""
    ids = [call["id"] for call in assistant["tool_calls"]]
    assert all(is_valid_tool_call_id(i) for i in ids) and len(set(ids)) == 2
    assert [m["tool_call_id"] for m in sent[3:]] == ids
    arguments = [json.loads(call["function"]["arguments"]) for call in assistant["tool_calls"]]
    assert arguments == [{}, {"thought": "ü ok"}]
    assert '{"command": ' not in json.dumps(sent)


def test_the_model_is_taken_from_the_server_list(server: FaultServer) -> None:
    server.models = ["only-one"]
    server.script(text_reply("hi"))
    harness = Harness(server, model=None)
    harness.turn()
    assert harness.backend.model_name == "only-one"
    assert server.chat_requests[0].body["model"] == "only-one"


def test_several_served_models_and_none_named_is_an_error(server: FaultServer) -> None:
    server.models = ["a-model", "b-model"]
    with pytest.raises(BackendError, match="a-model, b-model"):
        Harness(server, model=None).turn()
    assert server.chat_requests == []


def test_nothing_listening() -> None:
    waits: list[float] = []
    backend = RemoteBackend(
        Endpoint(base_url="http://127.0.0.1:1/v1", model="m"),
        Settings(),
        policy=RetryPolicy(tries=3, base_delay=0.01),
        sleep=waits.append,
    )
    with pytest.raises(BackendError) as raised:
        backend.next_turn(CONVERSATION, TOOLS)
    message = str(raised.value)
    assert "Cannot reach http://127.0.0.1:1/v1" in message and "3 tries" in message
    assert "\n" not in message
    assert len(waits) == 2


def test_images_go_with_the_first_user_message(server: FaultServer, tmp_path: Path) -> None:
    image = tmp_path / "shot.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(64)))
    server.script(text_reply("I see it"))
    harness = Harness(server)
    harness.backend.attach_images([image])
    harness.turn()
    content = server.chat_requests[0].body["messages"][1]["content"]
    assert content[0] == {"type": "text", "text": "Say hello."}
    url = content[1]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == image.read_bytes()


def test_text_tool_format_sends_no_tools_and_reads_calls_back(server: FaultServer) -> None:
    reply = "I will look.\n<function=execute_bash>\n<parameter=command>ls -la</parameter>\n"
    server.script(text_reply(reply, pieces=5))
    turn = Harness(server, tool_format="openhands").turn()
    body = server.chat_requests[0].body
    assert "tools" not in body and body["stop"] == ["</function"]
    assert "execute_bash" in body["messages"][0]["content"]
    assert turn.content == "I will look."
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [
        ("execute_bash", {"command": "ls -la"})
    ]


def test_reasoning_goes_to_its_own_sink_and_not_into_the_content(server: FaultServer) -> None:
    lines = [
        data(chunk({"reasoning_content": "Thinking about "})),
        data(chunk({"reasoning_content": "it."})),
        data(
            chunk({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "!"}]}]})
        ),
        data(chunk({"content": "Answer."}, "stop")),
    ]
    server.script(Stream(lines))
    harness = Harness(server)
    thoughts: list[str] = []
    harness.backend.on_reasoning = thoughts.append
    turn = harness.turn()
    assert turn.content == "Answer."
    assert "".join(thoughts) == "Thinking about it.!"
    assert harness.shown == ["Answer."]


def test_finish_call_stream_helper_is_read_whole(server: FaultServer) -> None:
    server.script(finish_call_reply("the end", "partial"))
    turn = Harness(server).turn()
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [
        ("finish", {"message": "the end", "task_completed": "partial"})
    ]


def test_a_cancel_while_text_streams_ends_the_turn_and_the_next_one_works(
    server: FaultServer,
) -> None:
    server.script(text_reply("one two three four five six seven eight", pieces=8))
    server.script(text_reply("Hello again."))
    harness = Harness(server)
    stop = threading.Event()
    shown: list[str] = []

    def show_then_cancel(text: str) -> None:
        shown.append(text)
        stop.set()

    with pytest.raises(TurnCancelled):
        harness.backend.next_turn(CONVERSATION, TOOLS, show_then_cancel, stop)
    assert "".join(shown) != "one two three four five six seven eight"
    assert harness.backend.next_turn(CONVERSATION, TOOLS).content == "Hello again."


def test_a_cancel_stops_a_streamed_tool_call_that_shows_no_text(server: FaultServer) -> None:
    arguments = json.dumps({"command": "sleep 1; echo done"})
    server.script(call_reply([("call1", "execute_bash", arguments)], piece=2))
    stop = threading.Event()
    stop.set()
    with pytest.raises(TurnCancelled):
        Harness(server).backend.next_turn(CONVERSATION, TOOLS, stop=stop)
    assert len(server.chat_requests) == 1  # asked once: a cancel is not a failure to retry


def test_a_cancel_cuts_the_wait_between_tries_short() -> None:
    backend = RemoteBackend(
        Endpoint(base_url="http://127.0.0.1:1/v1", model="m"),
        Settings(),
        policy=RetryPolicy(tries=3, base_delay=600, max_delay=600),  # real waits, no clock
    )
    stop = threading.Event()
    stop.set()
    # Without the cut the next try would come after ten minutes.
    with pytest.raises(TurnCancelled):
        backend.next_turn(CONVERSATION, TOOLS, stop=stop)
