"""Printing help must not load the model runtimes, the markdown renderer or git.

Each check runs in a fresh interpreter, imports the entry point, prints the help and reports
which of the heavy modules ended up in sys.modules.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("llama_cpp", "openai", "mistral_common", "rich.markdown", "git", "prompt_toolkit", "acp")

_PROBE = """
import json, sys
sys.argv = ["devcli", *json.loads(sys.argv[1])]
import devcli.cli
try:
    devcli.cli.main()
    code = 0
except SystemExit as exc:
    code = exc.code or 0
print(json.dumps({"code": code, "loaded": [m for m in HEAVY if m in sys.modules]}), file=sys.stderr)
"""


def probe(*args: str) -> tuple[dict[str, object], str]:
    script = _PROBE.replace("HEAVY", json.dumps(list(HEAVY)))
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(list(args))],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=Path(__file__).resolve().parent.parent,
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report, result.stdout


@pytest.mark.parametrize(
    "args", [["--help"], ["run", "--help"], ["init", "--help"], ["acp", "--help"]]
)
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    report, shown = probe(*args)
    assert report["code"] == 0
    assert "Usage:" in shown
    assert report["loaded"] == []


def test_the_probe_would_see_a_heavy_import() -> None:
    """The check is real: importing the console renderer does load rich.markdown."""
    script = (
        "import sys, devcli.ui.console; "
        "print('rich.markdown' in sys.modules and 'prompt_toolkit' not in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "True"


def test_root_help_describes_the_session_options() -> None:
    _, shown = probe("--help")
    for option in ("--replay", "--approval", "--model", "--no-color"):
        assert option in shown
