"""`diff`: uncommitted changes, staged changes, or the changes between two revisions."""

from git import Repo

from devcli.tools.git_ops.bounds import name_some, plural
from devcli.tools.git_ops.patch import render_patch
from devcli.tools.git_ops.porcelain import EntryKind
from devcli.tools.git_ops.repository import check_range, empty_tree, has_commits
from devcli.tools.git_ops.runner import GitFailure
from devcli.tools.git_ops.status import read_status


def diff_report(
    repo: Repo, paths: list[str], revision: str | None, staged: bool, stat_only: bool
) -> str:
    scope = f" in {name_some(paths, 4)}" if paths else ""
    if revision is not None and staged:
        raise GitFailure(
            "`staged` compares the index with HEAD, so it cannot be combined with `revision`. "
            "Leave one of them out."
        )
    if revision is not None:
        spec = check_range(repo, revision)
        separator = "..." if "..." in spec else ".." if ".." in spec else None
        if separator is None:
            heading = f"Changes{scope} from {spec} to the work tree (staged or not):"
        else:
            left, right = spec.split(separator, 1)
            base = f"the merge base of {left or 'HEAD'} and {right or 'HEAD'}"
            heading = (
                f"Changes{scope} from {base if separator == '...' else left or 'HEAD'} "
                f"to {right or 'HEAD'}:"
            )
        report = render_patch(repo, ["diff", spec], paths, heading, stat_only)
        return report if separator else report + _untracked_note(repo, paths)
    if staged:
        base = "HEAD" if has_commits(repo) else "an empty repository (no commits yet)"
        heading = f"Changes{scope} staged for commit (the index against {base}):"
        return render_patch(repo, ["diff", "--cached"], paths, heading, stat_only)
    if has_commits(repo):
        command, base = ["diff", "HEAD"], "HEAD"
    else:
        command, base = ["diff", empty_tree(repo)], "an empty repository (no commits yet)"
    heading = f"Uncommitted changes{scope}, staged or not, against {base}:"
    return render_patch(repo, command, paths, heading, stat_only) + _untracked_note(repo, paths)


def _untracked_note(repo: Repo, paths: list[str]) -> str:
    status = read_status(repo, paths)
    count = sum(1 for entry in status.entries if entry.kind is EntryKind.UNTRACKED)
    if not count:
        return ""
    return (
        f"\n\n({plural(count, 'untracked file or folder', 'untracked files or folders')} not "
        "shown: git does not diff files it does not track. `status` lists them.)"
    )
