"""Which tool calls need the user's consent, and turning their answer into a refusal or a go.

Modes: `ask` asks before every command and edit, `auto-edit` lets edits inside the repository
run and asks before commands, `auto` runs everything (hard gates are a separate hook). A run
without a person to ask refuses what would need asking, and says so to the model.
"""

from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from devcli.config import ApprovalMode
from devcli.events import ToolCall
from devcli.tools.base import (
    Approver,
    CallHook,
    ConsentKind,
    Refusal,
    Tool,
    ToolArgs,
)


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
    kind: ConsentKind  # an edit or a command
    # What an `always` answer covers, e.g. "edits" or "`git status` commands".
    scope_label: str


class ApprovalPrompt(Approver, Protocol):
    """The terminal side: shows a request and returns the person's decision."""

    def decide(self, request: ApprovalRequest) -> Decision: ...


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return True


class ApprovalHook(CallHook):
    """Asks before calls the mode does not let through. `mode` may be changed while the
    session runs (the `/approval` command)."""

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
        request = self.request_for(call, tool, args)
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

    def request_for(
        self, call: ToolCall, tool: Tool[Any], args: ToolArgs
    ) -> ApprovalRequest | None:
        """The question to ask about this call, or None when it may run without asking."""
        consent = tool.consent(args)
        if self.mode is ApprovalMode.AUTO or consent.kind is ConsentKind.NONE:
            return None
        if consent.kind is ConsentKind.EDIT:
            inside = _inside(Path(consent.path or ""), self.workspace)
            if self.mode is ApprovalMode.AUTO_EDIT and inside:
                return None
            scope = "edits" if inside else "edits outside the repository"
            return ApprovalRequest(call=call, kind=ConsentKind.EDIT, scope_label=scope)
        return ApprovalRequest(call=call, kind=ConsentKind.COMMAND, scope_label=consent.scope)


def refusal_text(kind: ConsentKind, reason: str) -> str:
    text = f"The user did not approve this {kind.value}, so it was not run."
    if reason.strip():
        text += f" Their reason: {reason.strip()}"
    return text + " Do not repeat it unchanged; take their answer into account."
