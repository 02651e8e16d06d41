"""Layering rules: nothing outside pdxtui/ui imports textual, and the CLI's core imports stay light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pdxtui"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_textual_is_imported_only_under_ui():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "ui":
            continue
        for name in _imports(path):
            if name.split(".")[0] in ("textual", "textual_fastdatatable"):
                offenders.append(f"{rel}: {name}")
    assert offenders == []


def test_the_check_would_see_a_textual_import(tmp_path):
    # the scanner itself must be able to fail: a file that imports textual in any form is caught
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom textual.app import App\ndef f():\n    import textual_fastdatatable\n")
    assert {"textual.app", "textual_fastdatatable"} <= _imports(bad)


def test_core_modules_do_not_pull_in_textual_at_runtime():
    code = (
        "import sys\n"
        "import pdxtui.cli, pdxtui.service, pdxtui.session, pdxtui.portals, pdxtui.portals.bundled, pdxtui.model\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_fastdatatable', 'polars'))\n"
        "print(bad)\n"
        "raise SystemExit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
