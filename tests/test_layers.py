"""The package's shape holds: layers import only downward (import-linter's contracts in
pyproject.toml), no two modules import each other even indirectly, nothing below the front
ends prints, and no two modules share a name unless they are the same kind of thing."""

import ast
import sys
from collections import defaultdict
from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "devcli"
# Where printing to the terminal belongs: the entry point, the commands and the front ends.
PRINTING_ALLOWED = ("cli.py", "cli_app.py", "commands", "acp", "headless.py", "ui")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    sys.path.insert(0, str(PACKAGE.parent))
    try:
        return grimp.build_graph("devcli", cache_dir=None)
    finally:
        sys.path.remove(str(PACKAGE.parent))


def test_the_layer_contracts_hold() -> None:
    from importlinter.cli import lint_imports

    config = str(PACKAGE.parent / "pyproject.toml")
    assert lint_imports(config_filename=config, no_cache=True) == 0


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]


def test_no_module_imports_itself_through_others(graph: grimp.ImportGraph) -> None:
    # Every import statement counts, at module level or inside a function.
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _cycles(edges) == []


def _printing_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "print"
    ]


def test_nothing_below_the_front_ends_prints() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in PRINTING_ALLOWED:
            continue
        offenders += [f"{relative}:{line}" for line in _printing_calls(path)]
    assert offenders == []


def test_module_names_say_what_they_are_once() -> None:
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in PACKAGE.rglob("*.py"):
        if path.name != "__init__.py":
            by_name[path.stem].append(str(path.parent.relative_to(PACKAGE)))
    # A command module is named after the command, beside the package that does the work.
    repeated = {
        name: folders
        for name, folders in by_name.items()
        if len(folders) > 1 and sorted(folders) != sorted(["commands", name])
    }
    assert repeated == {}
