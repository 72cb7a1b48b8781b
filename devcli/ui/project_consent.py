"""Asking the person whether the repository's own MCP servers may start."""

from collections.abc import Callable
from pathlib import Path

from devcli.config import Settings
from devcli.mcp.consent import ProjectConsent, apply_consent, consent_needed
from devcli.mcp.user_config import trust_folder
from devcli.ui.choices import ask_choice

_ANSWERS = {
    "yes, for this session": ProjectConsent.THIS_SESSION,
    "yes, and trust this folder from now on": ProjectConsent.TRUSTED,
    "no, leave them out": ProjectConsent.DECLINED,
}


def ask_about_project_servers(
    settings: Settings,
    workspace: Path,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> Settings:
    """The settings to start the session with; ConfigError for a malformed server table."""
    pending = consent_needed(settings, workspace)
    if pending is None:
        return apply_consent(settings, workspace, ProjectConsent.TRUSTED)
    write(
        f"{pending.config_file} declares MCP servers. They start programs or reach services "
        "on this machine:"
    )
    for name, server in pending.servers.items():
        write(f"  {name}: {server.target()}")
    try:
        answer = _ANSWERS[ask_choice("Start them?", list(_ANSWERS), read, write)]
    except (EOFError, KeyboardInterrupt):
        answer = ProjectConsent.DECLINED
    if answer is ProjectConsent.TRUSTED:
        write(f"Trusted {workspace.resolve()} in {trust_folder(workspace)}.")
    return apply_consent(settings, workspace, answer)
