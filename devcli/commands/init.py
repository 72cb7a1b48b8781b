"""`devcli init`: write a starter AGENTS.md from a quick look at the repository."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from devcli.cli_app import CwdOption, app, fail

if TYPE_CHECKING:
    from devcli.project_survey import ProjectSurvey


def starter_instructions(found: "ProjectSurvey") -> str:
    lines = [
        "# AGENTS.md",
        "",
        "Instructions for coding agents in this repository. devcli adds this file (and any",
        "AGENTS.md in the folders between here and where it runs) to its system prompt.",
        "Keep it short and true; edit it as the project changes.",
        "",
        "## Project",
        "",
    ]
    if found.languages:
        lines.append(f"- Language: {', '.join(found.languages)}")
    else:
        lines.append("- Language: (not detected; say what the project is written in)")
    if found.folders:
        lines.append("- Layout:")
        for name, role in found.folders:
            lines.append(f"  - `{name}/`" + (f": {role}" if role else ""))
    lines += ["", "## Commands", ""]
    if found.test_command:
        lines.append(f"- Run the tests: `{found.test_command}`")
    else:
        lines.append("- Run the tests: (not detected; write the command here)")
    for command in found.lint_commands:
        lines.append(f"- Check: `{command}`")
    lines += [
        "",
        "## Conventions",
        "",
        "- Run the tests before saying a change is done, and add a test for each fix.",
        "- Follow the style of the code around a change; keep changes small and focused.",
        "- (Add what an agent should know: naming, files never to touch, how to commit.)",
        "",
    ]
    return "\n".join(lines)


@app.command()
def init(
    cwd: CwdOption = Path("."),
    force: Annotated[
        bool, typer.Option("--force", help="Replace an AGENTS.md that already exists.")
    ] = False,
) -> None:
    """Write a starter AGENTS.md (language, test command, layout) for you to edit."""
    from devcli.project_survey import survey

    target = cwd / "AGENTS.md"
    if target.exists() and not force:
        raise fail(f"{target} already exists; use --force to replace it")
    text = starter_instructions(survey(cwd))
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {target}: {exc.strerror or exc}") from exc
    print(f"Wrote {target}. Read it, fix what the quick look got wrong, and add your conventions.")
