"""The rooms of ``docs/architecture.md`` hold: imports run only down the layers, no two files import
each other in a circle, and no room holds more than a third of the code.

Every import statement counts, the ones inside functions too (a circle closed by a late import is
still a circle). Tests and migrations are outside the rule: a test may import whatever it checks.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Top to bottom; a room imports only from the rooms of the layers below its own (never a sibling).
LAYERS: list[set[str]] = [
    {"soglasie"},
    {"api", "work"},
    {"analytics"},
    {"reports"},
    {"processes"},
    {"crm", "tasks"},
    {"notify"},
    {"engine"},
    {"discussion"},
    {"files"},
    {"org"},
    {"base"},
]
ROOMS = {room: depth for depth, layer in enumerate(LAYERS) for room in layer}


def _code_files() -> list[Path]:
    files = []
    for room in ROOMS:
        for path in (ROOT / room).rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts:
                continue
            files.append(path)
    return sorted(files)


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports (``from engine import step`` is ``engine.step``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    files = _code_files()
    known = {_module(path) for path in files}
    graph = {}
    for path in files:
        module = _module(path)
        graph[module] = {name for name in _imports(path, known) if name != module}
    return graph


def _room(module: str) -> str:
    return module.split(".", 1)[0]


def test_imports_run_only_down_the_layers() -> None:
    upward = sorted(
        f"{module} imports {target} ({_room(module)} may not import {_room(target)})"
        for module, targets in _graph().items()
        for target in targets
        if _room(target) != _room(module) and ROOMS[_room(target)] <= ROOMS[_room(module)]
    )
    assert upward == []


def test_no_two_files_import_each_other_in_a_circle() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert circles == []


def room_lines() -> dict[str, int]:
    """Lines of code per room: its Python outside tests and migrations, and its templates."""
    lines: dict[str, int] = defaultdict(int)
    for path in _code_files():
        lines[_room(_module(path))] += len(path.read_text().splitlines())
    for path in (ROOT / "templates").rglob("*.html"):
        parts = path.relative_to(ROOT / "templates").parts
        room = parts[0] if len(parts) > 1 and parts[0] in ROOMS else "soglasie"
        lines[room] += len(path.read_text().splitlines())
    return dict(lines)


def test_no_room_holds_more_than_a_third_of_the_code() -> None:
    lines = room_lines()
    total = sum(lines.values())
    assert {room: n for room, n in lines.items() if n * 3 > total} == {}, (lines, total)
