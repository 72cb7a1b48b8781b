"""Real git repositories in chosen states for the git tool's tests.

Big histories are written with `git fast-import`, which builds 10,000 commits in about a
second where 10,000 `git commit` calls would take minutes.
"""

import os
import subprocess
from pathlib import Path

IDENTITY = ("Test Person", "test@example.com")
# Git settings of the machine running the tests (hooks paths, signing) stay out of the repos.
ISOLATED_GIT = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str, stdin: bytes | None = None, check: bool = True) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, **ISOLATED_GIT},
        check=False,
    )
    # A git killed by a signal gave no answer at all, whatever `check` says.
    if (check and result.returncode != 0) or result.returncode < 0:
        raise AssertionError(
            f"git {' '.join(args)} failed ({result.returncode}): {result.stderr.decode()}"
        )
    return result.stdout.decode()


def new_repo(path: Path) -> Path:
    """An empty repository on branch main with a local identity."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", IDENTITY[0])
    git(path, "config", "user.email", IDENTITY[1])
    git(path, "config", "commit.gpgsign", "false")
    return path


def commit_files(repo: Path, files: dict[str, str], message: str) -> str:
    """Write the files, commit exactly them, and return the new commit's hash."""
    for name, text in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(repo, "add", "--", *files)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def repo_with_history(path: Path) -> Path:
    """Three commits touching app.py and README.md, on a clean work tree."""
    repo = new_repo(path)
    commit_files(repo, {"README.md": "# Demo\n", "app.py": "print('one')\n"}, "Start the demo")
    commit_files(repo, {"app.py": "print('one')\nprint('two')\n"}, "Print two")
    commit_files(repo, {"README.md": "# Demo\n\nRun app.py.\n"}, "Explain how to run it")
    return repo


def start_conflicting_merge(repo: Path) -> None:
    """Leave `repo` stopped in a merge with app.py in conflict."""
    git(repo, "checkout", "-q", "-b", "other")
    commit_files(repo, {"app.py": "print('other side')\n"}, "Other side")
    git(repo, "checkout", "-q", "main")
    commit_files(repo, {"app.py": "print('main side')\n"}, "Main side")
    git(repo, "merge", "other", check=False)


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def _fast_import(repo: Path, commits: list[tuple[str, dict[str, str]]]) -> None:
    """Commit (message, {path: content}) pairs onto main, one after another."""
    stream = bytearray()
    start = 1_700_000_000
    for number, (message, files) in enumerate(commits, start=1):
        author = "Ada Author <ada@example.com>" if number % 2 else "Bo Builder <bo@example.com>"
        stamp = start + number * 60
        stream += b"commit refs/heads/main\nmark :%d\n" % number
        stream += f"author {author} {stamp} +0000\n".encode()
        stream += f"committer {IDENTITY[0]} <{IDENTITY[1]}> {stamp} +0000\n".encode()
        stream += _data(message)
        if number > 1:
            stream += b"from :%d\n" % (number - 1)
        for name, content in files.items():
            stream += f"M 100644 inline {name}\n".encode() + _data(content)
        stream += b"\n"
    git(repo, "fast-import", "--quiet", stdin=bytes(stream))
    git(repo, "read-tree", "-u", "--reset", "HEAD")


def build_long_history(path: Path, commits: int = 10_000) -> Path:
    """`commits` commits on main; every 100th also changes docs/notes.md."""
    repo = new_repo(path)
    history: list[tuple[str, dict[str, str]]] = []
    for number in range(1, commits + 1):
        files = {"counter.txt": f"{number}\n"}
        if number % 100 == 0:
            files["docs/notes.md"] = f"Notes as of step {number}.\n"
        history.append((f"Step {number}: count to {number}", files))
    _fast_import(repo, history)
    return repo


def _big_file(index: int, flavour: str, lines: int) -> str:
    return "".join(f"line {n:05d} of module {index:03d}, {flavour} wording\n" for n in range(lines))


def build_large_diff(path: Path, files: int = 80, lines: int = 800) -> Path:
    """Two commits whose diff is over 5 MB, and a work tree holding the first commit's text
    again, so the uncommitted diff is as big."""
    repo = new_repo(path)
    names = [f"src/module_{index:03d}.txt" for index in range(files)]
    original = {name: _big_file(i, "original", lines) for i, name in enumerate(names)}
    rewritten = {name: _big_file(i, "rewritten", lines) for i, name in enumerate(names)}
    _fast_import(repo, [("Add the modules", original), ("Reword every module", rewritten)])
    for name, text in original.items():
        (repo / name).write_text(text)
    return repo
