"""SIGKILL of a real `devcli replay` process during an edit and during a step, then undo.

Whenever the kill lands, each file must be as it was before the step or as after it, and the
checkpoint of the step in flight must bring the work tree back exactly.
"""

import contextlib
import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devcli.paths import data_dir
from tests.support.cli import run_devcli, write_turns
from tests.support.git_histories import commit_files, new_repo
from tests.support.git_trees import bash, edit, finish, tree_fingerprint

BIG_LINES = 200_000


def start_replay(repo: Path, turns: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "devcli", "replay", str(turns), "--cwd", str(repo)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(condition: object, process: subprocess.Popen[bytes], limit: float = 60) -> None:
    assert callable(condition)
    deadline = time.monotonic() + limit
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"devcli exited ({process.returncode}) before the moment came")
        if time.monotonic() > deadline:
            raise AssertionError("the moment to kill devcli never came")
        time.sleep(0.001)


def children_of(pid: int) -> list[int]:
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(Path(stat).parent.name))
    return found


def kill_sessions(leaders: list[int]) -> None:
    """Kill every process in the sessions these leaders started (the shell and its jobs)."""
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in leaders:  # fields: state, ppid, pgrp, session, …
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(Path(stat).parent.name), signal.SIGKILL)


def checkpoint_exists(repo: Path, step: int) -> bool:
    return bool(glob.glob(str(repo / ".git" / "refs" / "devcli" / "sessions" / "*" / str(step))))


def first_bytes(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(6)


def temporary_copy_exists(repo: Path) -> bool:
    return bool(glob.glob(str(repo / ".big.txt.*")))


@pytest.mark.parametrize("moment", ["checkpoint saved", "temporary copy written", "file replaced"])
def test_kill_during_an_edit_leaves_old_or_new_file_and_undo_restores(
    tmp_path: Path, moment: str
) -> None:
    repo = new_repo(tmp_path / "repo")
    original = "".join(f"line {n:06d} of a large file\n" for n in range(BIG_LINES))
    commit_files(repo, {"big.txt": original}, "Big file")
    edited = original.replace("line 000000 of", "EDITED line of", 1)
    expected = tree_fingerprint(repo)
    turns = write_turns(
        tmp_path / "turns.jsonl",
        [
            edit(
                command="str_replace",
                path=str(repo / "big.txt"),
                old_str="line 000000 of",
                new_str="EDITED line of",
            ),
            finish(),
        ],
    )
    big = repo / "big.txt"
    conditions = {
        "checkpoint saved": lambda: checkpoint_exists(repo, 1),
        "temporary copy written": lambda: temporary_copy_exists(repo),
        "file replaced": lambda: first_bytes(big) == b"EDITED",
    }
    process = start_replay(repo, turns)
    try:
        wait_for(conditions[moment], process)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert big.read_text() in (original, edited)
    undo = run_devcli("undo", "--yes", "--step", "1", "--cwd", str(repo))
    assert undo.returncode == 0, undo.stdout + undo.stderr
    # Any half-written temporary file is gone too: the tree is exactly as before the step.
    assert tree_fingerprint(repo) == expected


def test_kill_during_a_step_then_undo_restores_the_step_in_flight(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    commit_files(repo, {"a.txt": "original a\n", "keep.txt": "kept\n"}, "Start")
    (repo / "keep.txt").write_text("user's uncommitted edit\n")
    turns = write_turns(
        tmp_path / "turns.jsonl",
        [
            bash("echo first > first.txt"),
            bash("printf 'half\\n' > a.txt && sleep 30 && printf 'never\\n' > b.txt"),
            finish(),
        ],
    )
    after_step_one: dict[str, str] = {}
    process = start_replay(repo, turns)
    shells: list[int] = []
    try:
        wait_for(lambda: (repo / "a.txt").read_text() == "half\n", process)
        after_step_one = {k: v for k, v in tree_fingerprint(repo).items() if k != "a.txt"}
        shells = children_of(process.pid)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait()
        kill_sessions(shells)
    assert not (repo / "b.txt").exists()
    undo = run_devcli("undo", "--yes", "--cwd", str(repo))
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert "before step 2" in undo.stdout
    restored = tree_fingerprint(repo)
    assert restored.pop("a.txt") == "-" + b"original a\n".hex()
    assert restored == after_step_one
    assert (repo / "keep.txt").read_text() == "user's uncommitted edit\n"
    # The session file holds only whole events, so the session can be read and resumed.
    [session_file] = glob.glob(str(data_dir() / "sessions" / "*" / "*.jsonl"))
    lines = Path(session_file).read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines[:2]] == ["session", "user"]
