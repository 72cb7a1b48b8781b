"""`devcli run` and `devcli replay`: one task, no questions, for scripts and CI."""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from devcli.cli_app import (
    CwdOption,
    ImageOption,
    OutputOption,
    SessionFileOption,
    app,
    fail,
    load_settings_or_exit,
)
from devcli.cli_settings import flag_settings, with_setting_flags
from devcli.exit_codes import EXIT_CODE_HELP, ExitCode

if TYPE_CHECKING:
    from devcli.config import Settings
    from devcli.headless import OutputFormat

ResumeOption = Annotated[
    str | None,
    typer.Option(
        "--resume", help="Carry on with a saved session: its id (or first characters), or its file."
    ),
]
ContinueOption = Annotated[
    bool, typer.Option("--continue", help="Carry on with this repository's latest session.")
]
NoPromptCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-prompt-cache",
        help="Neither read nor write local models' prompt cache this run (the prompt_cache "
        "setting turns it off for good).",
    ),
]
TrustProjectOption = Annotated[
    bool,
    typer.Option(
        "--trust-project",
        help="Start the MCP servers this repository's .devcli.toml declares (they run programs).",
    ),
]


CONTINUE_TASK = "Continue with the task where you left off."


def output_format(value: str) -> "OutputFormat":
    from devcli.headless import OutputFormat

    try:
        return OutputFormat(value)
    except ValueError:
        raise fail(f"--output must be one of text, json, jsonl (got {value!r})") from None


def read_task(task: str | None, task_file: Path | None) -> str:
    if task_file is not None:
        try:
            task = task_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read the task file {task_file}: {exc}") from exc
    elif task is None or task == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise fail('give a task: devcli run "fix the failing test" (or --task-file, or stdin)')
        task = sys.stdin.read()
    if not task.strip():
        raise fail("the task is empty")
    return task.strip()


def project_servers_or_exit(settings: "Settings", workspace: Path, trust: bool) -> "Settings":
    """The MCP servers of the repository's own `.devcli.toml` need consent (`--trust-project`,
    or the folder in `trusted_projects`); without it, a clear refusal."""
    if not settings.mcp_servers:
        return settings
    from devcli.config import ConfigError
    from devcli.mcp.consent import consent_for_run

    try:
        return consent_for_run(settings, workspace, trust)
    except ConfigError as exc:
        raise fail(str(exc)) from exc


def resume_path(workspace: Path, wanted: str | None, latest: bool) -> Path | None:
    """The session file to carry on with, or None for a new session."""
    if wanted is None and not latest:
        return None
    if wanted is not None and wanted.endswith(".jsonl") and Path(wanted).is_file():
        return Path(wanted).resolve()
    from devcli.session_files import SessionNotFound, find_session

    try:
        return find_session(workspace, wanted).path
    except SessionNotFound as exc:
        raise fail(str(exc)) from exc


def guarded(action: Callable[[], int]) -> int:
    """Run a command body; Ctrl-C outside the loop still exits 130 without a traceback."""
    try:
        return action()
    except KeyboardInterrupt:
        print("devcli: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)


@app.command(epilog=EXIT_CODE_HELP)
@with_setting_flags([*flag_settings("model"), *flag_settings("agent"), *flag_settings("commit")])
def run(
    task: Annotated[
        str | None, typer.Argument(help="What to do; '-' or nothing reads stdin.")
    ] = None,
    task_file: Annotated[
        Path | None, typer.Option("--task-file", help="Read the task from this file.")
    ] = None,
    cwd: CwdOption = Path("."),
    output: OutputOption = "text",
    session_file: SessionFileOption = None,
    resume: ResumeOption = None,
    continue_: ContinueOption = False,
    image: ImageOption = None,
    trust_project: TrustProjectOption = False,
    no_prompt_cache: NoPromptCacheOption = False,
    *,
    setting_flags: dict[str, Any],
) -> None:
    """Work on one task without asking questions, for scripts and CI."""
    from devcli.config import ConfigError
    from devcli.headless import RunRequest, run_headless
    from devcli.llm.backend import BackendStartError
    from devcli.llm.factory import make_backend

    output_kind = output_format(output)
    previous = resume_path(cwd, resume, continue_)
    text = read_task(task, task_file) if previous is None or task or task_file else CONTINUE_TASK
    overrides = {**setting_flags, "prompt_cache": False} if no_prompt_cache else setting_flags
    settings = load_settings_or_exit(cwd, overrides)
    settings = project_servers_or_exit(settings, cwd, trust_project)
    try:
        backend = make_backend(settings, cwd)
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    except BackendStartError as exc:
        raise fail(str(exc), ExitCode.BACKEND) from exc
    request = RunRequest(
        task=text,
        cwd=cwd,
        settings=settings,
        output=output_kind,
        session_file=session_file,
        images=image or [],
        resume=previous,
    )

    def run_then_close() -> int:
        try:
            return run_headless(backend, request)
        finally:
            backend.close()  # a local model saves the conversation's state for --continue

    raise typer.Exit(guarded(run_then_close))


@app.command(epilog=EXIT_CODE_HELP)
@with_setting_flags(flag_settings("agent"))
def replay(
    file: Annotated[Path, typer.Argument(help="A session file, or JSONL of assistant turns.")],
    task: Annotated[
        str, typer.Option("--task", help="The user message to start with.")
    ] = "Replay of recorded turns.",
    cwd: CwdOption = Path("."),
    output: OutputOption = "text",
    session_file: SessionFileOption = None,
    resume: ResumeOption = None,
    continue_: ContinueOption = False,
    trust_project: TrustProjectOption = False,
    *,
    setting_flags: dict[str, Any],
) -> None:
    """Re-run recorded assistant turns through the real tools, without any model."""
    from devcli.headless import RunRequest, run_headless
    from devcli.llm.replay import ReplayBackend, ReplayFileError

    output_kind = output_format(output)
    settings = load_settings_or_exit(cwd, setting_flags)
    settings = project_servers_or_exit(settings, cwd, trust_project)
    try:
        backend = ReplayBackend.from_file(file)
    except ReplayFileError as exc:
        raise fail(str(exc)) from exc
    request = RunRequest(
        task=task,
        cwd=cwd,
        resume=resume_path(cwd, resume, continue_),
        settings=settings,
        output=output_kind,
        session_file=session_file,
    )
    raise typer.Exit(guarded(lambda: run_headless(backend, request, check=backend)))
