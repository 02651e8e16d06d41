"""The schema pane shows the latitude/longitude columns made from an ArcGIS point layer's geometry as Double."""

from __future__ import annotations

import pytest

from pdxtui.session import open_session
from pdxtui.ui.app import PdxApp
from tests.support.fakeportal.fixtures import DATASETS
from tests.support.uihelpers import settle

HERITAGE = DATASETS["heritage_trees"]


pytestmark = pytest.mark.usefixtures("quick_retries")  # no sleeping between retries; at most 3


async def test_schema_pane_types_the_coordinates_as_double(fake_arcgis):
    from pdxtui.ui.widgets.schema import SchemaPane

    app = PdxApp(session=open_session(portal=f"arcgis:{fake_arcgis.url}/hub"), open_id=HERITAGE.id)
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        schema = app.screen.query_one(SchemaPane)
        types = {str(schema.get_row_at(i)[0]): str(schema.get_row_at(i)[1]) for i in range(schema.row_count)}
        assert types["latitude"] == "Double" and types["longitude"] == "Double"
        assert not any("Geometry" in kind for kind in types.values())
