"""AGENTS.md files in the system prompt, and `devcli init` writing a starter one."""

import json
import subprocess
from pathlib import Path

from devcli.agent.instructions import (
    MAX_INSTRUCTION_CHARS,
    find_instructions,
    instruction_folders,
)
from devcli.agent.system_prompt import build_system_prompt
from tests.support.cli import run_devcli


def test_root_then_each_folder_down_to_the_workspace(git_repo: Path) -> None:
    deep = git_repo / "services" / "api"
    deep.mkdir(parents=True)
    (git_repo / "AGENTS.md").write_text("Root rule: run make check.\n")
    (git_repo / "services" / "AGENTS.md").write_text("Services rule: no globals.\n")
    (deep / "AGENTS.md").write_text("API rule: keep handlers thin.\n")
    (git_repo / "unrelated").mkdir()
    (git_repo / "unrelated" / "AGENTS.md").write_text("Not on the path.\n")

    assert instruction_folders(deep) == [git_repo, git_repo / "services", deep]
    texts = [item.text for item in find_instructions(deep)]
    assert texts == [
        "Root rule: run make check.",
        "Services rule: no globals.",
        "API rule: keep handlers thin.",
    ]

    prompt = build_system_prompt(deep)
    positions = [prompt.index(rule) for rule in ("Root rule", "Services rule", "API rule")]
    assert positions == sorted(positions)
    assert "Not on the path." not in prompt
    assert prompt.index("Root rule") > prompt.index("<PROJECT_INSTRUCTIONS>")


def test_no_instructions_leave_the_prompt_as_it_was(git_repo: Path) -> None:
    prompt = build_system_prompt(git_repo)
    assert "PROJECT_INSTRUCTIONS" not in prompt
    (git_repo / "AGENTS.md").write_text("   \n")  # an empty file adds nothing either
    assert build_system_prompt(git_repo) == prompt


def test_outside_a_repository_only_the_working_folder_counts(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("parent, not a repository\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "AGENTS.md").write_text("here\n")
    assert [i.text for i in find_instructions(work)] == ["here"]


def test_huge_instructions_are_cut_with_a_note(git_repo: Path) -> None:
    (git_repo / "AGENTS.md").write_text("x" * (MAX_INSTRUCTION_CHARS + 500))
    found = find_instructions(git_repo)
    assert found[0].clipped and len(found[0].text) == MAX_INSTRUCTION_CHARS
    assert "cut at" in build_system_prompt(git_repo)


def test_undecodable_bytes_do_not_break_the_prompt(git_repo: Path) -> None:
    (git_repo / "AGENTS.md").write_bytes(b"Use tabs \xff\xfe here.\n")
    assert "Use tabs" in build_system_prompt(git_repo)


def test_init_describes_a_python_project(git_repo: Path) -> None:
    (git_repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.ruff]\n')
    (git_repo / "src").mkdir()
    (git_repo / "src" / "app.py").write_text("print(1)\n")
    (git_repo / "tests").mkdir()
    (git_repo / "tests" / "test_app.py").write_text("def test_x():\n    pass\n")
    subprocess.run(["git", "-C", str(git_repo), "add", "."], check=True)

    result = run_devcli("init", cwd=git_repo)
    assert result.returncode == 0, result.stderr
    text = (git_repo / "AGENTS.md").read_text()
    assert "- Language: Python" in text
    assert "`python -m pytest`" in text
    assert "`ruff check .`" in text
    assert "`src/`: source code" in text and "`tests/`: tests" in text
    # What init wrote is what the next session reads.
    assert "`python -m pytest`" in build_system_prompt(git_repo)


def test_init_finds_the_node_test_script(git_repo: Path) -> None:
    package = {"name": "web", "scripts": {"test": "vitest run", "lint": "eslint ."}}
    (git_repo / "package.json").write_text(json.dumps(package))
    (git_repo / "yarn.lock").write_text("")
    (git_repo / "index.ts").write_text("export {}\n")
    subprocess.run(["git", "-C", str(git_repo), "add", "."], check=True)

    assert run_devcli("init", cwd=git_repo).returncode == 0
    text = (git_repo / "AGENTS.md").read_text()
    assert "`yarn test`" in text and "`yarn run lint`" in text
    assert "TypeScript" in text


def test_init_says_what_it_could_not_detect(tmp_path: Path) -> None:
    assert run_devcli("init", cwd=tmp_path).returncode == 0
    assert "Run the tests: (not detected" in (tmp_path / "AGENTS.md").read_text()


def test_init_never_overwrites_without_force(git_repo: Path) -> None:
    (git_repo / "AGENTS.md").write_text("mine\n")
    refused = run_devcli("init", cwd=git_repo)
    assert refused.returncode == 2
    assert "already exists" in refused.stderr and "Traceback" not in refused.stderr
    assert (git_repo / "AGENTS.md").read_text() == "mine\n"
    assert run_devcli("init", "--force", cwd=git_repo).returncode == 0
    assert (git_repo / "AGENTS.md").read_text().startswith("# AGENTS.md")
