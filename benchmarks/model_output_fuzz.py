"""Fuzzed model replies through the text-call parsers to the session line: how many raise,
and the slowest, the mean and the total time per reply.

python benchmarks/model_output_fuzz.py [--cases 10000] [--seed 1]

The replies come from the generator of tests/test_fuzz_model_output.py (call syntaxes mixed
with truncated, deep and huge JSON, control characters, lone surrogates).
"""

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devcli.events import AssistantTurn, event_from_json, event_to_json
from devcli.llm.formats.text_calls import parse_text_tool_calls
from devcli.redaction import Redactor
from devcli.tools.base import ArgumentError
from devcli.tools.registry import ToolBox
from tests.test_fuzz_model_output import NAMES, SECRET, _reply


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    redactor = Redactor([SECRET])
    failures: list[str] = []
    timings: list[float] = []
    sizes: list[int] = []
    with tempfile.TemporaryDirectory() as folder:
        toolbox = ToolBox.default(Path(folder))
        schemas = toolbox.schemas()
        for _ in range(options.cases):
            text = _reply(rng)
            started = time.perf_counter()
            try:
                parsed = parse_text_tool_calls(text, NAMES, schemas=schemas)
                if parsed is not None:
                    turn = AssistantTurn(content=parsed.content, tool_calls=parsed.tool_calls)
                    for call in turn.tool_calls:
                        with contextlib.suppress(ArgumentError):
                            toolbox.prepare(call)
                    event_from_json(event_to_json(redactor.event(turn)))
            except Exception:  # what this benchmark counts
                failures.append(traceback.format_exc(limit=2))
            timings.append(time.perf_counter() - started)
            sizes.append(len(text))
        toolbox.close()
    slowest = max(range(len(timings)), key=timings.__getitem__)
    print(f"{options.cases} replies, {sum(sizes) / 1e6:.1f} MB in all")
    print(f"uncaught exceptions: {len(failures)}")
    print(f"slowest reply: {timings[slowest]:.3f} s ({sizes[slowest] / 1e3:.0f} KB)")
    print(f"mean per reply: {statistics.fmean(timings) * 1000:.2f} ms; total {sum(timings):.1f} s")
    for failure in failures[:3]:
        print(failure)


if __name__ == "__main__":
    main()
