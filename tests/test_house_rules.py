"""The structure every service keeps (issue 16), read from the source: no import circle inside a
service, and no source file over MAX_LINES lines unless its docstring says why.

Every `import` counts, also those under `if TYPE_CHECKING:` or inside a function: an import
moved there to dodge a circle still ties the two modules in both directions. Generated code
(libs/contracts) and migrations are not read.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "identity": ROOT / "services/identity/src/gatehouse_identity",
    "registry": ROOT / "services/registry/src/gatehouse_registry",
    "notifier": ROOT / "services/notifier/src/gatehouse_notifier",
    "common": ROOT / "libs/common/src/gatehouse_common",
    "devstack": ROOT / "tools/devstack/src/gatehouse_devstack",
}
MAX_LINES = 500


def _sources(package: Path) -> Iterator[Path]:
    for path in sorted(package.rglob("*.py")):
        if "migrations" not in path.relative_to(package).parts:
            yield path


def _module_name(package: Path, path: Path) -> str:
    parts = [package.name, *path.relative_to(package).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.Module, module: str, is_package: bool) -> Iterator[str]:
    base = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            anchor = base[: len(base) - node.level + 1] if node.level else []
            target = ".".join([*anchor, node.module] if node.module else anchor)
            yield target
            # `from package import module` names a module too.
            yield from (f"{target}.{alias.name}" for alias in node.names)


def _graph(package: Path) -> dict[str, set[str]]:
    trees = {}
    for path in _sources(package):
        trees[_module_name(package, path)] = (
            ast.parse(path.read_text()),
            path.name == "__init__.py",
        )
    graph: dict[str, set[str]] = {}
    for module, (tree, is_package) in trees.items():
        # A package's __init__ is not an edge source of its submodules' circles: importing
        # `a.b` runs `a/__init__` first, which is Python's order, not a design tie.
        graph[module] = {
            name for name in _imported(tree, module, is_package) if name in trees and name != module
        }
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for neighbour in graph[node]:
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in on_stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_a_circle() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("service", sorted(PACKAGES))
def test_no_import_circle(service: str) -> None:
    circles = _circles(_graph(PACKAGES[service]))
    assert circles == [], f"modules that import each other in a loop: {circles}"


@pytest.mark.parametrize("service", sorted(PACKAGES))
def test_long_files_say_why(service: str) -> None:
    package = PACKAGES[service]
    unexplained = []
    for path in _sources(package):
        lines = len(path.read_text().splitlines())
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        if lines > MAX_LINES and "lines" not in docstring:
            unexplained.append(f"{path.relative_to(ROOT)} ({lines} lines)")
    assert unexplained == [], (
        f"over {MAX_LINES} lines with no reason in the module docstring "
        f"(split it, or say why it is one file): {unexplained}"
    )
