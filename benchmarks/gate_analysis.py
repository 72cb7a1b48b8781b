"""Time the hard gates take to read one command, by shape and size, side by side.

python benchmarks/gate_analysis.py

A command over the parser's word limit is not parsed but refused as unanalysable, so every
shape stays linear in its length; here-document bodies are lifted out before parsing, so a
large file written with `cat <<'EOF'` is read at the speed of a text search.
"""

import random
import string
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from devcli.safety.gate_context import gate_context
from devcli.safety.gates import check_command

SIZES = (10_000, 160_000, 1_000_000)


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _fuzz(size: int) -> str:
    rng = random.Random(11)
    alphabet = string.ascii_letters + " ;|&$(){}[]<>'\"`\\*?~/.-=\n#!"
    return "".join(rng.choices(alphabet, k=size))


SHAPES: dict[str, Callable[[int], str]] = {
    "x | x | …": lambda size: _repeat("x | ", size) + "x",
    "echo a && …": lambda size: _repeat("echo a && ", size) + "true",
    "many words": lambda size: "echo " + _repeat("word ", size),
    "one quoted word": lambda size: "echo '" + _repeat("word ", size) + "'",
    "here-document": lambda size: "cat > f.py <<'EOF'\n" + _repeat("print(1)\n", size) + "\nEOF",
    "bash <<EOF script": lambda size: "bash <<'EOF'\n" + _repeat("echo a; ls\n", size) + "\nEOF",
    "unparseable": lambda size: "case x in " + _repeat("a) echo 'x ;; ", size),
    "random text": _fuzz,
}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        context = gate_context(root, str(root), None)
        header = "".join(f"{size // 1000:>9} KB" for size in SIZES)
        print(f"{'shape':18}{header}   (seconds)")
        for name, make in SHAPES.items():
            cells = []
            for size in SIZES:
                command = make(size)
                started = time.perf_counter()
                check_command(command, context)
                cells.append(time.perf_counter() - started)
            print(f"{name:18}" + "".join(f"{cell:12.3f}" for cell in cells))


if __name__ == "__main__":
    main()
