"""Whether llama.cpp may repack weights into the CPU's extra buffer types (AMX, and the
ARM/x86 repacked layouts).

On Intel CPUs with AMX, llama.cpp builds up to at least 0.3.36's repack weights into the AMX
buffer type and crash with SIGSEGV on the first matrix multiply (llama.cpp issue #20824). Loading
without extra buffer types avoids it, at no measured speed cost, so `auto` turns repacking off
exactly where the runtime reports AMX.
"""

import threading
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from devcli.llm.runtime_facts import RuntimeFacts


class CpuRepack(StrEnum):
    AUTO = "auto"
    ON = "on"
    OFF = "off"


def repack_enabled(setting: CpuRepack | str, facts: RuntimeFacts) -> bool:
    """The `use_extra_bufts` value for this runtime and setting."""
    choice = CpuRepack(setting)
    if choice is CpuRepack.AUTO:
        return not facts.has_amx
    return choice is CpuRepack.ON


_lock = threading.Lock()
_wanted: bool | None = None  # None: llama.cpp's own default
_original: Callable[[], Any] | None = None


def apply_repack(enabled: bool | None) -> None:
    """Make every model loaded from now on in this process use (or not) extra buffer types.

    llama-cpp-python offers no constructor argument for it: `Llama` reads its parameters from
    `llama_model_default_params()`, so that function is wrapped once and consults `_wanted`.
    """
    global _wanted, _original
    import llama_cpp.llama_cpp as low_level

    with _lock:
        _wanted = enabled
        if _original is None:
            _original = low_level.llama_model_default_params
            original = _original

            def default_params() -> Any:
                params = original()
                if _wanted is not None:
                    params.use_extra_bufts = _wanted
                return params

            low_level.llama_model_default_params = default_params


def repack_in_effect() -> bool | None:
    """What apply_repack last asked for (None: llama.cpp's default)."""
    return _wanted
