"""One task without a person: what `devcli run` and `devcli replay` share."""

import json
import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field

from devcli.agent.assembly import (
    attach_mcp_tools,
    build_condenser,
    build_hooks,
    build_toolbox,
    session_secrets,
)
from devcli.agent.loop import EventSink, Mode, Outcome
from devcli.agent.session_start import open_conversation
from devcli.checkpoints.run_report import end_of_run
from devcli.config import ConfigError, Settings
from devcli.events import (
    AssistantTurn,
    ErrorEvent,
    Event,
    SessionFileError,
    UserMessage,
    event_to_json,
)
from devcli.exit_codes import ExitCode
from devcli.llm.backend import Backend, ImageError
from devcli.llm.openai_messages import attach_task_images
from devcli.llm.prompt_cache_figures import prompt_cache_figures
from devcli.notices import notify
from devcli.redaction import Redactor, secret_values
from devcli.session_files import load_for_resume
from devcli.ui.renderers import TextRenderer, show_reasoning_on_stderr, text_renderer


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
    # Local models, this run's turns only (a resumed session's earlier turns are left out):
    # prompt tokens evaluated, those restored from the prompt cache instead, and the wait for
    # the first token of the run's first turn.
    prompt_tokens_evaluated: int | None = None
    prompt_tokens_restored: int | None = None
    first_token_seconds: float | None = None
    session_file: str
    changed_files: list[str] = Field(default_factory=list)
    committed: bool = False


class RunCheck(Protocol):
    """A check of the finished run (a replay's faithfulness); a problem makes it fail."""

    def problem_after(self, events: Sequence[Event]) -> str | None: ...


def _print_jsonl(event: Event) -> None:
    print(event_to_json(event), flush=True)


def _print_notice(message: str) -> None:
    """Notices of the session's parts (the sandbox, MCP servers), through the reporter."""
    notify(message)


def run_headless(backend: Backend, request: RunRequest, check: RunCheck | None = None) -> int:
    try:
        resumed = load_for_resume(request.resume) if request.resume else None
    except (OSError, UnicodeDecodeError, SessionFileError) as exc:
        print(f"devcli: cannot resume from {request.resume}: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
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
    settings = request.settings
    show_reasoning_on_stderr(backend)
    try:
        toolbox = build_toolbox(settings, request.cwd, notice=_print_notice)
    except ConfigError as exc:
        print(f"devcli: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    try:
        attach_mcp_tools(toolbox, settings, request.cwd, _print_notice)
    except ConfigError as exc:
        toolbox.close()
        print(f"devcli: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    outputs: list[EventSink] = []
    if request.output is OutputFormat.JSONL:
        outputs.append(_print_jsonl)
    condenser = build_condenser(settings, backend)
    renderer: TextRenderer | None = None
    if request.output is OutputFormat.TEXT:
        renderer = text_renderer(sys.stdout, request.cwd, backend, condenser.window)
        outputs.append(renderer)
    # Secrets never reach the session file, the terminal or JSON output.
    redactor = Redactor(secret_values(os.environ, session_secrets(settings)))
    conversation = open_conversation(
        settings=settings,
        workspace=request.cwd,
        backend=backend,
        toolbox=toolbox,
        condenser=condenser,
        mode=Mode.HEADLESS,
        hooks_for=lambda session_id: build_hooks(
            settings,
            request.cwd,
            Mode.HEADLESS,
            session_id=session_id,
            sandboxed=toolbox.sandboxed,
        ),
        outputs=outputs,
        redactor=redactor,
        on_text=renderer.on_text if renderer is not None else None,
        session_file=request.session_file,
        resume=(request.resume, resumed) if request.resume and resumed else None,
    )
    agent = conversation.agent
    try:
        outcome = agent.run(request.task, images=() if resumed else images)
        problem = check.problem_after(agent.events) if check is not None else None
        if problem is not None:
            # Said where people look (the session, the output, stderr); the run fails.
            agent.record(ErrorEvent(message=f"Not a faithful replay: {problem}."))
            print(f"devcli: not a faithful replay: {problem}", file=sys.stderr, flush=True)
            if outcome.exit_code is ExitCode.COMPLETED:
                outcome = outcome.model_copy(update={"exit_code": ExitCode.BACKEND})
    finally:
        if renderer is not None:
            renderer.stop()
        for hook in agent.hooks:
            hook.close()
        toolbox.close()
        conversation.writer.close()
    completed = outcome.task_completed == "true"
    changes = end_of_run(
        request.cwd,
        conversation.session_id,
        request.task,
        outcome.message,
        completed,
        settings.commit,
    )
    if request.output is OutputFormat.JSON:
        summary = _summary(outcome, agent.events, conversation.writer.path)
        before = len(resumed.events) if resumed is not None else 0
        this_run = [e for e in agent.events[before:] if isinstance(e, AssistantTurn)]
        summary = summary.model_copy(update=prompt_cache_figures(this_run))
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
