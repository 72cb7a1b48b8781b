from datetime import date
from pathlib import Path

from devcli.agent.system_prompt import build_system_prompt

SECTIONS = [
    "ROLE",
    "EFFICIENCY",
    "FILE_SYSTEM_GUIDELINES",
    "CODE_QUALITY",
    "VERSION_CONTROL",
    "PULL_REQUESTS",
    "PROBLEM_SOLVING_WORKFLOW",
    "SECURITY",
    "ENVIRONMENT_SETUP",
    "TROUBLESHOOTING",
]


def test_sections_in_the_tuned_order(tmp_path: Path) -> None:
    prompt = build_system_prompt(tmp_path)
    positions = [prompt.index(f"<{name}>") for name in SECTIONS]
    assert positions == sorted(positions)
    for name in SECTIONS:
        assert f"</{name}>" in prompt


def test_session_facts_are_filled_in(tmp_path: Path) -> None:
    prompt = build_system_prompt(tmp_path, today=date(2026, 3, 4))
    assert str(tmp_path) in prompt
    assert "2026-03-04" in prompt and "bash" in prompt
    assert "$workspace" not in prompt and "$date" not in prompt
