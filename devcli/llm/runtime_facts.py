"""What the llama.cpp runtime in this process is: its version, the CPU features it was built to
use, and whether it can offload to a GPU. Parsed from `llama_print_system_info()`, so tests can
hand in the text of any machine."""

import hashlib
import re
from functools import cache

from pydantic import BaseModel, ConfigDict

# ggml reports one of these when it was built with (and runs on) Intel's AMX tiles.
_AMX_FEATURES = ("AMX_INT8", "AMX_BF16", "AMX_TILE", "AMX")


class RuntimeFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    system_info: str
    gpu_offload: bool = False

    @property
    def features(self) -> dict[str, str]:
        return parse_system_info(self.system_info)

    @property
    def has_amx(self) -> bool:
        features = self.features
        return any(features.get(name, "0") not in ("", "0") for name in _AMX_FEATURES)

    @property
    def cpu_features(self) -> list[str]:
        """The features the build uses, e.g. AVX2, AMX_INT8 (those reported as on)."""
        return [name for name, value in self.features.items() if value not in ("", "0")]


def parse_system_info(text: str) -> dict[str, str]:
    """`CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 1 | ` → {"SSE3": "1", "AVX2": "1", ...}.

    Backends prefix their block with `NAME :`; the prefix is dropped, so the keys of every
    backend's block end up side by side.
    """
    features: dict[str, str] = {}
    for part in text.split("|"):
        if "=" not in part:
            continue
        name, _, value = part.rpartition("=")
        name = name.rsplit(":", 1)[-1].strip()
        if re.fullmatch(r"[A-Za-z0-9_]+", name):
            features[name] = value.strip()
    return features


@cache
def read_runtime_facts() -> RuntimeFacts:
    """The facts of the llama-cpp-python installed here (imports llama_cpp)."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info()
    text = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    return RuntimeFacts(
        version=str(llama_cpp.__version__),
        system_info=text.strip(),
        gpu_offload=bool(llama_cpp.llama_supports_gpu_offload()),
    )


def cpu_flags_digest(cpuinfo: str | None = None) -> str:
    """A short digest of the processor's model and feature flags: a crash seen on one CPU says
    nothing about another."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
                cpuinfo = handle.read(200_000)
        except OSError:
            import platform

            cpuinfo = platform.processor() + platform.machine()
    wanted = []
    for line in cpuinfo.splitlines():
        key = line.split(":", 1)[0].strip().lower()
        if key in ("model name", "flags", "features", "cpu part"):
            wanted.append(line.strip())
            if key in ("flags", "features"):
                break  # the first processor tells
    return hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:16]
