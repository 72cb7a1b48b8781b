"""`commit`: stage exactly the chosen paths and commit them, all or nothing.

The paths are staged into a temporary index built from HEAD, so whatever the user had staged
stays out of the commit, and a rejected commit leaves the real index untouched. Only after the
commit exists are the real index entries of the committed paths brought up to date.
"""

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from git import Repo
from pydantic import BaseModel

from devcli.tools.base import Approver
from devcli.tools.git_ops.baseline import (
    WorkTreeSnapshot,
    current_fingerprints,
    session_changes,
)
from devcli.tools.git_ops.bounds import clip_long_lines, cut_lines, name_some, plural
from devcli.tools.git_ops.branch import current_branch
from devcli.tools.git_ops.porcelain import PorcelainStatus
from devcli.tools.git_ops.repository import (
    has_commits,
    index_lock,
    operations_in_progress,
    repo_paths,
    work_tree,
)
from devcli.tools.git_ops.runner import GitFailure, GitOutput, git_output, run_git
from devcli.tools.git_ops.status import read_status

TRAILER = "Co-authored-by: devcli <devcli@localhost>"
COMMIT_TIMEOUT = 600.0  # hooks may run a test suite
HOOK_OUTPUT_BUDGET = 12_000
_TRAILER_LINE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*: \S")
_COMMIT_HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg")


class CommitRequest(BaseModel):
    """A commit about to be made: what a person approving it is shown."""

    branch: str
    message: str
    paths: list[str]
    notes: list[str] = []


CommitApproval = Callable[[CommitRequest], bool]


def ask_before_commit(person: Approver) -> CommitApproval:
    """A CommitApproval that shows each commit to `person` and waits for their answer."""

    def approve(request: CommitRequest) -> bool:
        files = "\n".join(f"  {path}" for path in request.paths[:50])
        if len(request.paths) > 50:
            files += f"\n  ... and {plural(len(request.paths) - 50, 'more file')}"
        detail = f"{request.message}\n\nFiles:\n{files}"
        question = f"Commit {plural(len(request.paths), 'file')} on {request.branch}?"
        return person.confirm(question, detail)

    return approve


class CommitResult(BaseModel):
    report: str
    committed: list[str]


def with_trailer(message: str) -> str:
    """The message with devcli's trailer, joined to any trailer block the message ends with."""
    text = "\n".join(line.rstrip() for line in message.strip().splitlines())
    if TRAILER in text.splitlines():
        return text + "\n"
    paragraphs = text.split("\n\n")
    last = paragraphs[-1].splitlines()
    if len(paragraphs) > 1 and all(_TRAILER_LINE.match(line) for line in last):
        return f"{text}\n{TRAILER}\n"
    return f"{text}\n\n{TRAILER}\n"


def plan_commit(
    repo: Repo,
    workspace: Path,
    message: str | None,
    named: list[str] | None,
    baseline: WorkTreeSnapshot | None,
) -> CommitRequest:
    """Check that a commit can be made, and choose its paths; GitFailure says why not."""
    if message is None or not message.strip():
        raise GitFailure(
            "`commit` needs a `message`: a short first line saying what changed, then, after a "
            "blank line, why."
        )
    branch = current_branch(repo)
    if branch is None:
        raise GitFailure(
            "HEAD is detached, so a commit would belong to no branch and could get lost. Create "
            "a branch first (operation `branch` with a `name`), then commit."
        )
    in_progress = operations_in_progress(repo)
    if in_progress:
        raise GitFailure(
            f"{in_progress[0][0].upper()}{in_progress[0][1:]} is in progress. This tool does "
            "not make partial commits in the middle of one: resolve and conclude it with git "
            "through execute_bash, or ask the user."
        )
    lock = index_lock(repo)
    if lock is not None:
        raise GitFailure(
            f"The index is locked ({lock} exists): another git process is running, or one "
            "crashed. Nothing was committed. Wait and try again; if no git command is "
            "running, ask the user before removing the lock."
        )
    status = read_status(repo, [], all_untracked=True)
    if named:
        paths, notes = _named_paths(repo, repo_paths(repo, workspace, named), status)
    else:
        paths, notes = _session_paths(repo, baseline)
    return CommitRequest(branch=branch, message=message.strip(), paths=paths, notes=notes)


def _named_paths(
    repo: Repo, named: list[str], status: PorcelainStatus
) -> tuple[list[str], list[str]]:
    partners: dict[str, set[str]] = {}
    for entry in status.entries:
        partners.setdefault(entry.path, set()).add(entry.path)
        if entry.original_path:
            # A rename is committed whole: the new name and the removal of the old one.
            partners[entry.path].add(entry.original_path)
            partners.setdefault(entry.original_path, set()).add(entry.original_path)
    chosen: set[str] = set()
    notes: list[str] = []
    for path in named:
        prefix = path.rstrip("/") + "/"
        hits = [p for p in partners if path == "." or p == path or p.startswith(prefix)]
        for hit in hits:
            chosen |= partners[hit]
        if not hits:
            notes.append(_why_unchanged(repo, path))
    if not chosen:
        raise GitFailure("Nothing to commit. " + " ".join(notes))
    return sorted(chosen), notes


def _why_unchanged(repo: Repo, path: str) -> str:
    if run_git(repo, ["check-ignore", "--quiet", "--", path]).ok:
        return (
            f"`{path}` is ignored by git (.gitignore or similar), so it was left out; commit "
            "ignored files only if the user asks, with git through execute_bash."
        )
    if not (work_tree(repo) / path).exists():
        return f"`{path}` does not exist and git does not track it."
    return f"`{path}` has no changes: it matches HEAD."


def _session_paths(repo: Repo, baseline: WorkTreeSnapshot | None) -> tuple[list[str], list[str]]:
    root = str(work_tree(repo))
    if baseline is None or (baseline.root is not None and baseline.root != root):
        raise GitFailure(
            "It is not known which files had changes before this session began, so name the "
            "files to commit in `paths`."
        )
    changes = session_changes(baseline, current_fingerprints(repo))
    notes: list[str] = []
    if changes.untouched:
        notes.append(
            f"Left out {name_some(changes.untouched)}: they already had uncommitted changes "
            "when the session began, and the session has not changed them since."
        )
    if changes.mixed:
        notes.append(
            f"Left out {name_some(changes.mixed)}: they had uncommitted changes from before the "
            "session began and changed again since, so they mix the user's work with yours. "
            "Name them in `paths` to commit them whole, if that is what the user wants."
        )
    if not changes.changed:
        raise GitFailure(
            "Nothing to commit: no file has changed since the session began. " + " ".join(notes)
        )
    return changes.changed, notes


def make_commit(repo: Repo, request: CommitRequest) -> CommitResult:
    with tempfile.TemporaryDirectory(prefix="devcli-commit-") as scratch:
        folder = Path(scratch)
        pathspec = folder / "paths"
        pathspec.write_bytes(b"".join(p.encode() + b"\0" for p in request.paths))
        message_file = folder / "message"
        message_file.write_text(with_trailer(request.message), encoding="utf-8")
        staging = {"GIT_INDEX_FILE": str(folder / "index"), "GIT_LITERAL_PATHSPECS": "1"}
        if has_commits(repo):
            git_output(repo, ["read-tree", "HEAD"], env=staging)
        git_output(
            repo,
            ["add", "--all", f"--pathspec-from-file={pathspec}", "--pathspec-file-nul"],
            env=staging,
        )
        if run_git(repo, ["diff", "--cached", "--quiet"], env=staging).ok:
            raise GitFailure(
                f"Nothing to commit: the work-tree copies of {name_some(request.paths)} match "
                "HEAD (any difference is only in the index)."
            )
        attempt = run_git(
            repo,
            ["commit", "--quiet", "--cleanup=whitespace", "-F", str(message_file)],
            env=staging,
            timeout=COMMIT_TIMEOUT,
        )
        if not attempt.ok:
            raise GitFailure(_rejection(repo, attempt))
        synced = run_git(
            repo,
            ["reset", "--quiet", "HEAD", f"--pathspec-from-file={pathspec}", "--pathspec-file-nul"],
            env={"GIT_LITERAL_PATHSPECS": "1"},
        )
    return CommitResult(report=_report(repo, request, attempt, synced), committed=request.paths)


def _report(repo: Repo, request: CommitRequest, attempt: GitOutput, synced: GitOutput) -> str:
    summary = git_output(repo, ["log", "-1", "--format=%h%n%an <%ae>%n%s"]).splitlines()
    commit, author, subject = [*summary, "", "", ""][:3]
    stat = git_output(repo, ["show", "--shortstat", "--format=", "HEAD"]).strip()
    lines = [
        f'Committed {commit} on {request.branch}: "{subject}"',
        f"Author: {author}; trailer added: {TRAILER}",
        stat,
        f"Files committed ({len(request.paths)}):",
        *(f"  {path}" for path in request.paths[:100]),
    ]
    if len(request.paths) > 100:
        lines.append(f"  ... and {plural(len(request.paths) - 100, 'more')}")
    lines.extend(request.notes)
    if not synced.ok:
        lines.append(
            "The commit was made, but updating the index for these files failed "
            f"({synced.stderr.strip()}); `status` may show them as staged. Tell the user."
        )
    hook_output = (attempt.stdout + attempt.stderr).strip()
    if hook_output:
        lines.append("Output of the commit hooks:\n" + _bounded(hook_output))
    return "\n".join(lines)


def _rejection(repo: Repo, attempt: GitOutput) -> str:
    output = (attempt.stdout + "\n" + attempt.stderr).strip()
    untouched = "Nothing was committed, and the index and the work tree are as they were."
    if "Please tell me who you are" in output or "empty ident" in output:
        return (
            "git does not know who the author is: user.name and user.email are not set. "
            f"{untouched} Ask the user to set them (`git config user.name …`); do not "
            "invent an identity."
        )
    if "index.lock" in output:
        return (
            "The index is locked: another git process is running, or one crashed. "
            f"{untouched} Wait and try again, or ask the user.\ngit said: {_bounded(output)}"
        )
    hooks = _commit_hooks(repo)
    if hooks:
        who = f"The {name_some(hooks)} hook" + ("s" if len(hooks) > 1 else "")
        return (
            f"{who} rejected the commit (exit status {attempt.status}). {untouched} Fix what "
            f"the output below reports, then commit again.\nHook output:\n{_bounded(output)}"
        )
    return f"`git commit` failed (exit status {attempt.status}). {untouched}\n{_bounded(output)}"


def _commit_hooks(repo: Repo) -> list[str]:
    """The commit hooks that are installed and executable (core.hooksPath respected)."""
    located = run_git(repo, ["rev-parse", "--git-path", "hooks"])
    if not located.ok:
        return []
    folder = work_tree(repo) / located.stdout.strip()
    found = []
    for name in _COMMIT_HOOKS:
        hook = folder / name
        if hook.is_file() and hook.stat().st_mode & 0o111:
            found.append(name)
    return found


def _bounded(text: str) -> str:
    return cut_lines(
        clip_long_lines(text),
        HOOK_OUTPUT_BUDGET,
        lambda gap: f"[... {plural(len(gap), 'line')} of output cut here ...]",
    )
