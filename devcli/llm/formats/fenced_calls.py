"""Tool calls a model wrapped in a Markdown code fence at the end of its reply:

    I will run the tests.
    ```json
    {"name": "execute_bash", "arguments": {"command": "pytest -q"}}
    ```

Small models tuned on chat data (Qwen2.5-Coder among them) often do this instead of writing the
call their template taught. A fence is also how a model shows an example, so only a fence that
closes the reply, holds nothing but call objects, and names tools the session offers counts.
"""

import re
from collections.abc import Collection

from devcli.llm.formats.bare_json_calls import calls_to_end
from devcli.llm.formats.call_text import ParsedTurn
from devcli.llm.formats.hermes_calls import strip_end_markers

_FENCE = "```"
# What may follow the opening backticks on their line: a language or a tag name.
_INFO = re.compile(r"[\w+-]*[ \t]*")


def _final_fence(reply: str) -> tuple[int, str] | None:
    """Where the fence that ends `reply` opens, and what it holds."""
    if not reply.endswith(_FENCE):
        return None
    inside = reply[: -len(_FENCE)]
    opener = inside.rfind(_FENCE)
    if opener < 0 or inside[:opener].strip(" \t")[-1:] not in ("", "\n"):
        return None
    info = _INFO.match(inside, opener + len(_FENCE))
    line_end = info.end() if info else opener + len(_FENCE)
    if not inside.startswith("\n", line_end):
        return None
    return opener, inside[line_end + 1 :]


def parse_fenced_calls(text: str, tool_names: Collection[str]) -> ParsedTurn | None:
    """The calls in a fence that ends `text`, or None when there are none to take."""
    if not tool_names:
        return None
    reply = strip_end_markers(text)
    fence = _final_fence(reply)
    if fence is None:
        return None
    opener, body = fence
    calls = calls_to_end(body, 0)
    if not calls or any(call.name not in tool_names for call in calls):
        return None
    return ParsedTurn(content=reply[:opener].strip(), tool_calls=calls)
