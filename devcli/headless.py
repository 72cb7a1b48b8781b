"""One task without a person: what `devcli run` and `devcli replay` share."""

import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

from devcli.agent.assembly import build_hooks, build_toolbox
from devcli.agent.loop import Agent, EventSink, Mode, Outcome
from devcli.agent.system_prompt import build_system_prompt
from devcli.config import Settings
from devcli.events import AssistantTurn, Event, SessionStarted, SessionWriter, event_to_json
from devcli.ids import new_session_id
from devcli.llm.base import Backend
from devcli.paths import sessions_dir
from devcli.ui.plain import PlainRenderer


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    JSONL = "jsonl"


class RunRequest(BaseModel):
    task: str
    cwd: Path
    settings: Settings = Field(default_factory=Settings)
    output: OutputFormat = OutputFormat.TEXT
    session_file: Path | None = None
    images: list[Path] = Field(default_factory=list)


class RunSummary(BaseModel):
    status: str
    exit_code: int
    task_completed: str
    message: str
    steps: int
    prompt_tokens: int
    completion_tokens: int
    session_file: str


def default_session_file(cwd: Path, session_id: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return sessions_dir(cwd) / f"{stamp}-{session_id}.jsonl"


def _print_jsonl(event: Event) -> None:
    print(event_to_json(event), flush=True)


def run_headless(backend: Backend, request: RunRequest) -> int:
    session_id = new_session_id()
    path = request.session_file or default_session_file(request.cwd, session_id)
    writer = SessionWriter(path)
    sinks: list[EventSink] = [writer]
    if request.output is OutputFormat.JSONL:
        sinks.append(_print_jsonl)
    elif request.output is OutputFormat.TEXT:
        sinks.append(PlainRenderer(sys.stdout))
    settings = request.settings
    toolbox = build_toolbox(settings, request.cwd)
    agent = Agent(
        backend=backend,
        toolbox=toolbox,
        system_prompt=build_system_prompt(request.cwd),
        sinks=sinks,
        max_steps=settings.max_steps,
        mode=Mode.HEADLESS,
        hooks=build_hooks(settings, request.cwd, Mode.HEADLESS),
    )
    header = SessionStarted(
        id=session_id, cwd=str(request.cwd), model=backend.model_name, backend=backend.kind
    )
    for sink in agent.sinks:
        sink(header)
    try:
        outcome = agent.run(request.task)
    finally:
        toolbox.close()
        writer.close()
    if request.output is OutputFormat.JSON:
        print(json.dumps(_summary(outcome, agent.events, path).model_dump()), flush=True)
    return int(outcome.exit_code)


def _summary(outcome: Outcome, events: list[Event], path: Path) -> RunSummary:
    turns = [e for e in events if isinstance(e, AssistantTurn)]
    return RunSummary(
        status=outcome.reason.value,
        exit_code=int(outcome.exit_code),
        task_completed=outcome.task_completed,
        message=outcome.message,
        steps=len(turns),
        prompt_tokens=sum(t.usage.prompt_tokens for t in turns),
        completion_tokens=sum(t.usage.completion_tokens for t in turns),
        session_file=str(path),
    )
