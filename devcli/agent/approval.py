"""Which tool calls need the user's consent, and turning their answer into a refusal or a go.

Modes: `ask` asks before every command and edit, `auto-edit` lets edits inside the repository
run and asks before commands, `auto` runs everything (hard gates are a separate hook). A run
without a person to ask refuses what would need asking, and says so to the model.
"""

import re
import shlex
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from devcli.agent.hooks import Approver, Refusal
from devcli.agent.loop import Mode
from devcli.config import Settings
from devcli.events import ToolCall
from devcli.tools.base import Tool, ToolArgs

# Tools that only read or talk never need consent.
_QUIET_TOOLS = frozenset({"think", "finish"})
_EDITOR = "str_replace_editor"
_BASH = "execute_bash"
# Programs whose first argument picks what they do: `always` covers `git status`, not all git.
# fmt: off
_WITH_SUBCOMMANDS = frozenset({
    "apt", "brew", "bundle", "cargo", "conda", "docker", "dotnet", "gh", "git", "go", "gradle",
    "hatch", "just", "kubectl", "make", "mvn", "nox", "npm", "pip", "pip3", "pnpm", "poetry",
    "rake", "systemctl", "tox", "uv", "yarn",
})
# fmt: on


class ApprovalMode(StrEnum):
    ASK = "ask"
    AUTO_EDIT = "auto-edit"
    AUTO = "auto"


class ActionKind(StrEnum):
    COMMAND = "command"
    EDIT = "edit"


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    ALWAYS = "always"  # yes, and do not ask again for this scope during the session


class Decision(BaseModel):
    answer: Answer
    reason: str = ""  # why the user said no, passed on to the model


class ApprovalRequest(BaseModel):
    """What the person is asked about."""

    call: ToolCall
    kind: ActionKind
    # What an `always` answer covers, e.g. "edits" or "`git status` commands".
    scope_label: str


class ApprovalPrompt(Approver, Protocol):
    """The terminal side: shows a request and returns the person's decision."""

    def decide(self, request: ApprovalRequest) -> Decision: ...


def default_mode(settings: Settings, mode: Mode) -> ApprovalMode:
    if settings.approval is not None:
        return ApprovalMode(settings.approval)
    return ApprovalMode.ASK if mode is Mode.INTERACTIVE else ApprovalMode.AUTO


def command_scope(command: str) -> str:
    """The program (and its subcommand, for tools like git) that an `always` covers."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    # Skip leading VAR=value assignments: they do not change which program runs.
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words = words[1:]
    if not words:
        return command.strip()
    program = words[0]
    if len(words) > 2 and Path(program).name.startswith("python") and words[1] == "-m":
        return " ".join(words[:3])
    if len(words) > 1 and Path(program).name in _WITH_SUBCOMMANDS and words[1][0] != "-":
        return f"{program} {words[1]}"
    return program


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True


class ApprovalHook:
    """A ToolHook. `mode` may be changed while the session runs (the `/approval` command)."""

    def __init__(
        self, mode: ApprovalMode, workspace: Path, prompt: ApprovalPrompt | None = None
    ) -> None:
        self.mode = mode
        self.workspace = workspace
        self.prompt = prompt
        self.allowed_scopes: set[str] = set()

    def before(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> Refusal | None:
        if tool.runs_without_approval:
            return None
        request = self.request_for(call, args.model_dump())
        if request is None or request.scope_label in self.allowed_scopes:
            return None
        if self.prompt is None:
            return Refusal(
                reason=f"Not run: this session runs with approval mode `{self.mode.value}` and "
                f"nobody is there to approve this {request.kind.value}. Carry on without it, "
                "or finish and explain what still needs doing."
            )
        decision = self.prompt.decide(request)
        if decision.answer is Answer.ALWAYS:
            self.allowed_scopes.add(request.scope_label)
        if decision.answer is Answer.NO:
            return Refusal(reason=refusal_text(request.kind, decision.reason))
        return None

    def request_for(self, call: ToolCall, arguments: dict[str, Any]) -> ApprovalRequest | None:
        """The question to ask about this call, or None when it may run without asking."""
        if self.mode is ApprovalMode.AUTO or call.name in _QUIET_TOOLS:
            return None
        if call.name == _EDITOR:
            if arguments.get("command") == "view":
                return None
            path = Path(str(arguments.get("path", "")))
            if self.mode is ApprovalMode.AUTO_EDIT and _inside(path, self.workspace):
                return None
            scope = "edits" if _inside(path, self.workspace) else "edits outside the repository"
            return ApprovalRequest(call=call, kind=ActionKind.EDIT, scope_label=scope)
        if call.name == _BASH:
            if arguments.get("is_input") == "true":
                return None  # input for a command that was already approved
            scope = f"`{command_scope(str(arguments.get('command', '')))}` commands"
            return ApprovalRequest(call=call, kind=ActionKind.COMMAND, scope_label=scope)
        return ApprovalRequest(
            call=call, kind=ActionKind.COMMAND, scope_label=f"`{call.name}` calls"
        )


def refusal_text(kind: ActionKind, reason: str) -> str:
    text = f"The user did not approve this {kind.value}, so it was not run."
    if reason.strip():
        text += f" Their reason: {reason.strip()}"
    return text + " Do not repeat it unchanged; take their answer into account."
