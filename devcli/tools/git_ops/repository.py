"""Finding the session's repository and checking what the model names inside it."""

import os
from pathlib import Path

from git import Repo
from git.exc import InvalidGitRepositoryError, NoSuchPathError

from devcli.tools.git_ops.runner import GitFailure, git_output, run_git


def open_repository(workspace: Path) -> Repo:
    try:
        repo = Repo(workspace, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError) as exc:
        raise GitFailure(
            f"{workspace} is not inside a git repository, so there is no history to look at. "
            "If the user wants one, create it with `git init` through execute_bash."
        ) from exc
    if repo.bare or repo.working_tree_dir is None:
        repo.close()
        raise GitFailure(f"{repo.git_dir} is a bare repository: it has no work tree to inspect.")
    return repo


def work_tree(repo: Repo) -> Path:
    assert repo.working_tree_dir is not None  # open_repository refuses bare repositories
    return Path(repo.working_tree_dir).resolve()


def has_commits(repo: Repo) -> bool:
    return run_git(repo, ["rev-parse", "--verify", "--quiet", "HEAD"]).ok


def empty_tree(repo: Repo) -> str:
    """The id of the empty tree, the base a first commit is compared with."""
    return git_output(repo, ["hash-object", "-t", "tree", os.devnull]).strip()


def repo_path(repo: Repo, workspace: Path, raw: str) -> str:
    """`raw` (absolute, or relative to the workspace) as a path relative to the work tree."""
    text = raw.strip()
    if not text:
        raise GitFailure("A path is empty; give a file or folder inside the repository.")
    root = work_tree(repo)
    # Lexical normalisation only: a symlink inside the repository is still a path in it.
    candidate = Path(os.path.normpath(Path(workspace).resolve() / text))
    try:
        relative = candidate.relative_to(root)
    except ValueError:
        # The prefix may reach the repository through a symlinked folder (e.g. /tmp).
        real = Path(os.path.realpath(candidate.parent)) / candidate.name
        try:
            relative = real.relative_to(root)
        except ValueError:
            raise GitFailure(
                f"`{raw}` is outside the repository {root}; this tool only works inside it."
            ) from None
    return relative.as_posix() if relative.parts else "."


def repo_paths(repo: Repo, workspace: Path, raws: list[str] | None) -> list[str]:
    return [repo_path(repo, workspace, raw) for raw in raws or []]


def check_revision(repo: Repo, revision: str) -> str:
    """Make sure `revision` names a commit; returns it stripped."""
    text = revision.strip()
    if not text:
        raise GitFailure("The revision is empty; give a commit hash, branch, tag or HEAD~N.")
    if text.startswith("-") or any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise GitFailure(f"`{revision}` is not a revision name (no options, spaces or newlines).")
    if not run_git(repo, ["rev-parse", "--verify", "--quiet", f"{text}^{{commit}}"]).ok:
        if text.startswith("HEAD") and not has_commits(repo):
            raise GitFailure(
                "The repository has no commits yet, so HEAD names nothing. `status` and `diff` "
                "show the work in progress."
            )
        raise GitFailure(
            f"Unknown revision `{text}`: it names no commit, branch or tag in this repository. "
            "`log` lists recent commits and `branch` lists the branches."
        )
    return text


def check_range(repo: Repo, spec: str) -> str:
    """A revision or a range `A..B` / `A...B` whose ends all name commits."""
    text = spec.strip()
    for separator in ("...", ".."):
        if separator in text:
            left, right = text.split(separator, 1)
            for end in (left, right):
                if end:
                    check_revision(repo, end)
            return text
    return check_revision(repo, text)


def index_lock(repo: Repo) -> Path | None:
    lock = Path(repo.git_dir) / "index.lock"
    return lock if lock.exists() else None


def operations_in_progress(repo: Repo) -> list[str]:
    """Merges, rebases and the like that are stopped half way, as phrases for the model."""
    git_dir = Path(repo.git_dir)
    found: list[str] = []
    markers = {
        "MERGE_HEAD": "a merge",
        "CHERRY_PICK_HEAD": "a cherry-pick",
        "REVERT_HEAD": "a revert",
        "BISECT_LOG": "a bisect",
    }
    for marker, phrase in markers.items():
        if (git_dir / marker).exists():
            found.append(phrase)
    if (git_dir / "rebase-merge").is_dir() or (git_dir / "rebase-apply" / "rebasing").exists():
        found.append("a rebase")
    elif (git_dir / "rebase-apply" / "applying").exists():
        found.append("a `git am` patch series")
    return found
