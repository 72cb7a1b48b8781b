"""Per-call cost of `execute_bash`, plain and inside the sandbox, beside a fresh `bash -c`
per command, and the time each shell takes to start; all in one run.

The plain and sandboxed shells take turns call by call, so that both see the same load: on a
busy machine a terminal's output is sometimes delivered a scheduler tick (~4 ms) late, and
measuring one after the other would credit that to whichever ran in the busy moment.

python benchmarks/bash_overhead.py [--calls 200] [--starts 20]
"""

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from devcli.config import Settings
from devcli.sandbox.launch import Sandbox, start_sandbox
from devcli.tools.bash import BashArgs, BashTool

Samples = dict[str, list[float]]


def timed_call(tool: BashTool) -> float:
    start = time.perf_counter()
    result = tool.execute(BashArgs(command="true"))
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0, result.content
    return elapsed


def time_calls(calls: int, workdir: Path, shells: dict[str, Sandbox | None]) -> Samples:
    """`true` through each tool in turn, its shell started beforehand."""
    tools = {name: BashTool(workdir, sandbox=sandbox) for name, sandbox in shells.items()}
    for tool in tools.values():
        timed_call(tool)  # start the shell outside the measurement
    samples: Samples = {name: [] for name in tools}
    for _ in range(calls):
        for name, tool in tools.items():
            samples[name].append(timed_call(tool))
    for tool in tools.values():
        tool.close()
    return samples


def time_starts(starts: int, workdir: Path, shells: dict[str, Sandbox | None]) -> Samples:
    """From nothing to the first command's answer: the shell's start-up as a session sees it."""
    samples: Samples = {name: [] for name in shells}
    for _ in range(starts):
        for name, sandbox in shells.items():
            tool = BashTool(workdir, sandbox=sandbox)
            samples[name].append(timed_call(tool))
            tool.close()
    return samples


def time_subprocess(calls: int, workdir: Path) -> list[float]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        subprocess.run(["bash", "-c", "true"], cwd=workdir, check=True)
        samples.append(time.perf_counter() - start)
    return samples


def print_rows(title: str, rows: Samples) -> None:
    print(title)
    print(f"{'':30} {'mean ms':>9} {'median ms':>10} {'p95 ms':>8}")
    for name, samples in rows.items():
        ordered = sorted(samples)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(
            f"{name:30} {statistics.mean(samples) * 1e3:9.2f} "
            f"{statistics.median(samples) * 1e3:10.2f} {p95 * 1e3:8.2f}"
        )


def compare(label: str, rows: Samples, first: str, second: str) -> None:
    ratio = statistics.mean(rows[first]) / statistics.mean(rows[second])
    difference = statistics.median(rows[first]) - statistics.median(rows[second])
    print(f"ratio {label} (mean): {ratio:.2f}; difference of medians {difference * 1e3:+.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--starts", type=int, default=20)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        notices: list[str] = []
        start = time.perf_counter()
        sandbox = start_sandbox(Settings(), workdir, notices.append)
        setup = time.perf_counter() - start
        shells: dict[str, Sandbox | None] = {"execute_bash (tool layer)": None}
        if sandbox is not None:
            shells["execute_bash in the sandbox"] = sandbox
        try:
            calls = time_calls(options.calls, workdir, shells)
            starts = time_starts(options.starts, workdir, shells)
        finally:
            if sandbox is not None:
                sandbox.close()
        calls["subprocess.run bash -c"] = time_subprocess(options.calls, workdir)
    names = list(calls)
    print_rows(f"{options.calls} calls of `true`", calls)
    compare("tool / subprocess", calls, names[0], names[-1])
    if sandbox is not None:
        compare("sandboxed / plain tool", calls, names[1], names[0])
    else:
        print(f"no sandboxed rows: {notices[0] if notices else 'the sandbox is off'}")
    print_rows(f"\n{options.starts} shell starts, to the first command's answer", starts)
    if sandbox is not None:
        compare("sandboxed / plain start", starts, names[1], names[0])
        print(
            f"once per session, the sandbox's set-up (a trial run of bwrap): {setup * 1e3:.1f} ms"
        )


if __name__ == "__main__":
    main()
