"""Services, ITEMID_N ids and items that are not layers: the pure parts (service JSON, ids, words, URLs), and
hostile layer names kept inert in the CLI text, the metadata pane and the picker."""

from __future__ import annotations

import pytest

from pdxtui.cli.browse import _show_text
from pdxtui.model import Dataset, Layer
from pdxtui.portals.arcgis.services import (
    item_data_url,
    item_kind,
    item_layer,
    layer_title,
    service_layers,
    service_root,
)
from tests.support.hostile import ALL_IN_ONE, CORPUS

ITEM = "0123456789abcdef0123456789abcdef"


def test_service_json_lists_layers_then_tables_and_skips_group_layers():
    info = {
        "layers": [
            {"id": 0, "name": "Parks", "type": "Feature Layer", "geometryType": "esriGeometryPolygon"},
            {"id": 1, "name": "All", "type": "Group Layer", "subLayerIds": [0]},
            {"id": "2", "name": "not a number"},
            {"id": 3, "name": "", "type": "Feature Layer"},
        ],
        "tables": [{"id": 7, "name": "Fees"}],
    }
    assert service_layers(ITEM, info) == (
        Layer(f"{ITEM}_0", "Parks", "layer"),
        Layer(f"{ITEM}_3", "layer 3", "layer"),
        Layer(f"{ITEM}_7", "Fees", "table"),
    )
    assert service_layers(ITEM, {"layers": "junk", "tables": None}) == ()


def test_ids_urls_and_words():
    assert item_layer(f"{ITEM}_12") == (ITEM, 12)
    assert item_layer(ITEM) is None and item_layer("street-trees_1") is None
    assert service_root("https://x.example/arcgis/rest/services/A/MapServer/?f=json") == (
        "https://x.example/arcgis/rest/services/A/MapServer"
    )
    assert service_root("https://x.example/arcgis/rest/services/A/FeatureServer/0") == ""
    assert service_root(None) == "" and service_root("ftp://x/MapServer") == ""
    assert layer_title("Parks", "Trees") == "Parks – Trees" and layer_title("Parks", "Parks") == "Parks"
    assert item_kind("PDF") == "a PDF document" and item_kind("Web Map") == "a web map"
    assert item_kind("Odd Thing") == "an item of type 'Odd Thing'"
    assert item_data_url("https://gis-pdx.opendata.arcgis.com", ITEM) == (
        f"https://www.arcgis.com/sharing/rest/content/items/{ITEM}/data"
    )
    assert item_data_url("http://127.0.0.1:8000/hub", ITEM).startswith("http://127.0.0.1:8000/sharing/rest/")


@pytest.mark.parametrize("name", [ALL_IN_ONE, *CORPUS.values()], ids=["all", *CORPUS])
def test_hostile_layer_names_stay_inert(name):
    from pdxtui.ui.widgets.metadata import render_layers

    ds = Dataset(id=ITEM, title=name, layers=(Layer(f"{ITEM}_0", name, "layer"), Layer(f"{ITEM}_1", name, "table")))
    text = _show_text(ds)
    assert "\x1b" not in text and "\x00" not in text
    rendered = render_layers(ds)
    assert "\x1b" not in rendered.plain and "\x00" not in rendered.plain
