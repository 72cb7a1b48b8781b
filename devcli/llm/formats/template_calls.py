"""Calls in the syntax a model's own chat template teaches, written by the model as plain
text: Hermes/Qwen `<tool_call>` blocks and Llama 3.x JSON objects.

The template renders the tools (it is given their schemas) and the history; replies are read
with the same parsers as servers' replies; a grammar can force one well-formed call.
"""

from pydantic import BaseModel, ConfigDict

from devcli.llm.formats.call_grammar import json_call_grammar
from devcli.llm.formats.call_text import HERMES_CLOSER as CLOSING
from devcli.llm.formats.call_text import HERMES_OPENER as OPENING
from devcli.llm.formats.call_text import PYTHON_TAG
from devcli.llm.model_cards import ToolFormat
from devcli.tool_schema import ToolSchemas


class TemplateCallSyntax(BaseModel):
    model_config = ConfigDict(frozen=True)

    tool_format: ToolFormat
    description: str
    # Text from one of these on is a call: it is parsed, not shown while it streams.
    openers: tuple[str, ...]
    # How a forced call is written: opening, the JSON object, closing.
    opening: str
    arguments_key: str
    closing: str

    def forcing_grammar(self, tools: ToolSchemas) -> str:
        return json_call_grammar(tools, self.opening, self.arguments_key, self.closing)


HERMES = TemplateCallSyntax(
    tool_format=ToolFormat.HERMES,
    description="<tool_call> JSON calls",
    openers=(OPENING,),
    opening=OPENING + "\n",
    arguments_key="arguments",
    closing="\n" + CLOSING,
)
LLAMA3 = TemplateCallSyntax(
    tool_format=ToolFormat.LLAMA3,
    description="Llama 3 JSON calls",
    openers=('{"name"', PYTHON_TAG),
    opening="",
    arguments_key="parameters",
    closing="",
)
_SYNTAXES = {syntax.tool_format: syntax for syntax in (HERMES, LLAMA3)}


def template_call_syntax(tool_format: ToolFormat) -> TemplateCallSyntax | None:
    """The syntax of a format the template teaches; None for Mistral and OpenHands calls."""
    return _SYNTAXES.get(tool_format)
