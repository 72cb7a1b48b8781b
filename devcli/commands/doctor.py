"""`devcli doctor`: what a run depends on, checked, with a fix for each problem."""

import json
from pathlib import Path
from typing import Annotated

import typer

from devcli.cli_app import (
    CtxSizeOption,
    CwdOption,
    EndpointOption,
    GpuLayersOption,
    ModelOption,
    ProviderOption,
    app,
)


@app.command()
def doctor(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object instead of a table.")
    ] = False,
    cwd: CwdOption = Path("."),
    model: ModelOption = None,
    endpoint: EndpointOption = None,
    provider: ProviderOption = None,
    ctx_size: CtxSizeOption = None,
    gpu_layers: GpuLayersOption = None,
) -> None:
    """Check everything a run needs (runtime, model, memory, disk, server, tools) and say
    what to fix. Exits 1 when something is a problem. Run this first when devcli misbehaves."""
    from devcli.commands.run import load_settings_or_exit
    from devcli.doctor.run_checks import diagnose

    overrides = {
        "model": model,
        "endpoint": endpoint,
        "provider": provider,
        "ctx_size": ctx_size,
        "gpu_layers": gpu_layers,
    }
    settings = load_settings_or_exit(cwd, overrides)
    report = diagnose(settings)
    if as_json:
        print(json.dumps({"ok": not report.problems, **report.model_dump()}, indent=1))
    else:
        from devcli.ui.doctor_table import print_report

        print_report(report)
    raise typer.Exit(report.exit_code)
