"""Quick commands do not import what they do not use (issue 17: a preview from the command line starts quickly).
Each runs in a fresh interpreter, which then lists the modules it imported; no time is measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from tests.support.fakeportal.fixtures import DATASETS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_TREES = "a494697005da9eea74335a369b0e3689_1415"
#: never for these commands: the browser, and the filter and export code a plain preview does not use
NEVER = ("textual", "textual_fastdatatable", "pdxtui.ui", "pdxtui.filters", "pdxtui.export", "xlsxwriter")
#: the network stack: not when every answer comes from the cache
NETWORK = ("httpx", "httpcore", "anyio", "stamina")


def run(*args: str) -> tuple[int, str, str, list[str]]:
    """``pdxtui ARGS`` in a fresh interpreter: exit code, stdout, stderr and the modules it had imported."""
    code = (
        "import json, sys\n"
        "from pdxtui.cli import main\n"
        "try:\n"
        f"    code = main({list(args)!r})\n"
        "except SystemExit as exc:  # --help, --version\n"
        "    code = exc.code\n"
        "sys.stdout.flush()\n"
        "print('\\nMODULES ' + json.dumps(sorted(sys.modules)))\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "PYTHONPATH": ROOT}  # from another folder: python -c looks in the current one first
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tempfile.gettempdir(), timeout=120
    )
    out, _, listed = proc.stdout.rpartition("\nMODULES ")
    return proc.returncode, out, proc.stderr, json.loads(listed) if listed else []


def imported(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


def test_a_demo_preview_needs_no_pyarrow_no_network_stack_and_no_filters():
    code, out, err, modules = run("--portal", "demo", "preview", DEMO_TREES, "--rows", "20")
    assert code == 0, err
    assert out.count("\n") == 22 and "Showing 20 of 252,184 rows (SAMPLE data)" in err
    assert "polars" in modules  # the rows are polars frames...
    assert imported(modules, ("pyarrow", "numpy", "diskcache", *NETWORK, *NEVER)) == []  # ...and nothing else


def test_quick_demo_commands_import_neither_polars_nor_the_network_stack():
    for args in (("search", "trees"), ("show", DEMO_TREES), ("show", DEMO_TREES, "--json")):
        code, _, err, modules = run("--portal", "demo", *args)
        assert code == 0, err
        assert imported(modules, ("polars", "pyarrow", "numpy", "diskcache", *NETWORK, *NEVER)) == [], args


def test_an_arcgis_preview_from_a_warm_cache_imports_no_network_stack(fake_arcgis):
    portal = f"arcgis:{fake_arcgis.url}/hub"
    trees = DATASETS["street_trees"].id
    first = run("--portal", portal, "preview", trees, "--rows", "20")
    assert first[0] == 0, first[2]
    assert imported(first[3], NETWORK)  # the cold run went to the network (the cache folder is this test's own)
    served = len(fake_arcgis.requests)
    again = run("--portal", portal, "preview", trees, "--rows", "20")
    assert again[:3] == first[:3]  # the same rows, note and exit code
    assert len(fake_arcgis.requests) == served  # all from the cache
    assert imported(again[3], (*NETWORK, *NEVER)) == []
    for args in (("search", "trees"), ("show", trees)):
        assert run("--portal", portal, *args)[0] == 0  # warms the cache
        code, _, err, modules = run("--portal", portal, *args)
        assert code == 0, err
        assert imported(modules, ("polars", "pyarrow", *NETWORK, *NEVER)) == [], args


def test_version_and_help_import_no_command_code():
    code, out, _, modules = run("--version")
    assert code == 0 and out.startswith("pdxtui ")
    assert imported(modules, ("pdxtui.cli.browse", "pdxtui.model", "pdxtui.session", "polars")) == []
    code, out, _, modules = run("--help")
    assert code == 0 and "preview" in out and "export" in out
    assert imported(modules, ("polars", "pyarrow", "pdxtui.filters", "pdxtui.ui", "textual", *NETWORK)) == []


def test_the_request_log_command_reads_the_file_alone():
    code, out, err, modules = run("log", "--json")
    assert code == 0 and out == "[]\n", err
    assert imported(modules, ("polars", "pyarrow", "diskcache", "pdxtui.net", *NETWORK, *NEVER)) == []
