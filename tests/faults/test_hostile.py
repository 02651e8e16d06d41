"""Portal text is untrusted: markup and terminal escapes in titles, descriptions, field names and cells are shown
inertly everywhere, and the app stays up."""

from __future__ import annotations

import ast
import pathlib

import pyarrow as pa

from pdxtui.model import Dataset, DatasetSummary, Facets, FetchState, Field, Page, SearchResult
from pdxtui.service import Service
from tests.support.uihelpers import screen_text, settle, text_of, wait_for

NASTY = "[/x] [link=http://evil]click[/link] \x1b[31mRED\x1b]52;c;SGVsbG8=\x07 \u202egnp.exe \x00end"
FIELD = "A[/b]\x1b[2J"


class HostilePortal:
    kind = "bundled"
    name = "hostile"
    label = "hostile [b]portal[/b]"
    capabilities = frozenset()

    def __init__(self) -> None:
        self.state = FetchState(source="bundled")
        self.ds = Dataset(
            id="evil-1",
            title=NASTY,
            owner=NASTY,
            description=NASTY + "\nline two",
            rows=2,
            fields=(Field(FIELD, "esriFieldTypeString", "string", alias=NASTY, description=NASTY),),
            api_url="https://example.invalid/q",
            licence=NASTY,
        )

    async def search(self, request):
        return SearchResult(hits=(DatasetSummary(id="evil-1", title=NASTY, owner=NASTY, rows=2),), total=1)

    async def facets(self):
        return Facets(owners=((NASTY, 1),))

    async def dataset(self, dataset_id):
        return self.ds

    async def count(self, dataset, query):
        return 2

    async def pages(self, dataset, query, progress=None):
        yield Page(table=pa.table({FIELD: [NASTY, "[bold]not bold[/bold]"]}), offset=0, total=2)

    async def aclose(self):
        return None


async def test_hostile_text_is_shown_inertly_everywhere():
    from pdxtui.ui.app import PdxApp

    app = PdxApp(Service(HostilePortal()))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        app.screen.open_dataset("evil-1")
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        pane.grid.focus()
        await pilot.press("enter")  # the cell view
        await pilot.pause()
        screen = screen_text(app)
        assert app.is_running
        assert "\x1b" not in screen and "\x07" not in screen and "\x00" not in screen and "\u202e" not in screen
        assert "␛[31mRED" in screen  # the escape is visible as a picture, not interpreted
        assert "[/x]" in screen and "[link=http://evil]" in screen  # markup shown literally
        await pilot.press("escape")
        meta = text_of(app.screen.query_one("#metadata-body"))
        assert "[/x]" in meta and "␛" in meta and "\x1b" not in meta
        grid_text = screen_text(app)
        assert "[bold]not bold[/bold]" in grid_text
        app.screen.report_error(RuntimeError(NASTY), "Test")  # an error message with markup: a toast, no crash
        await pilot.pause()
        assert app.is_running


def test_every_notify_in_the_ui_turns_markup_off():
    missing = []
    for path in pathlib.Path(__file__).resolve().parents[2].joinpath("pdxtui", "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "notify":
                markup = {k.arg: k.value for k in node.keywords}.get("markup")
                if not (isinstance(markup, ast.Constant) and markup.value is False):
                    missing.append(f"{path.name}:{node.lineno}")
    assert missing == []


# --- the hostile corpus (tests/hostile.py) through the fake ArcGIS portal: TUI and CLI --------------------------

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from tests.support import hostile  # noqa: E402
from tests.support.fakeportal.fixtures import DATASETS, HOSTILE  # noqa: E402


@pytest.fixture
def hostile_server():
    """The fake ArcGIS portal serving the hostile layer next to the usual ones."""
    from tests.support.fakeportal.arcgis import ArcGISApp
    from tests.support.fakeportal.server import FakeServer

    server = FakeServer()
    ArcGISApp(extra=(HOSTILE,)).mount(server)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_corpus_is_hostile():
    """The checks must catch what the corpus holds (else every test below would pass vacuously)."""
    for name, value in hostile.CORPUS.items():
        if name not in ("markup", "wide", "html"):
            assert hostile.bad_chars(value), name
    assert hostile.bad_chars(hostile.ALL_IN_ONE) and len(hostile.HUGE) > 100_000
    with pytest.raises(AssertionError):
        hostile.assert_inert_bytes(b"\x1b[31m")
    with pytest.raises(AssertionError):
        hostile.assert_inert_bytes("\x9b".encode())
    with pytest.raises(AssertionError):
        hostile.assert_inert_bytes("\ud800".encode("utf-8", "surrogatepass"))
    with pytest.raises(UnicodeDecodeError):
        hostile.assert_inert_bytes(b"\xff")


@pytest.mark.parametrize("name", list(hostile.CORPUS))
def test_clean_makes_every_corpus_value_inert(name):
    from pdxtui.textsafe import clean, one_line

    value = hostile.CORPUS[name]
    hostile.assert_inert(clean(value), name)
    hostile.assert_inert(one_line(value, 80), name)
    assert len(one_line(value, 80)) <= 80
    clean(value).encode("utf-8")  # printable: no lone surrogate survives


async def test_the_hostile_layer_is_inert_in_every_pane(hostile_server):
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from pdxtui.ui.screens.cell import CellScreen
    from pdxtui.ui.screens.draft import DraftScreen

    app = PdxApp(session=open_session(portal=f"arcgis:{hostile_server.url}/hub"))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        await pilot.press(*"hostile", "enter")
        await settle(pilot)
        catalog = screen_text(app)
        hostile.assert_inert(catalog, "catalog")
        assert "Hostile [/x]" in catalog
        await pilot.press("enter")  # open the highlighted (only) hit
        await settle(pilot)
        assert app.screen.dataset.id == HOSTILE.id
        shown = screen_text(app)
        hostile.assert_inert(shown, "browser")
        meta = text_of(app.screen.query_one("#metadata-body"))
        hostile.assert_inert(meta, "metadata pane")
        assert "[/x]" in meta and "␛[31mRED" in meta and "Evil" in meta
        assert "alert('pwned')" in meta  # the title's HTML is shown as text
        side = app.screen.query_one("#side")
        side.active = "tab-schema"
        await pilot.pause()
        schema = screen_text(app)
        hostile.assert_inert(schema, "schema pane")
        assert "[/b]name" in schema and "名前" in schema
        side.active = "tab-stats"
        await pilot.pause()
        hostile.assert_inert(screen_text(app), "stats pane")
        pane = app.screen.query_one("#preview")
        pane.grid.focus()
        await pilot.pause()
        grid = screen_text(app)
        hostile.assert_inert(grid, "grid")
        assert "[/b]name" in grid and "␛[2Jcls" in grid and "␛[31mRED" in grid and "東京都庁" in grid
        await pilot.press("right")  # the column of corpus values
        await pilot.press("y")  # copy the cell: the clipboard (OSC 52) gets pictures, not escapes
        assert "[/x]" in app.clipboard
        await pilot.press("Y")  # the row, with a header line
        hostile.assert_inert(app.clipboard.replace("\t", " "), "copied row")
        assert "␛[2Jcls" in app.clipboard
        for row in range(HOSTILE.row_count):
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, CellScreen))
            cell = screen_text(app)
            hostile.assert_inert(cell, f"cell view, row {row + 1}")
            assert app.screen.text == HOSTILE.rows[row]["[/b]name"].replace("\ud800", "\ufffd").replace(
                "\udfff", "\ufffd"
            )
            await pilot.press("y")  # copy the full value from the cell view
            hostile.assert_inert(app.clipboard, f"copied value, row {row + 1}")
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, CellScreen))
            await pilot.press("down")
        assert app.is_running
        app.screen.query_one("#catalog").focus()
        await pilot.press("ctrl+t")  # the drafting screen: the letter names the dataset
        await settle(pilot)
        assert isinstance(app.screen, DraftScreen)
        letter = app.screen.letter_text()
        hostile.assert_inert(letter, "letter")
        assert "Hostile [/x]" in letter and HOSTILE.id in letter
        hostile.assert_inert(screen_text(app), "drafting screen")
        await pilot.press("escape")
        await settle(pilot)
        pane.grid.focus()
        opened: list[str] = []
        for key, where in (
            ("s", "stats of a hostile column"),
            ("F", "value counts of a hostile column"),
            ("ctrl+e", "export dialog"),
            ("C", "columns chooser"),
        ):
            await pilot.press(key)
            await settle(pilot)
            hostile.assert_inert(screen_text(app), where)
            assert app.is_running
            opened.append(type(app.screen).__name__)
            if app.screen is not app.screen_stack[1]:  # a dialog: close it
                await pilot.press("escape")
                await settle(pilot)
            pane.grid.focus()
        assert opened[1:] == ["FacetScreen", "ExportScreen", "ColumnsScreen"], opened  # the dialogs did open
        owners = app.screen.query_one("#facet-owner")  # the publisher drop-down lists the hostile owner
        owners.focus()
        await pilot.press("enter")
        await pilot.pause(0.3)
        hostile.assert_inert(screen_text(app), "publisher drop-down")
        assert "Evil" in screen_text(app) and app.is_running
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p", *"Hostile")  # the command palette lists the dataset (title, owner as help)
        await pilot.pause(0.5)
        await settle(pilot)
        palette = screen_text(app)
        hostile.assert_inert(palette, "command palette")
        assert "Hostile [/x]" in palette and app.is_running
        await pilot.press("escape")
        await settle(pilot)
        # an error whose server message is hostile: the toast and the pane show it inertly
        body = json.dumps({"error": {"code": 400, "message": hostile.ALL_IN_ONE, "details": [hostile.OSC52]}})
        hostile_server.faults.set("error200", path_contains="/query?", body=body.encode())
        await pilot.press("ctrl+r")  # refresh: past the cache, to the portal
        await settle(pilot)
        assert any(n.severity == "error" for n in app._notifications)
        await pilot.pause(0.3)  # the toast paints
        toasted = screen_text(app)
        hostile.assert_inert(toasted, "toast")
        assert "[/x]" in toasted
        for note in app._notifications:
            hostile.assert_inert(note.message, "notification")
        assert app.is_running


CLI_COMMANDS = {
    "search": ["search", "hostile"],
    "search-json": ["search", "hostile", "--json"],
    "show": ["show", HOSTILE.id],
    "show-json": ["show", HOSTILE.id, "--json"],
    "preview": ["preview", HOSTILE.id, "--rows", "20"],
    "preview-json": ["preview", HOSTILE.id, "--json"],
    "draft": ["draft", "records", HOSTILE.id],
}


@pytest.mark.parametrize("command", list(CLI_COMMANDS))
def test_cli_output_bytes_are_inert(hostile_server, tmp_path, command):
    """The raw bytes ``pdxtui`` writes to stdout (a real process, a real pipe): no ESC, C1, NUL or CR, no
    surrogate, valid UTF-8; and the hostile text is there, shown rather than dropped."""
    import os

    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "pdxtui", "--portal", f"arcgis:{hostile_server.url}/hub", *CLI_COMMANDS[command]],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    hostile.assert_inert_bytes(proc.stdout, f"pdxtui {command} stdout")
    hostile.assert_inert_bytes(proc.stderr, f"pdxtui {command} stderr")
    out = proc.stdout.decode()
    if command.endswith("json"):
        json.loads(out)  # escapes inside JSON strings are \\u001b: inert bytes, the data kept exactly
        assert "\\u001b" in out or "[/x]" in out
    else:
        assert "[/x]" in out
        if command != "search":
            assert "␛" in out


# --- the same corpus through the Socrata and CKAN portals (their fakes wrapped by tests.support.hostile.HostileApp) ---

OTHER_KINDS = {"socrata": "insp-2345", "ckan": "street-trees"}


@pytest.fixture
def hostile_other(request, monkeypatch):
    kind = request.param
    pytest.importorskip(f"pdxtui.portals.{kind}")
    server = hostile.start_hostile_server(kind)
    if kind == "socrata":
        import pdxtui.portals.socrata as socrata

        monkeypatch.setattr(socrata, "REGIONAL_CATALOG", server.apps["socrata"].regional_url(server.url))
    try:
        yield kind, server
    finally:
        server.stop()


@pytest.mark.parametrize("hostile_other", list(OTHER_KINDS), indirect=True)
def test_cli_output_is_inert_for_the_other_portal_kinds(hostile_other, capsys):
    from pdxtui.cli import main

    kind, server = hostile_other
    portal = f"{kind}:{server.url}"
    dataset = OTHER_KINDS[kind]
    seen = ""
    for args in (["search"], ["show", dataset], ["preview", dataset, "--rows", "30"], ["search", "--json"]):
        code = main(["--portal", portal, *args])
        out, err = capsys.readouterr()
        assert code == 0, err
        data = out.encode("utf-8")  # strict, as a UTF-8 terminal's stdout: a lone surrogate would raise here
        hostile.assert_inert_bytes(data, f"{kind} {args[0]} stdout")
        hostile.assert_inert_bytes(err.encode("utf-8"), f"{kind} {args[0]} stderr")
        seen += out
    assert "[/x]" in seen and "␛" in seen  # the corpus was there, and is shown


@pytest.mark.parametrize("hostile_other", list(OTHER_KINDS), indirect=True)
async def test_tui_is_inert_for_the_other_portal_kinds(hostile_other):
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from pdxtui.ui.screens.cell import CellScreen

    kind, server = hostile_other
    app = PdxApp(session=open_session(portal=f"{kind}:{server.url}"))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        hostile.assert_inert(screen_text(app), f"{kind} catalog")
        app.screen.open_dataset(OTHER_KINDS[kind])
        await settle(pilot)
        assert app.screen.dataset is not None, [n.message for n in app._notifications]
        shown = screen_text(app)
        hostile.assert_inert(shown, f"{kind} browser")
        meta = text_of(app.screen.query_one("#metadata-body"))
        hostile.assert_inert(meta, f"{kind} metadata")
        assert "[/x]" in meta or "␛" in meta or "\ufffd" in meta, meta[:500]
        pane = app.screen.query_one("#preview")
        assert pane.preview is not None and pane.preview.shown > 0
        pane.grid.focus()
        for _ in range(4):
            await pilot.press("right")
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, CellScreen))
            hostile.assert_inert(screen_text(app), f"{kind} cell view")
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, CellScreen))
        hostile.assert_inert(screen_text(app), f"{kind} grid")
        assert app.is_running


def test_socrata_csv_page_with_invalid_utf8_is_read_with_replacements(monkeypatch, capsys):
    pytest.importorskip("pdxtui.portals.socrata")
    import pdxtui.portals.socrata as socrata
    from pdxtui.cli import main

    server = hostile.start_hostile_server("socrata", invalid_utf8=True)
    monkeypatch.setattr(socrata, "REGIONAL_CATALOG", server.apps["socrata"].regional_url(server.url))
    try:
        code = main(["--portal", f"socrata:{server.url}", "preview", OTHER_KINDS["socrata"], "--rows", "30"])
    finally:
        server.stop()
    out, err = capsys.readouterr()
    assert code == 0, err
    hostile.assert_inert_bytes(out.encode("utf-8"))


async def test_a_hostile_place_name_in_the_near_filter_title(fake_arcgis):
    """The preview's border subtitle names the address a near-filter is around (text from PortlandMaps): a str
    border title is Textual markup, so ``[/x]`` there crashed the app."""
    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp

    trees = DATASETS["heritage_trees"]
    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        app.screen.open_near(trees.id, (45.52, -122.68, 800.0), "[/x] 1120 SW 5th \x1b[31mAve")
        await settle(pilot)
        shown = screen_text(app)
        assert app.is_running and "[/x] 1120 SW 5th ␛[31mAve" in shown
        hostile.assert_inert(shown, "near-filter title")
