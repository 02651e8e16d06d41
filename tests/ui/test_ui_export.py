"""Pilot tests of the export dialog: format from the extension, validation, overwrite prompt, progress, result."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import polars as pl

from pdxtui.ui.screens.confirm import ConfirmScreen
from pdxtui.ui.screens.export import ExportScreen, complete_path
from tests.support.uihelpers import demo_app, screen_text, settle, text_of

SIZE = (140, 42)
HERITAGE = "63d4fe31021075f62edebe781978c0fc_26"
PARKS_TREES = "942034da708da9f6719188b66b3f8782_220"


async def open_dialog(pilot, dataset_id: str = HERITAGE) -> ExportScreen:
    await settle(pilot)
    pilot.app.screen.open_dataset(dataset_id)
    await settle(pilot)
    await pilot.press("ctrl+e")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ExportScreen)
    return pilot.app.screen


async def test_format_follows_the_extension_and_problems_show_inline(tmp_path):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot)
        path = dialog.query_one("#path")
        path.value = str(tmp_path / "trees.parquet")
        await pilot.pause()
        assert dialog.chosen_format() == "parquet"
        assert not dialog.query_one("#opt-parquet").has_class("hidden") and dialog.query_one("#opt-csv").has_class(
            "hidden"
        )
        path.value = str(tmp_path / "trees.xyz")
        await pilot.pause()
        assert "unknown file extension '.xyz'" in text_of(dialog.query_one("#path-note"))
        path.value = str(tmp_path / "no-such-folder" / "trees.csv")
        await pilot.pause()
        assert text_of(dialog.query_one("#path-note"))  # the missing folder is reported before anything runs
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen) and not (tmp_path / "no-such-folder").exists()


async def test_geojson_is_refused_without_geometry(tmp_path):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, "e5239d11143312e293ded5be6cfeaab4_11")  # Business Districts: no points
        dialog.query_one("#path").value = str(tmp_path / "districts.geojson")
        await pilot.pause()
        assert "GeoJSON export needs point geometry" in text_of(dialog.query_one("#format-note"))
        assert dialog.query_one("#go").disabled


async def test_export_loaded_rows_with_chosen_columns(tmp_path):
    app = demo_app()
    target = tmp_path / "heritage.csv"
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot)
        assert dialog.request.read_at == pilot.app.screen_stack[-2].preview_pane.preview.read_at  # the grid's
        read_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # (an earlier time, so that "now" would not pass)
        dialog.request = replace(dialog.request, read_at=read_at)
        dialog.query_one("#path").value = str(target)
        picker = dialog.query_one("#columns")
        picker.deselect_all()
        picker.select("COMMON")
        picker.select("HEIGHT")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
        done = [str(n.message) for n in app._notifications if "wrote 338 rows" in str(n.message)]
        assert done and done[0].endswith(f"; provenance in {target}.provenance.json")
    frame = pl.read_csv(target)
    assert frame.columns == ["COMMON", "HEIGHT"] and frame.height == 338
    record = json.loads((tmp_path / "heritage.csv.provenance.json").read_text())
    assert record["export"]["rows"] == 338 and record["export"]["scope"] == "loaded"
    assert record["retrieved_at"] == "2026-01-02T03:04:05Z"  # the loaded rows were read then, not at the export
    assert [c["name"] for c in record["export"]["columns"]] == ["COMMON", "HEIGHT"]
    assert record["dataset"]["sample"] and record["query"]["url"] is None  # the bundled snapshot: no request


async def test_a_sidecar_left_alone_is_asked_about_once_before_anything_runs(tmp_path):
    """Only FILE.provenance.json is there (the file was deleted): the dialog asks up front, naming it, instead of
    running the export into a "use --force" failure; yes replaces it with this export's record."""
    app = demo_app()
    target = tmp_path / "left.csv"
    sidecar = tmp_path / "left.csv.provenance.json"
    sidecar.write_text('{"old": true}\n')
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot)
        dialog.query_one("#path").value = str(target)
        await pilot.pause()
        assert "left.csv.provenance.json exists" in text_of(dialog.query_one("#path-note"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        asked = f"{app.screen.question} {app.screen.detail}"
        assert asked.startswith(f"{sidecar} exists") and "--force" not in asked
        assert "provenance record" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
    assert json.loads(sidecar.read_text())["export"]["rows"] == 338


def test_the_replace_question_names_every_file_in_the_way(tmp_path):
    from pdxtui.export import in_the_way
    from pdxtui.ui.screens.export import replace_question

    target = tmp_path / "a.csv"
    sidecar = tmp_path / "a.csv.provenance.json"
    assert in_the_way(target) == [] and replace_question([], True) is None
    target.write_text("x\n")
    question, _ = replace_question(in_the_way(target), True)
    assert question == f"{target} exists. Replace it?"
    sidecar.write_text("{}\n")
    question, _ = replace_question(in_the_way(target), True)
    assert question == f"{target} and its provenance record {sidecar} exist. Replace both?"
    question, detail = replace_question(in_the_way(target), False)
    assert "remove the record" in question and "without provenance" in detail
    target.unlink()
    question, _ = replace_question(in_the_way(target), True)
    assert question.startswith(f"{sidecar} exists") and "Replace it?" in question
    question, _ = replace_question(in_the_way(target), False)
    assert question == f"{sidecar} exists. Replace the file and remove the record?"
    assert all("--force" not in q for q in (question, detail))


def test_the_provenance_choice_is_not_remembered(tmp_path):
    """Provenance on every export: turning it off is for one export; remember() keeps the folder, format and
    scope but not that (and drops what an earlier version kept)."""
    from pdxtui.model import Dataset, Query
    from pdxtui.state import load_state, save_state
    from pdxtui.ui.screens.export import ExportRequest

    state = tmp_path / "export.json"
    save_state(state, {"provenance": False, "format": "csv"})
    request = ExportRequest(Dataset(id="d", title="D"), None, pl.DataFrame({"a": [1]}), Query(), 1, ("a",))
    ExportScreen(request, state_file=state).remember(str(tmp_path / "x.parquet"), "parquet", "loaded")
    kept = load_state(state)
    assert "provenance" not in kept and kept["format"] == "parquet" and kept["folder"] == str(tmp_path)


async def test_whole_dataset_export_with_progress_and_overwrite_prompt(tmp_path):
    app = demo_app()
    target = tmp_path / "parks.ndjson"
    target.write_text("old\n")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, PARKS_TREES)
        dialog.query_one("#path").value = str(target)
        await pilot.pause()
        assert "exists" in text_of(dialog.query_one("#path-note"))
        dialog.query_one("#scope-dataset").value = True
        await pilot.pause()
        assert dialog.scope() == "dataset"
        seen: list[int] = []
        original = dialog._progress
        dialog._progress = lambda step: (seen.append(step.rows), original(step))  # type: ignore[method-assign]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert seen and seen[-1] == 25_534
    lines = target.read_text().splitlines()
    assert len(lines) == 25_534
    assert json.loads(lines[-1])["OBJECTID"] == 25_534


async def test_declining_the_overwrite_keeps_the_file(tmp_path):
    app = demo_app()
    target = tmp_path / "keep.csv"
    target.write_text("precious\n")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot)
        dialog.query_one("#path").value = str(target)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
    assert target.read_text() == "precious\n"


def test_tab_completion_of_folders(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "extra").mkdir()
    assert complete_path(str(tmp_path / "exp")) == str(tmp_path / "exports") + "/"
    assert complete_path(str(tmp_path / "e")) == str(tmp_path / "ex")
    assert complete_path(str(tmp_path / "zzz")) == str(tmp_path / "zzz")


# --- layout, defaults and what the dialog remembers (issue 16) --------------------------------------------------


async def _tab_through(pilot, dialog, presses: int = 14) -> list:
    """Press Tab through the dialog: every widget it reaches must be on screen, inside the dialog, whole."""
    frame = dialog.query_one("#export-dialog").region
    reached = []
    for _ in range(presses):
        await pilot.press("tab")
        await pilot.pause()
        widget = pilot.app.focused
        reached.append(widget.id)
        region = widget.region
        assert region.area and frame.contains_region(region), (widget, region, frame)
    return reached


async def test_every_part_of_the_dialog_is_reachable_and_visible_at_80x24():
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot)
        assert app.focused is dialog.query_one("#path")  # opens with the file name focused
        shown = screen_text(app)
        for text in (
            "Delimiter",
            "Header row",
            "Quoting",
            "Empty values as",
            "The loaded rows (338)",
            "Export (ctrl+s)",
        ):
            assert text in shown, text
        reached = await _tab_through(pilot, dialog)
        for ident in ("format", "delimiter", "header", "quote", "null", "scope", "columns", "close", "go"):
            assert ident in reached, (ident, reached)


async def test_the_csv_options_fit_at_140_columns():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot)
        frame = dialog.query_one("#export-dialog").region
        for ident in ("#delimiter", "#header", "#quote", "#null"):
            region = dialog.query_one(ident).region
            assert region.area and frame.contains_region(region), (ident, region, frame)
        await _tab_through(pilot, dialog)


async def test_with_a_filter_on_the_default_scope_is_every_matching_row():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_dataset(PARKS_TREES)
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        pane.grid.focus()
        await pilot.press("f", *"Condition = 'Good'", "enter")
        await settle(pilot)
        assert pane.preview.total > pane.preview.shown == 1000
        await pilot.press("ctrl+e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        assert dialog.scope() == "filtered"
        assert dialog.rows_for_scope() == pane.preview.total
        assert dialog.query_one("#scope-filtered").value and not dialog.query_one("#scope-loaded").value


async def test_the_dialog_remembers_folder_format_and_scope(tmp_path):
    app = demo_app()
    folder = tmp_path / "exports"
    folder.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot)
        assert dialog.scope() == "loaded" and dialog.chosen_format() == "csv"  # nothing remembered yet
        dialog.query_one("#path").value = str(folder / "first.parquet")
        dialog.query_one("#scope").focus()
        await pilot.press("down", "enter")  # the whole dataset
        await pilot.pause()
        assert dialog.scope() == "dataset"
        assert dialog.query_one("#provenance").value  # on by default
        dialog.query_one("#provenance").focus()
        await pilot.press("space")  # off, for this export only
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
        assert sorted(p.name for p in folder.iterdir()) == ["first.parquet"]  # no sidecar
        await pilot.press("ctrl+e")
        await pilot.pause()
        again = app.screen
        assert isinstance(again, ExportScreen)
        path = again.query_one("#path").value
        assert path == str(folder / "heritage-trees.parquet"), path
        assert again.chosen_format() == "parquet" and again.scope() == "dataset"
        assert again.query_one("#provenance").value  # on again: provenance on every export, never remembered off
        assert not again.query_one("#opt-parquet").has_class("hidden")


async def test_a_corrupt_or_unwritable_state_file_never_stops_the_dialog(tmp_path):
    from pdxtui.state import state_path

    state = state_path("export")
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_bytes(b"\xff{not json")
    app = demo_app()
    target = tmp_path / "out.csv"
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot)
        assert dialog.scope() == "loaded" and dialog.chosen_format() == "csv"
        state.unlink()
        state.mkdir()  # a folder where the file should be: it cannot be written
        dialog.query_one("#path").value = str(target)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
    assert pl.read_csv(target).height == 338
    assert state.is_dir()


async def test_remembered_choices_that_no_longer_fit_fall_back(tmp_path):
    import json as json_

    from pdxtui.state import state_path

    state = state_path("export")
    state.parent.mkdir(parents=True, exist_ok=True)
    gone = tmp_path / "gone"
    state.write_text(json_.dumps({"folder": str(gone), "format": "geojson", "scope": "sideways", "scope_filtered": 3}))
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, "e5239d11143312e293ded5be6cfeaab4_11")  # no points: GeoJSON cannot hold it
        assert dialog.chosen_format() == "csv" and dialog.scope() == "loaded"
        assert not dialog.query_one("#path").value.startswith(str(gone))
