"""What a session changed (from its first checkpoint to now), and `--commit` of exactly that."""

import os
from pathlib import Path

from git import Repo
from pydantic import BaseModel

from devcli import __version__
from devcli.checkpoints.store import CheckpointError, CheckpointStore, FileChange
from devcli.tools.git_ops.branch import current_branch
from devcli.tools.git_ops.commit import CommitRequest, make_commit
from devcli.tools.git_ops.repository import open_repository
from devcli.tools.git_ops.runner import GitFailure, run_git

MAX_LISTED = 20


class CommitRefused(RuntimeError):
    """No commit was made; the message says why."""


def session_changes(workspace: Path, session: str, mark_end: bool = False) -> list[FileChange]:
    """Files that differ between the session's first checkpoint and the work tree now. With
    `mark_end`, the work tree is also recorded as the session leaves it, so a later undo of
    the whole session knows the user's own later edits from the session's."""
    with CheckpointStore.for_workspace(workspace) as store:
        changes = store.changes_since_start(session)
        if mark_end and store.checkpoints(session):
            store.mark_end(session)
        return changes


def mark_session_end(workspace: Path, session: str) -> None:
    """Record the work tree as the session leaves it, if the session changed anything."""
    with CheckpointStore.for_workspace(workspace) as store:
        if store.checkpoints(session):
            store.mark_end(session)


def describe_changes(changes: list[FileChange], session: str) -> str:
    if not changes:
        return "No files were changed."
    listed = ", ".join(f"{c.kind} {c.path}" for c in changes[:MAX_LISTED])
    if len(changes) > MAX_LISTED:
        listed += f", and {len(changes) - MAX_LISTED} more"
    noun = "file" if len(changes) == 1 else "files"
    return (
        f"Changed {len(changes)} {noun}: {listed}.\n"
        f"Review with `devcli diff --session {session}`; "
        f"undo all of it with `devcli undo --session {session} --all-steps`."
    )


def commit_message(task: str, summary: str, session: str) -> str:
    first_line = " ".join(task.strip().split())
    subject = first_line if len(first_line) <= 64 else first_line[:63].rstrip() + "…"
    body = summary.strip()[:4000]
    parts = [subject, body] if body else [subject]
    parts.append(f"Generated-by: devcli {__version__} (session {session})")
    return "\n\n".join(parts)


def commit_session(workspace: Path, session: str, task: str, summary: str) -> str:
    """Commit the session's changed files on the current branch; returns git's report."""
    try:
        with CheckpointStore.for_workspace(workspace) as store:
            if store.private:
                raise CommitRefused(f"{workspace} is not in a git repository")
            changes = store.changes_since_start(session)
            root = store.work_tree
    except CheckpointError as exc:
        raise CommitRefused(str(exc)) from exc
    if not changes:
        raise CommitRefused("the session changed no files")
    try:
        repo = open_repository(workspace)
        branch = current_branch(repo)
        if branch is None:
            raise CommitRefused("HEAD is detached, so the commit would belong to no branch")
        head_paths = _paths_in_head(repo, [c.path for c in changes])
        paths = [c.path for c in changes if os.path.lexists(root / c.path) or c.path in head_paths]
        request = CommitRequest(
            branch=branch, message=commit_message(task, summary, session), paths=paths
        )
        return make_commit(repo, request).report
    except GitFailure as exc:
        raise CommitRefused(str(exc)) from exc


def _paths_in_head(repo: Repo, paths: list[str]) -> set[str]:
    """Deleted files can be committed only when HEAD has them."""
    result = run_git(
        repo,
        ["ls-tree", "-r", "-z", "--name-only", "HEAD", "--", *paths],
        env={"GIT_LITERAL_PATHSPECS": "1"},
    )
    return set(result.stdout.split("\0")) if result.ok else set()


class RunChanges(BaseModel):
    """The end of a run: what changed, and what became of `--commit`."""

    session: str
    changes: list[FileChange] = []
    committed: str | None = None  # git's report of the commit
    not_committed: str | None = None  # why `--commit` made no commit

    def lines(self) -> list[str]:
        lines = [describe_changes(self.changes, self.session)]
        if self.committed:
            lines.append(self.committed)
        if self.not_committed:
            lines.append(f"Not committed: {self.not_committed}.")
        return lines


def end_of_run(
    workspace: Path, session: str, task: str, summary: str, completed: bool, commit: bool
) -> RunChanges:
    result = RunChanges(session=session)
    try:
        result.changes = session_changes(workspace, session, mark_end=True)
    except CheckpointError as exc:
        result.not_committed = f"the session's changes could not be read ({exc})"
        return result
    if not commit:
        return result
    if not completed:
        result.not_committed = "the task was not completed"
    elif not result.changes:
        result.not_committed = "no files were changed"
    else:
        try:
            result.committed = commit_session(workspace, session, task, summary)
        except CommitRefused as exc:
            result.not_committed = str(exc)
    return result
