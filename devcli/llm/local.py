"""The local backend: a GGUF model run in-process by llama.cpp.

Each turn renders the whole conversation as tokens. Assistant turns are rendered as the exact
tokens the model generated, so every prompt extends the previous one and llama.cpp evaluates
only the new tokens (tool results, user messages); the rest comes from the KV cache.
"""

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from devcli.events import AssistantTurn, Usage
from devcli.llm.backend import (
    BackendError,
    ChatMessage,
    ContextOverflowError,
    ImageError,
    Role,
    TextSink,
)
from devcli.llm.decode_abort import aborting_on
from devcli.llm.formats.call_text import ParsedTurn
from devcli.llm.formats.chat_format import ChatFormat
from devcli.llm.formats.prompt_renderer import HistoryMessage, PromptError
from devcli.llm.model_cards import Sampling
from devcli.llm.model_vocab import LlamaPieces
from devcli.llm.prompt_prefix import first_turn_prefix
from devcli.notices import NoticeSink, publish
from devcli.tool_schema import ToolSchema, ToolSchemas

if TYPE_CHECKING:
    from devcli.llm.prompt_cache import PromptCache, Restored

# A reply needs some room; below this the context is treated as full.
MIN_REPLY_TOKENS = 16


class TurnTimings(BaseModel):
    prompt_tokens: int
    prompt_evaluated: int  # the rest of the prompt was already in the KV cache
    prompt_seconds: float  # until the first generated token
    generated_tokens: int
    generation_seconds: float  # from the first generated token to the last
    prompt_restored: int = 0  # taken from the prompt cache on disk
    restore_seconds: float = 0.0

    @property
    def first_token_seconds(self) -> float:
        return self.restore_seconds + self.prompt_seconds

    @property
    def prompt_tokens_per_second(self) -> float:
        return self.prompt_evaluated / self.prompt_seconds if self.prompt_seconds else 0.0

    @property
    def generation_tokens_per_second(self) -> float:
        steps = self.generated_tokens - 1
        return steps / self.generation_seconds if steps > 0 and self.generation_seconds else 0.0


def _turn_key(content: str, call_ids: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    return content, tuple(call_ids)


class LocalBackend:
    kind = "local"
    accepts_images = False
    on_reasoning: TextSink | None = None  # the local formats carry no separate reasoning

    def __init__(
        self,
        llama: Any,
        chat_format: ChatFormat,
        sampling: Sampling,
        model_name: str,
        max_tokens: int | None = None,
        force_tool_call: bool = False,
        system_prompt: str | None = None,
        prompt_cache: "PromptCache | None" = None,
    ) -> None:
        """`system_prompt`, when given, replaces the system message the agent sends (the
        model's official prompt). `prompt_cache` keeps prompt states on disk between runs."""
        self.llama = llama
        self.chat_format = chat_format
        self.sampling = sampling
        self.model_name = model_name
        self.max_tokens = max_tokens
        self.force_tool_call = force_tool_call
        self.system_prompt = system_prompt
        self.notices: NoticeSink = publish
        self.prompt_cache = prompt_cache
        self.vocab = LlamaPieces(llama)
        self.last_timings: TurnTimings | None = None
        self.last_prompt: list[int] = []
        self.last_generated: list[int] = []
        self._generated: dict[tuple[str, tuple[str, ...]], tuple[int, ...]] = {}
        self._rendered: tuple[list[ChatMessage], list[ToolSchema], list[int]] | None = None
        self._last_key: tuple[str, tuple[str, ...]] | None = None

    @property
    def context_window(self) -> int:
        """The context llama.cpp was loaded with, in tokens."""
        return int(self.llama.n_ctx())

    def history(self, messages: Sequence[ChatMessage]) -> list[HistoryMessage]:
        """The messages with, for turns generated here, the tokens the model wrote."""
        if self.prompt_cache is not None:
            self.prompt_cache.fill_turns(self._generated, messages)
        result: list[HistoryMessage] = []
        for message in messages:
            data = message.model_dump()
            if message.role is Role.SYSTEM and self.system_prompt is not None:
                data["content"] = self.system_prompt
            if message.role is Role.ASSISTANT:
                key = _turn_key(message.content, [call.id for call in message.tool_calls])
                data["generated_ids"] = self._generated.get(key)
            result.append(HistoryMessage.model_validate(data))
        return result

    def prompt_tokens(self, messages: Sequence[ChatMessage], tools: ToolSchemas) -> list[int]:
        """The prompt exactly as the model will see it (the last one rendered is reused)."""
        messages, tools = list(messages), list(tools)
        if self._rendered is not None and self._rendered[:2] == (messages, tools):
            return self._rendered[2]
        try:
            tokens = self.chat_format.prompt(self.history(messages), tools)
        except PromptError as exc:
            raise BackendError(str(exc)) from exc
        self._rendered = (messages, tools, tokens)
        return tokens

    def count_prompt_tokens(self, messages: list[ChatMessage], tools: ToolSchemas) -> int:
        return len(self.prompt_tokens(messages, tools))

    def attach_images(self, paths: Sequence[Path]) -> None:
        raise ImageError("a local model takes no images; use a remote vision model")

    def next_turn(
        self,
        messages: list[ChatMessage],
        tools: ToolSchemas,
        on_text: TextSink | None = None,
        stop: threading.Event | None = None,
    ) -> AssistantTurn:
        prompt = self.prompt_tokens(messages, tools)
        room = self.context_window - len(prompt)
        if room < MIN_REPLY_TOKENS:
            raise ContextOverflowError(
                f"The conversation no longer fits the model's context: the prompt is "
                f"{len(prompt)} tokens and the context holds {self.context_window}. Start a new "
                "session with a narrower task, or raise --ctx-size if memory allows."
            )
        limit = min(self.max_tokens or room, room)
        restored = self._restore_from_cache(prompt)
        saver = self._prefix_saver(messages, tools, prompt) if self.prompt_cache else None
        generated, reply = self._generate(prompt, tools, limit, on_text, saver, restored, stop=stop)
        turn = AssistantTurn(
            content=reply.content,
            tool_calls=reply.tool_calls,
            usage=Usage(
                prompt_tokens=len(prompt),
                completion_tokens=len(generated),
                **self._usage_details(),
            ),
        )
        key = _turn_key(turn.content, [call.id for call in turn.tool_calls])
        self._generated[key] = tuple(generated)
        self._last_key = key
        self.last_prompt, self.last_generated = prompt, generated
        return turn

    def _grammar(self, tools: ToolSchemas) -> Any:
        if not self.force_tool_call:
            return None
        text = self.chat_format.forcing_grammar(tools)
        if text is None:
            return None
        from llama_cpp.llama_grammar import LlamaGrammar

        return LlamaGrammar.from_string(text, verbose=False)

    def _generate(
        self,
        prompt: list[int],
        tools: ToolSchemas,
        limit: int,
        on_text: TextSink | None,
        on_first_token: Callable[[float], None] | None = None,
        restored: "Restored | None" = None,
        stop: threading.Event | None = None,
    ) -> tuple[list[int], ParsedTurn]:
        import llama_cpp

        reader = self.chat_format.reader(tools)
        generated: list[int] = []
        # A decode aborted by a cancel leaves its batch queued in the counters: settle it first.
        llama_cpp.llama_synchronize(self.llama.ctx)
        llama_cpp.llama_perf_context_reset(self.llama.ctx)
        started = time.perf_counter()
        first_at: float | None = None
        tokens = self.llama.generate(
            prompt,
            temp=self.sampling.temperature,
            top_p=self.sampling.top_p,
            top_k=self.sampling.top_k,
            min_p=self.sampling.min_p,
            repeat_penalty=self.sampling.repeat_penalty,
            grammar=self._grammar(tools),
        )
        try:
            with aborting_on(self.llama.ctx, stop) as watch:
                for token in tokens:
                    if first_at is None:
                        first_at = time.perf_counter()
                        if on_first_token is not None:
                            on_first_token(first_at - started)
                    generated.append(token)
                    if self.vocab.is_end_of_generation(token):
                        break
                    text = reader.feed(token)
                    if text and on_text is not None:
                        on_text(text)
                    if reader.stopped or len(generated) >= limit:
                        break
                    watch.check()  # GPU backends never ask the abort callback
        except RuntimeError as exc:  # llama.cpp reports decode failures this way
            raise BackendError(f"llama.cpp failed while generating: {exc}") from exc
        finally:
            tokens.close()
        finished = time.perf_counter()
        perf = llama_cpp.llama_perf_context(self.llama.ctx)
        self.last_timings = TurnTimings(
            prompt_tokens=len(prompt),
            prompt_evaluated=int(perf.n_p_eval),
            prompt_seconds=(first_at or finished) - started,
            generated_tokens=len(generated),
            generation_seconds=finished - (first_at or finished),
            # What generation really reused of it (a model whose cache cannot be cut to the
            # prompt's length evaluates everything again).
            prompt_restored=(
                min(restored.tokens, len(prompt) - int(perf.n_p_eval)) if restored else 0
            ),
            restore_seconds=restored.seconds if restored is not None else 0.0,
        )
        return generated, reader.finish()

    # -- the prompt cache on disk ------------------------------------------------------

    def _restore_from_cache(self, prompt: list[int]) -> "Restored | None":
        if self.prompt_cache is None:
            return None
        return self.prompt_cache.restore(self.llama, prompt)

    def _prefix_saver(
        self, messages: list[ChatMessage], tools: ToolSchemas, prompt: list[int]
    ) -> Callable[[float], None]:
        """At a conversation's first token: save its prompt's state (the prefix is worked out
        then, so the first token does not wait for it)."""

        def save(seconds: float) -> None:
            import llama_cpp

            assert self.prompt_cache is not None
            try:
                prefix = first_turn_prefix(
                    lambda head: self.chat_format.prompt(self.history(head), tools),
                    messages,
                    prompt,
                )
            except PromptError:
                return
            if prefix is None:
                return
            evaluated = int(llama_cpp.llama_perf_context(self.llama.ctx).n_p_eval)
            rate = evaluated / seconds if seconds > 0 else None
            self.prompt_cache.save_prefix(self.llama, prefix, rate)

        return save

    def _usage_details(self) -> dict[str, Any]:
        timings = self.last_timings
        if timings is None:
            return {}
        details: dict[str, Any] = {
            "prompt_evaluated": timings.prompt_evaluated,
            "prompt_restored": timings.prompt_restored,
            "first_token_seconds": round(timings.first_token_seconds, 3),
        }
        if timings.prompt_restored:
            details["restore_seconds"] = round(timings.restore_seconds, 3)
        return details

    def _turns_in_context(self) -> dict[tuple[str, tuple[str, ...]], tuple[int, ...]]:
        """The generated tokens of the assistant turns in the last prompt and of its reply."""
        keys = {self._last_key} if self._last_key is not None else set()
        for message in self._rendered[0] if self._rendered is not None else []:
            if message.role is Role.ASSISTANT:
                keys.add(_turn_key(message.content, [call.id for call in message.tool_calls]))
        return {key: self._generated[key] for key in keys if key in self._generated}

    def close(self) -> None:
        if self.prompt_cache is not None and self.llama is not None:
            self.prompt_cache.save_conversation(self.llama, self._turns_in_context())
            self.prompt_cache.flush()
        llama, self.llama = self.llama, None
        if llama is not None:
            llama.close()
