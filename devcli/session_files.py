"""Finding saved sessions and rebuilding one to carry on with it."""

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from devcli.event_history import unanswered_calls
from devcli.events import (
    AssistantTurn,
    Event,
    Finished,
    Observation,
    SessionFileError,
    SessionStarted,
    UserMessage,
    read_session_file,
)
from devcli.paths import data_dir, sessions_dir

INTERRUPTED_RESULT = (
    "[This call was interrupted before it finished (devcli stopped); its effects, if any, "
    "are unknown. Check the state before relying on it.]"
)


def default_session_file(workspace: Path, session_id: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return sessions_dir(workspace) / f"{stamp}-{session_id}.jsonl"


class SessionNotFound(LookupError):
    """No saved session matches; the message says what was looked for."""


class SessionInfo(BaseModel):
    id: str
    path: Path
    started: str
    cwd: str
    model: str
    task: str
    status: str
    steps: int


def _summarise(path: Path) -> SessionInfo | None:
    try:
        events = read_session_file(path)
    except (OSError, UnicodeDecodeError, SessionFileError):
        return None
    if not events or not isinstance(events[0], SessionStarted):
        return None
    header = events[0]
    task = next((e.content for e in events if isinstance(e, UserMessage)), "")
    finished = [e for e in events if isinstance(e, Finished)]
    status = f"{finished[-1].reason} (exit {finished[-1].exit_code})" if finished else "unfinished"
    return SessionInfo(
        id=header.id,
        path=path,
        started=header.started,
        cwd=header.cwd,
        model=header.model,
        task=task,
        status=status,
        steps=sum(isinstance(e, AssistantTurn) for e in events),
    )


def list_sessions(workspace: Path | None) -> list[SessionInfo]:
    """Sessions of one repository (or of all, with None), newest first."""
    root = sessions_dir(workspace) if workspace is not None else data_dir() / "sessions"
    pattern = "*.jsonl" if workspace is not None else "*/*.jsonl"
    infos = [info for path in root.glob(pattern) if (info := _summarise(path)) is not None]
    return sorted(infos, key=lambda info: (info.started, info.path.name), reverse=True)


def find_session(workspace: Path, wanted: str | None) -> SessionInfo:
    """The session whose id starts with `wanted`, or the newest one when `wanted` is None."""
    sessions = list_sessions(workspace)
    if wanted is None:
        if not sessions:
            raise SessionNotFound(f"no saved sessions for {workspace}")
        return sessions[0]
    matches = [s for s in sessions if s.id.startswith(wanted)]
    if not matches:
        matches = [s for s in list_sessions(None) if s.id.startswith(wanted)]
    if not matches:
        raise SessionNotFound(f"no session with an id starting {wanted!r}")
    if len({s.id for s in matches}) > 1:
        ids = ", ".join(sorted({s.id for s in matches}))
        raise SessionNotFound(f"{wanted!r} matches several sessions: {ids}")
    return matches[0]


class ResumedSession(BaseModel):
    header: SessionStarted
    events: list[Event]
    repairs: list[Observation]  # results for calls cut off by a crash or Ctrl-C, to append


def load_for_resume(path: Path) -> ResumedSession:
    events = read_session_file(path)
    if not events or not isinstance(events[0], SessionStarted):
        raise SessionFileError(f"{path}: not a devcli session file (no session line)")
    header = events[0]
    body: list[Event] = [e for e in events[1:] if not isinstance(e, SessionStarted)]
    repairs = [
        Observation(tool_call_id=call.id, name=call.name, content=INTERRUPTED_RESULT, is_error=True)
        for call in unanswered_calls(body)
    ]
    return ResumedSession(header=header, events=body, repairs=repairs)
