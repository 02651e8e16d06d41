"""Numbers in the grid on every portal: thousands separators, decimals lined up on the point, ids, codes and years
without separators, right-aligned; and what the copy keys put on the clipboard (plain numbers, 26 not 26.0)."""

from __future__ import annotations

import re

import pytest
from textual.coordinate import Coordinate

from pdxtui.session import open_session
from pdxtui.ui.app import PdxApp
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.fakeportal.socrata import INSPECTIONS
from tests.support.uihelpers import demo_app, open_in, screen_text, settle

SIZE = (140, 42)


pytestmark = pytest.mark.usefixtures("quick_retries")  # no sleeping between retries; at most 3


def painted(pane, column: str) -> list[str | None]:
    """The text the grid paints in ``column``, row by row (for the loaded rows; None for a null)."""
    grid = pane.grid
    index = pane.view.columns.index(column)
    out: list[str | None] = []
    for row in range(pane.view.height):
        cell = grid.get_cell_at(Coordinate(row, index))
        renderable = getattr(cell, "renderable", cell)
        out.append(None if cell is None else getattr(renderable, "plain", str(renderable)))
    return out


def right_edges(app, texts: list[str]) -> set[int]:
    """Where each of ``texts`` ends on the screen (all painted in one column)."""
    lines = screen_text(app).split("\n")
    edges = set()
    for text in texts:
        found = [m.end() for line in lines for m in re.finditer(r"(?<![\d,.])" + re.escape(text) + r"(?![\d,.])", line)]
        assert found, f"{text!r} is not on screen"
        edges.add(found[0])
    return edges


async def demo_id(title: str) -> str:
    from pdxtui.model import SearchRequest
    from pdxtui.portals.bundled import BundledPortal

    result = await BundledPortal().search(SearchRequest(limit=100))
    return next(hit.id for hit in result.hits if hit.title == title)


async def test_demo_grid_writes_separators_and_lines_up_decimals():
    app = demo_app()
    parks = await demo_id("Parks")
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, parks)
        acres = painted(pane, "ACRES")
        assert acres[:3] == ["37.70", "1,426.81", "2,551.11"]  # 37.7 is written 37.70, like its column
        assert {len(a) - a.index(".") for a in acres} == {3}
        assert painted(pane, "OBJECTID")[:2] == ["1", "2"]
        assert painted(pane, "PROPERTYID")[:2] == ["101", "108"]  # an id: no separators
        assert painted(pane, "YEAR_ACQUIRED")[0] == "1922"
        assert len(right_edges(app, acres[:3])) == 1  # right-aligned: the points line up on screen
        council = await demo_id("City Council Districts")
        pane = await open_in(pilot, council)
        assert painted(pane, "POPULATION")[:2] == ["162,851", "163,542"]
        assert len(right_edges(app, painted(pane, "POPULATION"))) == 1
        pane.grid.move_cursor(row=0, column=pane.view.columns.index("POPULATION"))
        await pilot.press("shift+down", "y")  # a block: the values, without the grid's separators
        assert app.clipboard == "162851\n163542"


async def test_demo_copy_keys_copy_plain_numbers():
    app = demo_app()
    heritage = await demo_id("Heritage Trees")
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, heritage)
        view = pane.view
        assert view["HEIGHT"].dtype.is_float() and view["HEIGHT"][0] == 158.0
        pane.grid.move_cursor(row=0, column=view.columns.index("HEIGHT"))
        await pilot.press("y")
        assert app.clipboard == "158"
        await pilot.press("Y")
        header, row = app.clipboard.split("\n")
        cells = dict(zip(header.split("\t"), row.split("\t")))
        assert cells["HEIGHT"] == "158" and cells["DIAMETER"] == str(view["DIAMETER"][0])
        assert "," not in cells["OBJECTID"] and ".0" not in row


async def test_arcgis_grid_numbers(fake_arcgis):
    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"))
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, DATASETS["permits"].id)
        values = pane.view["VALUATION"].to_list()
        texts = painted(pane, "VALUATION")
        assert texts[0] == f"{values[0]:,.2f}" and "," in texts[0]
        assert {len(t) - t.index(".") for t in texts if t} == {3}
        ids = painted(pane, "OBJECTID")
        assert ids[-1] == str(pane.view["OBJECTID"][-1]) and "," not in ids[-1]
        pane.grid.move_cursor(column=pane.view.columns.index("VALUATION"))  # scrolled into view
        await settle(pilot)
        assert len(right_edges(app, [t for t in texts[:6] if t])) == 1


async def test_socrata_whole_float_ids_and_decimals(fake_socrata):
    app = PdxApp(session=open_session(portal=f"socrata:{fake_socrata.url}"))
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, INSPECTIONS.id)
        assert pane.view["inspection_id"].dtype.is_float()  # a Socrata "number"
        first = pane.view["inspection_id"][0]
        assert painted(pane, "inspection_id")[0] == str(int(first))  # 2002442: whole, an id, no separators
        scores = painted(pane, "score")
        assert all(re.fullmatch(r"\d+\.\d", s) for s in scores if s), scores[:5]
        pane.grid.move_cursor(row=0, column=0)
        await pilot.press("Y")
        header, row = app.clipboard.split("\n")
        assert dict(zip(header.split("\t"), row.split("\t")))["inspection_id"] == str(int(first))


async def test_socrata_whole_diameters_copy_without_a_fraction(fake_socrata):
    from tests.support.fakeportal.socrata.data import TREES

    app = PdxApp(session=open_session(portal=f"socrata:{fake_socrata.url}"))
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, TREES.id)
        column = pane.view.columns.index("dbh")
        row = next(i for i, v in enumerate(pane.view["dbh"].to_list()) if v is not None)
        value = pane.view["dbh"][row]
        assert value == int(value)
        assert painted(pane, "dbh")[row] == str(int(value))
        pane.grid.move_cursor(row=row, column=column)
        await pilot.press("y")
        assert app.clipboard == str(int(value))  # 26, not 26.0
        await pilot.press("enter")  # the cell view copies the same
        await settle(pilot)
        from pdxtui.ui.screens.cell import CellScreen

        assert isinstance(app.screen, CellScreen)
        app.copy_to_clipboard("")
        await pilot.press("y")
        assert app.clipboard == str(int(value))


async def test_ckan_datastore_and_csv_numbers(fake_ckan):
    app = PdxApp(session=open_session(portal=f"ckan:{fake_ckan.url}"))
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_in(pilot, "city-budget")
        amounts = painted(pane, "amount")
        first = pane.view["amount"][0]
        assert amounts[0].replace(",", "").rstrip("0").rstrip(".") == repr(first).rstrip("0").rstrip(".")
        assert "," in amounts[0]  # 1,920,780.4…
        assert len({len(a) - a.index(".") for a in amounts if "." in a}) == 1
        pane = await open_in(pilot, "street-trees")
        assert painted(pane, "tree_id")[0] == "100000"  # an id
        pane = await open_in(pilot, "bike-counts")  # a CSV resource, typed by its header and values
        riders = painted(pane, "riders")
        assert riders[0] == f"{pane.view['riders'][0]:,}"
        assert all(len(s) - s.index(".") == 3 for s in painted(pane, "avg_speed_mph") if s)
