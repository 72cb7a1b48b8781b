"""Creating one large file through the editor, end to end (`devcli replay` in a git
repository: parsing, gates, checkpoints, masking, the session file), at two sizes side by side.

python benchmarks/large_create.py [--megabytes 50]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def create_seconds(megabytes: float, scratch: Path) -> float:
    """Seconds for a replay that creates a file of hex-like text (the slowest kind to mask)."""
    repository = scratch / f"repo-{megabytes}"
    repository.mkdir()
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    rng = random.Random(3)
    text = "".join(rng.choices("0123456789abcdef\n", k=int(megabytes * 1_000_000)))
    target = repository / "large.txt"
    arguments = {"command": "create", "path": str(target), "file_text": text}
    turns = [
        {"tool_calls": [{"name": "str_replace_editor", "arguments": arguments}]},
        {
            "tool_calls": [
                {"name": "finish", "arguments": {"message": "ok", "task_completed": "true"}}
            ]
        },
    ]
    replay = scratch / f"turns-{megabytes}.jsonl"
    replay.write_text("".join(json.dumps(turn) + "\n" for turn in turns))
    env = {**os.environ, "DEVCLI_DATA_DIR": str(scratch / "data")}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "devcli", "replay", str(replay), "--cwd", str(repository)],
        capture_output=True,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0 or target.stat().st_size != len(text):
        raise SystemExit(f"the replay failed: {done.stderr.decode(errors='replace')[-500:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=50.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        small = create_seconds(options.megabytes / 10, scratch)
        large = create_seconds(options.megabytes, scratch)
    print(f"{options.megabytes / 10:6.1f} MB create: {small:6.2f} s")
    print(f"{options.megabytes:6.1f} MB create: {large:6.2f} s")
    print(f"ratio {large / small:5.2f} for 10x the size (start-up included in both)")


if __name__ == "__main__":
    main()
