"""A quick look at a repository: its languages, test and lint commands, and top-level layout.

Used by `devcli init` to write a starter AGENTS.md. Everything here reads marker files only;
nothing is run except `git ls-files` to count source files.
"""

import json
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from devcli.git_command import GitMissing, git_command

_EXTENSIONS = {
    ".py": "Python",
    ".js": "JavaScript",
    ".jsx": "JavaScript",
    ".mjs": "JavaScript",
    ".ts": "TypeScript",
    ".tsx": "TypeScript",
    ".rs": "Rust",
    ".go": "Go",
    ".java": "Java",
    ".kt": "Kotlin",
    ".rb": "Ruby",
    ".c": "C",
    ".h": "C",
    ".cc": "C++",
    ".cpp": "C++",
    ".hpp": "C++",
    ".cs": "C#",
    ".php": "PHP",
    ".swift": "Swift",
    ".sh": "Shell",
}
_FOLDER_ROLES = {
    "src": "source code",
    "lib": "library code",
    "app": "application code",
    "cmd": "command entry points",
    "pkg": "packages",
    "internal": "internal packages",
    "tests": "tests",
    "test": "tests",
    "spec": "tests (specs)",
    "docs": "documentation",
    "doc": "documentation",
    "examples": "examples",
    "scripts": "helper scripts",
    "tools": "developer tools",
    "benchmarks": "benchmarks",
    "bench": "benchmarks",
    "assets": "static assets",
    "static": "static assets",
    "migrations": "database migrations",
    "config": "configuration",
}
_SKIPPED_FOLDERS = {"node_modules", "venv", "target", "build", "dist", "__pycache__"}
_MAX_SCANNED_FILES = 20_000


class ProjectSurvey(BaseModel):
    languages: list[str] = Field(default_factory=list)  # most files first
    test_command: str | None = None
    lint_commands: list[str] = Field(default_factory=list)
    folders: list[tuple[str, str]] = Field(default_factory=list)  # (name, role or "")


def _listed_files(root: Path) -> list[str]:
    try:
        listed = git_command(["-C", str(root), "ls-files"], timeout=10)
        names = listed.text.splitlines() if listed.ok else []
        if names:
            return names[:_MAX_SCANNED_FILES]
    except GitMissing:
        pass
    names = []
    for path in root.rglob("*"):
        parts = path.relative_to(root).parts
        if any(p.startswith(".") or p in _SKIPPED_FOLDERS for p in parts):
            continue
        if path.is_file():
            names.append(str(path.relative_to(root)))
            if len(names) >= _MAX_SCANNED_FILES:
                break
    return names


def _toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _has_make_target(root: Path, target: str) -> bool:
    try:
        text = (root / "Makefile").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.startswith(f"{target}:") for line in text.splitlines())


def _node_runner(root: Path) -> str:
    if (root / "pnpm-lock.yaml").exists():
        return "pnpm"
    if (root / "yarn.lock").exists():
        return "yarn"
    return "npm"


def _python_commands(root: Path, files: list[str]) -> tuple[str | None, list[str]]:
    pyproject = _toml(root / "pyproject.toml")
    tool = pyproject.get("tool", {}) if isinstance(pyproject.get("tool"), dict) else {}
    uses_pytest = (
        "pytest" in tool
        or (root / "pytest.ini").exists()
        or (root / "conftest.py").exists()
        or any(Path(f).name.startswith("test_") or Path(f).name == "conftest.py" for f in files)
    )
    test = "python -m pytest" if uses_pytest else None
    lint: list[str] = []
    if "ruff" in tool or (root / "ruff.toml").exists() or (root / ".ruff.toml").exists():
        lint.append("ruff check .")
    if "mypy" in tool or (root / "mypy.ini").exists():
        lint.append("mypy")
    return test, lint


def _node_commands(root: Path) -> tuple[str | None, list[str]]:
    scripts = _json(root / "package.json").get("scripts", {})
    scripts = scripts if isinstance(scripts, dict) else {}
    runner = _node_runner(root)
    test_script = str(scripts.get("test", ""))
    test = f"{runner} test" if test_script and "no test specified" not in test_script else None
    lint = [f"{runner} run lint"] if "lint" in scripts else []
    return test, lint


def survey(root: Path) -> ProjectSurvey:
    files = _listed_files(root)
    counts = Counter(
        _EXTENSIONS[suffix] for f in files if (suffix := Path(f).suffix.lower()) in _EXTENSIONS
    )
    result = ProjectSurvey(languages=[name for name, _ in counts.most_common(3)])
    test: str | None = None
    lint: list[str] = []
    if (root / "pyproject.toml").exists() or (root / "setup.py").exists() or "Python" in counts:
        test, lint = _python_commands(root, files)
    if test is None and (root / "package.json").exists():
        test, lint = _node_commands(root)
    if test is None and (root / "Cargo.toml").exists():
        test, lint = "cargo test", ["cargo clippy"]
    if test is None and (root / "go.mod").exists():
        test, lint = "go test ./...", ["go vet ./..."]
    if test is None and (root / "pom.xml").exists():
        test = "mvn test"
    if test is None and ((root / "build.gradle").exists() or (root / "build.gradle.kts").exists()):
        test = "./gradlew test" if (root / "gradlew").exists() else "gradle test"
    if test is None and _has_make_target(root, "test"):
        test = "make test"
    result.test_command = test
    result.lint_commands = lint
    result.folders = [
        (entry.name, _FOLDER_ROLES.get(entry.name.lower(), ""))
        for entry in sorted(root.iterdir(), key=lambda e: e.name)
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in _SKIPPED_FOLDERS
    ]
    return result
