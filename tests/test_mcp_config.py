"""`[mcp_servers.NAME]` tables: reading, merging, checking, consent, and editing the user file."""

import tomllib
from pathlib import Path

import pytest

from devcli.config import ConfigError, load_settings, user_config_path
from devcli.mcp.consent import (
    ProjectConsent,
    apply_consent,
    consent_for_run,
    consent_needed,
    folder_trusted,
)
from devcli.mcp.server_config import ServerConfig, Transport, parse_servers
from devcli.mcp.user_config import add_server, remove_server, trust_folder


def write_user(text: str) -> Path:
    path = user_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_both_transports_are_read_with_their_defaults(tmp_path: Path) -> None:
    write_user(
        '[mcp_servers.fetch]\ncommand = "uvx"\nargs = ["mcp-server-fetch"]\n\n'
        '[mcp_servers.docs]\nurl = "https://docs.example/mcp"\ntool_timeout_s = 5\n'
        'headers = { Authorization = "Bearer ${DOCS_TOKEN}" }\n'
    )
    servers = parse_servers(load_settings(tmp_path, environ={}).mcp_servers)
    fetch, docs = servers["fetch"], servers["docs"]
    assert fetch.transport is Transport.STDIO and fetch.target() == "uvx mcp-server-fetch"
    assert fetch.enabled and not fetch.trust and fetch.tools is None
    assert fetch.working_folder(tmp_path) == tmp_path
    assert docs.transport is Transport.HTTP and docs.tool_timeout_s == 5
    token = "tok-1234567890"
    assert docs.resolved_headers({"DOCS_TOKEN": token}) == {"Authorization": f"Bearer {token}"}


def test_a_project_file_adds_servers_and_replaces_one_of_the_same_name(tmp_path: Path) -> None:
    write_user('[mcp_servers.a]\ncommand = "user-a"\n\n[mcp_servers.b]\ncommand = "user-b"\n')
    (tmp_path / ".devcli.toml").write_text(
        '[mcp_servers.b]\nurl = "http://127.0.0.1:9/mcp"\n\n[mcp_servers.c]\ncommand = "repo-c"\n'
    )
    servers = load_settings(tmp_path, environ={}).mcp_servers
    assert servers == {
        "a": {"command": "user-a"},
        "b": {"url": "http://127.0.0.1:9/mcp"},
        "c": {"command": "repo-c"},
    }


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({}, "setting `mcp_servers.x`: give either `command`"),
        ({"command": "a", "url": "http://h/mcp"}, "give either `command`"),
        ({"url": "ftp://h"}, "`url` must start with http:// or https://"),
        ({"url": "http://h/mcp", "env": {"A": "1"}}, "are for stdio servers"),
        ({"command": "a", "headers": {"A": "1"}}, "are for HTTP servers"),
        ({"command": "a", "tool_timeout_s": 0}, "setting `mcp_servers.x.tool_timeout_s`"),
        ({"command": "a", "trusted": True}, "setting `mcp_servers.x.trusted`"),
        ({"command": "a", "args": "-v"}, "setting `mcp_servers.x.args`"),
    ],
)
def test_a_malformed_server_gets_a_one_line_message(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as problem:
        parse_servers({"x": table})
    assert message in str(problem.value) and "\n" not in str(problem.value)


def test_a_project_file_cannot_trust_itself(tmp_path: Path) -> None:
    (tmp_path / ".devcli.toml").write_text(f'trusted_projects = ["{tmp_path}"]\n')
    with pytest.raises(ConfigError, match=r"`trusted_projects` is read from .* only"):
        load_settings(tmp_path, environ={})


def test_credentials_in_env_and_headers_are_secrets_others_are_not() -> None:
    stdio = ServerConfig(
        command="srv", env={"GITHUB_TOKEN": "ghp-value-123456", "NODE_ENV": "production"}
    )
    http = ServerConfig(
        url="https://h/mcp",
        headers={
            "Authorization": "Bearer abcdefghijkl",
            "X-Api-Key": "key-0987654321",
            "Accept": "text/plain-long",
        },
    )
    assert stdio.secrets() == ["ghp-value-123456"]
    assert http.secrets() == ["Bearer abcdefghijkl", "abcdefghijkl", "key-0987654321"]


def test_consent_comes_from_the_user_config_or_the_person(tmp_path: Path) -> None:
    repo = tmp_path / "work" / "repo"
    repo.mkdir(parents=True)
    write_user('[mcp_servers.mine]\ncommand = "mine"\n')
    (repo / ".devcli.toml").write_text(
        '[mcp_servers.theirs]\ncommand = "theirs"\ntrust = true\n\n'
        '[mcp_servers.off]\ncommand = "off"\nenabled = false\n'
    )
    settings = load_settings(repo, environ={})
    pending = consent_needed(settings, repo)
    assert pending is not None and list(pending.servers) == ["theirs"]
    with pytest.raises(ConfigError, match=r"declares MCP servers \(`theirs`\).*--trust-project"):
        consent_for_run(settings, repo, trust_project=False)
    once = consent_for_run(settings, repo, trust_project=True).mcp_servers
    assert once["theirs"]["trust"] is False and once["mine"] == {"command": "mine"}
    declined = apply_consent(settings, repo, ProjectConsent.DECLINED).mcp_servers
    assert set(declined) == {"mine"}

    # A folder above the repository, listed by the user, trusts it: the project's `trust` counts.
    write_user(f'trusted_projects = ["{tmp_path / "work"}"]\n[mcp_servers.mine]\ncommand = "m"\n')
    settings = load_settings(repo, environ={})
    assert folder_trusted(settings, repo) and consent_needed(settings, repo) is None
    assert consent_for_run(settings, repo, trust_project=False).mcp_servers["theirs"]["trust"]


def test_adding_and_removing_servers_keeps_the_rest_of_the_user_file(tmp_path: Path) -> None:
    path = write_user('# my settings\nmodel = "devstral"  # the default\n')
    add_server("fetch", {"command": "uvx", "args": ["mcp-server-fetch"]})
    add_server("docs", {"url": "https://docs.example/mcp", "headers": {"Authorization": "x"}})
    trust_folder(tmp_path)
    trust_folder(tmp_path)  # once is enough
    text = path.read_text()
    assert text.startswith('# my settings\nmodel = "devstral"  # the default\n')
    data = tomllib.loads(text)
    assert data["mcp_servers"]["fetch"] == {"command": "uvx", "args": ["mcp-server-fetch"]}
    assert data["mcp_servers"]["docs"]["headers"] == {"Authorization": "x"}
    assert data["trusted_projects"] == [str(tmp_path.resolve())]
    assert load_settings(tmp_path, environ={}).mcp_servers["fetch"]["command"] == "uvx"

    assert remove_server("fetch") and not remove_server("fetch")
    assert list(tomllib.loads(path.read_text())["mcp_servers"]) == ["docs"]
