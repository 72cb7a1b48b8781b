"""`devcli models list` and `devcli models pull [MODEL]`."""

from pathlib import Path
from typing import Annotated

import typer

from devcli.cli_app import CwdOption, app, fail, load_settings_or_exit

models_app = typer.Typer(
    help="Local model files: what is on disk, and downloads.", no_args_is_help=True
)
app.add_typer(models_app, name="models")


@models_app.command("list")
def list_command() -> None:
    """GGUF files found in the Hugging Face cache, llama.cpp's cache and LM Studio, with the
    prompt and tool-call formats devcli uses for each."""
    from devcli.llm.model_cards import MODEL_CARDS, parse_model_reference
    from devcli.llm.model_files import find_local_models
    from devcli.llm.tool_format_choice import describe_local_formats
    from devcli.units import human_size

    found = find_local_models()
    if not found:
        print("No GGUF files found in the Hugging Face cache, llama.cpp's cache or LM Studio.")
    for model in found:
        known = f"  [{model.card.title}]" if model.card is not None else ""
        print(f"{human_size(model.size):>9}  {model.place.value:18}  {model.path}{known}")
        print(f"{'':11}{describe_local_formats(model.path, model.card)}")
    print("\nKnown models (devcli models pull NAME):")
    default = parse_model_reference(None)
    for card in MODEL_CARDS:
        if card.default_reference is None:
            print(f"  {card.key:22} {card.title} — served remotely only")
            continue
        mark = " (default)" if card.default_reference == getattr(default, "label", "") else ""
        print(f"  {card.key:22} {card.title}: {card.default_reference}{mark}")


@models_app.command("pull")
def pull_command(
    model: Annotated[
        str | None,
        typer.Argument(help="REPO:QUANT, REPO/FILE.gguf or a known name [the configured model]."),
    ] = None,
    cwd: CwdOption = Path("."),
) -> None:
    """Download a model (and its tokenizer and system prompt) into the Hugging Face cache."""
    from devcli.llm.companion_files import (
        SYSTEM_PROMPT_FILE,
        TOKENIZER_FILE,
        find_system_prompt_file,
        find_tokenizer_file,
    )
    from devcli.llm.model_cards import (
        LocalModel,
        ModelError,
        card_for_source,
        parse_model_reference,
    )
    from devcli.llm.model_download import obtain_gguf

    settings = load_settings_or_exit(cwd, {})
    try:
        source = parse_model_reference(model or settings.model)
        if isinstance(source, LocalModel):
            raise ModelError(f"{source.path} is already a file on disk; nothing to download")
        card = card_for_source(source)
        path = obtain_gguf(source, card)
    except ModelError as exc:
        raise fail(str(exc)) from exc
    print(f"model:         {path}")
    if card is not None:
        for label, found in (
            (TOKENIZER_FILE, find_tokenizer_file(path, card)),
            (SYSTEM_PROMPT_FILE, find_system_prompt_file(path, card)),
        ):
            print(f"{label + ':':15}{found or 'not available from ' + card.original_repo}")
