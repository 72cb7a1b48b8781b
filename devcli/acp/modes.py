"""devcli's approval modes as ACP session modes (`session/set_mode`)."""

from acp import RequestError
from acp.schema import SessionMode, SessionModeState

from devcli.agent.approval import ApprovalMode

_MODES = {
    ApprovalMode.ASK: ("Ask", "Ask before every command and every edit."),
    ApprovalMode.AUTO_EDIT: (
        "Auto-edit",
        "Edit files inside the repository without asking; ask before commands.",
    ),
    ApprovalMode.AUTO: (
        "Auto",
        "Run commands and edits without asking; the hard gates still refuse destructive ones.",
    ),
}


def mode_state(current: ApprovalMode) -> SessionModeState:
    return SessionModeState(
        current_mode_id=current.value,
        available_modes=[
            SessionMode(id=mode.value, name=name, description=description)
            for mode, (name, description) in _MODES.items()
        ],
    )


def approval_mode(mode_id: str) -> ApprovalMode:
    try:
        return ApprovalMode(mode_id)
    except ValueError:
        known = ", ".join(mode.value for mode in ApprovalMode)
        raise RequestError.invalid_params(
            {"details": f"no mode is named {mode_id!r}; the modes are {known}"}
        ) from None
