"""`devcli cache list` and `devcli cache clear`: the prompt cache of local models."""

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from devcli.cli_app import CwdOption, app

if TYPE_CHECKING:
    from devcli.llm.prompt_cache_store import PromptCacheStore

cache_app = typer.Typer(
    help="Show or empty the prompt cache: saved prompt states of local models.",
    no_args_is_help=True,
)
app.add_typer(cache_app, name="cache")


def _store(cwd: Path) -> tuple["PromptCacheStore", bool]:
    from devcli.cli_app import load_settings_or_exit
    from devcli.llm.prompt_cache import max_cache_bytes, prompt_cache_root
    from devcli.llm.prompt_cache_store import PromptCacheStore

    settings = load_settings_or_exit(cwd, {})
    return PromptCacheStore(prompt_cache_root(), max_cache_bytes(settings)), settings.prompt_cache


def _size(size: int) -> str:
    from devcli.units import human_size

    return human_size(size) if size else "0 B"


@cache_app.command("list")
def list_command(cwd: CwdOption = Path(".")) -> None:
    """Saved prompt states, most recently used first, and the space they take."""
    store, enabled = _store(cwd)
    entries, problems = store.entries()
    for entry in sorted(entries, key=lambda e: e.last_used, reverse=True):
        header = entry.header
        used = datetime.fromtimestamp(entry.last_used).strftime("%Y-%m-%d %H:%M")
        print(
            f"{header.kind.value:12} {header.n_tokens:>8,} tokens {_size(entry.size):>9}  "
            f"used {used}  {header.model_name}  (ctx {header.key.n_ctx}, "
            f"K {header.key.type_k}, V {header.key.type_v})"
        )
    for problem in problems:
        print(f"unreadable   {problem}")
    total = sum(entry.size for entry in entries)
    state = "" if enabled else " (turned off: prompt_cache = false)"
    print(
        f"{len(entries)} saved states, {_size(total)} of "
        f"{_size(store.max_bytes)}, in {store.root}{state}"
    )


@cache_app.command("clear")
def clear_command(cwd: CwdOption = Path(".")) -> None:
    """Delete every saved prompt state."""
    store, _enabled = _store(cwd)
    count, freed = store.clear()
    print(f"Removed {count} saved states ({_size(freed)}) from {store.root}.")
