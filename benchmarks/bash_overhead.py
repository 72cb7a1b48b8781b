"""Per-call cost of `execute_bash` beside a fresh `bash -c` per command, in one run.

python benchmarks/bash_overhead.py [--calls 200]
"""

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from devcli.tools.bash import BashArgs, BashTool


def time_tool(calls: int, workdir: Path) -> list[float]:
    tool = BashTool(workdir)
    tool.execute(BashArgs(command="true"))  # start the shell outside the measurement
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        result = tool.execute(BashArgs(command="true"))
        samples.append(time.perf_counter() - start)
        assert result.exit_code == 0, result.content
    tool.close()
    return samples


def time_subprocess(calls: int, workdir: Path) -> list[float]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        subprocess.run(["bash", "-c", "true"], cwd=workdir, check=True)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    calls = parser.parse_args().calls
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        tool = time_tool(calls, workdir)
        plain = time_subprocess(calls, workdir)
    rows = [("execute_bash (tool layer)", tool), ("subprocess.run bash -c", plain)]
    print(f"{calls} calls of `true`")
    print(f"{'':28} {'mean ms':>9} {'median ms':>10} {'p95 ms':>8}")
    for name, samples in rows:
        ordered = sorted(samples)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(
            f"{name:28} {statistics.mean(samples) * 1e3:9.2f} "
            f"{statistics.median(samples) * 1e3:10.2f} {p95 * 1e3:8.2f}"
        )
    ratio = statistics.mean(tool) / statistics.mean(plain)
    print(f"ratio tool / subprocess (mean): {ratio:.2f}")


if __name__ == "__main__":
    main()
