"""Getting model files: from disk when another tool already has them, else from Hugging Face.

Downloads go to the Hugging Face cache (resumable, shared with other tools) and show a rich
progress bar on stderr. Every failure becomes a ModelError whose message says what to do.
"""

import logging
import os
import sys
from pathlib import Path
from typing import Any

from devcli.llm.model_files import find_by_filename, find_by_quant, split_parts
from devcli.llm.models import HubModel, ModelCard, ModelError


def hub_offline() -> bool:
    from huggingface_hub import constants

    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().lower()
    return bool(constants.HF_HUB_OFFLINE) or flag in ("1", "true", "yes", "on")


def human_size(size: int | None) -> str:
    if not size:
        return "size unknown"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


class MissingModelError(ModelError):
    """The weights are not on disk and cannot be downloaded now."""

    def __init__(self, source: HubModel, filename: str | None, size: int | None, why: str):
        self.source = source
        wanted = filename or f"the {source.quant} GGUF"
        approx = "about " if size else ""
        super().__init__(
            f"the model is not on this machine and cannot be downloaded ({why}).\n"
            f"  Needed: {wanted} from {source.repo} ({approx}{human_size(size)}).\n"
            "  Ways to go on:\n"
            f"    - download it once, while online:  devcli models pull {source.label}\n"
            "    - use a GGUF you already have:     devcli run --model /path/to/model.gguf TASK\n"
            "    - use a model server:              devcli run --endpoint http://HOST:PORT/v1 TASK"
        )


def _progress_class(progress: Any) -> type:
    """A tqdm stand-in that forwards huggingface_hub's byte counts to a rich Progress."""
    from tqdm.std import tqdm  # type: ignore[import-untyped]

    class RichBar(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self.n = kwargs.get("initial", 0) or 0
            description = str(kwargs.get("desc") or "download")
            self._task = progress.add_task(
                description, total=self.total, completed=self.n, visible=True
            )

        def update(self, n: float | None = 1) -> bool | None:
            self.n += n or 0
            progress.update(self._task, completed=self.n, total=self.total)
            return None

        def close(self) -> None:
            progress.update(self._task, completed=self.n, total=self.total or self.n)

    return RichBar


def _download(repo: str, filename: str, show_progress: bool) -> Path:
    from huggingface_hub import hf_hub_download

    if not show_progress:
        return Path(hf_hub_download(repo, filename))
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as progress:
        return Path(hf_hub_download(repo, filename, tqdm_class=_progress_class(progress)))


def _explain_hub_failure(
    exc: Exception, source: HubModel, filename: str | None, size: int | None
) -> ModelError:
    from huggingface_hub import errors

    if isinstance(exc, errors.GatedRepoError):
        return ModelError(
            f"{source.repo} asks you to accept its terms first: open "
            f"https://huggingface.co/{source.repo}, accept them, then log in with "
            "`hf auth login` or set HF_TOKEN"
        )
    if isinstance(exc, errors.RepositoryNotFoundError):
        return ModelError(f"there is no Hugging Face repository {source.repo} (or it is private)")
    if isinstance(exc, errors.OfflineModeIsEnabled) or hub_offline():
        return MissingModelError(source, filename, size, "HF_HUB_OFFLINE is set")
    # Checked before "no such file": a cache miss without network is also an EntryNotFoundError.
    if isinstance(exc, errors.LocalEntryNotFoundError | ConnectionError | TimeoutError):
        return MissingModelError(source, filename, size, "Hugging Face cannot be reached")
    if isinstance(exc, errors.EntryNotFoundError):
        return ModelError(f"{source.repo} has no file {filename}")
    if _is_network_failure(exc):
        return MissingModelError(source, filename, size, "Hugging Face cannot be reached")
    return ModelError(f"downloading {filename or source.label} failed: {exc}")


def _is_network_failure(exc: BaseException) -> bool:
    """httpx's connection and timeout errors, whichever httpx flavour the hub client uses."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ConnectError", "TimeoutException", "NetworkError", "TransportError"})


def _remote_gguf_files(repo: str) -> list[tuple[str, int | None]]:
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    entries = HfApi().list_repo_tree(repo, recursive=True)
    return [
        (entry.path, entry.size)
        for entry in entries
        if isinstance(entry, RepoFile) and entry.path.lower().endswith(".gguf")
    ]


def _choose_by_quant(files: list[tuple[str, int | None]], quant: str) -> tuple[str, int] | None:
    """The (first part of the) file whose name carries the tag, with the total size."""
    tag = quant.lower()
    matching = sorted(
        (name, size or 0)
        for name, size in files
        if tag in name.rsplit("/", 1)[-1].lower() and "mmproj" not in name.lower()
    )
    if not matching:
        return None
    first = matching[0][0]
    parts = {str(part) for part in split_parts(Path(first))}
    return first, sum(size for name, size in matching if name in parts or name == first)


def obtain_gguf(source: HubModel, card: ModelCard | None, show_progress: bool = True) -> Path:
    """The path of the model's GGUF, downloading it (and its split parts) when needed."""
    filename = source.filename
    if filename is None and card is not None and source.quant:
        filename = card.gguf_filename(source.quant)
    found = (
        find_by_filename(filename, source.repo)
        if filename
        else find_by_quant(source.repo, source.quant or "")
    )
    if found is not None:
        return found.path
    size = (
        card.approx_gguf_bytes if card is not None and source.quant == card.default_quant else None
    )
    if hub_offline():
        raise MissingModelError(source, filename, size, "HF_HUB_OFFLINE is set")
    # The hub client's retry warnings would bury devcli's own message.
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    try:
        if filename is None:
            chosen = _choose_by_quant(_remote_gguf_files(source.repo), source.quant or "")
            if chosen is None:
                raise ModelError(f"{source.repo} has no GGUF file tagged {source.quant}")
            filename, size = chosen
        parts = [str(part) for part in split_parts(Path(filename))]
        print(
            f"devcli: downloading {filename} from {source.repo} ({human_size(size)}) into the "
            "Hugging Face cache; an interrupted download resumes next time",
            file=sys.stderr,
            flush=True,
        )
        paths = [_download(source.repo, part, show_progress) for part in parts]
    except ModelError:
        raise
    except KeyboardInterrupt:
        raise ModelError("download interrupted; run the command again to resume it") from None
    except Exception as exc:  # huggingface_hub and httpx raise many types; all are explained
        raise _explain_hub_failure(exc, source, filename, size) from exc
    return paths[0]


def fetch_repo_file(repo: str, filename: str) -> Path | None:
    """A small file of a repository (tokenizer, system prompt): cached copy, else a download;
    None when neither is possible."""
    from huggingface_hub import hf_hub_download, try_to_load_from_cache

    cached = try_to_load_from_cache(repo, filename)
    if isinstance(cached, str):
        return Path(cached)
    if hub_offline():
        return None
    try:
        return Path(hf_hub_download(repo, filename))
    except Exception:  # absent, gated or unreachable: the caller falls back
        return None


def progress_wanted() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()
