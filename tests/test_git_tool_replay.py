"""The git tool end to end: scripted turns through `devcli replay` in a real repository."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devcli.events import Observation, read_session_file
from tests.support.git_histories import ISOLATED_GIT, git, repo_with_history

TRAILER = "Co-authored-by: devcli <devcli@localhost>"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository where the user has an uncommitted edit of README.md."""
    repo = repo_with_history(tmp_path / "repo")
    (repo / "README.md").write_text("# Demo\n\nThe user's unfinished sentence\n")
    return repo


def replay(
    tmp_path: Path, repo: Path, turns: list[dict[str, object]], **env: str
) -> tuple[subprocess.CompletedProcess[str], list[Observation]]:
    script = tmp_path / "turns.jsonl"
    script.write_text("".join(json.dumps(turn) + "\n" for turn in turns))
    session = tmp_path / "session.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "devcli",
            "replay",
            str(script),
            "--cwd",
            str(repo),
            "--session-file",
            str(session),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **ISOLATED_GIT, "NO_COLOR": "1", **env},
    )
    assert "Traceback" not in result.stderr, result.stderr
    observations = [e for e in read_session_file(session) if isinstance(e, Observation)]
    return result, observations


def git_call(**arguments: object) -> dict[str, object]:
    return {"tool_calls": [{"name": "git", "arguments": arguments}]}


FINISH = {
    "tool_calls": [{"name": "finish", "arguments": {"message": "done", "task_completed": "true"}}]
}


def test_inspect_edit_and_commit_through_replay(tmp_path: Path, repo: Path) -> None:
    helper = repo / "lib.py"
    turns = [
        git_call(operation="status"),
        {
            "tool_calls": [
                {
                    "name": "str_replace_editor",
                    "arguments": {
                        "command": "create",
                        "path": str(helper),
                        "file_text": "def helper() -> int:\n    return 1\n",
                    },
                }
            ]
        },
        git_call(operation="diff", paths=[str(helper)]),
        git_call(operation="commit", message="Add a helper"),
        git_call(operation="log", limit=1),
        FINISH,
    ]
    result, observations = replay(tmp_path, repo, turns, DEVCLI_COMMIT="1")
    assert result.returncode == 0, result.stdout + result.stderr
    status, _, diff, commit, log, _ = observations
    assert "modified     README.md" in status.content and not status.is_error
    assert "untracked" in diff.content  # lib.py is new, so git does not diff it yet
    assert not commit.is_error, commit.content
    assert commit.content.startswith("Committed ") and "lib.py" in commit.content
    assert "Left out `README.md`" in commit.content
    assert "Add a helper" in log.content and "1 of 4" in log.content
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["lib.py"]
    assert git(repo, "log", "-1", "--format=%B").strip().endswith(TRAILER)
    assert git(repo, "status", "--porcelain").split() == ["M", "README.md"]


def test_commit_without_permission_is_refused_through_replay(tmp_path: Path, repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    turns = [git_call(operation="commit", message="Sneak it in"), FINISH]
    result, observations = replay(tmp_path, repo, turns, DEVCLI_COMMIT="0")
    assert result.returncode == 0
    assert observations[0].is_error and "not enabled" in observations[0].content
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain").split() == ["M", "README.md"]


def test_the_git_tool_switched_off_through_settings(tmp_path: Path, repo: Path) -> None:
    turns = [git_call(operation="status"), FINISH]
    _, observations = replay(tmp_path, repo, turns, DEVCLI_TOOLS="-git")
    assert observations[0].is_error
    assert "There is no tool named `git`" in observations[0].content
