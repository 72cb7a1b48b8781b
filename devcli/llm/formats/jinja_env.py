"""The Jinja environment chat templates are written for.

Templates in GGUFs come from Hugging Face repositories and are written against the
environment `transformers` renders them in: a sandbox with `trim_blocks`/`lstrip_blocks`,
loop controls, `raise_exception`, `strftime_now`, and a `tojson` that keeps key order and
non-ASCII text as they are (Jinja's own sorts keys and escapes `<`, `>`, `&` and `'`, which
would put `\\u003c` into tool descriptions and reorder a call's arguments).
"""

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from devcli.llm.formats.prompt_renderer import PromptError

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment


def _raise(message: str) -> NoReturn:
    raise PromptError(f"the model's chat template refused the conversation: {message}")


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def template_environment() -> "ImmutableSandboxedEnvironment":
    """A sandboxed environment to compile chat templates in."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    environment.globals["raise_exception"] = _raise
    environment.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    environment.filters["tojson"] = _tojson
    return environment
