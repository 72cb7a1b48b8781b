"""devcli's questions to the person, asked through the client's `session/request_permission`.

Implements the approver protocols the hooks and tools already use (`ApprovalPrompt` for the
approval modes, `confirm` for hard gates, confinement and commits), so an answer in the editor
is applied exactly as the same answer at the REPL: allow once, allow always (the approval
hook remembers the scope), or reject, which the model reads as the REPL's refusal. A turn
cancelled while the question is open stops as Ctrl-C at the REPL's prompt does.
"""

from acp.schema import AllowedOutcome, PermissionOption, ToolCallUpdate

from devcli.acp import call_view
from devcli.acp.channel import ClientChannel
from devcli.acp.updates import UpdateTranslator
from devcli.llm.backend import TurnCancelled
from devcli.safety.approval import Answer, ApprovalRequest, Decision

_ALLOW_ONCE = "allow-once"
_ALLOW_ALWAYS = "allow-always"
_REJECT = "reject"
_ANSWERS = {_ALLOW_ONCE: Answer.YES, _ALLOW_ALWAYS: Answer.ALWAYS, _REJECT: Answer.NO}


class PermissionBridge:
    def __init__(self, channel: ClientChannel, translator: UpdateTranslator) -> None:
        self.channel = channel
        self.translator = translator
        self._questions = 0

    def decide(self, request: ApprovalRequest) -> Decision:
        """Allow once / always (for the request's scope) / reject, as at the REPL."""
        options = [
            PermissionOption(option_id=_ALLOW_ONCE, name="Allow", kind="allow_once"),
            PermissionOption(
                option_id=_ALLOW_ALWAYS,
                name=f"Always allow {request.scope_label}",
                kind="allow_always",
            ),
            PermissionOption(option_id=_REJECT, name="Reject", kind="reject_once"),
        ]
        chosen = self._ask(self.translator.permission_view(request.call), options)
        return Decision(answer=_ANSWERS[chosen])

    def confirm(self, question: str, detail: str = "") -> bool:
        """A yes-or-no question (a hard gate's "allow once", a file outside the repository,
        a commit): the call it is about is the one being checked now."""
        call = self.translator.waiting_call()
        if call is not None:
            view = self.translator.permission_view(call)
        else:
            self._questions += 1
            view = ToolCallUpdate(tool_call_id=f"question-{self._questions}", status="pending")
        first, _, rest = question.strip().partition("\n")
        view.title = first
        view.content = [call_view.text(part) for part in (rest, detail) if part.strip()] or None
        options = [
            PermissionOption(option_id=_ALLOW_ONCE, name="Allow once", kind="allow_once"),
            PermissionOption(option_id=_REJECT, name="Reject", kind="reject_once"),
        ]
        return self._ask(view, options) == _ALLOW_ONCE

    def _ask(self, view: ToolCallUpdate, options: list[PermissionOption]) -> str:
        response = self.channel.request_permission(view, options)
        outcome = response.outcome
        if not isinstance(outcome, AllowedOutcome):
            raise TurnCancelled  # the client cancelled the turn while the question was open
        if outcome.option_id not in {option.option_id for option in options}:
            return _REJECT  # an answer to a question not asked is no consent
        return outcome.option_id
