"""A trial decode in a child process: load the model and generate a few tokens where a native
crash (SIGSEGV in llama.cpp) kills only the child, so devcli can explain it and try again."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pydantic import BaseModel, ValidationError

# Set in a child's environment by tests to make it die the way a native fault does:
# "segv" always, "segv-when-repacking" only while extra buffer types are in use.
FAULT_VARIABLE = "DEVCLI_PROBE_FAULT"
PROBE_CONTEXT = 512
PROBE_TEXT = "def add(a, b):\n    return a + b\n\n# The function above"
PROBE_NEW_TOKENS = 4


class ProbeRequest(BaseModel):
    model_path: Path
    repack: bool
    n_gpu_layers: int = 0
    n_threads: int | None = None
    type_k: int = 1
    type_v: int = 1
    flash_attn: bool = False


class ProbeOutcome(BaseModel):
    ok: bool
    seconds: float
    signal_name: str | None = None  # set when the child died on a signal
    timed_out: bool = False
    detail: str = ""  # the child's last lines, for the explanation

    @property
    def crashed(self) -> bool:
        return self.signal_name is not None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def run_decode_probe(request: ProbeRequest, timeout: float = 600.0) -> ProbeOutcome:
    started = time.monotonic()
    command = [sys.executable, "-m", "devcli.llm.probe_child", request.model_dump_json()]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return ProbeOutcome(ok=False, seconds=time.monotonic() - started, timed_out=True)
    except OSError as exc:
        return ProbeOutcome(ok=False, seconds=time.monotonic() - started, detail=str(exc))
    seconds = time.monotonic() - started
    tail = "\n".join((done.stderr or "").strip().splitlines()[-6:])
    if done.returncode < 0:
        return ProbeOutcome(
            ok=False, seconds=seconds, signal_name=_signal_name(-done.returncode), detail=tail
        )
    if done.returncode == 0 and _reported_ok(done.stdout):
        return ProbeOutcome(ok=True, seconds=seconds)
    return ProbeOutcome(ok=False, seconds=seconds, detail=tail or done.stdout.strip()[-500:])


def _reported_ok(stdout: str) -> bool:
    lines = stdout.strip().splitlines()
    if not lines:
        return False
    try:
        return bool(json.loads(lines[-1]).get("ok"))
    except (ValueError, AttributeError):
        return False


def child_main(argv: list[str]) -> int:
    """The child's side: one load, a short prompt, a few generated tokens."""
    try:
        request = ProbeRequest.model_validate_json(argv[0])
    except (IndexError, ValidationError) as exc:
        sys.stderr.write(f"bad probe request: {exc}\n")
        return 2
    from devcli.llm.cpu_repack import apply_repack

    apply_repack(request.repack)
    import llama_cpp

    options: dict[str, object] = {
        "model_path": str(request.model_path),
        "n_ctx": PROBE_CONTEXT,
        "n_gpu_layers": request.n_gpu_layers,
        "type_k": request.type_k,
        "type_v": request.type_v,
        "flash_attn": request.flash_attn,
        "verbose": False,
    }
    if request.n_threads:
        options["n_threads"] = request.n_threads
    llama = llama_cpp.Llama(**options)  # type: ignore[arg-type]
    fault = os.environ.get(FAULT_VARIABLE, "")
    if fault == "segv" or (fault == "segv-when-repacking" and request.repack):
        os.kill(os.getpid(), signal.SIGSEGV)
    prompt = llama.tokenize(PROBE_TEXT.encode(), add_bos=True, special=False)
    produced = 0
    for _token in llama.generate(prompt, temp=0.0):
        produced += 1
        if produced >= PROBE_NEW_TOKENS:
            break
    # The parent reads this line: the child's stdout is its answer, not output for a person.
    sys.stdout.write(json.dumps({"ok": True, "prompt_tokens": len(prompt), "generated": produced}))
    sys.stdout.write("\n")
    sys.stdout.flush()
    # Skip interpreter teardown: some builds crash while freeing, which is not our question.
    os._exit(0)
