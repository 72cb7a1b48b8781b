"""Choosing how llama.cpp runs a model on this machine without crashing.

The first time a runtime build, CPU and model file meet, a child process loads the model and
decodes a few tokens. If it dies on a signal with weight repacking on, it is tried again with
repacking off; what worked is remembered, so later runs start at once.
"""

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from devcli.llm.cpu_repack import CpuRepack, repack_enabled
from devcli.llm.decode_probe import ProbeOutcome, ProbeRequest, run_decode_probe
from devcli.llm.runtime_facts import RuntimeFacts, cpu_flags_digest
from devcli.llm.runtime_verdicts import VerdictKey, VerdictStore, new_verdict

Probe = Callable[[ProbeRequest], ProbeOutcome]


class NativeCrashError(RuntimeError):
    """llama.cpp crashed in every configuration tried; the message explains and advises."""


class RuntimeDecision(BaseModel):
    repack: bool
    probed: bool = False  # a child process was run for this decision
    probe_seconds: float = 0.0
    notice: str | None = None  # one line for the user, when the safe path was chosen


def verdict_key(
    request: ProbeRequest, setting: CpuRepack, facts: RuntimeFacts, cpu_digest: str
) -> VerdictKey:
    stat = request.model_path.stat()
    return VerdictKey(
        runtime_version=facts.version,
        system_info=facts.system_info,
        cpu_digest=cpu_digest,
        model_path=str(request.model_path.resolve()),
        model_size=stat.st_size,
        model_mtime_ns=stat.st_mtime_ns,
        n_gpu_layers=request.n_gpu_layers,
        repack_setting=setting.value,
    )


def decide_runtime(
    request: ProbeRequest,
    setting: CpuRepack,
    facts: RuntimeFacts,
    store: VerdictStore,
    probe: Probe = run_decode_probe,
    cpu_digest: str | None = None,
) -> RuntimeDecision:
    """`request.repack` is ignored: the setting and the facts choose it. Raises
    NativeCrashError when nothing works."""
    wanted = repack_enabled(setting, facts)
    key = verdict_key(request, setting, facts, cpu_digest or cpu_flags_digest())
    known = store.get(key)
    if known is not None:
        return RuntimeDecision(repack=known.repack)
    first = probe(request.model_copy(update={"repack": wanted}))
    spent = first.seconds
    if first.ok:
        store.put(key, new_verdict(wanted, spent, request.model_path, False))
        return RuntimeDecision(repack=wanted, probed=True, probe_seconds=spent)
    if not first.crashed:
        # A load error or a timeout is not a native crash: the real load reports it.
        return RuntimeDecision(repack=wanted, probed=True, probe_seconds=spent)
    if not wanted or setting is CpuRepack.ON:
        raise NativeCrashError(_explain(request, facts, first, None, setting))
    second = probe(request.model_copy(update={"repack": False}))
    spent += second.seconds
    if second.ok:
        store.put(key, new_verdict(False, spent, request.model_path, True))
        return RuntimeDecision(
            repack=False,
            probed=True,
            probe_seconds=spent,
            notice=(
                f"llama.cpp crashed ({first.signal_name}) on this CPU when repacking weights; "
                'running without repacking (the setting cpu_repack = "off" makes this the rule)'
            ),
        )
    if not second.crashed:
        return RuntimeDecision(repack=False, probed=True, probe_seconds=spent)
    raise NativeCrashError(_explain(request, facts, first, second, setting))


def _explain(
    request: ProbeRequest,
    facts: RuntimeFacts,
    first: ProbeOutcome,
    second: ProbeOutcome | None,
    setting: CpuRepack,
) -> str:
    tried = "with and without weight repacking" if second else "with weight repacking"
    if second is None and not first.crashed:
        tried = "as configured"
    features = ", ".join(facts.cpu_features) or "none reported"
    lines = [
        f"llama.cpp {facts.version} crashed ({first.signal_name}) while decoding "
        f"{Path(request.model_path).name} on this machine ({tried}). The crash happened in a "
        "test process, so nothing was lost.",
        f"CPU features of this build: {features}.",
        "Things to try:",
    ]
    if setting is CpuRepack.ON:
        lines.append('  - set cpu_repack = "off" (or DEVCLI_CPU_REPACK=off): no weight repacking')
    lines += [
        "  - rebuild llama-cpp-python for a generic CPU: "
        'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install --force-reinstall --no-cache-dir '
        "llama-cpp-python",
        "  - use a model server instead: devcli run --endpoint http://HOST:PORT/v1 TASK",
        "  - devcli doctor shows what devcli found on this machine",
    ]
    detail = (second or first).detail.strip()
    if detail:
        lines.append("The test process's last output: " + detail.replace("\n", " | ")[-400:])
    return "\n".join(lines)
