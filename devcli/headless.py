"""One task without a person: what `devcli run` and `devcli replay` share."""

import json
import os
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

from devcli.agent.assembly import COMPACT_PROMPT_WINDOW, build_condenser, build_hooks, build_toolbox
from devcli.agent.loop import Agent, EventSink, Mode, Outcome
from devcli.agent.system_prompt import build_system_prompt
from devcli.config import ConfigError, Settings
from devcli.events import (
    AssistantTurn,
    Event,
    SessionStarted,
    SessionWriter,
    UserMessage,
    event_to_json,
)
from devcli.exit_codes import ExitCode
from devcli.ids import new_session_id
from devcli.llm.base import Backend
from devcli.llm.openai_messages import ImageError, attach_task_images
from devcli.paths import sessions_dir
from devcli.safety.redaction import Redactor, secret_values
from devcli.safety.session_report import end_of_run
from devcli.sessions import load_for_resume
from devcli.ui.renderers import TextRenderer, text_renderer


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
    resume: Path | None = None  # a session file to carry on with


class RunSummary(BaseModel):
    status: str
    exit_code: int
    task_completed: str
    message: str
    steps: int
    prompt_tokens: int
    completion_tokens: int
    session_file: str
    changed_files: list[str] = Field(default_factory=list)
    committed: bool = False


def default_session_file(cwd: Path, session_id: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return sessions_dir(cwd) / f"{stamp}-{session_id}.jsonl"


def _print_jsonl(event: Event) -> None:
    print(event_to_json(event), flush=True)


def run_headless(backend: Backend, request: RunRequest) -> int:
    resumed = load_for_resume(request.resume) if request.resume else None
    images = [str(path.resolve()) for path in request.images]
    if resumed is not None and not images:
        first = next((e for e in resumed.events if isinstance(e, UserMessage)), None)
        images = list(first.images) if first is not None else []
    if images:
        try:
            attach_task_images(backend, [Path(image) for image in images])
        except ImageError as exc:
            print(f"devcli: {exc}", file=sys.stderr)
            return int(ExitCode.USAGE)
    session_id = resumed.header.id if resumed else new_session_id()
    path = request.resume or request.session_file or default_session_file(request.cwd, session_id)
    settings = request.settings
    try:
        toolbox = build_toolbox(settings, request.cwd)
    except ConfigError as exc:
        print(f"devcli: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    writer = SessionWriter(path)
    sinks: list[EventSink] = [writer]
    if request.output is OutputFormat.JSONL:
        sinks.append(_print_jsonl)
    renderer: TextRenderer | None = None
    if request.output is OutputFormat.TEXT:
        renderer = text_renderer(sys.stdout, request.cwd, backend, settings)
        sinks.append(renderer)
    condenser = build_condenser(settings, backend)
    compact = condenser.window <= COMPACT_PROMPT_WINDOW
    toolbox.compact_descriptions = compact
    # Secrets never reach the session file, the terminal or JSON output.
    redactor = Redactor(secret_values(os.environ, [settings.api_key]))
    agent = Agent(
        backend=backend,
        toolbox=toolbox,
        system_prompt=build_system_prompt(request.cwd, compact=compact),
        sinks=[redactor.sink(sink) for sink in sinks],
        max_steps=settings.max_steps,
        mode=Mode.HEADLESS,
        hooks=build_hooks(settings, request.cwd, Mode.HEADLESS, session_id=session_id),
        condenser=condenser,
        on_text=renderer.on_text if renderer is not None else None,
    )
    if resumed is None:
        header = SessionStarted(
            id=session_id, cwd=str(request.cwd), model=backend.model_name, backend=backend.kind
        )
        for sink in agent.sinks:
            sink(header)
    else:
        agent.events = list(resumed.events)
        for repair in resumed.repairs:
            agent.record(repair)
    try:
        outcome = agent.run(request.task, images=images if resumed is None else ())
    finally:
        if renderer is not None:
            renderer.stop()
        toolbox.close()
        writer.close()
    completed = outcome.task_completed == "true"
    changes = end_of_run(
        request.cwd, session_id, request.task, outcome.message, completed, settings.commit
    )
    if request.output is OutputFormat.JSON:
        summary = _summary(outcome, agent.events, path)
        summary.changed_files = [change.path for change in changes.changes]
        summary.committed = changes.committed is not None
        print(json.dumps(redactor.data(summary.model_dump())), flush=True)
    else:
        stream = sys.stdout if request.output is OutputFormat.TEXT else sys.stderr
        print(redactor.text("\n".join(changes.lines())), file=stream, flush=True)
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
