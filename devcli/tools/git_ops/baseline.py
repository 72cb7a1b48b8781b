"""What the work tree looked like when the session began, to tell the session's changes apart
from the user's uncommitted work."""

import hashlib
import os
import stat
from pathlib import Path

from git import Repo
from pydantic import BaseModel

from devcli.tools.git_ops.repository import work_tree
from devcli.tools.git_ops.runner import GitFailure
from devcli.tools.git_ops.status import read_status, status_paths

_CHUNK = 1 << 20
# Beyond these, hashing at session start would take noticeable time: very large files are
# fingerprinted by size and modification time, and a work tree with this many changed paths
# gets no snapshot at all (commits then need explicit paths).
HASHED_FILE_LIMIT = 64 << 20
SNAPSHOT_PATH_LIMIT = 20_000


class WorkTreeSnapshot(BaseModel):
    """The paths that differed from HEAD (untracked ones included), each with a fingerprint
    of its content in the work tree."""

    root: str | None  # None: there was no repository at the time
    fingerprints: dict[str, str]


class SessionChanges(BaseModel):
    changed: list[str]  # changed since the snapshot: the session's work
    untouched: list[str]  # already changed before, and not since: the user's work
    mixed: list[str]  # already changed before, and changed again since


def fingerprint(file: Path) -> str:
    """Content and executable bit of a work-tree path; changes whenever either changes."""
    try:
        info = file.lstat()
        if stat.S_ISLNK(info.st_mode):
            return "link:" + os.readlink(file)
        if stat.S_ISDIR(info.st_mode):
            return "folder"
        executable = "x" if info.st_mode & stat.S_IXUSR else "-"
        if info.st_size > HASHED_FILE_LIMIT:
            return f"{executable}size:{info.st_size}:mtime:{info.st_mtime_ns}"
        digest = hashlib.sha1()
        with file.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        return f"{executable}{digest.hexdigest()}"
    except FileNotFoundError:
        return "absent"
    except OSError as exc:
        return f"unreadable:{exc.errno}"


def current_fingerprints(repo: Repo) -> dict[str, str]:
    root = work_tree(repo)
    paths = status_paths(read_status(repo, [], all_untracked=True))
    if len(paths) > SNAPSHOT_PATH_LIMIT:
        raise GitFailure(
            f"The work tree has {len(paths):,} changed or untracked paths, too many to tell "
            "the session's own changes apart; name the files to commit in `paths`."
        )
    return {path: fingerprint(root / path) for path in sorted(paths)}


def take_snapshot(repo: Repo | None) -> WorkTreeSnapshot:
    if repo is None:
        return WorkTreeSnapshot(root=None, fingerprints={})
    return WorkTreeSnapshot(root=str(work_tree(repo)), fingerprints=current_fingerprints(repo))


def session_changes(snapshot: WorkTreeSnapshot, now: dict[str, str]) -> SessionChanges:
    changes = SessionChanges(changed=[], untouched=[], mixed=[])
    for path, print_now in sorted(now.items()):
        before = snapshot.fingerprints.get(path)
        if before is None:
            changes.changed.append(path)
        elif before == print_now:
            changes.untouched.append(path)
        else:
            changes.mixed.append(path)
    return changes
