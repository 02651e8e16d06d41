"""The map: its data (coordinates, colours, outlines) and :func:`draw_map`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.text import Text

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.model import Field
from pdxtui.charts.bins import top_values, value_label
from pdxtui.charts.canvas import (
    DENSITY_COLOURS,
    DENSITY_POINTS,
    MAX_CATEGORIES,
    OTHER_COLOUR,
    OUTLINE_COLOUR,
    PALETTE,
    Extent,
    Raster,
    data_extent,
    density,
    density_levels,
    dot_indices,
    to_dots,
    valid_points,
)

# -- the map -----------------------------------------------------------------------------------------------------------


@dataclass
class MapData:
    """What the map draws, taken once from the rows: coordinates, category codes and outlines."""

    lon: np.ndarray
    lat: np.ndarray
    category: np.ndarray | None = None  # 0..len(labels)-1, len(labels) for "other", per point
    labels: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()  # points per label, then "other"
    colour_column: str | None = None
    # outline segments in lon/lat (x0, y0, x1, y1), from polygon rings and line paths
    segments: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    segment_rows: np.ndarray | None = None  # the row each segment belongs to
    shapes: int = 0  # rows with an outline
    valid: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if self.valid.size != self.lon.size:
            self.valid = valid_points(self.lon, self.lat)

    @property
    def points(self) -> int:
        return int(self.valid.sum())

    def extent(self) -> Extent | None:
        boxes = []
        if self.segments is not None and self.segments[0].size:
            x0, y0, x1, y1 = self.segments
            xs, ys = np.concatenate((x0, x1)), np.concatenate((y0, y1))
            boxes.append(Extent(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())))
        return data_extent(self.lon, self.lat, boxes)


#: the map's default colour column has at most this many distinct values among the rows
DEFAULT_COLOUR_VALUES = 12
_MAX_CHOICE_VALUES = 30  # columns with more values are never offered
_LONG_TEXT = 40  # text values longer than this on average describe rather than sort


def colour_candidates(
    frame: pl.DataFrame, skip: Sequence[str] = (), sample: int = 20_000, fields: Sequence[Field] = ()
) -> list[str]:
    """Columns worth colouring the map by, best first: text, yes/no and whole-number columns with 2 to 30 distinct
    values (in the first ``sample`` rows), never ids. Kinds of rows come first (the default): at most
    :data:`DEFAULT_COLOUR_VALUES` values that repeat, not names, addresses or descriptions, text before numbers;
    then the other columns with few values. Within a group, those with at most :data:`MAX_CATEGORIES` values (one
    colour each) come first, then column order."""
    return [name for _, name in _ranked_colours(frame, skip, sample, fields)]


def colour_choices(
    frame: pl.DataFrame, skip: Sequence[str] = (), sample: int = 20_000, fields: Sequence[Field] = ()
) -> list[str | None]:
    """What ``c`` on the map cycles through, the first being how the map opens: the columns of
    :func:`colour_candidates` and None (no colour). None comes first when no column sorts the rows into a few
    kinds (plain dots rather than colours that mean nothing), last otherwise."""
    ranked = _ranked_colours(frame, skip, sample, fields)
    names: list[str | None] = [name for _, name in ranked]
    return [*names, None] if ranked and ranked[0][0] else [None, *names]


def _mean_length(values: pl.Series) -> float:
    import polars as pl

    return float(values.to_frame("v").select(pl.col("v").cast(pl.String).str.len_chars().mean()).item() or 0)


def _ranked_colours(
    frame: pl.DataFrame, skip: Sequence[str], sample: int, fields: Sequence[Field]
) -> list[tuple[bool, str]]:
    """(fit for the default, name) of every column that may colour the map, best first."""
    import polars as pl

    from pdxtui.frames import is_descriptive_text, is_identifier

    by_name = {f.name: f for f in fields}
    head = frame.head(sample)
    found = []
    for position, (name, dtype) in enumerate(frame.schema.items()):
        field = by_name.get(name)
        if name in skip or is_identifier(name, field):
            continue
        text = dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))
        values = head[name].drop_nulls()
        if dtype.is_float():
            whole = values.len() > 0 and bool((values.is_finite() & (values == values.round(0))).all())
            if not whole:
                continue
        elif not (text or dtype == pl.Boolean or dtype.is_integer()):
            continue
        distinct = values.n_unique()
        if not 2 <= distinct <= _MAX_CHOICE_VALUES:
            continue
        kind = (
            distinct <= DEFAULT_COLOUR_VALUES
            and values.len() >= 2 * distinct  # values repeat: each stands for several rows
            and not (text and is_descriptive_text(name, field))
            and not (text and _mean_length(values) > _LONG_TEXT)
        )
        number = not (text or dtype == pl.Boolean)
        found.append(((not kind, kind and number, distinct > MAX_CATEGORIES, position), kind, name))
    return [(kind, name) for _, kind, name in sorted(found)]


def map_data(
    frame: pl.DataFrame, lat: str | None, lon: str | None, colour: str | None = None, geometry: str | None = None
) -> MapData:
    """Take the map's arrays from the rows (points from ``lat``/``lon``, outlines from the ``geometry`` column)."""
    import polars as pl

    n = frame.height
    xs = frame[lon].cast(pl.Float64, strict=False).to_numpy() if lon else np.full(n, np.nan)
    ys = frame[lat].cast(pl.Float64, strict=False).to_numpy() if lat else np.full(n, np.nan)
    data = MapData(lon=np.asarray(xs, dtype=np.float64), lat=np.asarray(ys, dtype=np.float64))
    if geometry and geometry in frame.columns:
        data.segments, data.shapes, data.segment_rows = outline_segments(frame[geometry].to_list())
    if colour and colour in frame.columns:
        drawn = data.valid.copy()  # the categories are counted over the rows that are drawn: points and outlines
        if data.segment_rows is not None and data.segment_rows.size:
            drawn[data.segment_rows] = True
        series = frame[colour].filter(pl.Series(drawn)) if n else frame[colour]
        top = top_values(series, MAX_CATEGORIES)
        labels = tuple(value_label(v) for v, _ in top.values)
        codes = (
            frame[colour]
            .cast(pl.String)
            .replace_strict(
                [value_label(v) for v, _ in top.values],
                list(range(len(labels))),
                default=len(labels),
                return_dtype=pl.Int64,
            )
        )
        data.category = codes.fill_null(len(labels)).to_numpy().astype(np.int64)
        data.labels = labels
        data.counts = (*(c for _, c in top.values), top.other + top.nulls)
        data.colour_column = colour
    return data


@dataclass(frozen=True)
class MapPicture:
    lines: list[Text]
    view: Extent
    drawn: int  # points inside the view
    density: bool
    outlines: int  # segments drawn


def draw_map(data: MapData, view: Extent, cols: int, rows: int, *, density_mode: bool | None = None) -> MapPicture:
    """Draw the map of ``data`` for the box ``view`` on ``cols`` × ``rows`` cells.

    ``density_mode`` None picks density shading above :data:`DENSITY_POINTS` points in the view.
    """
    raster = Raster(cols, rows)
    ok = data.valid
    fx, fy = to_dots(data.lon[ok], data.lat[ok], view, raster.cols, raster.rows)
    x, y, inside = dot_indices(fx, fy, raster.cols, raster.rows)
    drawn = int(x.size)
    dense = drawn > DENSITY_POINTS if density_mode is None else density_mode
    outline_colour = len(PALETTE) + 1
    segs = 0
    if data.segments is not None and data.segments[0].size:
        x0, y0 = to_dots(data.segments[0], data.segments[1], view, raster.cols, raster.rows)
        x1, y1 = to_dots(data.segments[2], data.segments[3], view, raster.cols, raster.rows)
        by = (
            data.category[data.segment_rows]
            if data.category is not None and not dense and data.segment_rows is not None
            else None
        )
        raster.segments(x0, y0, x1, y1, colour=outline_colour, category=by)
        segs = int(x0.size)
    if dense:  # shades cover the outlines where there are points
        raster.shade(density_levels(density(x, y, raster.cols, raster.rows)))
        palette = [*DENSITY_COLOURS, OTHER_COLOUR, OUTLINE_COLOUR]
        return MapPicture(raster.lines(palette), view, drawn, True, segs)
    category = data.category[ok][inside] if data.category is not None else None
    raster.points(x, y, category=category, colour=0)
    palette = list(PALETTE[: len(data.labels)])
    palette += [OTHER_COLOUR] * (len(PALETTE) + 1 - len(palette)) + [OUTLINE_COLOUR]
    if data.category is None:
        palette[0] = PALETTE[0]
    return MapPicture(raster.lines(palette), view, drawn, False, segs)


def outline_segments(
    geometries: Sequence[Any],
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], int, np.ndarray]:
    """Segments (x0, y0, x1, y1 arrays) of every ring and path in a column of GeoJSON geometries (dicts or JSON
    text: Polygon, MultiPolygon, LineString, MultiLineString; other values are skipped), how many rows had one, and
    the row of each segment."""
    chains: list[np.ndarray] = []
    owners: list[int] = []
    shapes = 0
    for row, geometry in enumerate(geometries):
        if isinstance(geometry, str):
            try:
                geometry = json.loads(geometry)
            except ValueError:
                continue
        if not isinstance(geometry, dict):
            continue
        kind, coords = geometry.get("type"), geometry.get("coordinates")
        parts: Any
        if kind == "LineString":
            parts = [coords]
        elif kind in ("MultiLineString", "Polygon"):
            parts = coords
        elif kind == "MultiPolygon":
            parts = [ring for polygon in coords or () for ring in polygon]
        else:
            continue
        found = False
        for part in parts or ():
            try:
                array = np.asarray(part, dtype=np.float64)
            except (TypeError, ValueError):
                continue
            if array.ndim == 2 and array.shape[0] >= 2 and array.shape[1] >= 2:
                chains.append(array[:, :2])
                owners.append(row)
                found = True
        shapes += found
    if not chains:
        empty = np.zeros(0)
        return (empty, empty, empty, empty), shapes, np.zeros(0, dtype=np.int64)
    starts = np.concatenate([c[:-1] for c in chains])
    ends = np.concatenate([c[1:] for c in chains])
    rows = np.repeat(np.array(owners, dtype=np.int64), [len(c) - 1 for c in chains])
    return (starts[:, 0], starts[:, 1], ends[:, 0], ends[:, 1]), shapes, rows
