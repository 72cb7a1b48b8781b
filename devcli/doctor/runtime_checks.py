"""llama-cpp-python: its build, the CPU path it will take, and a real decode in a child
process (the verdict is shared with `devcli run`)."""

from devcli.config import Settings
from devcli.doctor.model_checks import LocalModelFacts
from devcli.doctor.report import Report, Status
from devcli.llm.runtime_facts import RuntimeFacts

AREA = "runtime"


def check_runtime(report: Report) -> RuntimeFacts | None:
    try:
        from devcli.llm.runtime_facts import read_runtime_facts

        facts = read_runtime_facts()
    except (ImportError, OSError) as exc:
        report.add(
            AREA,
            "llama-cpp-python",
            Status.PROBLEM,
            f"cannot be imported ({exc})",
            "pip install llama-cpp-python, or use --endpoint / --provider",
        )
        return None
    report.add(AREA, "llama-cpp-python", Status.OK, facts.version)
    report.add(AREA, "cpu features", Status.OK, ", ".join(facts.cpu_features) or "none reported")
    report.add(
        AREA,
        "gpu offload",
        Status.OK,
        "available" if facts.gpu_offload else "not in this build (CPU only)",
    )
    return facts


def check_decode(
    report: Report, settings: Settings, runtime: RuntimeFacts, model: LocalModelFacts
) -> None:
    from devcli.llm.cpu_repack import CpuRepack, repack_enabled
    from devcli.llm.model_setup import choose_runtime
    from devcli.llm.runtime_guard import NativeCrashError

    setting = CpuRepack(settings.cpu_repack)
    wanted = repack_enabled(setting, runtime)
    why = "AMX reported: llama.cpp crashes repacking there" if runtime.has_amx else "no AMX"
    try:
        decision = choose_runtime(model.plan, settings)
    except NativeCrashError as exc:
        report.add(
            AREA, "decode", Status.PROBLEM, str(exc).splitlines()[0], "see devcli run's message"
        )
        return
    path = "safe path: no weight repacking" if not decision.repack else "weight repacking on"
    if decision.repack != wanted:
        report.add(
            AREA,
            "cpu path",
            Status.WARNING,
            f"{path} (repacking crashed here in a test decode)",
            'set cpu_repack = "off" to skip that test',
        )
    else:
        report.add(AREA, "cpu path", Status.OK, f"{path} (cpu_repack = {setting.value}; {why})")
    when = (
        f"decoded in a test process in {decision.probe_seconds:.1f} s"
        if decision.probed
        else "decoded correctly before (remembered)"
    )
    report.add(AREA, "decode", Status.OK, when)
