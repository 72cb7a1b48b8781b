"""Decode speed of devcli's local backend against a bare `Llama.generate` loop.

Both run on the same loaded model, from the same prompt tokens, with the same sampling
(greedy), for the same number of tokens; runs alternate so that a busy machine slows both
alike. Tokens/s are counted from the first generated token to the last, so prompt evaluation
is left out. The backend's extra work per token: end-of-turn checks, decoding, the streaming
reader and the text callback.

    python benchmarks/decode_overhead.py [--model PATH] [--tokens 128] [--runs 7]
"""

import statistics
import time

from benchmarks.local_model import greedy_backend, speed_options
from devcli.llm.backend import ChatMessage, Role
from devcli.llm.local import LocalBackend

TASK = "Write a long, detailed story about a lighthouse keeper and a storm."


def bare_generate(backend: LocalBackend, prompt: list[int], limit: int) -> tuple[int, float]:
    """The plain loop a llama-cpp-python user would write, with the same stop rule."""
    llama, sampling = backend.llama, backend.sampling
    count, first = 0, 0.0
    for token in llama.generate(
        prompt,
        temp=sampling.temperature,
        top_p=sampling.top_p,
        top_k=sampling.top_k,
        min_p=sampling.min_p,
        repeat_penalty=sampling.repeat_penalty,
    ):
        count += 1
        if count == 1:
            first = time.perf_counter()
        if backend.vocab.is_end_of_generation(token) or count >= limit:
            break
    return count, time.perf_counter() - first


def main() -> None:
    options = speed_options(__doc__.splitlines()[0])
    backend = greedy_backend(options, ctx_size=2048)
    messages = [
        ChatMessage(role=Role.SYSTEM, content="You are a storyteller."),
        ChatMessage(role=Role.USER, content=TASK),
    ]
    shown: list[str] = []
    devcli_rates: list[float] = []
    bare_rates: list[float] = []
    backend.next_turn(messages, [], shown.append)  # warm-up, and the prompt's tokens
    prompt = backend.last_prompt
    for run in range(options.runs):
        # Alternate which loop goes first, so neither always follows the other.
        for loop in ("devcli", "bare") if run % 2 == 0 else ("bare", "devcli"):
            if loop == "devcli":
                backend.next_turn(messages, [], shown.append)
                timings = backend.last_timings
                assert timings is not None
                devcli_rates.append(timings.generation_tokens_per_second)
            else:
                count, seconds = bare_generate(backend, prompt, options.tokens)
                bare_rates.append((count - 1) / seconds)
    assert timings is not None and count == timings.generated_tokens, "the loops must agree"
    devcli_rate = statistics.median(devcli_rates)
    bare_rate = statistics.median(bare_rates)
    print(f"model: {backend.model_name} · {timings.generated_tokens} tokens · {options.runs} runs")
    print(f"{'loop':<24} {'tokens/s (median)':>18}")
    print(f"{'bare Llama.generate':<24} {bare_rate:>18.1f}")
    print(f"{'devcli LocalBackend':<24} {devcli_rate:>18.1f}")
    print(f"ratio devcli / bare: {devcli_rate / bare_rate:.3f} (target >= 0.97)")
    backend.close()


if __name__ == "__main__":
    main()
