"""Prompts as token ids from mistral-common: the exact format Mistral models were trained on.

Assistant turns generated here are put back as the very tokens the model produced. mistral-common
would re-encode tool-call arguments with its own JSON spacing, which changes the tokens and
throws away the KV cache from that turn on.
"""

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from devcli.events import ToolCall
from devcli.llm.backend import Role
from devcli.llm.formats.mistral_tokens import MistralControls
from devcli.llm.formats.prompt_renderer import HistoryMessage, PromptError
from devcli.tool_schema import ToolSchema, ToolSchemas

_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class TekkenPieces:
    """Token bytes from a mistral-common Tekken tokenizer (correct for tokens of any length)."""

    def __init__(self, tekken: Any) -> None:
        from mistral_common.tokens.tokenizers.base import SpecialTokenPolicy

        self._tekken = tekken
        self._keep = SpecialTokenPolicy.KEEP
        self._special_count = int(tekken.num_special_tokens)
        self._cache: dict[int, bytes] = {}

    def piece(self, token: int) -> bytes:
        cached = self._cache.get(token)
        if cached is None:
            cached = self._cache[token] = self._tekken.id_to_byte_piece(token, self._keep)
        return cached

    def is_control(self, token: int) -> bool:
        return token < self._special_count


def _special(tekken: Any, text: str) -> int | None:
    try:
        return int(tekken.get_special_token(text))
    except (KeyError, ValueError, AssertionError):
        return None


def _safe_name(name: str) -> str:
    """mistral-common refuses odd function names; a malformed call must not block the prompt
    (its real tokens are spliced back anyway)."""
    if _FUNCTION_NAME.match(name):
        return name
    return (re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64]) or "unknown_function"


class MistralCommonPrompt:
    def __init__(self, tokenizer: Any) -> None:
        tekken = tokenizer.instruct_tokenizer.tokenizer
        self._tokenizer = tokenizer
        self.version = str(tekken.version.value)
        self.description = f"mistral-common {self.version} tokenizer"
        self.pieces = TekkenPieces(tekken)
        tool_calls = _special(tekken, "[TOOL_CALLS]")
        if tool_calls is None:
            raise PromptError("this tokenizer has no [TOOL_CALLS] token")
        self.controls = MistralControls(
            eos=int(tekken.eos_id),
            tool_calls=tool_calls,
            args=_special(tekken, "[ARGS]"),
            call_id=_special(tekken, "[CALL_ID]") if self.version == "v11" else None,
        )
        self.bos = int(tekken.bos_id)
        self._turn_starters = {_special(tekken, "[/INST]"), _special(tekken, "[/TOOL_RESULTS]")}
        self._not_assistant = {
            _special(tekken, text)
            for text in ("[INST]", "[AVAILABLE_TOOLS]", "[TOOL_RESULTS]", "[SYSTEM_PROMPT]")
        }
        self.vocab_size = int(tekken.n_words)

    def encode(self, messages: Sequence[HistoryMessage], tools: ToolSchemas) -> list[int]:
        from mistral_common.exceptions import MistralCommonException
        from mistral_common.protocol.instruct.request import ChatCompletionRequest

        try:
            request = ChatCompletionRequest(
                messages=[_to_mistral(message) for message in messages if _kept(message)],
                tools=[_to_mistral_tool(tool) for tool in tools] or None,
            )
            tokens: list[int] = list(self._tokenizer.encode_chat_completion(request).tokens)
        except (MistralCommonException, ValidationError, AssertionError, ValueError) as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise PromptError(f"the conversation cannot be written as a prompt: {detail}") from exc
        return self._splice(tokens, [m for m in messages if m.role is Role.ASSISTANT])

    def _assistant_spans(self, tokens: list[int]) -> list[tuple[int, int]]:
        """Where each assistant message sits: after [/INST] or [/TOOL_RESULTS], up to its </s>."""
        spans: list[tuple[int, int]] = []
        index = 0
        while index < len(tokens) - 1:
            if (
                tokens[index] in self._turn_starters
                and tokens[index + 1] not in self._not_assistant
            ):
                try:
                    end = tokens.index(self.controls.eos, index + 1)
                except ValueError:
                    break
                spans.append((index + 1, end + 1))
                index = end + 1
            else:
                index += 1
        return spans

    def _splice(self, tokens: list[int], assistants: list[HistoryMessage]) -> list[int]:
        spans = self._assistant_spans(tokens)
        if len(spans) != len(assistants):
            return tokens  # an unusual layout: keep mistral-common's own rendering
        result: list[int] = []
        previous = 0
        for (start, end), message in zip(spans, assistants, strict=True):
            if message.generated_ids is None:
                continue
            generated = list(message.generated_ids)
            if self.controls.eos in generated:
                generated = generated[: generated.index(self.controls.eos)]
            result += tokens[previous:start] + generated + [self.controls.eos]
            previous = end
        return result + tokens[previous:]


def _kept(message: HistoryMessage) -> bool:
    return not (message.role is Role.SYSTEM and not message.content.strip())


def _arguments_text(call: ToolCall) -> str:
    if call.raw_arguments is not None:
        return call.raw_arguments
    return json.dumps(call.arguments, ensure_ascii=False)


def _to_mistral(message: HistoryMessage) -> Any:
    from mistral_common.protocol.instruct.messages import (
        AssistantMessage,
        SystemMessage,
        ToolMessage,
        UserMessage,
    )
    from mistral_common.protocol.instruct.tool_calls import FunctionCall
    from mistral_common.protocol.instruct.tool_calls import ToolCall as MistralToolCall

    match message.role:
        case Role.SYSTEM:
            return SystemMessage(content=message.content)
        case Role.USER:
            return UserMessage(content=message.content)
        case Role.TOOL:
            name = _safe_name(message.name) if message.name else None
            return ToolMessage(
                content=message.content, tool_call_id=message.tool_call_id, name=name
            )
        case Role.ASSISTANT:
            calls = [
                MistralToolCall(
                    id=call.id,
                    function=FunctionCall(
                        name=_safe_name(call.name), arguments=_arguments_text(call)
                    ),
                )
                for call in message.tool_calls
            ]
            # Neither content nor calls is refused; a lone space stands for an empty reply.
            content = message.content or (None if calls else " ")
            return AssistantMessage(content=content, tool_calls=calls or None)


def _to_mistral_tool(tool: ToolSchema) -> Any:
    from mistral_common.protocol.instruct.tool_calls import Function, Tool

    function = tool.function
    return Tool(
        function=Function(
            name=function.name, description=function.description, parameters=function.parameters
        )
    )
