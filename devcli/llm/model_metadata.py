"""The few facts devcli needs from a GGUF header before loading it: architecture, trained
context, attention shape (for the KV cache size), the model's name and its chat template."""

import struct
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel

from devcli.llm.model_cards import ModelError

_MAGIC = b"GGUF"
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
_WANTED_SUFFIXES = (
    "context_length",
    "block_count",
    "embedding_length",
    "attention.head_count",
    "attention.head_count_kv",
    "attention.key_length",
    "attention.value_length",
)


class GgufFacts(BaseModel):
    architecture: str = ""
    name: str = ""
    context_length: int | None = None
    layers: int | None = None
    embedding: int | None = None
    heads: int | None = None
    kv_heads: int | None = None
    key_length: int | None = None
    value_length: int | None = None
    has_chat_template: bool = False
    chat_template: str | None = None  # the Jinja text, to see which call format it teaches
    # The vocabulary has Mistral's [TOOL_CALLS] control token (native Mistral tool calls).
    has_tool_calls_token: bool = False


def _read(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise ModelError("the GGUF header ends early")
    return data


def _scalar(handle: BinaryIO, kind: int) -> Any:
    fmt = _SCALARS[kind]
    return struct.unpack(fmt, _read(handle, struct.calcsize(fmt)))[0]


def _string(handle: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", _read(handle, 8))
    return _read(handle, length).decode("utf-8", errors="replace")


def _value(handle: BinaryIO, kind: int, keep: bool) -> Any:
    if kind in _SCALARS:
        return _scalar(handle, kind)
    if kind == _STRING:
        return _string(handle)
    if kind == _ARRAY:
        item_kind, count = struct.unpack("<IQ", _read(handle, 12))
        if item_kind in _SCALARS and not keep:
            handle.seek(count * struct.calcsize(_SCALARS[item_kind]), 1)
            return None
        items = [_value(handle, item_kind, keep) for _ in range(count)]
        return items if keep else None
    raise ModelError(f"unknown GGUF value type {kind}")


def _first_int(value: Any) -> int | None:
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, int)), None)
    return int(value) if isinstance(value, int | float) else None


def read_gguf_facts(path: Path) -> GgufFacts:
    """Reads the header's key/value section; raises ModelError for a file that is not a GGUF."""
    raw: dict[str, Any] = {}
    try:
        with path.open("rb") as handle:
            if _read(handle, 4) != _MAGIC:
                raise ModelError(f"{path} is not a GGUF file")
            _version, _tensors, count = struct.unpack("<IQQ", _read(handle, 20))
            for _ in range(count):
                key = _string(handle)
                (kind,) = struct.unpack("<I", _read(handle, 4))
                wanted = key.startswith("general.") or key.endswith(_WANTED_SUFFIXES)
                tokens = key == "tokenizer.ggml.tokens"
                value = _value(handle, kind, keep=(wanted and kind != _ARRAY) or tokens)
                if key == "tokenizer.chat_template":
                    raw[key] = value if isinstance(value, str) else None
                elif tokens:
                    raw[key] = isinstance(value, list) and "[TOOL_CALLS]" in value
                elif wanted:
                    raw[key] = value
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    except (struct.error, KeyError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path} is not a valid GGUF file ({exc})") from exc
    arch = str(raw.get("general.architecture", ""))

    def number(suffix: str) -> int | None:
        return _first_int(raw.get(f"{arch}.{suffix}"))

    return GgufFacts(
        architecture=arch,
        name=" ".join(
            str(raw[key])
            for key in ("general.name", "general.basename", "general.finetune")
            if isinstance(raw.get(key), str)
        ),
        context_length=number("context_length"),
        layers=number("block_count"),
        embedding=number("embedding_length"),
        heads=number("attention.head_count"),
        kv_heads=number("attention.head_count_kv"),
        key_length=number("attention.key_length"),
        value_length=number("attention.value_length"),
        has_chat_template=bool(raw.get("tokenizer.chat_template")),
        chat_template=raw.get("tokenizer.chat_template") or None,
        has_tool_calls_token=bool(raw.get("tokenizer.ggml.tokens")),
    )
