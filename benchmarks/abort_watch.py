"""What the cancel watch costs a local model: prompt and decode speed with and without it.

With a stop event, devcli's local backend installs an abort callback that llama.cpp calls
between the steps of every decode (so a cancel or Ctrl-C stops even a long prompt at once).
This measures that callback's price on the same loaded model, same prompt, greedy sampling;
runs alternate so that a busy machine slows both alike. A small model is the worst case: its
decode steps are short, so the callback's fixed cost weighs most.

    python benchmarks/abort_watch.py [--model PATH] [--tokens 128] [--runs 7]
"""

import statistics
import threading

from benchmarks.local_model import greedy_backend, speed_options
from devcli.llm.backend import ChatMessage, Role
from devcli.llm.local import LocalBackend

LOG = "\n".join(f"{n:04d} build step {n % 7} finished in {n % 13}.{n % 10} s" for n in range(90))


def one_turn(
    backend: LocalBackend, messages: list[ChatMessage], watched: bool
) -> tuple[float, float]:
    backend.llama.reset()  # the whole prompt is evaluated every time
    backend.next_turn(messages, [], stop=threading.Event() if watched else None)
    timings = backend.last_timings
    assert timings is not None
    return timings.prompt_tokens_per_second, timings.generation_tokens_per_second


def main() -> None:
    options = speed_options(__doc__.splitlines()[0])
    # No prompt cache: every run evaluates the whole prompt.
    backend = greedy_backend(options, ctx_size=4096, prompt_cache=False)
    messages = [
        ChatMessage(role=Role.SYSTEM, content="You summarise build logs."),
        ChatMessage(role=Role.USER, content="Summarise this log in detail:\n" + LOG),
    ]
    rates: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    one_turn(backend, messages, True)  # warm-up
    for run in range(options.runs):
        for watched in (False, True) if run % 2 == 0 else (True, False):
            rates[watched].append(one_turn(backend, messages, watched))
    prompt = len(backend.last_prompt)
    print(
        f"model {backend.model_name}, prompt {prompt} tokens, up to {options.tokens} generated, "
        f"medians of {options.runs}"
    )
    print(f"{'':>16} {'prompt tok/s':>13} {'decode tok/s':>13}")
    medians = {}
    for watched, label in ((False, "no watch"), (True, "with watch")):
        prompt_rate = statistics.median(r[0] for r in rates[watched])
        decode_rate = statistics.median(r[1] for r in rates[watched])
        medians[watched] = (prompt_rate, decode_rate)
        print(f"{label:>16} {prompt_rate:>13.1f} {decode_rate:>13.1f}")
    print(
        f"{'ratio':>16} {medians[True][0] / medians[False][0]:>13.3f} "
        f"{medians[True][1] / medians[False][1]:>13.3f}"
    )
    backend.close()


if __name__ == "__main__":
    main()
