"""The remote backend: any OpenAI-compatible server (vLLM, llama-server, Ollama, LM Studio,
Mistral's API) through the `openai` SDK, with retries and tolerant tool-call reading."""

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import openai
from pydantic import BaseModel

from devcli.config import Settings
from devcli.events import AssistantTurn
from devcli.llm.backend import (
    BackendError,
    ChatMessage,
    ContextOverflowError,
    TextSink,
    TurnCancelled,
)
from devcli.llm.formats.openhands_text import STOP_WORD
from devcli.llm.model_cards import card_for_name, sampling_for
from devcli.llm.openai_messages import image_part, native_messages, text_format_messages
from devcli.llm.openai_stream import EmptyStream, TurnAssembler
from devcli.llm.providers import Endpoint, resolve_endpoint
from devcli.llm.retry import (
    Failure,
    FailureKind,
    RemoteFailure,
    RetryPolicy,
    StreamBroken,
    root_cause,
    with_retries,
)
from devcli.llm.server_info import (
    ModelChoiceError,
    ModelChooser,
    choose_model,
    describe_models,
    list_models,
    served_models,
)
from devcli.llm.server_window import probe_window
from devcli.notices import Notice, NoticeLevel, NoticeSink, publish
from devcli.tool_schema import ToolSchemas

T = TypeVar("T")

BROKEN_OFF = " [broken off; asking again]\n"

NOTICEABLE_WAIT = 2.0  # seconds


# Fields outside the OpenAI schema: llama.cpp, vLLM, LM Studio and Ollama take them, strict
# APIs refuse the whole request, so they are dropped once a server names one in an error.
OPTIONAL_FIELDS = ("top_k", "min_p", "repeat_penalty", "stream_options")


class RemoteBackend:
    kind = "remote"
    accepts_images = True  # sent with the task; a server without vision refuses the request

    def __init__(
        self,
        endpoint: Endpoint,
        settings: Settings,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Any] | None = None,  # a clock for tests; None waits for real
        notices: NoticeSink | None = None,
        on_reasoning: TextSink | None = None,
        choose: ModelChooser | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self.policy = policy or RetryPolicy(tries=max(1, settings.tries))
        self.model_name = endpoint.model or ""
        self.context_window: int | None = None  # when the server's model list says
        self.notices: NoticeSink = notices or self._shown_notice
        self.on_reasoning = on_reasoning
        self._sleep = sleep
        self._choose = choose
        self._streaming = True
        self._optional_fields = endpoint.lenient
        self._text_tools = settings.tool_format == "openhands"
        self._images: tuple[Path, ...] = ()
        self._client = openai.OpenAI(
            base_url=endpoint.base_url,
            api_key=endpoint.api_key,
            max_retries=0,  # retries are ours: backoff, Retry-After, broken streams
            timeout=openai.Timeout(
                settings.request_timeout, connect=min(10.0, settings.request_timeout)
            ),
        )

    # -- the Backend protocol -------------------------------------------------------------

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: ToolSchemas,
        on_text: TextSink | None = None,
        stop: threading.Event | None = None,
    ) -> AssistantTurn:
        shown = _ShownText(on_text)
        try:
            self.discover_model()
            return self._retrying(
                lambda: self._ask(messages, tools, shown.start_attempt(), stop), stop=stop
            )
        except RemoteFailure as exc:
            raise self._backend_error(exc) from exc
        except ModelChoiceError as exc:
            raise BackendError(str(exc)) from exc

    def close(self) -> None:
        self._client.close()

    def count_prompt_tokens(self, messages: list[ChatMessage], tools: ToolSchemas) -> int | None:
        return None  # only the server's answer tells

    # -- set-up ---------------------------------------------------------------------------

    def attach_images(self, paths: Sequence[Path]) -> None:
        """Images sent with the task (the first user message). Raises ImageError."""
        for path in paths:
            image_part(path)  # read now, so a bad file is reported before any request
        self._images = tuple(paths)

    def discover_model(self, tries: int | None = None) -> str:
        """The configured model, or the one the server lists. Raises RemoteFailure when the
        server cannot be asked and ModelChoiceError when its list does not settle it."""
        if not self.model_name:
            self.learn_from_server(tries)
        return self.model_name

    def learn_from_server(self, tries: int | None = None) -> None:
        """Ask `/v1/models` which model to use (when none is set) and its context window."""
        policy = self.policy if tries is None else self.policy.model_copy(update={"tries": tries})
        served = self._retrying(lambda: served_models(self._client), policy)
        if not self.model_name:
            names = [model.id for model in served]
            self.model_name = choose_model(names, self.endpoint.base_url, self._choose)
        for model in served:
            if model.id == self.model_name:
                self.context_window = model.context_window
        if (
            self.context_window is None
            and self.settings.ctx_size is None
            and self.endpoint.provider != "mistral"
        ):
            found = probe_window(self.endpoint.base_url, self.model_name, self.endpoint.api_key)
            self.context_window = found.window
            if found.warning:
                self.notices(Notice(text=found.warning, level=NoticeLevel.WARNING))

    # -- one request ----------------------------------------------------------------------

    def _retrying(
        self,
        action: Callable[[], T],
        policy: RetryPolicy | None = None,
        stop: threading.Event | None = None,
    ) -> T:
        return with_retries(
            action,
            policy or self.policy,
            self.endpoint.base_url,
            sleep=lambda seconds: self._wait(seconds, stop),
            on_retry=self._notice_retry,
        )

    def _wait(self, seconds: float, stop: threading.Event | None) -> None:
        """The pause before another try, cut short when the turn is cancelled."""
        if self._sleep is not None:
            self._sleep(seconds)
            cancelled = stop is not None and stop.is_set()
        elif stop is not None:
            cancelled = stop.wait(seconds)
        else:
            time.sleep(seconds)
            cancelled = False
        if cancelled:
            raise TurnCancelled

    def _ask(
        self,
        messages: list[ChatMessage],
        tools: ToolSchemas,
        on_text: TextSink | None,
        stop: threading.Event | None = None,
    ) -> AssistantTurn:
        names = [tool.name for tool in tools]
        wire = self._wire_messages(messages, tools)
        try:
            assembler = self._answer(wire, tools, TurnAssembler(on_text, self.on_reasoning, stop))
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            if not (self._optional_fields and _names_optional_field(exc)):
                raise
            self._optional_fields = False
            self._notice(Notice(text="the server refused extra sampling fields; leaving them out"))
            return self._ask(messages, tools, on_text, stop)
        return assembler.turn(names, tools if self._text_tools else ())

    def _answer(self, wire: Any, tools: ToolSchemas, assembler: TurnAssembler) -> TurnAssembler:
        if self._streaming:
            try:
                return self._streamed(wire, self._body(tools), assembler)
            except EmptyStream:
                # Seen with llama-cpp-python's function-calling formats: the server fails
                # inside the stream and closes it without a word; a whole answer works.
                self._streaming = False
                self._notice(Notice(text="empty stream; asking without streaming from now"))
        return self._whole(wire, self._body(tools), assembler)

    def _body(self, tools: ToolSchemas) -> dict[str, Any]:
        """Everything but `model`, `messages` and `stream`, which the SDK call names."""
        body: dict[str, Any] = {}
        if self._text_tools:
            body["stop"] = [STOP_WORD]
        elif tools:
            body["tools"] = [tool.wire() for tool in tools]
            body["tool_choice"] = "auto"
        settings = self.settings
        chosen = sampling_for(settings, card_for_name(self.model_name))
        # repeat_penalty goes only when set: servers apply their own by default.
        sent = {"temperature", "top_p", "top_k", "min_p"}
        if settings.repeat_penalty is not None:
            sent.add("repeat_penalty")
        sampling: dict[str, Any] = chosen.model_dump(include=sent)
        if settings.seed is not None:
            # Mistral's API calls the seed `random_seed`.
            body["random_seed" if self.endpoint.provider == "mistral" else "seed"] = settings.seed
        if settings.max_tokens is not None:
            body["max_tokens"] = settings.max_tokens
        if settings.reasoning_effort is not None:
            body["reasoning_effort"] = settings.reasoning_effort
        body.update(sampling)
        if self._streaming:
            body["stream_options"] = {"include_usage": True}
        if not self._optional_fields:
            for key in OPTIONAL_FIELDS:
                body.pop(key, None)
        return body

    def _wire_messages(self, messages: list[ChatMessage], tools: ToolSchemas) -> Any:
        if self._text_tools:
            return text_format_messages(messages, tools, self._images)
        return native_messages(messages, self._images)

    def _streamed(
        self, messages: Any, body: dict[str, Any], assembler: TurnAssembler
    ) -> TurnAssembler:
        stream = self._client.chat.completions.create(
            model=self.model_name, messages=messages, stream=True, extra_body=body
        )
        try:
            for chunk in stream:
                assembler.add_chunk(_as_dict(chunk))
        except json.JSONDecodeError as exc:
            raise StreamBroken(f"the server sent a stream line that is not JSON ({exc})") from exc
        except openai.APITimeoutError as exc:
            raise StreamBroken("the server stopped sending in the middle of the answer") from exc
        except openai.APIConnectionError as exc:
            raise StreamBroken(
                f"the connection broke in the middle of the answer ({root_cause(exc)})"
            ) from exc
        finally:
            stream.close()
        if assembler.chunks == 0:
            raise EmptyStream("the server closed the stream without an answer")
        if assembler.finish_reason is None:
            raise StreamBroken("the answer stopped before it was complete")
        return assembler

    def _whole(
        self, messages: Any, body: dict[str, Any], assembler: TurnAssembler
    ) -> TurnAssembler:
        body.pop("stream_options", None)
        response: object = self._client.chat.completions.create(
            model=self.model_name, messages=messages, stream=False, extra_body=body
        )
        if not isinstance(response, BaseModel):
            raise StreamBroken("the server's answer is not a chat completion")
        assembler.add_response(_as_dict(response))
        if assembler.chunks == 0:
            raise StreamBroken("the server's answer holds no message")
        return assembler

    # -- messages for the user ------------------------------------------------------------

    def _notice(self, notice: Notice) -> None:
        self.notices(notice)

    def _shown_notice(self, notice: Notice) -> None:
        """Without a sink of its own: a wait long enough to wonder about, and warnings,
        always reach the user; the rest with --verbose."""
        shown = notice.wait >= NOTICEABLE_WAIT or notice.level is NoticeLevel.WARNING
        if self.settings.verbose or shown:
            publish(notice)

    def _notice_retry(self, failure: Failure, wait: float, next_try: int) -> None:
        self._notice(
            Notice(
                text=f"{failure.message}; trying again in {wait:.1f} s "
                f"(try {next_try} of {self.policy.tries})",
                wait=wait,
            )
        )

    def _backend_error(self, exc: RemoteFailure) -> BackendError:
        failure = exc.failure
        message = failure.message
        if failure.kind is FailureKind.CONTEXT_LENGTH:
            return ContextOverflowError(
                f"The conversation no longer fits the model's context window ({message}). "
                "Start a new session, or give the server a larger context."
            )
        if failure.kind is FailureKind.NOT_FOUND:
            message += self._served_models_hint()
        if exc.tries > 1:
            message += f"; gave up after {exc.tries} tries"
        return BackendError(message[:1].upper() + message[1:] + ".")

    def _served_models_hint(self) -> str:
        try:
            names = list_models(self._client)
        except (openai.OpenAIError, ValueError):
            return ""
        return f"; it serves: {describe_models(names)}" if names else ""


class _ShownText:
    """Passes answer text on, and marks where a broken-off answer ends before the next try."""

    def __init__(self, sink: TextSink | None) -> None:
        self.sink = sink
        self.partial = False

    def start_attempt(self) -> TextSink | None:
        if self.sink is None:
            return None
        if self.partial:
            self.sink(BROKEN_OFF)
            self.partial = False
        return self.show

    def show(self, text: str) -> None:
        if self.sink is not None and text:
            self.partial = True
            self.sink(text)


def _as_dict(model: Any) -> dict[str, Any]:
    """An SDK object as the JSON object the server sent (extra fields such as
    `reasoning_content` included)."""
    dumped = model.model_dump(exclude_unset=True, warnings=False)
    return dumped if isinstance(dumped, dict) else {}


def _names_optional_field(exc: openai.APIStatusError) -> bool:
    text = json.dumps(exc.body) if exc.body is not None else exc.message
    return any(field in text for field in OPTIONAL_FIELDS)


def build_remote_backend(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    *,
    choose: ModelChooser | None = None,
) -> RemoteBackend:
    """The backend for these settings. ConfigError for a bad configuration, or for a server
    whose model list does not settle which model to use; an unreachable server is reported
    by the first turn instead, as a backend failure."""
    endpoint = resolve_endpoint(settings, os.environ if environ is None else environ)
    backend = RemoteBackend(endpoint, settings, choose=choose)
    with contextlib.suppress(RemoteFailure):  # asked again, with retries, by the first turn
        backend.learn_from_server(tries=1)
    return backend
