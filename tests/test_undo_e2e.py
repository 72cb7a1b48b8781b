"""Gates, checkpoints, diff and undo end to end: `devcli replay` of scripted turns, then the
`devcli undo`, `diff` and `checkpoints` commands, each as a real process."""

import json
from pathlib import Path

import pytest

from devcli.config import Settings
from devcli.headless import OutputFormat, RunRequest, run_headless
from devcli.llm.replay import ReplayBackend, load_turns
from tests.support.cli import run_devcli, write_turns
from tests.support.git_histories import git, new_repo
from tests.support.git_trees import (
    bash,
    checkpoint_refs,
    edit,
    finish,
    git_state,
    messy_repo,
    tree_fingerprint,
)


def replay(repo: Path, turns_file: Path, *extra: str) -> tuple[int, list[dict[str, object]]]:
    result = run_devcli("replay", str(turns_file), "--cwd", str(repo), "--output", "jsonl", *extra)
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.returncode, events


def observations(events: list[dict[str, object]]) -> list[dict[str, object]]:
    return [e for e in events if e["type"] == "observation"]


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    return messy_repo(tmp_path / "messy")


def test_replayed_session_is_gated_checkpointed_and_undone_exactly(
    messy: Path, tmp_path: Path
) -> None:
    before_files, before_state = tree_fingerprint(messy), git_state(messy)
    turns = write_turns(
        tmp_path / "turns.jsonl",
        [
            edit(command="create", path=str(messy / "added.py"), file_text="x = 1\n"),
            bash("rm -f notes.md && printf 'changed\\n' >> src/util.py && chmod -x run.sh"),
            bash("cd / && rm -rf *"),
            edit(
                command="str_replace",
                path=str(messy / "windows.txt"),
                old_str="line two changed",
                new_str="line two edited",
            ),
            bash("git status --short"),
            finish(),
        ],
    )
    code, events = replay(messy, turns)
    assert code == 0
    seen = observations(events)
    assert "hard gate `recursive-delete`" in str(seen[2]["content"]) and seen[2]["is_error"]
    assert (messy / "windows.txt").read_bytes() == b"line one\r\nline two edited\r\n"
    session = str(events[0]["id"])
    # Steps 1, 2 and 4 changed files; the refused step 3 and the read-only step 5 did not.
    assert checkpoint_refs(messy) == [f"refs/devcli/sessions/{session}/{n}" for n in (1, 2, 4)]
    assert git_state(messy) == before_state

    diff = run_devcli("diff", "--cwd", str(messy))
    assert diff.returncode == 0
    assert "added.py" in diff.stdout and "+x = 1" in diff.stdout

    undo = run_devcli("undo", "--step", "1", "--yes", "--cwd", str(messy))
    assert undo.returncode == 0, undo.stderr
    assert "delete    added.py" in undo.stdout
    assert "recreate  notes.md" in undo.stdout
    assert tree_fingerprint(messy) == before_files
    assert git_state(messy) == before_state


def test_undo_goes_back_one_step_at_a_time(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    target = repo / "story.txt"
    turns = write_turns(
        tmp_path / "turns.jsonl",
        [
            bash("echo one > story.txt"),
            bash("echo two >> story.txt"),
            bash("echo three >> story.txt"),
            finish(),
        ],
    )
    assert replay(repo, turns)[0] == 0
    assert target.read_text() == "one\ntwo\nthree\n"
    seen = []
    for _ in range(3):
        result = run_devcli("undo", "--yes", "--cwd", str(repo))
        assert result.returncode == 0, result.stderr
        seen.append(target.read_text() if target.exists() else None)
    assert seen == ["one\ntwo\n", "one\n", None]
    nothing = run_devcli("undo", "--yes", "--cwd", str(repo))
    assert nothing.returncode == 1 and "nothing to undo" in nothing.stderr


def test_undo_without_yes_and_without_a_terminal_changes_nothing(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    turns = write_turns(tmp_path / "t.jsonl", [bash("echo made > made.txt"), finish()])
    replay(repo, turns)
    result = run_devcli("undo", "--cwd", str(repo))
    assert result.returncode == 2
    assert "--yes" in result.stderr and "Traceback" not in result.stderr
    assert (repo / "made.txt").exists()


def test_plain_folder_is_undone_without_creating_a_git_folder(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "keep.txt").write_text("original\n")
    turns = write_turns(
        tmp_path / "t.jsonl",
        [bash("echo agent > keep.txt && mkdir -p out && echo new > out/new.txt"), finish()],
    )
    assert replay(folder, turns)[0] == 0
    assert (folder / "keep.txt").read_text() == "agent\n"
    listed = run_devcli("checkpoints", "list", "--cwd", str(folder))
    assert "before steps 1" in listed.stdout
    assert run_devcli("undo", "--yes", "--cwd", str(folder)).returncode == 0
    assert (folder / "keep.txt").read_text() == "original\n"
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]


def test_undo_of_an_unknown_session_is_a_clear_error(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    result = run_devcli("undo", "--session", "nope", "--yes", "--cwd", str(repo))
    assert result.returncode == 1
    assert result.stderr.startswith("devcli: ") and "Traceback" not in result.stderr


def test_prune_removes_only_what_it_is_told_to(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    for name in ("a", "b"):
        script = [bash(f"echo {name} > {name}.txt"), finish()]
        turns = write_turns(tmp_path / f"{name}.jsonl", script)
        replay(repo, turns)
    assert len(checkpoint_refs(repo)) == 2
    kept = run_devcli("checkpoints", "prune", "--cwd", str(repo))
    assert "No sessions to prune" in kept.stdout and len(checkpoint_refs(repo)) == 2
    pruned = run_devcli("checkpoints", "prune", "--all", "--yes", "--cwd", str(repo))
    assert pruned.returncode == 0 and checkpoint_refs(repo) == []


def test_run_summary_and_commit_of_the_sessions_files_only(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / "base.txt").write_text("base\n")
    git(repo, "add", "base.txt")
    git(repo, "commit", "-q", "-m", "Base")
    (repo / "user_wip.txt").write_text("the user's own uncommitted work\n")
    turns = write_turns(
        tmp_path / "t.jsonl",
        [bash("echo feature > feature.txt && echo more >> base.txt"), finish("Added the feature")],
    )
    request = RunRequest(
        task="Add the feature file",
        cwd=repo,
        settings=Settings(commit=True),
        output=OutputFormat.JSON,
        session_file=tmp_path / "session.jsonl",
    )
    code = run_headless(ReplayBackend(load_turns(turns)), request)
    assert code == 0
    committed = git(repo, "show", "--name-only", "--format=%B", "HEAD")
    assert "Add the feature file" in committed and "Generated-by: devcli" in committed
    assert "feature.txt" in committed and "base.txt" in committed
    assert "user_wip.txt" not in committed
    assert git(repo, "status", "--porcelain").strip() == "?? user_wip.txt"


def test_text_output_ends_with_the_changed_files(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    turns = write_turns(tmp_path / "t.jsonl", [bash("echo hi > hello.txt"), finish()])
    result = run_devcli("replay", str(turns), "--cwd", str(repo))
    assert result.returncode == 0
    assert "Changed 1 file: added hello.txt." in result.stdout
    assert "devcli undo --session" in result.stdout


def test_the_undo_a_run_prints_takes_back_every_step_of_that_run(
    messy: Path, tmp_path: Path
) -> None:
    """The command printed at the end of a run restores every file the run changed, across
    all its steps; the user's edits from before and after the run stay."""
    before_files, before_state = tree_fingerprint(messy), git_state(messy)
    turns = write_turns(
        tmp_path / "turns.jsonl",
        [
            bash("printf 'agent line\\n' >> src/app.py"),
            bash("rm -f notes.md"),
            edit(command="create", path=str(messy / "added.py"), file_text="x = 1\n"),
            finish(),
        ],
    )
    result = run_devcli("replay", str(turns), "--cwd", str(messy))
    assert result.returncode == 0, result.stderr
    hint = next(line for line in result.stdout.splitlines() if "devcli undo" in line)
    command = hint.split("`devcli ", 2)[2].split("`")[0].split()
    assert command[0] == "undo" and "--all-steps" in command
    # The user goes on working after the run, in a file the run did not touch.
    (messy / "README.md").write_text("# demo, edited after the run\n")

    undo = run_devcli(*command, "--yes", "--cwd", str(messy))
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert "README.md" not in undo.stdout  # not the run's change: not touched
    after = tree_fingerprint(messy)
    assert after.pop("README.md") != before_files.pop("README.md")
    assert after == before_files  # everything the run changed is back, byte for byte
    assert (messy / "README.md").read_text() == "# demo, edited after the run\n"
    assert git_state(messy) == before_state
    # Nothing of the run is left to undo, and the per-step command agrees.
    again = run_devcli(*command, "--yes", "--cwd", str(messy))
    assert again.returncode == 1 and "nothing to undo" in again.stderr


def test_all_steps_and_step_together_are_refused(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    result = run_devcli("undo", "--all-steps", "--step", "1", "--yes", "--cwd", str(repo))
    assert result.returncode == 2 and "--all-steps" in result.stderr
