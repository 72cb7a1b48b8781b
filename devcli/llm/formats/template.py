"""Prompts from the chat template embedded in a GGUF (Jinja), for models without a Mistral
tokenizer file.

Assistant turns generated here go back as their exact tokens: each is rendered as a unique
marker, the text is cut at the markers, and the generated ids are put in their place. A turn
whose calls the template must render itself is rendered by the template, unless the model
wrote its calls as plain text the template taught it (`splice_calls`): then the turn's tokens
go back as they are, calls included.
"""

from collections.abc import Callable, Sequence
from typing import Any

from devcli.events import ToolCall
from devcli.llm.backend import Role
from devcli.llm.formats.jinja_env import template_environment
from devcli.llm.formats.prompt_renderer import HistoryMessage, PromptError
from devcli.tool_schema import ToolSchemas

Tokenize = Callable[[str], list[int]]
IsEndOfTurn = Callable[[int], bool]


def _marker(index: int) -> str:
    return f"@@devcli-turn-{index}@@"


def _call_dict(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {
            "name": call.name,
            "arguments": call.arguments if call.raw_arguments is None else call.raw_arguments,
        },
    }


def _message_dict(message: HistoryMessage, content: str) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.role.value, "content": content}
    if message.tool_calls:
        data["tool_calls"] = [_call_dict(call) for call in message.tool_calls]
    if message.role is Role.TOOL:
        data["tool_call_id"] = message.tool_call_id
        data["name"] = message.name
    return data


class ChatTemplatePrompt:
    def __init__(
        self,
        template: str,
        tokenize: Tokenize,
        is_end_of_turn: IsEndOfTurn,
        bos_text: str = "",
        eos_text: str = "",
        bos_id: int | None = None,
        splice_calls: bool = False,
    ) -> None:
        from jinja2 import TemplateError

        try:
            self._template = template_environment().from_string(template)
        except TemplateError as exc:
            raise PromptError(f"the model's chat template is not valid Jinja: {exc}") from exc
        self._tokenize = tokenize
        self._is_end_of_turn = is_end_of_turn
        self._bos_text = bos_text
        self._eos_text = eos_text
        self._bos_id = bos_id  # prepended when the model wants a BOS the template does not write
        self.splice_calls = splice_calls
        self.description = "the GGUF's chat template"

    def render(self, messages: list[dict[str, Any]], tools: ToolSchemas) -> str:
        from jinja2 import TemplateError

        try:
            return self._template.render(
                messages=messages,
                tools=[tool.wire() for tool in tools] or None,
                add_generation_prompt=True,
                bos_token=self._bos_text,
                eos_token=self._eos_text,
            )
        except TemplateError as exc:
            raise PromptError(f"the model's chat template failed: {exc}") from exc

    def encode(self, messages: Sequence[HistoryMessage], tools: ToolSchemas) -> list[int]:
        spliced: dict[str, tuple[int, ...]] = {}
        dicts: list[dict[str, Any]] = []
        for index, message in enumerate(messages):
            content = message.content
            if message.generated_ids is not None and (self.splice_calls or not message.tool_calls):
                content = _marker(index)
                spliced[content] = message.generated_ids
                message = message.model_copy(update={"tool_calls": ()})  # they are in the ids
            dicts.append(_message_dict(message, content))
        try:
            text = self.render(dicts, tools)
        except PromptError:
            if not spliced:
                raise
            text = ""  # a template that wants the calls themselves: render them below
        positions = [text.find(marker) for marker in spliced]
        if any(text.count(marker) != 1 for marker in spliced) or positions != sorted(positions):
            # The template changed or dropped a turn: render every turn as plain text.
            text = self.render([_message_dict(m, m.content) for m in messages], tools)
            spliced = {}
        return self._tokens(text, spliced)

    def _tokens(self, text: str, spliced: dict[str, tuple[int, ...]]) -> list[int]:
        tokens: list[int] = []
        if self._bos_id is not None and not (self._bos_text and text.startswith(self._bos_text)):
            tokens.append(self._bos_id)
        rest = text
        for marker, generated in spliced.items():
            before, rest = rest.split(marker, 1)
            tokens += self._tokenize(before)
            reply = list(generated)
            while reply and self._is_end_of_turn(reply[-1]):
                reply.pop()  # the template writes its own end of turn
            tokens += reply
        return tokens + self._tokenize(rest)
