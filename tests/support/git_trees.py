"""Real work trees in awkward states, and exact fingerprints of them, for checkpoint tests."""

import os
import stat
from pathlib import Path

from tests.support.git_histories import git, new_repo

BINARY = bytes(range(256)) * 4


def tree_fingerprint(root: Path) -> dict[str, str]:
    """Every path under `root` (outside `.git`) with its exact bytes, kind and executable bit."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not (folder == str(root) and d == ".git")]
        for name in [*files, *[d for d in dirs if os.path.islink(os.path.join(folder, d))]]:
            path = Path(folder) / name
            relative = str(path.relative_to(root))
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[relative] = "link:" + os.readlink(path)
            else:
                executable = "x" if info.st_mode & stat.S_IXUSR else "-"
                found[relative] = executable + path.read_bytes().hex()
    return found


def git_state(repo: Path) -> dict[str, str]:
    """What checkpointing must never change: HEAD, the index, refs other than devcli's, stash."""
    refs = [line for line in git(repo, "for-each-ref").splitlines() if "refs/devcli/" not in line]
    index = repo / ".git" / "index"
    return {
        "head": git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False),
        "symbolic_head": git(repo, "symbolic-ref", "-q", "HEAD", check=False),
        "cached": git(repo, "diff", "--cached", "--binary"),
        "stash": git(repo, "stash", "list"),
        "refs": "\n".join(refs),
        "index_bytes": index.read_bytes().hex() if index.exists() else "",
    }


def messy_repo(path: Path) -> Path:
    """A repository with every kind of state a user's work tree can be in."""
    repo = new_repo(path)
    files = {
        "README.md": b"# demo\n",
        "src/app.py": b"print('v1')\n",
        "src/util.py": b"def helper():\n    return 1\n",
        "to_delete.txt": b"doomed\n",
        "to_rename.txt": b"moving\n",
        "image.bin": BINARY,
        "run.sh": b"#!/bin/sh\necho run\n",
        "windows.txt": b"line one\r\nline two\r\n",
        ".gitignore": b"*.log\nbuild/\n",
        ".gitattributes": b"*.txt text=auto\n",
    }
    for name, data in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (repo / "run.sh").chmod(0o755)
    os.symlink("src/app.py", repo / "app_link")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Initial state")
    # A stash entry, so a changed stash would show.
    (repo / "README.md").write_bytes(b"# demo\nstashed line\n")
    git(repo, "stash", "push", "-q", "-m", "user stash")
    # Staged, unstaged, both, deleted, renamed, untracked, ignored, CRLF edits.
    (repo / "src/app.py").write_bytes(b"print('v2 staged')\n")
    git(repo, "add", "src/app.py")
    (repo / "src/app.py").write_bytes(b"print('v3 unstaged on top')\n")
    (repo / "src/util.py").write_bytes(b"def helper():\n    return 2\n")
    (repo / "to_delete.txt").unlink()
    git(repo, "mv", "to_rename.txt", "renamed.txt")
    (repo / "notes.md").write_bytes(b"untracked notes\n")
    (repo / "new_dir").mkdir()
    (repo / "new_dir/deep.txt").write_bytes(b"deep untracked\r\nwith crlf\n")
    (repo / "debug.log").write_bytes(b"ignored log\n")
    (repo / "build").mkdir()
    (repo / "build/out.o").write_bytes(b"\x7fELF ignored")
    (repo / "windows.txt").write_bytes(b"line one\r\nline two changed\r\n")
    return repo


def wreck(repo: Path) -> None:
    """What a careless agent might do: edit, delete, create, flip modes, touch ignored files."""
    (repo / "src/app.py").write_bytes(b"print('agent')\n")
    (repo / "src/util.py").unlink()
    (repo / "README.md").write_bytes(b"rewritten\n")
    (repo / "image.bin").write_bytes(BINARY[::-1])
    (repo / "run.sh").chmod(0o644)
    (repo / "notes.md").unlink()
    (repo / "windows.txt").write_bytes(b"normalised\n")
    (repo / "app_link").unlink()
    (repo / "app_link").write_bytes(b"now a file\n")
    (repo / "agent_made").mkdir()
    (repo / "agent_made/file.py").write_bytes(b"x = 1\n")
    (repo / "debug.log").write_bytes(b"agent changed the ignored log\n")
    (repo / "renamed.txt").rename(repo / "renamed_again.txt")


def bash(command: str) -> dict[str, object]:
    return {"tool_calls": [{"name": "execute_bash", "arguments": {"command": command}}]}


def edit(**arguments: object) -> dict[str, object]:
    return {"tool_calls": [{"name": "str_replace_editor", "arguments": arguments}]}


def finish(message: str = "done") -> dict[str, object]:
    arguments = {"message": message, "task_completed": "true"}
    return {"tool_calls": [{"name": "finish", "arguments": arguments}]}


def checkpoint_refs(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname)", "refs/devcli/sessions/").split()
