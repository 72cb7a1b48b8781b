"""Opening a conversation: its id and session file, and the agent wired to its outputs.

`devcli run`, `devcli replay` and the REPL all start (or resume) conversations this way, so a
session file written by one can be carried on by another.
"""

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from devcli.agent.assembly import COMPACT_PROMPT_WINDOW
from devcli.agent.condenser import Condenser
from devcli.agent.loop import Agent, EventSink, Mode
from devcli.agent.system_prompt import build_system_prompt
from devcli.config import Settings
from devcli.events import SessionStarted, SessionWriter
from devcli.ids import new_session_id
from devcli.llm.backend import Backend, TextSink
from devcli.redaction import Redactor
from devcli.session_files import ResumedSession, default_session_file
from devcli.tools.base import CallHook
from devcli.tools.registry import ToolBox


class OpenedConversation(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    agent: Agent
    writer: SessionWriter
    session_id: str
    resumed: bool


def _started_on(started: str) -> date | None:
    """The local date a session began: a resumed conversation keeps the date its system prompt
    had, so the prompt stays token-identical (prompt caches, local and on servers, still hit)."""
    try:
        return datetime.fromisoformat(started).astimezone().date()
    except ValueError:
        return None


def open_conversation(
    *,
    settings: Settings,
    workspace: Path,
    backend: Backend,
    toolbox: ToolBox,
    condenser: Condenser,
    mode: Mode,
    hooks_for: Callable[[str], list[CallHook]],
    outputs: Sequence[EventSink],
    redactor: Redactor,
    on_text: TextSink | None = None,
    session_file: Path | None = None,
    resume: tuple[Path, ResumedSession] | None = None,
) -> OpenedConversation:
    """A new conversation, or (with `resume`) the saved one rebuilt, ready to take a message.

    Every event goes through `redactor` to the session file and to `outputs`.
    """
    resumed = resume[1] if resume else None
    session_id = resumed.header.id if resumed else new_session_id()
    path = resume[0] if resume else session_file or default_session_file(workspace, session_id)
    writer = SessionWriter(path)
    compact = condenser.window <= COMPACT_PROMPT_WINDOW
    today = _started_on(resumed.header.started) if resumed else None
    toolbox.compact_descriptions = compact
    agent = Agent(
        backend=backend,
        toolbox=toolbox,
        system_prompt=build_system_prompt(
            workspace, today=today, compact=compact, sandbox=toolbox.environment_note()
        ),
        sinks=[redactor.sink(writer), *(redactor.sink(sink) for sink in outputs)],
        max_steps=settings.max_steps,
        mode=mode,
        hooks=hooks_for(session_id),
        on_text=on_text,
        condenser=condenser,
    )
    if resumed is None:
        header = SessionStarted(
            id=session_id, cwd=str(workspace), model=backend.model_name, backend=backend.kind
        )
        for sink in agent.sinks:
            sink(header)
    else:
        agent.events = list(resumed.events)
        for repair in resumed.repairs:
            agent.record(repair)
    return OpenedConversation(
        agent=agent, writer=writer, session_id=session_id, resumed=bool(resume)
    )


def agent_for_backend(
    previous: Agent, backend: Backend, condenser: Condenser, workspace: Path
) -> Agent:
    """A new agent on another model that carries the conversation on: same events, session
    file, hooks, tools and system prompt, unless the new window calls for the short prompt and
    tool descriptions (or no longer does)."""
    compact = condenser.window <= COMPACT_PROMPT_WINDOW
    system_prompt = previous.system_prompt  # the same words keep a cached prefix valid
    if compact != previous.toolbox.compact_descriptions:
        system_prompt = build_system_prompt(
            workspace, compact=compact, sandbox=previous.toolbox.environment_note()
        )
    previous.toolbox.compact_descriptions = compact
    agent = Agent(
        backend=backend,
        toolbox=previous.toolbox,
        system_prompt=system_prompt,
        sinks=previous.sinks,
        max_steps=previous.max_steps,
        mode=previous.mode,
        hooks=previous.hooks,
        on_text=previous.on_text,
        condenser=condenser,
    )
    agent.events = previous.events
    agent.step = previous.step
    return agent
