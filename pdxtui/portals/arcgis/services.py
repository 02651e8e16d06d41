"""What a Hub record can be besides one layer: a map service with several layers and tables (its ``url`` is the
service root), one layer of such a service asked for as ``ITEMID_N``, or an item that is not a layer at all (a
CSV file, a spreadsheet, a PDF, a web map): its kind in words and where its bytes or page are."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from pdxtui.model import Layer, as_text

_SERVICE_URL = re.compile(r"/(?:MapServer|FeatureServer)$", re.IGNORECASE)
_ITEM_LAYER = re.compile(r"^([0-9a-fA-F]{32})_(\d+)$")

#: Hub record types of items that are files or pages, in words ("is a ...")
ITEM_KINDS = {
    "csv": "a CSV file",
    "csv collection": "a collection of CSV files",
    "microsoft excel": "an Excel spreadsheet",
    "file geodatabase": "a file geodatabase",
    "shapefile": "a shapefile",
    "pdf": "a PDF document",
    "web map": "a web map",
    "web mapping application": "a web mapping application",
    "document link": "a link to a document",
    "geojson": "a GeoJSON file",
    "kml": "a KML file",
    "image": "an image",
    "map service": "a map service",
}
#: item types whose bytes are a file (``/sharing/rest/content/items/{id}/data``); the rest are pages
FILE_TYPES = frozenset({"csv", "microsoft excel", "file geodatabase", "shapefile", "pdf", "geojson", "kml", "image"})


def service_root(url: Any) -> str:
    """The service root a record's ``url`` names (``…/MapServer`` or ``…/FeatureServer``), else ""."""
    if not isinstance(url, str):
        return ""
    url = url.strip().split("?", 1)[0].rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not _SERVICE_URL.search(parts.path):
        return ""
    return url


def item_layer(ident: str) -> tuple[str, int] | None:
    """(bare item id, layer number) for a Hub layer id ``ITEMID_N``, else None."""
    match = _ITEM_LAYER.match(ident.strip())
    return (match.group(1), int(match.group(2))) if match else None


def service_layers(item_id: str, info: dict[str, Any]) -> tuple[Layer, ...]:
    """The layers and tables a service's JSON lists (``layers[{id,name,type}]``, ``tables[{id,name}]``), each as
    ``ITEMID_N``. Group layers (no rows of their own) are left out."""
    out: list[Layer] = []
    for key, kind in (("layers", "layer"), ("tables", "table")):
        entries = info.get(key)
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, dict):
                continue
            number = entry.get("id")
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                continue
            if as_text(entry.get("type")).lower() == "group layer" or entry.get("subLayerIds"):
                continue
            name = as_text(entry.get("name")) or f"{kind} {number}"
            out.append(Layer(id=f"{item_id}_{number}", title=name, kind=kind))
    return tuple(out)


def layer_title(service_title: str, layer_name: str) -> str:
    """``Service title – Layer name`` (just one of them when the other is missing or the same)."""
    if not layer_name or layer_name == service_title:
        return service_title or layer_name
    return f"{service_title} – {layer_name}" if service_title else layer_name


def item_kind(record_type: str) -> str:
    """What an item is, in words: ``a PDF document``; an unknown type is named as the record names it."""
    known = ITEM_KINDS.get(record_type.strip().lower())
    if known:
        return known
    return f"an item of type {record_type.strip()!r}" if record_type.strip() else "an item of unknown type"


def sharing_root(site: str) -> str:
    """Where an item's content lives (``{portal}/sharing/rest``): www.arcgis.com for a Hub site hosted by ArcGIS
    Online (``*.opendata.arcgis.com``, ``*.hub.arcgis.com``), else the site's own origin (an Enterprise portal)."""
    parts = urlsplit(site)
    host = (parts.hostname or "").lower()
    if host.endswith((".opendata.arcgis.com", ".hub.arcgis.com")) or host == "hub.arcgis.com":
        return "https://www.arcgis.com/sharing/rest"
    return f"{parts.scheme}://{parts.netloc}/sharing/rest"


def item_data_url(site: str, item_id: str) -> str:
    """The item's bytes: ``{portal}/sharing/rest/content/items/{id}/data``."""
    return f"{sharing_root(site)}/content/items/{quote(item_id, safe='')}/data"


def is_file(record_type: str) -> bool:
    return record_type.strip().lower() in FILE_TYPES


def is_csv(record_type: str) -> bool:
    return record_type.strip().lower() == "csv"


def several_note(layers: tuple[Layer, ...]) -> str:
    """What a map service with several layers says instead of rows: how many layers and tables it holds."""
    tables = sum(1 for item in layers if item.kind == "table")
    parts = [f"{len(layers) - tables} layer{'s' if len(layers) - tables != 1 else ''}"]
    if tables:
        parts.append(f"{tables} table{'s' if tables != 1 else ''}")
    return f"This map service holds {' and '.join(parts)}: open one of them to see its rows."
