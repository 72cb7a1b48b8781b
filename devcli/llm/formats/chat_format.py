"""How one model reads a conversation and writes its calls: a prompt renderer (mistral-common
or the GGUF's chat template) combined with a call syntax (native Mistral, the template's own
Hermes or Llama 3 JSON, or OpenHands text)."""

from collections.abc import Sequence

from devcli.llm.formats.call_grammar import mistral_call_grammar, openhands_call_grammar
from devcli.llm.formats.call_text import MISTRAL_OPENER, OPENHANDS_OPENER
from devcli.llm.formats.mistral_prompt import MistralCommonPrompt
from devcli.llm.formats.mistral_tokens import MistralControls
from devcli.llm.formats.openhands_text import STOP_WORD, to_text_conversation
from devcli.llm.formats.prompt_renderer import HistoryMessage, PromptRenderer
from devcli.llm.formats.replies import MistralReply, ReplyReader, TextReply
from devcli.llm.formats.template_calls import template_call_syntax
from devcli.llm.formats.token_text import TokenPieces
from devcli.llm.model_cards import ToolFormat
from devcli.tool_schema import ToolSchemas, tool_names


class ChatFormat:
    def __init__(
        self,
        renderer: PromptRenderer,
        tool_format: ToolFormat,
        pieces: TokenPieces,
        controls: MistralControls | None = None,
    ) -> None:
        """`pieces` decodes replies; `controls` are the Mistral control ids of the model's
        vocabulary when it has them (they let a grammar force a native call)."""
        self.renderer = renderer
        self.tool_format = tool_format
        self.pieces = pieces
        self.controls = controls

    @property
    def description(self) -> str:
        syntax = template_call_syntax(self.tool_format)
        if syntax is not None:
            calls = syntax.description
        elif self.tool_format is ToolFormat.OPENHANDS:
            calls = "OpenHands text calls"
        else:
            calls = "native calls"
        return f"{self.renderer.description}, {calls}"

    def prompt(self, messages: Sequence[HistoryMessage], tools: ToolSchemas) -> list[int]:
        if self.tool_format is ToolFormat.OPENHANDS:
            return self.renderer.encode(to_text_conversation(messages, tools), [])
        return self.renderer.encode(messages, tools)

    def reader(self, tools: ToolSchemas) -> ReplyReader:
        names = tool_names(tools)
        if self.tool_format is ToolFormat.OPENHANDS:
            return TextReply(self.pieces, (OPENHANDS_OPENER,), (STOP_WORD,), tools, names)
        if (syntax := template_call_syntax(self.tool_format)) is not None:
            return TextReply(self.pieces, syntax.openers, (), tools, names)
        if isinstance(self.renderer, MistralCommonPrompt):
            return MistralReply(self.renderer.pieces, self.renderer.controls, names)
        return TextReply(self.pieces, (MISTRAL_OPENER,), (), tools, names)

    def forcing_grammar(self, tools: ToolSchemas) -> str | None:
        """A grammar that makes the reply exactly one call; None when the syntax has no way."""
        if not tools:
            return None
        if self.tool_format is ToolFormat.OPENHANDS:
            return openhands_call_grammar(tools)
        if (syntax := template_call_syntax(self.tool_format)) is not None:
            return syntax.forcing_grammar(tools)
        if self.controls is None:
            return None
        return mistral_call_grammar(tools, self.controls.tool_calls, self.controls.args)
