"""`branch`: list branches, or create one at HEAD and switch to it. Nothing is ever deleted,
moved or overwritten."""

from git import Repo

from devcli.tools.git_ops.bounds import OBSERVATION_BUDGET, cut_lines, plural
from devcli.tools.git_ops.repository import has_commits, index_lock, operations_in_progress
from devcli.tools.git_ops.runner import GitFailure, git_output, run_git

_FIELDS = (
    "%(HEAD)%09%(refname:short)%09%(objectname:short)%09%(committerdate:short)"
    "%09%(upstream:short)%09%(upstream:track)%09%(contents:subject)"
)
REMOTE_LIMIT = 50


def current_branch(repo: Repo) -> str | None:
    """The checked-out branch's name; None when HEAD is detached."""
    result = run_git(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"])
    return result.stdout.strip() if result.ok else None


def list_branches(repo: Repo) -> str:
    lines: list[str] = []
    branch = current_branch(repo)
    if branch is None:
        where = git_output(repo, ["log", "-1", "--format=%h %s"]).strip()
        lines.append(f"HEAD is detached at {where}; no branch is checked out.")
    elif not has_commits(repo):
        lines.append(
            f"The current branch, {branch}, has no commits yet; it comes into being with the "
            "first commit."
        )
    local = _refs(repo, "refs/heads")
    if local:
        lines.append(f"Local branches ({len(local)}), * marks the current one:")
        lines.extend(local)
    remote = _refs(repo, "refs/remotes")
    if remote:
        lines.append(f"Remote-tracking branches ({len(remote)}):")
        lines.extend(remote[:REMOTE_LIMIT])
        if len(remote) > REMOTE_LIMIT:
            lines.append(f"  ... and {plural(len(remote) - REMOTE_LIMIT, 'more')}.")
    return cut_lines(
        "\n".join(lines),
        OBSERVATION_BUDGET - 200,
        lambda gap: f"[... {plural(len(gap), 'branch', 'branches')} cut here ...]",
    )


def _refs(repo: Repo, prefix: str) -> list[str]:
    raw = git_output(repo, ["for-each-ref", f"--format={_FIELDS}", prefix])
    rows = [line.split("\t", 6) for line in raw.splitlines() if line.strip()]
    rows = [row for row in rows if len(row) == 7 and not row[1].endswith("/HEAD")]
    width = min(max((len(row[1]) for row in rows), default=0), 40)
    lines = []
    for head, name, commit, date, upstream, track, subject in rows:
        tracking = f"  [{upstream}{': ' + track.strip('[]') if track else ''}]" if upstream else ""
        marker = "*" if head == "*" else " "
        lines.append(f"{marker} {name:<{width}}  {commit}  {date}{tracking}  {subject}")
    return lines


def create_branch(repo: Repo, name: str) -> str:
    wanted = name.strip()
    if not wanted or wanted.startswith("-"):
        raise GitFailure(f"`{name}` is not a usable branch name.")
    checked = run_git(repo, ["check-ref-format", "--branch", wanted])
    if not checked.ok:
        raise GitFailure(
            f"`{wanted}` is not a valid branch name (no spaces, `..`, `~`, `^`, `:`, `?`, `*`, "
            "`[` or trailing `.lock`). Pick another, e.g. `fix/short-description`."
        )
    existing = run_git(repo, ["rev-parse", "--verify", "--quiet", f"refs/heads/{wanted}"])
    if existing.ok:
        raise GitFailure(
            f"A branch named `{wanted}` already exists (at {existing.stdout.strip()[:12]}). This "
            "tool never moves or overwrites a branch: pick a new name, or switch with "
            "execute_bash if the user asked for that branch."
        )
    in_progress = operations_in_progress(repo)
    if in_progress:
        raise GitFailure(
            f"{in_progress[0][0].upper()}{in_progress[0][1:]} is in progress; conclude or abort "
            "it before creating a branch."
        )
    lock = index_lock(repo)
    if lock is not None:
        raise GitFailure(
            f"The index is locked ({lock} exists): another git process is running, or one "
            "crashed. Wait and try again; if no git command is running, ask the user before "
            "removing the lock."
        )
    before = current_branch(repo)
    git_output(repo, ["checkout", "--quiet", "-b", wanted])
    if not has_commits(repo):
        return (
            f"Switched to the new branch `{wanted}`. Like `{before}` before it, it has no "
            "commits yet."
        )
    commit = git_output(repo, ["log", "-1", "--format=%h %s"]).strip()
    origin = f"`{before}`" if before else "the detached HEAD"
    return (
        f"Created the branch `{wanted}` at {commit} (where {origin} was) and switched to it. "
        "Uncommitted changes in the work tree and the index came along unchanged."
    )
