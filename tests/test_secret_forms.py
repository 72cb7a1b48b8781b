"""Known secrets stay masked when a command re-encodes them, and globs cannot reach
credential files unseen. The outputs come from real commands run by bash."""

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from devcli.redaction import MASK, Redactor
from devcli.safety.confinement import credential_files_in_command
from devcli.secret_forms import encoded_forms

SHORT_KEY = "mk-7Qw3Ez9Rt2Yu8Io1Pa4Sd6Fg0Hj5Kl"  # 34 characters
LONG_KEY = (
    "sk-proj-" + "Zx8Cv7Bn6Mq5Wl4Ek3Rj2Th1Yg0Uf9Id8Os7Pa6Lk5Jh4Gd3Sf2Aq1" * 2
)  # wraps in base64


def bash_output(script: str, key: str) -> str:
    done = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "DEMO_API_KEY": key},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("key", [SHORT_KEY, LONG_KEY], ids=["short", "long"])
@pytest.mark.parametrize(
    "script",
    [
        'echo "$DEMO_API_KEY"',
        'echo "$DEMO_API_KEY" | base64',
        'printf %s "$DEMO_API_KEY" | base64',
        'echo "$DEMO_API_KEY" | base64 -w0',
        'printf "ab%s" "$DEMO_API_KEY" | base64',
        'printf "a%s" "$DEMO_API_KEY" | base64 -w0',
        'echo "$DEMO_API_KEY" | basenc --base64url',
        "printenv DEMO_API_KEY | rev",
        'printf %s "$DEMO_API_KEY" | xxd -p',
        'printf %s "$DEMO_API_KEY" | od -An -tx1 -v | tr -d " \\n"',
        'printf %s "$DEMO_API_KEY" | xxd -p -u | tr -d "\\n"',
        "python3 -c \"import os; print(os.environ['DEMO_API_KEY'].encode().hex())\"",
    ],
)
def test_encoded_forms_of_a_known_secret_are_masked(script: str, key: str) -> None:
    if "basenc" in script and shutil.which("basenc") is None:
        pytest.skip("basenc is not installed")
    output = bash_output(script, key)
    masked = Redactor([key]).text(output)
    assert MASK in masked
    for form in [key, key[::-1], key.encode().hex(), base64.b64encode(key.encode()).decode()]:
        # No stretch of a form longer than a few characters survives.
        for start in range(0, len(form) - 12, 6):
            assert form[start : start + 12] not in masked.replace("\n", ""), (script, masked)


def test_the_forms_are_specific_to_the_secret() -> None:
    forms = encoded_forms(SHORT_KEY)
    assert all(len(form) >= 8 for form in forms)
    ordinary = "The build passed; see https://example.com/docs and the base64 module.\n" * 50
    assert Redactor([SHORT_KEY]).text(ordinary) == ordinary


def test_masking_stays_linear_on_hostile_text() -> None:
    """Shapes that used to rescan runs of letters: a run of a million characters is read once
    (the measured throughput is in benchmarks/redaction.py)."""
    redactor = Redactor([SHORT_KEY])
    run = "token" + "a" * 1_000_000
    assert redactor.text(run) == run
    begin = "-----BEGIN RSA PRIVATE KEY-----\n" * 2000
    assert MASK in redactor.text(begin)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / ".env").write_text("DEMO_API_KEY=abc\n")
    (tmp_path / "README.md").write_text("hello\n")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "deploy.pem").write_text("pem\n")
    return tmp_path


@pytest.mark.parametrize(
    "command",
    [
        "cat .en?",
        "awk -F= '{print $2}' .e*v",
        "cat .[e]nv",
        "grep KEY .e?v README.md",
        "head -n1 keys/*",
        "cp keys/*.pem /tmp/out",
        "cat {README.md,.env}",
    ],
)
def test_globs_are_expanded_before_the_credential_check(command: str, folder: Path) -> None:
    assert credential_files_in_command(command, str(folder), str(folder)) != []


@pytest.mark.parametrize("command", ["cat *.md", "ls -la", "grep -n hello README*", "cat .e"])
def test_globs_that_match_no_credential_pass(command: str, folder: Path) -> None:
    assert credential_files_in_command(command, str(folder), str(folder)) == []
