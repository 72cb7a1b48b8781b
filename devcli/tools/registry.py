"""The set of tools offered to the model, and dispatch of one call to its tool."""

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from devcli.config import ConfigError, Settings
from devcli.events import ToolCall
from devcli.tools.base import ArgumentError, Tool, ToolArgs
from devcli.tools.bash import BashTool
from devcli.tools.editor import EditorTool
from devcli.tools.finish import FinishTool
from devcli.tools.git_ops.commit import Confirmer, ask_before_commit
from devcli.tools.git_tool import CommitPermission, GitTool
from devcli.tools.think import ThinkTool

# `finish` stays whatever the settings say: it is the only way a run ends well.
ALWAYS_OFFERED = frozenset({"finish"})


class ToolBox:
    def __init__(self, tools: Iterable[Tool[Any]]) -> None:
        self.tools: dict[str, Tool[Any]] = {tool.name: tool for tool in tools}
        # Small context windows get one-paragraph descriptions.
        self.compact_descriptions = False
        self._schemas: dict[bool, list[dict[str, Any]]] = {}
        self._releases: list[Callable[[], None]] = []

    @classmethod
    def default(
        cls,
        cwd: Path,
        settings: Settings | None = None,
        approver: Confirmer | None = None,
    ) -> "ToolBox":
        """The standard tools less those `settings.tools` leaves out. Commits are allowed by
        `settings.commit`, else asked of `approver` one by one, else refused."""
        settings = settings or Settings()
        permission: CommitPermission = settings.commit or (
            ask_before_commit(approver) if approver is not None else False
        )
        factories: dict[str, Callable[[], Tool[Any]]] = {
            "execute_bash": lambda: BashTool(cwd),
            "str_replace_editor": lambda: EditorTool(cwd),
            "think": ThinkTool,
            "finish": FinishTool,
            "git": lambda: GitTool(cwd, allow_commit=permission),
        }
        return cls(factories[name]() for name in enabled_tools(list(factories), settings.tools))

    def extend(self, tools: Iterable[Tool[Any]], release: Callable[[], None]) -> None:
        """Add tools that share something to release once they are closed (their servers)."""
        for tool in tools:
            self.tools.setdefault(tool.name, tool)
        self._releases.append(release)
        self._schemas.clear()

    def schemas(self) -> list[dict[str, Any]]:
        """The tools' schemas, built once: every step and every token count asks for them."""
        compact = self.compact_descriptions
        if compact not in self._schemas:
            self._schemas[compact] = [tool.schema(compact) for tool in self.tools.values()]
        return self._schemas[compact]

    def prepare(self, call: ToolCall) -> tuple[Tool[Any], ToolArgs]:
        """Find the tool and validate the arguments; ArgumentError explains any problem."""
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(f"`{name}`" for name in self.tools)
            raise ArgumentError(f"There is no tool named `{call.name}`. The tools are: {known}.")
        if call.raw_arguments is not None:
            raise ArgumentError(_json_problem(call.name, call.raw_arguments))
        return tool, tool.parse_arguments(call.arguments)

    def close(self) -> None:
        for tool in self.tools.values():
            tool.close()
        while self._releases:
            self._releases.pop()()


def _json_problem(name: str, raw: str) -> str:
    try:
        json.loads(raw)
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    else:
        detail = "it is not a JSON object"
    return (
        f"The arguments of `{name}` are not a valid JSON object ({detail}). Send the call "
        "again with arguments as one JSON object."
    )


def enabled_tools(available: list[str], wanted: list[str] | None) -> list[str]:
    """The tools to offer, in `available`'s order.

    `wanted` lists tool names to offer only those, or names with a leading `-` to offer all
    but those (`["-git"]`); None or an empty list offers every tool.
    """
    unknown = [name for name in wanted or [] if name.removeprefix("-") not in available]
    if unknown:
        raise ConfigError(
            f"setting `tools`: no tool is named {', '.join(repr(n) for n in unknown)}; the "
            f"tools are {', '.join(available)} (prefix a name with - to leave it out)"
        )
    chosen = {name for name in wanted or [] if not name.startswith("-")} or set(available)
    chosen -= {name[1:] for name in wanted or [] if name.startswith("-")}
    return [name for name in available if name in chosen | ALWAYS_OFFERED]
