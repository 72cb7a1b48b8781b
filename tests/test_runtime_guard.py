"""A llama.cpp that crashes on this machine's CPU never takes devcli down with it: the repack
policy follows the runtime's reported features, and a trial decode in a child process that
really dies on a signal is explained, retried safely, or ends the run with exit code 4."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devcli.llm.cpu_repack import CpuRepack, apply_repack, repack_enabled, repack_in_effect
from devcli.llm.decode_probe import FAULT_VARIABLE, ProbeOutcome, ProbeRequest, run_decode_probe
from devcli.llm.runtime_facts import RuntimeFacts, cpu_flags_digest, parse_system_info
from devcli.llm.runtime_guard import NativeCrashError, decide_runtime
from devcli.llm.runtime_verdicts import VerdictStore
from tests.support.llm_files import smollm2_gguf

# As printed by llama-cpp-python 0.3.36 built on a Sapphire Rapids Xeon.
XEON_AMX = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX_VNNI = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | "
    "BMI2 = 1 | AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | "
    "AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
)
EPYC = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | "


def _facts(info: str) -> RuntimeFacts:
    return RuntimeFacts(version="0.3.36", system_info=info)


def test_system_info_is_read_feature_by_feature() -> None:
    features = parse_system_info(XEON_AMX)
    assert features["AMX_INT8"] == "1"
    assert features["SSE3"] == "1"  # the backend's "CPU :" prefix is dropped
    assert "AMX_INT8" in _facts(XEON_AMX).cpu_features
    two_backends = "CUDA : ARCHS = 900 | USE_GRAPHS = 1 | CPU : AVX2 = 1 | AMX_INT8 = 0 | "
    assert parse_system_info(two_backends) == {
        "ARCHS": "900",
        "USE_GRAPHS": "1",
        "AVX2": "1",
        "AMX_INT8": "0",
    }


def test_auto_turns_repacking_off_exactly_where_amx_is_reported() -> None:
    assert repack_enabled(CpuRepack.AUTO, _facts(XEON_AMX)) is False
    assert repack_enabled(CpuRepack.AUTO, _facts(EPYC)) is True
    assert repack_enabled("auto", _facts(EPYC.replace("BMI2", "AMX_INT8 = 0 | BMI2"))) is True
    # The setting forces either way.
    assert repack_enabled(CpuRepack.ON, _facts(XEON_AMX)) is True
    assert repack_enabled(CpuRepack.OFF, _facts(EPYC)) is False


def test_the_loader_gets_the_safe_parameter_on_an_amx_cpu() -> None:
    import llama_cpp.llama_cpp as low_level

    before = repack_in_effect()
    try:
        apply_repack(repack_enabled(CpuRepack.AUTO, _facts(XEON_AMX)))
        assert low_level.llama_model_default_params().use_extra_bufts is False
        apply_repack(repack_enabled(CpuRepack.AUTO, _facts(EPYC)))
        assert low_level.llama_model_default_params().use_extra_bufts is True
    finally:
        apply_repack(before)


def test_the_cpu_digest_follows_model_and_flags() -> None:
    one = "processor: 0\nmodel name: Xeon\nflags: avx2 amx_int8\n"
    other = "processor: 0\nmodel name: Xeon\nflags: avx2\n"
    assert cpu_flags_digest(one) != cpu_flags_digest(other)
    assert cpu_flags_digest(one) == cpu_flags_digest(one + "processor: 1\nflags: x\n")


def _request() -> ProbeRequest:
    return ProbeRequest(model_path=smollm2_gguf(), repack=True, type_k=8)


def test_a_probe_child_that_dies_on_a_signal_is_reported_as_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(FAULT_VARIABLE, "segv")
    outcome = run_decode_probe(_request())
    assert outcome.crashed and outcome.signal_name == "SIGSEGV"
    monkeypatch.delenv(FAULT_VARIABLE)
    assert run_decode_probe(_request()).ok


class CountingProbe:
    """The real child-process probe, counting how often devcli pays for it."""

    def __init__(self) -> None:
        self.calls: list[bool] = []

    def __call__(self, request: ProbeRequest) -> ProbeOutcome:
        self.calls.append(request.repack)
        return run_decode_probe(request)


def test_a_crash_with_repacking_is_retried_safely_and_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULT_VARIABLE, "segv-when-repacking")
    store = VerdictStore(tmp_path / "verdicts.json")
    probe = CountingProbe()
    decision = decide_runtime(_request(), CpuRepack.AUTO, _facts(EPYC), store, probe)
    assert decision.repack is False
    assert probe.calls == [True, False]
    assert decision.notice is not None and "SIGSEGV" in decision.notice
    assert decision.probe_seconds > 0
    again = decide_runtime(_request(), CpuRepack.AUTO, _facts(EPYC), store, probe)
    assert again.repack is False and not again.probed
    assert probe.calls == [True, False]  # the verdict was remembered
    # Another runtime build is probed afresh.
    newer = RuntimeFacts(version="0.3.37", system_info=EPYC)
    decide_runtime(_request(), CpuRepack.AUTO, newer, store, probe)
    assert probe.calls == [True, False, True, False]


def test_on_an_amx_cpu_the_safe_path_is_probed_first(tmp_path: Path) -> None:
    probe = CountingProbe()
    store = VerdictStore(tmp_path / "verdicts.json")
    decision = decide_runtime(_request(), CpuRepack.AUTO, _facts(XEON_AMX), store, probe)
    assert decision.repack is False and decision.notice is None
    assert probe.calls == [False]


def test_forced_repacking_that_crashes_is_explained_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULT_VARIABLE, "segv-when-repacking")
    probe = CountingProbe()
    with pytest.raises(NativeCrashError) as raised:
        decide_runtime(
            _request(), CpuRepack.ON, _facts(EPYC), VerdictStore(tmp_path / "v.json"), probe
        )
    assert probe.calls == [True]
    assert 'cpu_repack = "off"' in str(raised.value)


def _devcli_env(tmp_path: Path, fault: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            FAULT_VARIABLE: fault,
            "DEVCLI_CACHE_DIR": str(tmp_path / "cache"),
            "DEVCLI_DATA_DIR": str(tmp_path / "data"),
            "DEVCLI_TOOL_CHOICE": "required",
            "DEVCLI_MAX_TOKENS": "24",
            "HF_HUB_OFFLINE": "1",
            "NO_COLOR": "1",
        }
    )
    return env


def _run_list_files(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = ["run", "--model", str(smollm2_gguf()), "--ctx-size", "4096", "--max-steps", "1"]
    return subprocess.run(
        [sys.executable, "-m", "devcli", *args, "-o", "jsonl", "list the files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_run_survives_a_runtime_that_crashes_when_repacking(git_repo: Path, tmp_path: Path) -> None:
    result = _run_list_files(git_repo, _devcli_env(tmp_path, "segv-when-repacking"))
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1, 3), result.stderr
    notices = [line for line in result.stderr.splitlines() if "SIGSEGV" in line]
    assert len(notices) == 1 and "without repacking" in notices[0]
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert events[-1]["type"] == "finish"
    # The verdict is remembered: a second run says nothing about crashes.
    second = _run_list_files(git_repo, _devcli_env(tmp_path, "segv-when-repacking"))
    assert second.returncode in (0, 1, 3), second.stderr
    assert "SIGSEGV" not in second.stderr


def test_run_explains_a_runtime_that_always_crashes_and_exits_4(
    git_repo: Path, tmp_path: Path
) -> None:
    result = _run_list_files(git_repo, _devcli_env(tmp_path, "segv"))
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr
    assert "crashed (SIGSEGV)" in result.stderr
    assert "nothing was lost" in result.stderr
    assert "--endpoint" in result.stderr
    assert not list((tmp_path / "data").rglob("*.jsonl"))  # no session was started
