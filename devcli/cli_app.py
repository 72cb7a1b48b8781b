"""The Typer application and the options its commands share. Kept free of heavy imports."""

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from devcli import __version__
from devcli.exit_codes import ExitCode

app = typer.Typer(
    name="devcli",
    help="A terminal coding agent driven by Mistral's Devstral. With no command, opens an "
    "interactive session in the repository; the options below apply to that session.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

CwdOption = Annotated[
    Path,
    typer.Option(
        "--cwd",
        help="The repository to work in (default: the current directory).",
        file_okay=False,
        exists=True,
        resolve_path=True,
    ),
]
MaxStepsOption = Annotated[
    int | None, typer.Option("--max-steps", min=1, help="Stop after this many model turns [100].")
]
OutputOption = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        help="text (readable lines), jsonl (one event per line as it happens) or json (a summary).",
    ),
]
SessionFileOption = Annotated[
    Path | None,
    typer.Option("--session-file", help="Write the session here instead of devcli's data folder."),
]


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    print(f"devcli: {message}", file=sys.stderr)
    return typer.Exit(int(code))


def _version(value: bool) -> None:
    if value:
        print(f"devcli {__version__}")
        raise typer.Exit()


# Model and agent options shared by `devcli` (the REPL) and `devcli run`; each maps to a
# Settings field of the same name, and None leaves the configured value in place.
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="A .gguf path, a Hugging Face REPO:QUANT or REPO/FILE.gguf, or a server's model name.",
    ),
]
EndpointOption = Annotated[
    str | None,
    typer.Option("--endpoint", help="An OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1."),
]
ProviderOption = Annotated[
    str | None,
    typer.Option("--provider", help="vllm, llamacpp, ollama, lmstudio or mistral."),
]
ApiKeyOption = Annotated[str | None, typer.Option("--api-key", help="Key for the endpoint.")]
CtxSizeOption = Annotated[
    int | None, typer.Option("--ctx-size", min=256, help="Context window in tokens.")
]
GpuLayersOption = Annotated[
    int | None, typer.Option("--gpu-layers", help="Layers to offload to the GPU (-1: all).")
]
ThreadsOption = Annotated[int | None, typer.Option("--threads", min=1, help="CPU threads.")]
CacheTypeKOption = Annotated[
    str | None, typer.Option("--cache-type-k", help="K cache type: f16, q8_0, q4_0 … [q8_0].")
]
CacheTypeVOption = Annotated[
    str | None, typer.Option("--cache-type-v", help="V cache type: f16, q8_0, q4_0 … [f16].")
]
ToolFormatOption = Annotated[
    str | None,
    typer.Option("--tool-format", help="auto, mistral (native calls) or openhands (text calls)."),
]
SystemPromptOption = Annotated[
    str | None,
    typer.Option("--system-prompt", help="devcli (default) or official (the model's own)."),
]
TemperatureOption = Annotated[float | None, typer.Option("--temperature", help="Sampling.")]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Sampling seed.")]
ReasoningOption = Annotated[
    str | None, typer.Option("--reasoning-effort", help="none or high (Mistral Small 4).")
]
ImageOption = Annotated[
    list[Path] | None, typer.Option("--image", help="Attach an image to the task (repeatable).")
]
ApprovalOption = Annotated[str | None, typer.Option("--approval", help="ask, auto-edit or auto.")]
SkipGatesOption = Annotated[
    bool | None,
    typer.Option(
        "--dangerously-skip-gates",
        help="Allow destructive commands (recursive deletes, hard resets …) without asking.",
    ),
]
CommitOption = Annotated[
    bool | None,
    typer.Option("--commit", help="Commit the result on the current branch when done."),
]
ToolChoiceOption = Annotated[
    str | None,
    typer.Option(
        "--tool-choice",
        help="auto (the model may answer in prose) or required (every reply must be a tool "
        "call, enforced by a grammar on local models).",
    ),
]
PromptCacheOption = Annotated[
    bool | None,
    typer.Option(
        "--prompt-cache/--no-prompt-cache",
        help="Keep local models' prompt state on disk, so the next run (or --continue) "
        "evaluates only what is new [on].",
        show_default=False,
    ),
]
VerboseOption = Annotated[
    bool | None, typer.Option("--verbose", help="Show the model runtime's own log.")
]
ReplayOption = Annotated[
    Path | None,
    typer.Option(
        "--replay",
        help="Play the assistant turns recorded in this file (a session file or JSONL of "
        "turns) instead of asking a model: reproduces a session or a demo.",
        dir_okay=False,
        exists=True,
        resolve_path=True,
    ),
]
NoColorOption = Annotated[
    bool, typer.Option("--no-color", help="No colours (the NO_COLOR variable does the same).")
]


# Command-line options that set the Settings field of the same name.
SETTING_OPTIONS = (
    "max_steps",
    "model",
    "endpoint",
    "provider",
    "api_key",
    "ctx_size",
    "gpu_layers",
    "threads",
    "cache_type_k",
    "cache_type_v",
    "tool_format",
    "tool_choice",
    "system_prompt",
    "temperature",
    "seed",
    "reasoning_effort",
    "approval",
    "dangerously_skip_gates",
    "commit",
    "verbose",
    "prompt_cache",
)


def settings_overrides(options: dict[str, object]) -> dict[str, object]:
    """The setting flags among a command's parameters (None where not given)."""
    return {name: options.get(name) for name in SETTING_OPTIONS}


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    cwd: CwdOption = Path("."),
    max_steps: MaxStepsOption = None,
    session_file: SessionFileOption = None,
    model: ModelOption = None,
    endpoint: EndpointOption = None,
    provider: ProviderOption = None,
    api_key: ApiKeyOption = None,
    ctx_size: CtxSizeOption = None,
    gpu_layers: GpuLayersOption = None,
    threads: ThreadsOption = None,
    cache_type_k: CacheTypeKOption = None,
    cache_type_v: CacheTypeVOption = None,
    tool_format: ToolFormatOption = None,
    system_prompt: SystemPromptOption = None,
    temperature: TemperatureOption = None,
    seed: SeedOption = None,
    reasoning_effort: ReasoningOption = None,
    approval: ApprovalOption = None,
    dangerously_skip_gates: SkipGatesOption = None,
    tool_choice: ToolChoiceOption = None,
    verbose: VerboseOption = None,
    prompt_cache: PromptCacheOption = None,
    replay: ReplayOption = None,
    no_color: NoColorOption = False,
) -> None:
    """Open the interactive session when no command is given."""
    if no_color:
        os.environ["NO_COLOR"] = "1"  # every console devcli opens honours it
    overrides = settings_overrides(locals())
    if ctx.invoked_subcommand is not None:
        given = [name for name, value in overrides.items() if value is not None]
        given += [n for n, v in (("replay", replay), ("session_file", session_file)) if v]
        if given or cwd != Path(".").resolve():
            flags = ", ".join("--" + name.replace("_", "-") for name in given) or "--cwd"
            raise fail(
                f"{flags} before `{ctx.invoked_subcommand}` would be ignored: put options "
                f"after the command (devcli {ctx.invoked_subcommand} {flags.split(',')[0]} …)"
            )
        return
    from devcli.commands.repl import ReplOptions, open_repl

    options = ReplOptions(
        cwd=cwd, overrides=overrides, replay=replay, session_file=session_file, no_color=no_color
    )
    raise typer.Exit(open_repl(options))
