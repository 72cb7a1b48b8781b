"""Secrets stay out of session files, printed events and JSON summaries."""

import json
from pathlib import Path

import pytest

from devcli.events import AssistantTurn, Observation, ToolCall
from devcli.redaction import MASK, Redactor, secret_values
from tests.support.cli import run_devcli, write_turns
from tests.support.git_histories import new_repo
from tests.support.git_trees import bash, finish

GITHUB = "ghp_" + "A1b2C3d4" * 5
AWS = "AKIA" + "ABCDEFGHIJ234567"
OPENAI = "sk-proj-" + "q9W8e7R6t5Y4u3I2o1P0" * 2
SLACK = "xoxb-" + "1234567890-abcdefghij"
HF = "hf_" + "abcdefghijklmnopqrstuvwxyz0123456789"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
    "-----END OPENSSH PRIVATE KEY-----"
)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"token={GITHUB}", GITHUB),
        (f"aws key {AWS} in a log", AWS),
        (f"export OPENAI_API_KEY={OPENAI}", OPENAI),
        (f"slack: {SLACK}", SLACK),
        (f"HF {HF}", HF),
        (f"Authorization: Bearer {JWT}", JWT),
        (PRIVATE_KEY, "b3BlbnNzaC1rZXktdjEAAAAA"),
        ("https://alice:s3cretPassw0rd@example.com/repo.git", "s3cretPassw0rd"),
        ("DATABASE_PASSWORD=correcthorsebattery", "correcthorsebattery"),
        ('{"api_key": "zxcvbnmasdfghjkl"}', "zxcvbnmasdfghjkl"),
    ],
)
def test_token_shapes_are_masked(text: str, secret: str) -> None:
    masked = Redactor().text(text)
    assert secret not in masked
    assert MASK in masked


@pytest.mark.parametrize(
    "text",
    [
        "max_tokens: 4096",
        'api_key = os.environ["MISTRAL_API_KEY"]',
        "https://example.com/path?q=1",
        "commit 3f2a9c1d7e8b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
        "def tokenize(text): return text.split()",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor().text(text) == text


def test_secret_values_come_from_config_and_secret_named_variables() -> None:
    environ = {
        "MISTRAL_API_KEY": "abcdefghijklmnopqrstuvwxyz123456",
        "MY_SERVICE_TOKEN": "tok-value-1234",
        "SSH_AUTH_SOCK": "/tmp/ssh-agent.sock",
        "HOME": "/root",
        "SHORT_SECRET": "abc",
    }
    values = secret_values(environ, ["configured-key-9876"])
    assert set(values) == {
        "abcdefghijklmnopqrstuvwxyz123456",
        "tok-value-1234",
        "configured-key-9876",
    }
    redactor = Redactor(values)
    assert redactor.text("key abcdefghijklmnopqrstuvwxyz123456!") == f"key {MASK}!"


def test_events_are_redacted_in_every_string_field() -> None:
    redactor = Redactor(["plain-literal-secret"])
    turn = AssistantTurn(
        content="using plain-literal-secret",
        tool_calls=(
            ToolCall(
                id="abcdefghi",
                name="execute_bash",
                arguments={"command": "echo plain-literal-secret"},
            ),
        ),
    )
    cleaned = redactor.event(turn)
    assert "plain-literal-secret" not in cleaned.model_dump_json()
    observation = Observation(tool_call_id="abcdefghi", name="execute_bash", content="nothing")
    assert redactor.event(observation) is observation


def test_replayed_session_file_and_output_hold_no_secret(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    secret = "s3cr3t-value-that-must-not-leak"
    turns = write_turns(
        tmp_path / "turns.jsonl",
        [
            bash("echo $MY_DEPLOY_TOKEN > token_copy.txt && cat token_copy.txt"),
            bash(f"echo {GITHUB}"),
            finish(f"done with {secret}"),
        ],
    )
    session_file = tmp_path / "session.jsonl"
    result = run_devcli(
        "replay",
        str(turns),
        "--cwd",
        str(repo),
        "--output",
        "jsonl",
        "--session-file",
        str(session_file),
        env={"MY_DEPLOY_TOKEN": secret},
    )
    assert result.returncode == 0, result.stderr
    for text in (result.stdout, session_file.read_text()):
        assert secret not in text and GITHUB not in text
        assert MASK in text
    # Only the record is redacted: the command itself really ran with the secret.
    assert (repo / "token_copy.txt").read_text() == secret + "\n"
    summary = run_devcli(
        "replay",
        str(turns),
        "--cwd",
        str(repo),
        "--output",
        "json",
        env={"MY_DEPLOY_TOKEN": secret},
    )
    assert secret not in summary.stdout
    assert json.loads(summary.stdout)["message"] == f"done with {MASK}"
