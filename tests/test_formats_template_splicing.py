"""How a chat template's prompt takes back turns generated here when the model writes its calls
as text the template taught it: the turn's own tokens, calls included, in place of the
template's rendering; and the template's rendering when it refuses that."""

import json

from devcli.events import ToolCall
from devcli.llm.backend import Role
from devcli.llm.formats.jinja_env import template_environment
from devcli.llm.formats.prompt_renderer import HistoryMessage
from devcli.llm.formats.template import ChatTemplatePrompt
from tests.support.template_ggufs import QWEN_STYLE_TEMPLATE

END = 0x110000  # an id no character has: the end-of-turn token of this byte "vocabulary"


def _tokenize(text: str) -> list[int]:
    return [ord(char) for char in text]


def _text(tokens: list[int]) -> str:
    return "".join("<END>" if token == END else chr(token) for token in tokens)


CALL = ToolCall(id="abcDEF123", name="think", arguments={"thought": "b", "a": 1})
# What the model wrote, in its own spacing and key order (not json.dumps's).
WRITTEN = '<tool_call>\n{"name":"think","arguments":{"thought":"b","a":1}}\n</tool_call>'


def _history() -> list[HistoryMessage]:
    return [
        HistoryMessage(role=Role.SYSTEM, content="sys"),
        HistoryMessage(role=Role.USER, content="go"),
        HistoryMessage(
            role=Role.ASSISTANT,
            content="",
            tool_calls=(CALL,),
            generated_ids=(*_tokenize(WRITTEN), END),
        ),
        HistoryMessage(role=Role.TOOL, content="ok", tool_call_id=CALL.id, name="think"),
    ]


def test_a_generated_call_goes_back_as_written() -> None:
    prompt = ChatTemplatePrompt(
        QWEN_STYLE_TEMPLATE, _tokenize, lambda t: t == END, splice_calls=True
    )
    text = _text(prompt.encode(_history(), []))
    assert f"<|im_start|>assistant\n{WRITTEN}<|im_end|>\n" in text
    assert "<tool_response>\nok\n</tool_response>" in text
    assert "<END>" not in text


def test_without_splicing_the_template_writes_the_call_itself() -> None:
    prompt = ChatTemplatePrompt(QWEN_STYLE_TEMPLATE, _tokenize, lambda t: t == END)
    text = _text(prompt.encode(_history(), []))
    rendered = json.dumps({"thought": "b", "a": 1})  # key order kept, no HTML escaping
    assert f'{{"name": "think", "arguments": {rendered}}}' in text
    assert WRITTEN not in text


def test_a_template_that_refuses_a_result_without_its_call_renders_the_call() -> None:
    strict = (
        "{% for m in messages %}"
        "{% if m.role == 'tool' and not loop.previtem.tool_calls %}"
        "{{ raise_exception('a result needs its call') }}{% endif %}"
        "{% if m.tool_calls %}{% for c in m.tool_calls %}CALL {{ c.function.name }} "
        "{{ c.function.arguments | tojson }}{% endfor %}{% else %}{{ m.content }}{% endif %}|"
        "{% endfor %}"
    )
    prompt = ChatTemplatePrompt(strict, _tokenize, lambda t: t == END, splice_calls=True)
    text = _text(prompt.encode(_history(), []))
    assert text == 'sys|go|CALL think {"thought": "b", "a": 1}|ok|'


def test_tojson_keeps_text_and_key_order_as_they_are() -> None:
    rendered = (
        template_environment()
        .from_string("{{ v | tojson }}")
        .render(v={"z": "<a href='x'> & é", "a": [1]})
    )
    assert rendered == '{"z": "<a href=\'x\'> & é", "a": [1]}'
