"""Remembered probe verdicts: a combination of runtime build, CPU and model file that decoded
well once is not probed again."""

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, ValidationError

from devcli.events import utc_now


class VerdictKey(BaseModel):
    runtime_version: str
    system_info: str
    cpu_digest: str
    model_path: str
    model_size: int
    model_mtime_ns: int
    n_gpu_layers: int
    repack_setting: str

    def digest(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:24]


class Verdict(BaseModel):
    repack: bool  # the use_extra_bufts value that decoded correctly
    probe_seconds: float
    checked: str
    model_path: str
    crashed_with_repack: bool = False


class VerdictStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: VerdictKey) -> Verdict | None:
        raw = self._read().get(key.digest())
        if raw is None:
            return None
        try:
            return Verdict.model_validate(raw)
        except ValidationError:
            return None

    def put(self, key: VerdictKey, verdict: Verdict) -> None:
        """Atomic: a crash while writing leaves the old file."""
        data = self._read()
        data[key.digest()] = verdict.model_dump()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".verdicts-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1)
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def all(self) -> list[Verdict]:
        result = []
        for raw in self._read().values():
            with contextlib.suppress(ValidationError):
                result.append(Verdict.model_validate(raw))
        return result


def new_verdict(repack: bool, seconds: float, model: Path, crashed_with_repack: bool) -> Verdict:
    return Verdict(
        repack=repack,
        probe_seconds=round(seconds, 3),
        checked=utc_now(),
        model_path=str(model),
        crashed_with_repack=crashed_with_repack,
    )
