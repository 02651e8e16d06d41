"""Charts in the real app (Pilot, real key presses): map, histogram, top values and time series of the street-tree
sample, colour column, bins, zoom, resize, the filter, the stats pane, the palette, and drawing off the UI thread."""

from __future__ import annotations

import threading

from pdxtui.ui.screens.browse import BrowseScreen
from pdxtui.ui.screens.chart import ChartScreen
from pdxtui.ui.widgets.chart import ChartCanvas
from tests.support.uihelpers import demo_app, screen_text, settle, text_of, wait_for

SIZE = (140, 42)


async def open_trees(pilot, column: str | None = None) -> None:
    await settle(pilot)
    await pilot.press(*"street tree", "enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    pane = pilot.app.screen.query_one("#preview")
    pane.grid.focus()
    if column is not None:
        pane.grid.move_cursor(column=pane.view.columns.index(column))
    await pilot.pause()


def line(app, name: str) -> str:
    return text_of(app.screen.query_one(f"#chart-{name}"))


def canvas_text(app) -> str:
    return "\n".join(t.plain for t in app.screen.query_one(ChartCanvas)._lines)


async def test_map_from_the_grid_colour_zoom_density_and_back():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_trees(pilot)
        await pilot.press("m")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChartScreen) and screen.kind == "map"
        assert "Map of Street Tree Inventory" in line(app, "title")
        assert "The 1,000 loaded rows of 252,184" in line(app, "scope") and "no filter" in line(app, "scope")
        status = line(app, "status")
        assert "1,000 of 1,000 points drawn (points" in status and "°N" in status and "°W" in status
        legend = line(app, "legend")
        assert legend.startswith("Colour: Condition") and "Good (" in legend
        assert any(0x2800 < ord(ch) <= 0x28FF for ch in canvas_text(app))  # braille dots were drawn

        await pilot.press("c")  # the next colour column
        await settle(pilot)
        assert line(app, "legend").startswith("Colour: MATURE_SIZE")

        before = canvas_text(app)
        await pilot.press("plus", "plus")  # zoom 4×: fewer points in view
        await settle(pilot)
        status = line(app, "status")
        assert "zoom 4×" in status
        drawn = int(status.split(" · ")[1].split(" of ")[0].replace(",", ""))
        assert 0 < drawn < 1000
        assert canvas_text(app) != before
        await pilot.press("right")  # pan east: the bounding box moves
        await settle(pilot)
        west_before = status.split("°N, ")[1].split("°W")[0]
        assert line(app, "status").split("°N, ")[1].split("°W")[0] != west_before
        await pilot.press("0")
        await settle(pilot)
        assert "zoom 1×" in line(app, "status") and "1,000 of 1,000 points drawn" in line(app, "status")

        await pilot.press("D")  # density shading instead of points
        await settle(pilot)
        assert "(density)" in line(app, "status") and line(app, "legend").startswith("Density")

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)


async def test_histogram_bins_change_with_keys():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_trees(pilot, "DIAMETER")
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen) and app.screen.kind == "histogram"
        assert "Histogram of DIAMETER" in line(app, "title")
        assert line(app, "legend").startswith("20 bins of")
        await pilot.press("plus")
        await settle(pilot)
        assert line(app, "legend").startswith("30 bins of")
        await pilot.press("minus", "minus", "minus")
        await settle(pilot)
        assert line(app, "legend").startswith("10 bins of")
        assert "█" in canvas_text(app)
        await pilot.press("0")
        await settle(pilot)
        assert line(app, "legend").startswith("20 bins of")


async def test_top_values_and_time_series():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_trees(pilot, "Genus")
        await pilot.press("v")
        await settle(pilot)
        assert app.screen.kind == "bars" and "Top values of Genus" in line(app, "title")
        assert line(app, "legend").startswith("15 commonest of")
        assert canvas_text(app).splitlines()[0].startswith("Acer")  # the commonest genus in the sample
        await pilot.press("minus")
        await settle(pilot)
        assert line(app, "legend").startswith("10 commonest of")
        await pilot.press("escape")
        await settle(pilot)

        pane = app.screen.query_one("#preview")
        pane.grid.move_cursor(column=pane.view.columns.index("Date_Inventoried"))
        await pilot.press("v")
        await settle(pilot)
        assert app.screen.kind == "timeseries"
        assert line(app, "legend").startswith("rows per month") and "chosen from the span" in line(app, "legend")
        await pilot.press("minus")  # coarser
        await settle(pilot)
        assert line(app, "legend").startswith("rows per year") and "fixed" in line(app, "legend")
        await pilot.press("plus", "plus", "plus")  # finer than fits: weeks need ~490 columns
        await settle(pilot)
        legend = line(app, "legend")
        assert legend.startswith("rows per month") and "would need more columns" in legend
        await pilot.press("minus", "minus", "minus", "minus")  # day → week → month → year → 2 years
        await settle(pilot)
        legend = line(app, "legend")
        assert legend.startswith("rows per 2 years") and "buckets of 2 years" in legend, legend
        assert "2 years buckets" in line(app, "status")


async def test_charts_redraw_on_resize():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_trees(pilot, "DIAMETER")
        await pilot.press("m")
        await settle(pilot)
        canvas = app.screen.query_one(ChartCanvas)
        wide = canvas.drawn_size
        await pilot.resize_terminal(90, 30)
        await settle(pilot)
        assert canvas.drawn_size == (canvas.size.width, canvas.size.height) != wide
        lines = canvas._lines
        assert len(lines) == canvas.size.height and max(len(t.plain) for t in lines) <= canvas.size.width
        assert "1,000 of 1,000 points drawn" in line(app, "status")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await pilot.resize_terminal(120, 36)
        await settle(pilot)
        canvas = app.screen.query_one(ChartCanvas)
        assert canvas.drawn_size == (canvas.size.width, canvas.size.height)
        assert max(len(t.plain) for t in canvas._lines) <= canvas.size.width


async def test_charts_follow_the_filter():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_trees(pilot)
        await pilot.press("f", *"Condition != Good", "enter")
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        matching = pane.preview.total
        assert matching is not None and matching < 252184
        await pilot.press("m")
        await settle(pilot)
        scope = line(app, "scope")
        assert "filter Condition != Good (applied by the portal)" in scope
        assert f"The 1,000 loaded rows of {matching:,} matching (L in the grid loads all)" in scope
        legend = line(app, "legend")
        assert (
            legend.startswith("Colour: Condition")
            and "Dead (" in legend
            and "Poor (" in legend
            and "Good" not in legend
        )
        assert "1,000 of 1,000 points drawn" in line(app, "status")


async def test_chart_from_the_stats_pane_and_the_palette():
    from pdxtui.ui.widgets.stats import StatsPane

    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_trees(pilot, "DIAMETER")
        await pilot.press("s")
        await settle(pilot)
        stats = app.screen.query_one(StatsPane)
        assert stats.column == "DIAMETER"
        stats.focus()
        await pilot.pause()
        assert "v Chart" in screen_text(app).splitlines()[-1]  # the footer offers it
        await pilot.press("v")
        await settle(pilot)
        assert (
            isinstance(app.screen, ChartScreen) and app.screen.kind == "histogram" and app.screen.column == "DIAMETER"
        )
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Map of the rows")
        await wait_for(
            pilot,
            lambda: (
                "Map of the rows" in "".join(str(o.prompt) for o in app.screen.query("CommandList").first()._options)
                if app.screen.query("CommandList")
                else False
            ),
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChartScreen))
        await settle(pilot)
        assert app.screen.kind == "map" and "points drawn" in line(app, "status")


async def test_no_map_without_coordinates():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"council districts", "enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#preview").grid.focus()
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)
        assert any("No map" in str(n.message) for n in app._notifications)


async def test_map_of_all_street_trees_is_a_density_map():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_trees(pilot)
        await pilot.press("L")
        await pilot.pause()
        await pilot.press("y")  # more than 100,000 rows: it asks first
        pane = app.screen.query_one("#preview")
        await wait_for(pilot, lambda: pane.preview is not None and pane.preview.shown == 252184, timeout=60)
        await settle(pilot)
        pane.grid.focus()
        await pilot.press("m")
        await settle(pilot)
        assert "All 252,184 rows of the dataset" in line(app, "scope")
        assert "252,184 of 252,184 points drawn (density, automatic)" in line(app, "status")
        assert line(app, "legend").startswith("Density")


async def test_drawing_runs_off_the_ui_thread():
    """A slow picture does not block keys: the screen answers while the painter is still working."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_trees(pilot)
        await pilot.press("m")
        await settle(pilot)
        screen = app.screen
        release = threading.Event()
        started = threading.Event()
        threads = []
        real = screen.painter

        def slow_painter():
            paint = real()

            def painter(cols, rows):
                threads.append(threading.current_thread())
                started.set()
                release.wait(10)
                return paint(cols, rows)

            return painter

        screen.painter = slow_painter
        await pilot.press("c")  # redraw with the next colour column: the painter blocks
        await wait_for(pilot, started.is_set)
        assert threads[0] is not threading.main_thread()
        assert not screen.canvas.idle
        await pilot.press("c")  # keys still work while it draws
        assert screen.colour_index == 2
        release.set()
        await settle(pilot)
        assert screen.canvas.idle and line(app, "legend").startswith("Colour: " + screen.colour_column)


async def test_polygon_outlines_from_the_arcgis_layer(fake_arcgis):
    """The fake ArcGIS server's council districts (polygons): fetched in WGS 84 and drawn as outlines."""
    import stamina

    from pdxtui.session import open_session
    from pdxtui.ui.app import PdxApp
    from tests.support.fakeportal.fixtures import DATASETS

    districts = DATASETS["council_districts"]
    with stamina.set_testing(True, attempts=3, cap=True):
        app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.screen.open_dataset(districts.id)
            await settle(pilot)
            pane = app.screen.query_one("#preview")
            assert "geometry" in pane.preview.frame.columns
            queries = [
                r for r in fake_arcgis.requests if r.path.endswith("/query") and "returnCountOnly" not in r.params
            ]
            assert any(r.params.get("returnGeometry") == "true" and r.params.get("outSR") == "4326" for r in queries)
            pane.grid.focus()
            await pilot.press("m")
            await settle(pilot)
            assert isinstance(app.screen, ChartScreen)
            # no column sorts four districts into kinds (names and numbers are all different): plain outlines
            assert app.screen.colour_column is None
            assert line(app, "legend").startswith(f"▭ Outlines of {districts.row_count} shapes")
            assert "NAME" in app.screen.colours  # c still colours them by a column, names included
            for _ in range(len(app.screen.colours)):
                await pilot.press("c")
                await settle(pilot)
                if app.screen.colour_column == "NAME":
                    break
            legend = line(app, "legend")
            assert legend.startswith("Colour: NAME") and "District 1 (1)" in legend  # outlines coloured by a column
            assert f"outlines of {districts.row_count} shapes" in legend
            while app.screen.colour_column is not None:  # c to the end of the colour columns: plain outlines again
                await pilot.press("c")
                await settle(pilot)
            assert line(app, "legend").startswith(f"▭ Outlines of {districts.row_count} shapes")
            status = line(app, "status")
            assert f"{districts.row_count} shapes" in status and "°N" in status  # no points: the extent of the shapes
            drawn = canvas_text(app)
            assert sum(0x2800 < ord(ch) <= 0x28FF for ch in drawn) > 50  # the outlines are on the canvas


async def test_a_map_with_no_located_rows_says_so():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_trees(pilot)
        await pilot.press("f", *"DIAMETER > 100000", "enter")  # nothing matches
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        assert "No rows with a latitude and longitude" in canvas_text(app)
        assert line(app, "status") == ""
        await pilot.press("v")  # not a chart key: nothing happens, the screen stays
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)


async def test_charts_follow_a_filter_applied_to_the_loaded_rows():
    """A portal that cannot filter on its server: the filter narrows the loaded rows, and so does the chart."""
    from pdxtui.portals.bundled import BundledPortal
    from pdxtui.service import Service
    from pdxtui.ui.app import PdxApp

    portal = BundledPortal(name="demo")
    portal.capabilities = frozenset()
    app = PdxApp(Service(portal))
    async with app.run_test(size=SIZE) as pilot:
        await open_trees(pilot, "DIAMETER")
        await pilot.press("f", *"Condition = Poor", "enter")
        await settle(pilot)
        pane = app.screen.query_one("#preview")
        assert pane.local_where == "Condition = Poor"
        poor = pane.view.height
        assert 0 < poor < 1000
        pane.grid.focus()
        await pilot.press("m")
        await settle(pilot)
        scope = line(app, "scope")
        assert f"filter Condition = Poor (on the loaded rows: {poor:,} match)" in scope
        assert f"{poor:,} of {poor:,} points drawn" in line(app, "status")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert app.screen.kind == "histogram"
        assert app.screen.source.frame.height == poor  # the histogram counts the filtered rows only


async def _map_of(pilot, title: str) -> None:
    from pdxtui.model import SearchRequest
    from pdxtui.portals.bundled import BundledPortal

    result = await BundledPortal().search(SearchRequest(limit=100))
    await settle(pilot)
    pilot.app.screen.open_dataset(next(hit.id for hit in result.hits if hit.title == title))
    await settle(pilot)
    pilot.app.screen.query_one("#preview").grid.focus()
    await pilot.press("m")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ChartScreen)


async def test_the_map_opens_coloured_by_a_kind_of_row_never_by_free_text():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await _map_of(pilot, "Heritage Trees")  # NOTES (free text, few values) comes before Ownership
        legend = line(app, "legend")
        assert legend.startswith("Colour: Ownership") and "Private (" in legend
        assert "NOTES" in app.screen.colours  # still offered by c
        await pilot.press("escape")
        await settle(pilot)
        await _map_of(pilot, "Bicycle Parking")
        assert line(app, "legend").startswith("Colour: Rack_Type")
