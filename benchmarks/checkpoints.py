"""How long a checkpoint takes: a fresh repository of many small files, measured side by side.

Run: python benchmarks/checkpoints.py [FILES]
Prints the time of `git status` (a baseline every git user pays), the first snapshot, a
snapshot after one file changed, and an exact undo of that change.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devcli.checkpoints.store import CheckpointStore
from devcli.checkpoints.undo import apply_undo, plan_undo


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def timed(action: object) -> float:
    assert callable(action)
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["DEVCLI_DATA_DIR"] = str(Path(scratch) / "data")
        repo = Path(scratch) / "repo"
        repo.mkdir()
        git(repo, "init", "-q")
        for index in range(count):
            folder = repo / f"pkg{index % 50}"
            folder.mkdir(exist_ok=True)
            (folder / f"module{index}.py").write_text(f"VALUE = {index}\n" * 20)
        git(repo, "add", "-A")
        git(repo, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "files")
        with CheckpointStore.for_workspace(repo) as store:
            status = timed(lambda: git(repo, "status", "--porcelain"))
            first = timed(lambda: store.snapshot("bench", 1))
            (repo / "pkg0" / "module0.py").write_text("changed\n")
            second = timed(lambda: store.snapshot("bench", 2))
            undo = timed(lambda: apply_undo(store, plan_undo(store, "bench", 1)))
    print(f"files in the work tree:        {count}")
    print(f"git status (baseline):         {status * 1000:7.1f} ms")
    print(f"first checkpoint:              {first * 1000:7.1f} ms")
    print(f"checkpoint after one change:   {second * 1000:7.1f} ms")
    print(f"undo of that change:           {undo * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
