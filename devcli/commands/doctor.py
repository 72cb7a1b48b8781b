"""`devcli doctor`: what a run depends on, checked, with a fix for each problem."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from devcli.doctor.report import Report

from devcli.cli_app import CwdOption, app, load_settings_or_exit
from devcli.cli_settings import with_setting_flags


@app.command()
@with_setting_flags(["model", "endpoint", "provider", "ctx_size", "gpu_layers", "cache_type_k"])
def doctor(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object instead of a table.")
    ] = False,
    cwd: CwdOption = Path("."),
    *,
    setting_flags: dict[str, Any],
) -> None:
    """Check everything a run needs (runtime, model, memory, disk, server, tools) and say
    what to fix. Exits 1 when something is a problem. Run this first when devcli misbehaves."""
    from devcli.doctor.run_checks import diagnose

    settings = load_settings_or_exit(cwd, setting_flags)
    report = diagnose(settings, cwd)
    if as_json:
        import json

        print(json.dumps({"ok": not report.problems, **report.model_dump()}, indent=1))
    else:
        _print_table(report)
    raise typer.Exit(report.exit_code)


def _print_table(report: "Report") -> None:
    from rich.table import Table
    from rich.text import Text

    from devcli.doctor.report import Status
    from devcli.ui.console import make_console

    styles = {
        Status.OK: "green",
        Status.WARNING: "yellow",
        Status.PROBLEM: "bold red",
        Status.SKIPPED: "dim",
    }
    console = make_console()
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    for column in ("area", "check", "", "finding"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        finding = Text(check.detail)
        if check.fix:
            finding.append(f"\n→ {check.fix}", style="cyan")
        table.add_row(
            check.area, check.name, Text(check.status.value, styles[check.status]), finding
        )
    console.print(table)
    problems = len(report.problems)
    summary = "Nothing is in the way." if not problems else f"{problems} problem(s) to fix."
    console.print(Text(summary, style="bold" if problems else "green"))
