"""Command-line flags derived from the settings: a Settings field declared with `flag(...)` in
devcli/config.py becomes `--field-name` on the commands that take it, with its help, so each
setting is declared once.

The flags are read from config.py's source rather than from the Settings class: building
`--help` must not import pydantic (start-up stays instant). A test checks that what is read
matches the class field for field.
"""

import ast
import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])
FLAGS_PARAMETER = "setting_flags"
_CONFIG_SOURCE = Path(__file__).with_name("config.py")
_KINDS: dict[str, type] = {"bool": bool, "int": int, "float": float}


@dataclass(frozen=True)
class SettingFlag:
    name: str
    kind: type  # what the command line reads: bool, int, float, or str for everything else
    help: str
    short: str | None = None
    group: str = "model"
    minimum: int | None = None

    @property
    def declarations(self) -> list[str]:
        names = ["--" + self.name.replace("_", "-")]
        return [*names, self.short] if self.short else names


def _kind(annotation: ast.expr) -> type:
    """`int | None` → int; choices, enums and the rest are read as text and checked by
    Settings, whose message names the flag."""
    parts = []
    stack = [annotation]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            stack += [node.left, node.right]
        elif not (isinstance(node, ast.Constant) and node.value is None):
            parts.append(node)
    if len(parts) == 1 and isinstance(parts[0], ast.Name):
        return _KINDS.get(parts[0].id, str)
    return str


@functools.cache
def setting_flags() -> tuple[SettingFlag, ...]:
    source = _CONFIG_SOURCE.read_text(encoding="utf-8")
    # Only the class is parsed: it is what holds the flags, and start-up time counts.
    start = source.index("\nclass Settings(") + 1
    end = source.find("\n\n\n", start)
    settings = ast.parse(source[start : end if end > 0 else None]).body[0]
    assert isinstance(settings, ast.ClassDef)
    found = []
    for statement in settings.body:
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            continue
        call = statement.value
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            continue
        if call.func.id != "flag":
            continue
        options = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
        found.append(
            SettingFlag(
                name=statement.target.id,
                kind=_kind(statement.annotation),
                help=ast.literal_eval(call.args[1]),
                short=options.get("short"),
                group=options.get("group", "model"),
                minimum=options.get("ge"),
            )
        )
    return tuple(found)


def flag_settings(group: str | None = None) -> list[str]:
    """The settings that are flags (of one group, or all), in the order Settings lists them."""
    return [flag.name for flag in setting_flags() if group is None or flag.group == group]


def _option(flag: SettingFlag) -> Any:
    options: dict[str, Any] = {"help": flag.help}
    if flag.minimum is not None and flag.kind is int:
        options["min"] = flag.minimum
    return Annotated[flag.kind | None, typer.Option(*flag.declarations, **options)]


def with_setting_flags(names: Sequence[str]) -> Callable[[F], F]:
    """Give a Typer command one option per setting in `names`; the command receives what was
    given as `setting_flags` (None where a flag was not given)."""
    by_name = {flag.name: flag for flag in setting_flags()}

    def decorate(command: F) -> F:
        signature = inspect.signature(command)
        own = [p for p in signature.parameters.values() if p.name != FLAGS_PARAMETER]
        added = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=_option(by_name[name]),
            )
            for name in names
        ]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            flags = {name: kwargs.pop(name, None) for name in names}
            return command(*args, **kwargs, **{FLAGS_PARAMETER: flags})

        wrapper.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
        annotations = {k: v for k, v in command.__annotations__.items() if k != FLAGS_PARAMETER}
        annotations.update({p.name: p.annotation for p in added})
        wrapper.__annotations__ = annotations
        del wrapper.__wrapped__  # Typer must read the new signature, not the command's own
        return wrapper  # type: ignore[return-value]

    return decorate
