"""Start-up time of `devcli --help` and `devcli run --help`, beside `python -c pass`.

Each command runs `--runs` times in turn (interleaved, so a busy machine slows all alike);
the script prints the median wall time of each and how much devcli adds to a bare Python.

    python benchmarks/startup.py [--runs 10]
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def devcli_command() -> list[str]:
    beside_python = Path(sys.executable).with_name("devcli")
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("devcli")
    return [found] if found else [sys.executable, "-m", "devcli"]


def wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    devcli = devcli_command()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "devcli --help": [*devcli, "--help"],
        "devcli run --help": [*devcli, "run", "--help"],
    }
    for command in commands.values():
        wall_time(command)  # warm the file cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(wall_time(command))
    baseline = statistics.median(times["python -c pass"])
    print(f"median wall time over {runs} runs")
    for name, samples in times.items():
        median = statistics.median(samples)
        extra = "" if name.startswith("python") else f"  (+{median - baseline:.3f} s)"
        print(f"  {name:<20} {median:.3f} s{extra}")


if __name__ == "__main__":
    main()
