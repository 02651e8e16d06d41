"""Import hygiene of the UI: no import cycles among pdxtui.ui modules, widgets never import screens, and the UI
never imports the CLI. Imports inside functions count: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "pdxtui" / "ui"


def module_name(path: Path) -> str:
    parts = path.relative_to(UI.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (``from a import b`` counts as a and a.b)."""
    package = module_name(path).rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def ui_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in UI.rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_ui_modules():
    assert cycles(ui_graph()) == []


def test_the_cycle_check_can_fail():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_widgets_never_import_screens():
    offenders = [
        f"{name} imports {target}"
        for name, targets in ui_graph().items()
        if name.startswith("pdxtui.ui.widgets")
        for target in targets
        if target.startswith("pdxtui.ui.screens")
    ]
    assert offenders == []


def test_screens_never_import_the_browser_they_live_in():
    """Only parents import children: the browser opens the dialogs, no dialog imports the browser."""
    offenders = [
        name
        for name, targets in ui_graph().items()
        if name.startswith(("pdxtui.ui.screens.", "pdxtui.ui.widgets.")) and "pdxtui.ui.screens.browse" in targets
    ]
    assert offenders == []


def test_the_ui_never_imports_the_cli():
    offenders = [
        f"{module_name(path)} imports {name}"
        for path in UI.rglob("*.py")
        for name in imports_of(path)
        if name == "pdxtui.cli" or name.startswith(("pdxtui.cli.", "pdxtui.cli_"))
    ]
    assert offenders == []


def test_lazy_imports_are_seen():
    names = imports_of(UI / "widgets" / "preview.py")
    assert "pdxtui.ui.feedback" in names and "pdxtui.ui.widgets.grid" in names  # the grid is imported lazily
