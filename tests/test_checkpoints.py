"""Checkpoints in real repositories: nothing of the user's git state moves, restores are exact."""

import os
import time
from pathlib import Path

import pytest

from devcli.checkpoints.pruning import DAY_SECONDS, sessions_to_prune
from devcli.checkpoints.store import Checkpoint, CheckpointStore
from devcli.checkpoints.undo import UndoError, apply_undo, describe_plan, plan_undo
from devcli.paths import data_dir
from tests.support.git_histories import git, new_repo
from tests.support.git_trees import git_state, messy_repo, tree_fingerprint, wreck


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    return messy_repo(tmp_path / "messy")


def test_snapshot_leaves_head_index_refs_stash_and_files_alone(messy: Path) -> None:
    before_state, before_files = git_state(messy), tree_fingerprint(messy)
    with CheckpointStore.for_workspace(messy) as store:
        checkpoint = store.snapshot("s1", 1)
    assert git_state(messy) == before_state
    assert tree_fingerprint(messy) == before_files
    assert git(messy, "rev-parse", "refs/devcli/sessions/s1/1^{tree}").strip() == checkpoint.tree


def test_snapshot_holds_untracked_and_deletions_but_not_ignored_files(messy: Path) -> None:
    with CheckpointStore.for_workspace(messy) as store:
        checkpoint = store.snapshot("s1", 1)
    listed = set(git(messy, "ls-tree", "-r", "--name-only", checkpoint.commit).split())
    assert {"notes.md", "new_dir/deep.txt", "renamed.txt", "src/app.py"} <= listed
    assert "to_delete.txt" not in listed and "to_rename.txt" not in listed
    assert "debug.log" not in listed and "build/out.o" not in listed
    modes = git(messy, "ls-tree", "-r", checkpoint.commit).splitlines()
    assert any(line.startswith("100755") and line.endswith("run.sh") for line in modes)
    assert any(line.startswith("120000") and line.endswith("app_link") for line in modes)


def test_undo_round_trips_byte_exactly_and_leaves_ignored_files(messy: Path) -> None:
    expected = tree_fingerprint(messy)
    state = git_state(messy)
    with CheckpointStore.for_workspace(messy) as store:
        store.snapshot("s1", 1)
        wreck(messy)
        plan = plan_undo(store, "s1", 1)
        result = apply_undo(store, plan)
    assert result.failed == []
    restored = tree_fingerprint(messy)
    # The ignored log is never checkpointed: the agent's change to it stays.
    assert restored.pop("debug.log") == "-" + b"agent changed the ignored log\n".hex()
    expected.pop("debug.log")
    assert restored == expected
    assert git_state(messy) == state


def test_restored_crlf_and_binary_files_keep_their_exact_bytes(messy: Path) -> None:
    with CheckpointStore.for_workspace(messy) as store:
        store.snapshot("s1", 1)
        wreck(messy)
        apply_undo(store, plan_undo(store, "s1", 1))
    assert (messy / "windows.txt").read_bytes() == b"line one\r\nline two changed\r\n"
    assert (messy / "new_dir/deep.txt").read_bytes() == b"deep untracked\r\nwith crlf\n"
    assert os.readlink(messy / "app_link") == "src/app.py"
    assert os.access(messy / "run.sh", os.X_OK)


def test_repository_without_commits(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "fresh")
    (repo / "first.txt").write_text("hello\n")
    state = git_state(repo)
    with CheckpointStore.for_workspace(repo) as store:
        store.snapshot("s", 1)
        (repo / "first.txt").write_text("changed\n")
        (repo / "second.txt").write_text("new\n")
        apply_undo(store, plan_undo(store, "s", None))
    assert (repo / "first.txt").read_text() == "hello\n"
    assert not (repo / "second.txt").exists()
    assert git_state(repo) == state


def test_plain_folder_gets_a_private_repository_outside_it(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub/a.txt").write_text("a\n")
    with CheckpointStore.for_workspace(folder) as store:
        assert store.private
        assert data_dir() in store.git_dir.parents
        store.snapshot("p", 1)
        (folder / "sub/a.txt").write_text("b\n")
        (folder / "b.txt").write_text("new\n")
        apply_undo(store, plan_undo(store, "p", 1))
    assert not (folder / ".git").exists()
    assert (folder / "sub/a.txt").read_text() == "a\n"
    assert sorted(p.name for p in folder.rglob("*")) == ["a.txt", "sub"]


def test_subfolder_of_a_repository_snapshots_the_whole_work_tree(messy: Path) -> None:
    with CheckpointStore.for_workspace(messy / "src") as store:
        assert store.work_tree == messy.resolve() and not store.private


def test_folder_ignored_by_the_surrounding_repository_uses_a_private_store(messy: Path) -> None:
    with CheckpointStore.for_workspace(messy / "build") as store:
        assert store.private
        assert store.work_tree == (messy / "build").resolve()


def test_second_snapshot_of_a_step_keeps_the_first(messy: Path) -> None:
    with CheckpointStore.for_workspace(messy) as store:
        first = store.snapshot("s", 3)
        (messy / "README.md").write_text("later\n")
        again = store.snapshot("s", 3)
    assert again.commit == first.commit


def test_undo_without_step_walks_back_one_change_at_a_time(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    target = repo / "f.txt"
    with CheckpointStore.for_workspace(repo) as store:
        for step, text in enumerate(["one\n", "two\n", "three\n"], start=1):
            store.snapshot("s", step)
            target.write_text(text)
        seen = []
        for _ in range(3):
            plan = plan_undo(store, None, None)
            apply_undo(store, plan)
            seen.append((plan.checkpoint.step, target.read_text() if target.exists() else None))
        with pytest.raises(UndoError, match="nothing to undo"):
            plan_undo(store, None, None)
    assert seen == [(3, "two\n"), (2, "one\n"), (1, None)]


def test_undo_keeps_a_backup_of_the_tree_it_replaces(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    with CheckpointStore.for_workspace(repo) as store:
        store.snapshot("s", 1)
        (repo / "work.txt").write_text("valuable\n")
        result = apply_undo(store, plan_undo(store, "s", 1))
    assert not (repo / "work.txt").exists()
    assert git(repo, "show", f"{result.backup_ref}:work.txt") == "valuable\n"


def test_undo_errors_name_what_exists(messy: Path) -> None:
    with CheckpointStore.for_workspace(messy) as store:
        with pytest.raises(UndoError, match="no checkpoints"):
            plan_undo(store, None, None)
        store.snapshot("known", 2)
        with pytest.raises(UndoError, match="recent sessions: known"):
            plan_undo(store, "other", None)
        with pytest.raises(UndoError, match=r"has: 2"):
            plan_undo(store, "known", 7)


def test_plan_lists_every_change_by_what_undo_does(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    (repo / "keep.txt").write_text("k\n")
    (repo / "gone.txt").write_text("g\n")
    with CheckpointStore.for_workspace(repo) as store:
        store.snapshot("s", 1)
        (repo / "keep.txt").write_text("changed\n")
        (repo / "gone.txt").unlink()
        (repo / "made.txt").write_text("m\n")
        text = describe_plan(plan_undo(store, "s", 1))
    assert "restore   keep.txt" in text
    assert "recreate  gone.txt" in text
    assert "delete    made.txt" in text


def test_file_and_folder_swaps_are_restored(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    (repo / "thing").write_text("a file\n")
    (repo / "dir").mkdir()
    (repo / "dir/inner.txt").write_text("inner\n")
    expected = tree_fingerprint(repo)
    with CheckpointStore.for_workspace(repo) as store:
        store.snapshot("s", 1)
        (repo / "thing").unlink()
        (repo / "thing").mkdir()
        (repo / "thing/nested.txt").write_text("n\n")
        (repo / "dir/inner.txt").unlink()
        (repo / "dir").rmdir()
        (repo / "dir").write_text("now a file\n")
        result = apply_undo(store, plan_undo(store, "s", 1))
    assert result.failed == []
    assert tree_fingerprint(repo) == expected


def test_a_new_gitignore_does_not_make_undo_delete_ignored_user_files(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    (repo / ".gitignore").write_text("secret.txt\n")
    (repo / "secret.txt").write_text("user data\n")
    with CheckpointStore.for_workspace(repo) as store:
        store.snapshot("s", 1)
        (repo / ".gitignore").write_text("")  # secret.txt now shows up in snapshots
        result = apply_undo(store, plan_undo(store, "s", 1))
    assert (repo / "secret.txt").read_text() == "user data\n"
    assert result.kept_ignored == ["secret.txt"]
    assert (repo / ".gitignore").read_text() == "secret.txt\n"


def test_deleting_a_session_removes_its_refs(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "r")
    with CheckpointStore.for_workspace(repo) as store:
        for name in ("old", "mid", "new"):
            store.snapshot(name, 1)
        assert sorted(store.sessions()) == ["mid", "new", "old"]
        removed = store.delete_sessions(["old"])
        assert removed == 1
        assert sorted(store.sessions()) == ["mid", "new"]
    assert "refs/devcli/sessions/old/1" not in git(repo, "for-each-ref")


def test_prune_selection_keeps_the_newest_sessions() -> None:
    now = time.time()

    def made(session: str, days_ago: float) -> Checkpoint:
        created = int(now - days_ago * DAY_SECONDS)
        return Checkpoint(session=session, step=1, commit="c", tree="t", created=created)

    checkpoints = [made("a", 90), made("b", 60), made("c", 40), made("d", 1)]
    assert sessions_to_prune(checkpoints, now, older_than_days=30, keep=1) == ["c", "b", "a"]
    assert sessions_to_prune(checkpoints, now, older_than_days=30, keep=3) == ["a"]
    assert sessions_to_prune(checkpoints, now, older_than_days=100, keep=0) == []
