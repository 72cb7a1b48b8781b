"""Loading a GGUF into llama.cpp with devcli's defaults, quietly, with a spinner.

Defaults: the K cache quantised to q8_0 (half the memory of f16, no measurable loss), flash
attention switched on when the V cache is quantised too (llama.cpp requires it), a 32k context
capped at what the model was trained for, and every layer on the GPU when the build has one.
"""

import ctypes
import os
import time
from collections import deque
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from devcli.config import Settings
from devcli.llm.model_cards import DEFAULT_CTX_SIZE, ModelError
from devcli.llm.model_metadata import GgufFacts
from devcli.notices import NoticeLevel, activity, notify
from devcli.units import human_size

# ggml type ids, and the bytes one cached value takes in that type.
CACHE_TYPES: dict[str, tuple[int, float]] = {
    "f32": (0, 4.0),
    "f16": (1, 2.0),
    "bf16": (30, 2.0),
    "q8_0": (8, 34 / 32),
    "q5_1": (7, 24 / 32),
    "q5_0": (6, 22 / 32),
    "q4_1": (3, 20 / 32),
    "q4_0": (2, 18 / 32),
    "iq4_nl": (20, 18 / 32),
}
_UNQUANTISED = {"f32", "f16", "bf16"}
_INSTALLED_LOG: "LlamaLog | None" = None


class LoadPlan(BaseModel):
    path: Path
    n_ctx: int
    n_gpu_layers: int
    n_threads: int | None
    cache_type_k: str
    cache_type_v: str
    flash_attn: bool
    seed: int | None
    verbose: bool


def cache_type(name: str, which: str) -> tuple[int, float]:
    found = CACHE_TYPES.get(name.lower())
    if found is None:
        raise ModelError(
            f"--cache-type-{which} {name!r} is not a cache type; use one of "
            + ", ".join(CACHE_TYPES)
        )
    return found


def gpu_offload_available() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def plan_load(path: Path, settings: Settings, facts: GgufFacts) -> tuple[LoadPlan, list[str]]:
    """The load parameters, and warnings worth telling the user about."""
    warnings: list[str] = []
    cache_type(settings.cache_type_k, "k")
    cache_type(settings.cache_type_v, "v")
    trained = facts.context_length
    n_ctx = settings.ctx_size or DEFAULT_CTX_SIZE
    if trained and n_ctx > trained:
        if settings.ctx_size:
            warnings.append(
                f"--ctx-size {n_ctx} is more than the model was trained for; using {trained}"
            )
        n_ctx = trained
    gpu_layers = settings.gpu_layers
    if gpu_layers is None:
        gpu_layers = -1 if gpu_offload_available() else 0
    plan = LoadPlan(
        path=path,
        n_ctx=n_ctx,
        n_gpu_layers=gpu_layers,
        n_threads=settings.threads,
        cache_type_k=settings.cache_type_k.lower(),
        cache_type_v=settings.cache_type_v.lower(),
        flash_attn=settings.cache_type_v.lower() not in _UNQUANTISED,
        seed=settings.seed,
        verbose=settings.verbose,
    )
    if plan.n_gpu_layers == 0:
        warnings.extend(_memory_warnings(plan, facts))
    return plan, warnings


def kv_cache_bytes(plan: LoadPlan, facts: GgufFacts) -> int | None:
    if not (facts.layers and facts.heads and facts.embedding):
        return None
    head_dim = facts.embedding // facts.heads
    kv_heads = facts.kv_heads or facts.heads
    k_width = kv_heads * (facts.key_length or head_dim)
    v_width = kv_heads * (facts.value_length or facts.key_length or head_dim)
    per_token = k_width * cache_type(plan.cache_type_k, "k")[1]
    per_token += v_width * cache_type(plan.cache_type_v, "v")[1]
    return int(per_token * facts.layers * plan.n_ctx)


def available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _memory_warnings(plan: LoadPlan, facts: GgufFacts) -> list[str]:
    cache = kv_cache_bytes(plan, facts)
    free = available_memory()
    if cache is None or free is None:
        return []
    weights = plan.path.stat().st_size
    if weights + cache <= free:
        return []
    return [
        f"the model ({human_size(weights)}) and its {plan.n_ctx}-token KV cache "
        f"({human_size(cache)}) need more than the {human_size(free)} of free memory; "
        "expect swapping, or lower --ctx-size"
    ]


class LlamaLog:
    """Receives llama.cpp's log: kept for error messages, printed only when verbose.

    llama.cpp holds the callback for the life of the process, so the installed instance is
    kept in a module variable: a collected ctypes callback would crash the next log line.
    """

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.lines: deque[str] = deque(maxlen=40)
        self._callback: Any = None

    def install(self) -> None:
        import llama_cpp

        @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
        def receive(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
            message = text.decode("utf-8", errors="replace")
            self.lines.append(message)
            if self.verbose:
                notify(message.rstrip("\n"), NoticeLevel.LOG)

        global _INSTALLED_LOG
        self._callback = receive
        llama_cpp.llama_log_set(receive, ctypes.c_void_p(0))
        _INSTALLED_LOG = self

    def last_error(self) -> str:
        """The last error line llama.cpp logged, without its function-name prefix."""
        lines = "".join(self.lines).splitlines()
        failing = [line for line in lines if "error" in line.lower()]
        chosen = failing[-1] if failing else (lines[-1] if lines else "")
        return chosen.split("error loading model: ")[-1].strip()


def load_llama(plan: LoadPlan, label: str) -> tuple[Any, float]:
    """A llama_cpp.Llama for the plan and the seconds loading took; ModelError explains a
    failure."""
    import llama_cpp

    log = LlamaLog(plan.verbose)
    log.install()
    options: dict[str, Any] = {
        "model_path": str(plan.path),
        "n_ctx": plan.n_ctx,
        "n_gpu_layers": plan.n_gpu_layers,
        "type_k": cache_type(plan.cache_type_k, "k")[0],
        "type_v": cache_type(plan.cache_type_v, "v")[0],
        "flash_attn": plan.flash_attn,
        "verbose": plan.verbose,
    }
    if plan.n_threads:
        options["n_threads"] = plan.n_threads
        options["n_threads_batch"] = plan.n_threads
    if plan.seed is not None:
        options["seed"] = plan.seed
    started = time.monotonic()
    try:
        with activity(f"loading {label}"):
            llama = llama_cpp.Llama(**options)
    except (ValueError, RuntimeError, OSError) as exc:
        detail = log.last_error() or str(exc)
        raise ModelError(f"llama.cpp could not load {plan.path.name}: {detail}") from exc
    except KeyboardInterrupt:
        raise ModelError(f"loading {plan.path.name} was interrupted") from None
    return llama, time.monotonic() - started
