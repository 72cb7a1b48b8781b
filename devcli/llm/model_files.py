"""GGUF files other tools already downloaded: llama.cpp's cache, LM Studio and the HF cache.

Finding a 14 GB file that is already on disk beats downloading it again.
"""

import os
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from devcli.llm.model_cards import ModelCard, card_for_name

# Split models: the first part is loaded, llama.cpp finds the others beside it.
_SPLIT_PART = re.compile(r"-(?P<part>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)
_MAX_DEPTH = 6


class Place(StrEnum):
    HF_CACHE = "Hugging Face cache"
    LLAMA_CPP = "llama.cpp cache"
    LM_STUDIO = "LM Studio"


class FoundModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: Path
    size: int
    place: Place
    repo: str | None = None  # known for the Hugging Face cache
    card: ModelCard | None = None


def hf_cache_dir() -> Path:
    # The same variables huggingface_hub reads, read now rather than when it was imported.
    if override := os.environ.get("HF_HUB_CACHE"):
        return Path(override).expanduser()
    if home := os.environ.get("HF_HOME"):
        return Path(home).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def llama_cpp_cache_dir() -> Path:
    if override := os.environ.get("LLAMA_CACHE"):
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llama.cpp"


def lm_studio_dirs() -> list[Path]:
    home = Path.home()
    return [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]


def _walk_ggufs(root: Path, depth: int = 0) -> Iterator[Path]:
    """GGUF files under `root`, not following links into loops and never raising."""
    if depth > _MAX_DEPTH:
        return
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir():
                if not entry.name.startswith(".") and entry.name != "blobs":
                    yield from _walk_ggufs(Path(entry.path), depth + 1)
            elif entry.name.lower().endswith(".gguf") and entry.is_file():
                yield Path(entry.path)
        except OSError:
            continue


def _hf_repo_of(path: Path, cache: Path) -> str | None:
    """`owner/name` from a cache path like models--owner--name/snapshots/REV/file.gguf."""
    try:
        top = path.relative_to(cache).parts[0]
    except (ValueError, IndexError):
        return None
    if not top.startswith("models--"):
        return None
    return top.removeprefix("models--").replace("--", "/", 1)


def _is_later_split_part(path: Path) -> bool:
    match = _SPLIT_PART.search(path.name)
    return match is not None and int(match["part"]) > 1


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def find_local_models() -> list[FoundModel]:
    """Every GGUF in the places devcli knows, the first part only of split models."""
    found: list[FoundModel] = []
    seen: set[Path] = set()
    places = [(Place.HF_CACHE, hf_cache_dir()), (Place.LLAMA_CPP, llama_cpp_cache_dir())]
    places += [(Place.LM_STUDIO, folder) for folder in lm_studio_dirs()]
    for place, root in places:
        for path in _walk_ggufs(root):
            resolved = path.resolve()
            if resolved in seen or _is_later_split_part(path):
                continue
            seen.add(resolved)
            repo = _hf_repo_of(path, root) if place is Place.HF_CACHE else None
            found.append(
                FoundModel(
                    path=path,
                    size=_size(path),
                    place=place,
                    repo=repo,
                    card=card_for_name(f"{repo or ''} {path.name}"),
                )
            )
    return found


def find_by_filename(filename: str, repo: str | None = None) -> FoundModel | None:
    """A file with this name (llama.cpp prefixes its cached names with the repository);
    within the HF cache only the given repository counts."""
    wanted = filename.rsplit("/", 1)[-1].lower()
    for model in find_local_models():
        name = model.path.name.lower()
        if model.place is Place.HF_CACHE:
            if name == wanted and (repo is None or (model.repo or "").lower() == repo.lower()):
                return model
        elif name == wanted or name.endswith("_" + wanted):
            return model
    return None


def find_by_quant(repo: str, quant: str) -> FoundModel | None:
    """A cached file of `repo` whose name carries the quantisation tag `quant`."""
    tag = quant.lower()
    owner_name = repo.replace("/", "_").lower()
    for model in find_local_models():
        name = model.path.name.lower()
        if tag not in name:
            continue
        if model.place is Place.HF_CACHE and (model.repo or "").lower() == repo.lower():
            return model
        if model.place is Place.LLAMA_CPP and name.startswith(owner_name):
            return model
        if model.place is Place.LM_STUDIO and repo.lower() in str(model.path).lower():
            return model
    return None


def split_parts(first: Path) -> list[Path]:
    """All parts of a split model given its first part (just the file for whole models)."""
    match = _SPLIT_PART.search(first.name)
    if match is None:
        return [first]
    stem = first.name[: match.start()]
    count = int(match["count"])
    return [
        first.with_name(f"{stem}-{part:05d}-of-{count:05d}.gguf") for part in range(1, count + 1)
    ]
