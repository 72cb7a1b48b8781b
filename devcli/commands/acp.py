"""`devcli acp`: serve the Agent Client Protocol on stdin/stdout for an editor."""

from pathlib import Path

import typer

from devcli.cli_app import (
    ApiKeyOption,
    ApprovalOption,
    CacheTypeKOption,
    CacheTypeVOption,
    CtxSizeOption,
    CwdOption,
    EndpointOption,
    GpuLayersOption,
    MaxStepsOption,
    ModelOption,
    ProviderOption,
    ReasoningOption,
    ReplayOption,
    SeedOption,
    SkipGatesOption,
    SystemPromptOption,
    TemperatureOption,
    ThreadsOption,
    ToolChoiceOption,
    ToolFormatOption,
    VerboseOption,
    app,
    fail,
    settings_overrides,
)


@app.command(name="acp")
def acp_command(
    cwd: CwdOption = Path("."),
    replay: ReplayOption = None,
    max_steps: MaxStepsOption = None,
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
) -> None:
    """Run as an Agent Client Protocol server on stdin/stdout, for editors (Zed, JetBrains,
    Neovim …). Only protocol messages go to stdout; logs go to stderr.

    The model is loaded once, from the settings of --cwd and these options; each session
    works in the folder the editor names and reads its .devcli.toml for the agent settings.
    """
    from devcli.acp.stdio import reserve_stdio

    # First, before any model code can print: stdin and stdout are the protocol's from here on.
    pipes = reserve_stdio()
    overrides = settings_overrides(locals())
    from devcli.config import ConfigError, load_settings
    from devcli.llm.base import Backend

    backend: Backend
    try:
        settings = load_settings(cwd, overrides)
        if replay is not None:
            from devcli.llm.replay import ReplayBackend, ReplayFileError

            try:
                backend = ReplayBackend.from_file(replay)
            except ReplayFileError as exc:
                raise ConfigError(str(exc)) from exc
        else:
            from devcli.llm.factory import make_backend

            backend = make_backend(settings, cwd)
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    from devcli.acp.server import serve

    raise typer.Exit(serve(backend, overrides, pipes))
