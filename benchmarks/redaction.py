"""Secret masking throughput by kind of text, at two sizes side by side (linear time shows as
equal MB/s), with the known secrets and their encoded forms in play.

python benchmarks/redaction.py [--megabytes 10]
"""

import argparse
import random
import string
import time
from collections.abc import Callable

from devcli.redaction import Redactor

SECRETS = [
    "sk-bench-" + "q7Zk2Lm9Xw4Rt8Yp3Vn6Bc1Hd5Jf0Gs",
    "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
    "hunter2-but-longer-and-stronger!",
]


def _random(alphabet: str, size: int, rng: random.Random) -> str:
    return "".join(rng.choices(alphabet, k=size))


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


KINDS: dict[str, Callable[[int, random.Random], str]] = {
    "hex-like": lambda size, rng: _random("0123456789abcdef", size, rng),
    "alphanumeric": lambda size, rng: _random(string.ascii_letters + string.digits, size, rng),
    "one long run": lambda size, rng: "x" * size,
    "upper-case runs": lambda size, rng: _repeat("TOKEN" + "A" * 5000 + " ", size),
    "python code": lambda size, rng: _repeat(
        "def load(token, secret=None):\n    url = f'https://{host}/api?key={token}'\n"
        "    return {'password': secret, 'items': [1, 2, 3]}  # see README\n",
        size,
    ),
    "keywords, no values": lambda size, rng: _repeat('token= secret: password="x" sk- eyJ ', size),
    "secrets and encodings": lambda size, rng: _repeat(
        "export API_KEY=abcdefghijklmnop\n" + SECRETS[0] + "\n" + SECRETS[1][::-1] + "\n", size
    ),
}


def throughput(redactor: Redactor, text: str) -> float:
    start = time.perf_counter()
    redactor.text(text)
    return len(text) / 1e6 / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=10.0)
    options = parser.parse_args()
    large = int(options.megabytes * 1_000_000)
    small = large // 10
    redactor = Redactor(SECRETS)
    rng = random.Random(7)
    print(f"{len(redactor.literals)} literal forms of {len(SECRETS)} secrets")
    print(f"{'text':24} {small / 1e6:>8.1f} MB {large / 1e6:>8.1f} MB   ratio")
    for name, make in KINDS.items():
        small_rate = throughput(redactor, make(small, rng))
        large_rate = throughput(redactor, make(large, rng))
        print(
            f"{name:24} {small_rate:8.1f} MB/s {large_rate:6.1f} MB/s "
            f"{large_rate / small_rate:6.2f}"
        )


if __name__ == "__main__":
    main()
