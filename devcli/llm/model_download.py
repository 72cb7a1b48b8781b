"""Getting model files: from disk when another tool already has them, else from Hugging Face.

Downloads go to the Hugging Face cache (resumable, shared with other tools) and show a rich
progress bar on a terminal, or a progress line every few percent in logs. The hub is asked
once, briefly, before anything else, so an offline machine hears what to do at once. Every
failure becomes a ModelError whose message says what to do.
"""

import os
import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from devcli.llm.hub_access import hub_offline, hub_reach, quiet_hub_logging
from devcli.llm.model_cards import HubModel, ModelCard, ModelError
from devcli.llm.model_files import find_by_filename, find_by_quant, split_parts
from devcli.notices import notify, progress
from devcli.units import human_size

# Room left over after a download: a full disk breaks more than the download.
_DISK_MARGIN_BYTES = 500_000_000


class DownloadPlan(BaseModel):
    """What a download of a hub model would fetch, known before any byte moves."""

    source: HubModel
    filename: str | None  # None until the hub's file list names the quant's file
    size: int | None = None

    @property
    def description(self) -> str:
        return f"{self.filename or self.source.label} from {self.source.repo}"


class MissingModelError(ModelError):
    """The weights are not on disk and cannot be downloaded now."""

    def __init__(
        self,
        source: HubModel,
        filename: str | None,
        size: int | None,
        why: str,
        downloadable: bool = False,
    ):
        self.plan = DownloadPlan(source=source, filename=filename, size=size)
        self.why = why
        self.downloadable = downloadable
        wanted = filename or f"the {source.quant} GGUF"
        approx = "about " if size else ""
        state = "is not downloaded yet" if downloadable else "cannot be downloaded"
        super().__init__(
            f"the model is not on this machine and {state} ({why}).\n"
            f"  Needed: {wanted} from {source.repo} ({approx}{human_size(size)}).\n"
            "  Ways to go on:\n"
            f"    - download it once, while online:  devcli models pull {source.label}\n"
            "    - use a GGUF you already have:     devcli run --model /path/to/model.gguf TASK\n"
            "    - use a model server:              devcli run --endpoint http://HOST:PORT/v1 TASK"
        )


def _progress_bar(label: str) -> type:
    """A tqdm stand-in that hands huggingface_hub's byte counts to the front end's progress
    display: a live bar on a terminal, a line every few percent in a log."""
    from tqdm.std import tqdm  # type: ignore[import-untyped]

    class ReportedProgress(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self.n = kwargs.get("initial", 0) or 0
            self._shown = progress(label, self.total, int(self.n))

        def update(self, n: float | None = 1) -> bool | None:
            self.n += n or 0
            self._shown.advance(int(n or 0))
            return None

        def close(self) -> None:
            self._shown.finish()

    return ReportedProgress


def _download(repo: str, filename: str) -> Path:
    from huggingface_hub import hf_hub_download

    label = filename.rsplit("/", 1)[-1]
    return Path(hf_hub_download(repo, filename, tqdm_class=_progress_bar(label)))


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


def download_folder() -> Path:
    """Where huggingface_hub puts downloads (HF_HUB_CACHE / HF_HOME, read now)."""
    explicit = os.environ.get("HF_HUB_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("HF_HOME")
    if home:
        return Path(home).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def free_space(folder: Path) -> int | None:
    """Free bytes on the file system that holds `folder` (or would, once it is created)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def find_or_plan(source: HubModel, card: ModelCard | None) -> Path | DownloadPlan:
    """The model's GGUF on disk, or what downloading it would take."""
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
    return DownloadPlan(source=source, filename=filename, size=size)


def check_reachable(plan: DownloadPlan) -> None:
    """MissingModelError at once when the hub cannot be reached: one short attempt."""
    reach = hub_reach()
    if not reach.reachable:
        why = (
            reach.detail
            if reach.detail == "HF_HUB_OFFLINE is set"
            else (f"Hugging Face cannot be reached at {reach.endpoint}: {reach.detail}")
        )
        raise MissingModelError(plan.source, plan.filename, plan.size, why)


def _file_size(repo: str, filename: str) -> int | None:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    return get_hf_file_metadata(hf_hub_url(repo, filename)).size


def check_disk_space(size: int | None, folder: Path) -> None:
    free = free_space(folder)
    if size and free is not None and free < size + _DISK_MARGIN_BYTES:
        raise ModelError(
            f"the download needs {human_size(size)} but {folder} has {human_size(free)} free; "
            "free some space, or point HF_HOME at a disk with room"
        )


def download(plan: DownloadPlan) -> Path:
    """Fetch the planned GGUF (and its split parts); ModelError explains any failure."""
    check_reachable(plan)
    quiet_hub_logging()
    source, filename, size = plan.source, plan.filename, plan.size
    try:
        if filename is None:
            chosen = _choose_by_quant(_remote_gguf_files(source.repo), source.quant or "")
            if chosen is None:
                raise ModelError(f"{source.repo} has no GGUF file tagged {source.quant}")
            filename, size = chosen
        parts = [str(part) for part in split_parts(Path(filename))]
        if size is None and len(parts) == 1:
            size = _file_size(source.repo, filename)
        check_disk_space(size, download_folder())
        notify(
            f"downloading {filename} from {source.repo} ({human_size(size)}) into "
            f"{download_folder()}; an interrupted download resumes next time"
        )
        paths = [_download(source.repo, part) for part in parts]
    except ModelError:
        raise
    except KeyboardInterrupt:
        raise ModelError("download interrupted; run the command again to resume it") from None
    except Exception as exc:  # huggingface_hub and httpx raise many types; all are explained
        raise _explain_hub_failure(exc, source, filename, size) from exc
    return paths[0]


def obtain_gguf(source: HubModel, card: ModelCard | None) -> Path:
    """The path of the model's GGUF, downloading it (and its split parts) when needed."""
    found = find_or_plan(source, card)
    if isinstance(found, Path):
        return found
    return download(found)


def fetch_repo_file(repo: str, filename: str) -> Path | None:
    """A small file of a repository (tokenizer, system prompt): cached copy, else a download;
    None when neither is possible."""
    from huggingface_hub import hf_hub_download, try_to_load_from_cache

    cached = try_to_load_from_cache(repo, filename)
    if isinstance(cached, str):
        return Path(cached)
    if not hub_reach().reachable:
        return None
    quiet_hub_logging()
    try:
        return Path(hf_hub_download(repo, filename))
    except Exception:  # absent, gated or unreachable: the caller falls back
        return None
