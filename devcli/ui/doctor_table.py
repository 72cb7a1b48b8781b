"""The doctor's report as a table on the terminal."""

from rich.table import Table
from rich.text import Text

from devcli.doctor.report import Report, Status
from devcli.ui.console import make_console

_STYLES = {
    Status.OK: "green",
    Status.WARNING: "yellow",
    Status.PROBLEM: "bold red",
    Status.SKIPPED: "dim",
}


def print_report(report: Report) -> None:
    console = make_console()
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    for column in ("area", "check", "", "finding"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        finding = Text(check.detail)
        if check.fix:
            finding.append(f"\n→ {check.fix}", style="cyan")
        table.add_row(
            check.area, check.name, Text(check.status.value, _STYLES[check.status]), finding
        )
    console.print(table)
    problems = len(report.problems)
    summary = "Nothing is in the way." if not problems else f"{problems} problem(s) to fix."
    console.print(Text(summary, style="bold" if problems else "green"))
