"""Model references, files other tools downloaded, load plans, GGUF headers and the official
system prompt."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from devcli.config import Settings
from devcli.llm.companion_files import fill_placeholders, official_system_prompt
from devcli.llm.model_cards import (
    DEFAULT_MODEL,
    HubModel,
    LocalModel,
    ModelError,
    ToolFormat,
    card_by_key,
    card_for_name,
    card_for_source,
    parse_model_reference,
    sampling_for,
)
from devcli.llm.model_download import MissingModelError, obtain_gguf
from devcli.llm.model_files import Place, find_local_models, split_parts
from devcli.llm.model_loading import kv_cache_bytes, plan_load
from devcli.llm.model_metadata import GgufFacts, read_gguf_facts
from tests.support.llm_files import smollm2_gguf

DEVSTRAL_FILE = "Devstral-Small-2507-UD-Q4_K_XL.gguf"


@pytest.fixture
def caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Empty HF, llama.cpp and LM Studio folders in place of the real ones."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setenv("LLAMA_CACHE", str(tmp_path / "llama.cpp"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def _file(path: Path, size: int = 16) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + b"\0" * (size - 4))
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, HubModel(repo="unsloth/Devstral-Small-2507-GGUF", quant="UD-Q4_K_XL")),
        ("bartowski/Foo-GGUF:Q8_0", HubModel(repo="bartowski/Foo-GGUF", quant="Q8_0")),
        (
            "org/Repo-GGUF/sub/File-Q4_K_M.gguf",
            HubModel(repo="org/Repo-GGUF", filename="sub/File-Q4_K_M.gguf"),
        ),
        (
            "devstral-small-2505",
            HubModel(repo="unsloth/Devstral-Small-2505-GGUF", quant="UD-Q4_K_XL"),
        ),
        (
            "unsloth/Devstral-Small-2507-GGUF",
            HubModel(repo="unsloth/Devstral-Small-2507-GGUF", quant="UD-Q4_K_XL"),
        ),
    ],
)
def test_hub_references(text: str | None, expected: HubModel) -> None:
    assert parse_model_reference(text) == expected


def test_local_paths_are_kept_as_given(tmp_path: Path) -> None:
    target = _file(tmp_path / "real" / "m.gguf")
    link = tmp_path / "models" / "m.gguf"
    link.parent.mkdir()
    link.symlink_to(target)
    assert parse_model_reference(str(link)) == LocalModel(path=link)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("./missing.gguf", "no GGUF file at"),
        ("some/Repo", "say which file of some/Repo"),
        ("mistral-small-2603", "served|--endpoint"),
        ("gpt-4o", "not a .gguf path"),
    ],
)
def test_bad_references_explain_themselves(text: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        parse_model_reference(text)


def test_cards_are_recognised_from_names() -> None:
    assert DEFAULT_MODEL.startswith("unsloth/Devstral-Small-2507-GGUF")
    card = card_for_name("unsloth_Devstral-Small-2507-GGUF_Devstral-Small-2507-Q8_0.gguf")
    assert card is not None and card.tokenizer_version == "v13"
    older = card_by_key("devstral-small-2505")
    assert older is not None and older.tool_format is ToolFormat.OPENHANDS
    assert card_for_name("SmolLM2-135M-Instruct.Q4_1.gguf") is None
    source = parse_model_reference("mistral-small-2501")
    small3 = card_for_source(source)
    assert small3 is not None and small3.context == 32768


def test_files_of_other_tools_are_found(caches: Path) -> None:
    hf = _file(
        caches / "hf/hub/models--unsloth--Devstral-Small-2507-GGUF/snapshots/r1" / DEVSTRAL_FILE
    )
    llama = _file(caches / "llama.cpp/bartowski_Other-GGUF_Other-Q4_K_M.gguf")
    lm_studio = _file(caches / "home/.lmstudio/models/lmstudio-community/Foo-GGUF/Foo-Q8_0.gguf")
    _file(caches / "llama.cpp/Split-Q4_K_M-00002-of-00002.gguf")
    first_part = _file(caches / "llama.cpp/Split-Q4_K_M-00001-of-00002.gguf")
    found = {model.path: model for model in find_local_models()}
    assert set(found) == {hf, llama, lm_studio, first_part}
    assert (
        found[hf].place is Place.HF_CACHE and found[hf].repo == "unsloth/Devstral-Small-2507-GGUF"
    )
    assert found[hf].card is not None and found[hf].card.key == "devstral-small-2507"
    assert found[llama].place is Place.LLAMA_CPP and found[lm_studio].place is Place.LM_STUDIO
    assert split_parts(first_part)[1].name == "Split-Q4_K_M-00002-of-00002.gguf"


def test_a_copy_in_the_llama_cpp_cache_is_used_offline(caches: Path) -> None:
    cached = _file(caches / f"llama.cpp/unsloth_Devstral-Small-2507-GGUF_{DEVSTRAL_FILE}")
    source = parse_model_reference(None)
    assert isinstance(source, HubModel)
    assert obtain_gguf(source, card_for_source(source)) == cached


def test_a_quant_tag_finds_a_cached_file_of_an_unknown_repo(caches: Path) -> None:
    cached = _file(caches / "hf/hub/models--someone--Thing-GGUF/snapshots/abc/Thing-Q5_K_M.gguf")
    source = HubModel(repo="someone/Thing-GGUF", quant="Q5_K_M")
    assert obtain_gguf(source, None) == cached


def test_missing_weights_offline_name_the_file_its_size_and_three_ways(caches: Path) -> None:
    source = parse_model_reference(None)
    assert isinstance(source, HubModel)
    with pytest.raises(MissingModelError) as missing:
        obtain_gguf(source, card_for_source(source))
    message = str(missing.value)
    assert DEVSTRAL_FILE in message and "unsloth/Devstral-Small-2507-GGUF" in message
    assert "about 14.3 GB" in message
    assert "devcli models pull" in message and "--model" in message and "--endpoint" in message


def test_load_plan_defaults_and_caps(tmp_path: Path) -> None:
    gguf = _file(tmp_path / "m.gguf")
    facts = GgufFacts(architecture="llama", context_length=8192, layers=2, embedding=64, heads=2)
    plan, warnings = plan_load(gguf, Settings(gpu_layers=0), facts)
    assert plan.n_ctx == 8192 and warnings == []  # the 32k default, capped silently
    assert (plan.cache_type_k, plan.cache_type_v, plan.flash_attn) == ("q8_0", "f16", False)
    plan, warnings = plan_load(gguf, Settings(ctx_size=16384, gpu_layers=0), facts)
    assert plan.n_ctx == 8192 and "more than the model was trained for" in warnings[0]
    plan, _ = plan_load(gguf, Settings(cache_type_v="q8_0", ctx_size=1024, gpu_layers=0), facts)
    assert plan.flash_attn  # llama.cpp needs it for a quantised V cache
    with pytest.raises(ModelError, match="not a cache type"):
        plan_load(gguf, Settings(cache_type_k="q3_x"), facts)


def test_kv_cache_size_and_memory_warning(tmp_path: Path) -> None:
    gguf = _file(tmp_path / "m.gguf")
    facts = GgufFacts(
        layers=40, embedding=5120, heads=32, kv_heads=8, key_length=128, context_length=131072
    )
    plan, _ = plan_load(gguf, Settings(ctx_size=32768, gpu_layers=0), facts)
    expected = 40 * 32768 * 8 * 128 * (34 / 32 + 2)  # q8_0 K, f16 V
    assert kv_cache_bytes(plan, facts) == int(expected)
    huge = GgufFacts(layers=10**6, embedding=8192, heads=64, context_length=131072)
    _, warnings = plan_load(gguf, Settings(ctx_size=131072, gpu_layers=0), huge)
    assert warnings and "lower --ctx-size" in warnings[0]


def test_gguf_header_facts() -> None:
    facts = read_gguf_facts(smollm2_gguf())
    assert facts.architecture == "llama" and facts.context_length == 8192
    assert (facts.layers, facts.heads, facts.kv_heads) == (30, 9, 3)
    assert facts.has_chat_template and "smollm2" in facts.name.lower()


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("hello")
    with pytest.raises(ModelError, match="not a GGUF file"):
        read_gguf_facts(bogus)


def test_sampling_defaults_come_from_the_card_and_settings_override() -> None:
    devstral = card_by_key("devstral-small-2507")
    sampling = sampling_for(Settings(), devstral)
    assert (sampling.temperature, sampling.min_p, sampling.top_k, sampling.top_p) == (
        0.15,
        0.01,
        64,
        0.95,
    )
    assert sampling.repeat_penalty == 1.0
    assert sampling_for(Settings(temperature=0.7, top_k=5), devstral).model_dump() == {
        **sampling.model_dump(),
        "temperature": 0.7,
        "top_k": 5,
    }


def test_official_system_prompt_beside_the_gguf_is_filled(tmp_path: Path) -> None:
    gguf = _file(tmp_path / "Mistral-Small-24B-Instruct-2501-Q4_K_M.gguf")
    (tmp_path / "SYSTEM_PROMPT.txt").write_text(
        "You are {name}. Today is {today}; yesterday was {yesterday}. Keep {braces}.\n"
    )
    card = card_for_name(gguf.name)
    text = official_system_prompt(gguf, card, today=date(2025, 3, 1))
    assert text == (
        "You are Mistral-Small-24B-Instruct-2501. Today is 2025-03-01; yesterday was "
        "2025-02-28. Keep {braces}."
    )
    assert fill_placeholders("{today}", "x", date(2024, 1, 1)) == "2024-01-01"


def test_no_official_prompt_offline_without_a_file(caches: Path) -> None:
    gguf = _file(caches / "m" / "model.gguf")
    assert official_system_prompt(gguf, card_by_key("devstral-small-2507")) is None


def _devcli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devcli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_models_list_shows_files_on_disk(caches: Path) -> None:
    path = _file(
        caches / "hf/hub/models--unsloth--Devstral-Small-2507-GGUF/snapshots/r" / DEVSTRAL_FILE
    )
    result = _devcli(["models", "list"], dict(os.environ))
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if str(path) in line)
    assert "Hugging Face cache" in line and "[Devstral Small 1.1]" in line
    assert "devstral-small-2507" in result.stdout and "(default)" in result.stdout


def test_models_pull_offline_explains_and_exits_2(caches: Path) -> None:
    result = _devcli(["models", "pull", "devstral-small-2505"], dict(os.environ))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Devstral-Small-2505-UD-Q4_K_XL.gguf" in result.stderr


def test_a_damaged_gguf_is_refused_with_a_message(tmp_path: Path) -> None:
    from devcli.llm.model_setup import build_local_backend

    damaged = tmp_path / "damaged.gguf"
    with smollm2_gguf().open("rb") as source:
        damaged.write_bytes(source.read(4_000_000))
    with pytest.raises(
        ModelError, match=r"could not load damaged\.gguf: .*corrupted or incomplete"
    ):
        build_local_backend(Settings(model=str(damaged), ctx_size=512))
