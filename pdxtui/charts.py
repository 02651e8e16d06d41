"""Chart math for the map, histogram, bar and time-series views, with no Textual import.

Everything here is vectorised with numpy (and polars for the grouping), so a map of 250,000 points draws in a few
tens of milliseconds:

* :func:`coordinate_columns` finds the latitude/longitude columns, :func:`data_extent` the box around the valid
  points (nulls, NaN and out-of-range values ignored), :func:`fit_extent` widens that box so it fills the canvas
  with the right aspect for its latitude, and :func:`to_dots` projects lon/lat to braille dots.
* A braille cell is 2 dots wide and 4 dots tall and a terminal cell is about twice as tall as wide
  (:data:`CELL_ASPECT`), so dots are square; one degree of longitude is ``cos(latitude)`` times as long on the
  ground as one degree of latitude (0.70 in Portland), so x is scaled by that.
* :func:`density` counts dots per cell and :func:`density_levels` turns counts into 8 shades on a log scale (the
  map switches to this above :data:`DENSITY_POINTS` points).
* :func:`histogram`, :func:`top_values` and :func:`date_counts` (with :func:`pick_unit`) bin the data of the other
  charts; :func:`vertical_bars` and :func:`horizontal_bars` draw them with block characters (1/8 cell steps).
* :class:`Raster` is the braille canvas: points (coloured by the commonest category in each cell), line segments
  (polygon and line outlines) and density shades, rendered to Rich ``Text`` lines.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.cells import cell_len, set_cell_size
from rich.text import Text

from pdxtui.geo import coordinate_columns  # noqa: F401 (part of this module's interface)

if TYPE_CHECKING:
    import polars as pl

CELL_ASPECT = 2.0  # height of a terminal cell over its width
DOTS_X, DOTS_Y = 2, 4  # braille dots per cell
DENSITY_POINTS = 50_000  # above this many points the map shows density instead of single points
MAX_CATEGORIES = 8  # colours on the map; the rest are "other"
MIN_SPAN = 0.002  # degrees: the smallest box drawn around a single point (about 200 m)

#: braille bit for the dot at (row within the cell, column within the cell)
BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)
#: 1..8 dots filled, for density shades (index 0: empty)
SHADES = " ⡀⣀⣄⣤⣦⣶⣷⣿"
_SHADES = np.array(list(SHADES))
_BRAILLE = np.array([" "] + [chr(0x2800 + i) for i in range(1, 256)])
EIGHTHS_UP = " ▁▂▃▄▅▆▇█"
EIGHTHS_RIGHT = " ▏▎▍▌▋▊▉█"

#: colours of the categories (then "other"), and of the 8 density shades
PALETTE = (
    "bright_cyan",
    "bright_yellow",
    "bright_magenta",
    "bright_green",
    "bright_red",
    "dodger_blue1",
    "orange1",
    "white",
)
OTHER_COLOUR = "grey50"
OUTLINE_COLOUR = "grey62"
DENSITY_COLOURS = ("blue", "dodger_blue2", "deep_sky_blue1", "cyan", "green_yellow", "yellow", "orange1", "red")

UNITS = ("day", "week", "month", "year")
_TRUNCATE = {"day": "1d", "week": "1w", "month": "1mo", "year": "1y"}
#: multi-year buckets, for dates spread over more years than there are columns (a 1900-01-01 or 9999-12-31
#: placeholder among recent rows): a bucket of k years starts on 1 January of a year divisible by k
YEAR_STEPS = (2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000)


# -- coordinates ----------------------------------------------------------------------------------------------------


# the latitude/longitude columns are found by pdxtui.geo (export uses the same rule)


@dataclass(frozen=True)
class Extent:
    """A lon/lat box in degrees."""

    west: float
    south: float
    east: float
    north: float

    @property
    def width(self) -> float:
        return self.east - self.west

    @property
    def height(self) -> float:
        return self.north - self.south

    @property
    def centre(self) -> tuple[float, float]:
        return (self.west + self.east) / 2, (self.south + self.north) / 2

    def zoom(self, factor: float) -> Extent:
        """The box ``factor`` times closer (2: half the width and height), around the same centre."""
        x, y = self.centre
        w, h = self.width / factor / 2, self.height / factor / 2
        return Extent(x - w, y - h, x + w, y + h)

    def pan(self, dx: float, dy: float) -> Extent:
        """Moved by fractions of its own size (dx 0.25: a quarter of the width east; dy: north)."""
        mx, my = dx * self.width, dy * self.height
        return Extent(self.west + mx, self.south + my, self.east + mx, self.north + my)

    def label(self) -> str:
        def lat(v: float) -> str:
            return f"{abs(v):.4f}°{'N' if v >= 0 else 'S'}"

        def lon(v: float) -> str:
            return f"{abs(v):.4f}°{'E' if v >= 0 else 'W'}"

        return f"{lat(self.south)}–{lat(self.north)}, {lon(self.west)}–{lon(self.east)}"


def valid_points(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Mask of the points that can be drawn: finite, latitude within ±90 and longitude within ±180."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)


def data_extent(lon: np.ndarray, lat: np.ndarray, geometry_boxes: Sequence[Extent] = ()) -> Extent | None:
    """The box around the valid points (and any geometry boxes); None when there is nothing to draw.

    A box with no width or height (one point, or points on a line) is widened to :data:`MIN_SPAN`.
    """
    ok = valid_points(lon, lat)
    wests, souths, easts, norths = [], [], [], []
    if ok.any():
        x, y = lon[ok], lat[ok]
        (
            wests.append(float(x.min())),
            souths.append(float(y.min())),
            easts.append(float(x.max())),
            norths.append(float(y.max())),
        )
    for box in geometry_boxes:
        wests.append(box.west), souths.append(box.south), easts.append(box.east), norths.append(box.north)
    if not wests:
        return None
    west, south, east, north = min(wests), min(souths), max(easts), max(norths)
    if east - west < MIN_SPAN:
        mid = (east + west) / 2
        west, east = mid - MIN_SPAN / 2, mid + MIN_SPAN / 2
    if north - south < MIN_SPAN:
        mid = (north + south) / 2
        south, north = mid - MIN_SPAN / 2, mid + MIN_SPAN / 2
    return Extent(west, south, east, north)


def ground_scale(latitude: float) -> float:
    """How long one degree of longitude is, in degrees of latitude, at ``latitude`` (cos of the latitude)."""
    return math.cos(math.radians(latitude))


def fit_extent(extent: Extent, cols: int, rows: int, cell_aspect: float = CELL_ASPECT) -> Extent:
    """``extent`` widened in one direction so that it fills a canvas of ``cols`` × ``rows`` cells with true shapes.

    The canvas is ``cols`` wide and ``rows * cell_aspect`` tall (in cell widths). On the ground, the box is
    ``width * cos(mid latitude)`` wide and ``height`` tall (in degrees of latitude). The smaller of the two
    scales wins; the other direction grows around the centre.
    """
    cols, rows = max(cols, 1), max(rows, 1)
    kx = ground_scale(extent.centre[1])
    ground_w, ground_h = extent.width * kx, extent.height
    canvas_w, canvas_h = float(cols), rows * cell_aspect
    scale = min(canvas_w / ground_w, canvas_h / ground_h)
    half_w, half_h = canvas_w / scale / kx / 2, canvas_h / scale / 2
    x, y = extent.centre
    return Extent(x - half_w, y - half_h, x + half_w, y + half_h)


def to_dots(lon: np.ndarray, lat: np.ndarray, view: Extent, cols: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Fractional dot coordinates (x to the east, y downwards from the north edge) on a ``cols`` × ``rows`` canvas."""
    width, height = cols * DOTS_X, rows * DOTS_Y
    fx = (np.asarray(lon, dtype=np.float64) - view.west) * (width / view.width)
    fy = (view.north - np.asarray(lat, dtype=np.float64)) * (height / view.height)
    return fx, fy


def dot_indices(fx: np.ndarray, fy: np.ndarray, cols: int, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, mask): whole dot coordinates of the points inside the canvas, and which of the input points they are.

    A point exactly on the east or south edge falls in the last dot (within a rounding error: the box fitted to
    the data must hold every point).
    """
    width, height = cols * DOTS_X, rows * DOTS_Y
    eps = 1e-6
    with np.errstate(invalid="ignore"):
        inside = (fx >= -eps) & (fx <= width + eps) & (fy >= -eps) & (fy <= height + eps)
    x = np.clip(fx[inside], 0, width - 1).astype(np.int64)
    y = np.clip(fy[inside], 0, height - 1).astype(np.int64)
    return x, y, inside


def density(x: np.ndarray, y: np.ndarray, cols: int, rows: int) -> np.ndarray:
    """Points per cell: a ``rows`` × ``cols`` array of counts from whole dot coordinates."""
    cells = (y // DOTS_Y) * cols + (x // DOTS_X)
    return np.bincount(cells, minlength=rows * cols).reshape(rows, cols)


def density_levels(counts: np.ndarray, levels: int = 8) -> np.ndarray:
    """Shade 0 for an empty cell, else 1..``levels`` on a log scale: ceil(levels · log(1+c) / log(1+max))."""
    counts = np.asarray(counts)
    top = counts.max() if counts.size else 0
    if top <= 0:
        return np.zeros(counts.shape, dtype=np.int64)
    shade = np.ceil(levels * np.log1p(counts) / np.log1p(top)).astype(np.int64)
    return np.where(counts > 0, np.clip(shade, 1, levels), 0)


# -- the braille canvas -----------------------------------------------------------------------------------------------


class Raster:
    """A ``cols`` × ``rows`` braille canvas: each cell has 8 dots and one colour (an index into a palette)."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = max(cols, 1), max(rows, 1)
        self.bits = np.zeros((self.rows, self.cols), dtype=np.uint8)
        self.colour = np.full((self.rows, self.cols), -1, dtype=np.int16)
        self.chars: np.ndarray | None = None  # set by shade(): whole characters instead of dot bits

    @property
    def width(self) -> int:
        return self.cols * DOTS_X

    @property
    def height(self) -> int:
        return self.rows * DOTS_Y

    def _dots(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The braille bits of a set of dots, per cell."""
        dots = np.zeros(self.height * self.width, dtype=bool)
        dots[y * self.width + x] = True
        grid = dots.reshape(self.rows, DOTS_Y, self.cols, DOTS_X)
        return (grid * BRAILLE_BITS[None, :, None, :]).sum(axis=(1, 3), dtype=np.uint32).astype(np.uint8)

    def points(self, x: np.ndarray, y: np.ndarray, category: np.ndarray | None = None, colour: int = 0) -> None:
        """Set the dots (whole dot coordinates, inside the canvas). A cell takes the commonest category among its
        points (``category``: small non-negative ints), or ``colour`` when there are none."""
        if x.size == 0:
            return
        new = self._dots(x, y)
        self.bits |= new
        touched = new > 0
        if category is None:
            self.colour[touched] = colour
            return
        kinds = int(category.max()) + 1
        cells = (y // DOTS_Y) * self.cols + (x // DOTS_X)
        counts = np.bincount(cells * kinds + category, minlength=self.rows * self.cols * kinds)
        commonest = counts.reshape(self.rows, self.cols, kinds).argmax(axis=2)
        self.colour[touched] = commonest[touched]

    def segments(
        self,
        fx0: np.ndarray,
        fy0: np.ndarray,
        fx1: np.ndarray,
        fy1: np.ndarray,
        colour: int = 0,
        category: np.ndarray | None = None,
    ) -> None:
        """Draw straight segments between fractional dot coordinates (the parts inside the canvas), in ``colour``
        or coloured by a ``category`` per segment."""
        fx0, fy0, fx1, fy1 = (np.asarray(a, dtype=np.float64) for a in (fx0, fy0, fx1, fy1))
        ok = np.isfinite(fx0) & np.isfinite(fy0) & np.isfinite(fx1) & np.isfinite(fy1)
        # segments wholly on one outside side of the canvas are skipped
        ok &= ~((fx0 < 0) & (fx1 < 0)) & ~((fy0 < 0) & (fy1 < 0))
        ok &= ~((fx0 > self.width) & (fx1 > self.width)) & ~((fy0 > self.height) & (fy1 > self.height))
        fx0, fy0, fx1, fy1 = fx0[ok], fy0[ok], fx1[ok], fy1[ok]
        if category is not None:
            category = category[ok]
        if fx0.size == 0:
            return
        limit = 2 * (self.width + self.height)
        steps = np.minimum(np.ceil(np.maximum(np.abs(fx1 - fx0), np.abs(fy1 - fy0))).astype(np.int64), limit) + 1
        which = np.repeat(np.arange(steps.size), steps)
        start = np.repeat(np.cumsum(steps) - steps, steps)
        t = (np.arange(which.size) - start) / np.maximum(steps[which] - 1, 1)
        px = fx0[which] + (fx1[which] - fx0[which]) * t
        py = fy0[which] + (fy1[which] - fy0[which]) * t
        x, y, inside = dot_indices(px, py, self.cols, self.rows)
        self.points(x, y, category=None if category is None else category[which][inside], colour=colour)

    def shade(self, levels: np.ndarray) -> None:
        """Fill cells with density shades 1..8 (0: leave the cell as it is); shade k takes colour k-1."""
        self.chars = _SHADES[levels]
        self.colour = np.where(levels > 0, levels - 1, self.colour).astype(np.int16)

    def lines(self, palette: Sequence[str]) -> list[Text]:
        """One Rich Text per row; runs of cells of the same colour share a span."""
        chars = _BRAILLE[self.bits]
        if self.chars is not None:
            chars = np.where(self.chars != " ", self.chars, chars)
        out = []
        for r in range(self.rows):
            row_colour = self.colour[r]
            text = Text("".join(chars[r].tolist()), no_wrap=True, overflow="crop")
            bounds = np.flatnonzero(np.diff(row_colour)) + 1
            starts = np.concatenate(([0], bounds)).tolist()
            ends = np.concatenate((bounds, [self.cols])).tolist()
            for s, e in zip(starts, ends):
                c = int(row_colour[s])
                if c >= 0:
                    text.stylize(palette[c] if c < len(palette) else OTHER_COLOUR, s, e)
            out.append(text)
        return out


# -- the map ----------------------------------------------------------------------------------------------------------


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


def colour_candidates(frame: pl.DataFrame, skip: Sequence[str] = (), sample: int = 20_000) -> list[str]:
    """Columns worth colouring the map by: text or boolean columns with 2 to 30 distinct values (in the first
    ``sample`` rows); those with at most :data:`MAX_CATEGORIES` (one colour each) come first, each group in column
    order."""
    import polars as pl

    found = []
    head = frame.head(sample)
    for position, (name, dtype) in enumerate(frame.schema.items()):
        if name in skip or not (
            dtype == pl.String or dtype == pl.Boolean or isinstance(dtype, (pl.Categorical, pl.Enum))
        ):
            continue
        distinct = head[name].drop_nulls().n_unique()
        if 2 <= distinct <= 30:
            found.append((distinct > MAX_CATEGORIES, position, name))
    return [name for _, _, name in sorted(found)]


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
        labels = tuple(_label(v) for v, _ in top.values)
        codes = (
            frame[colour]
            .cast(pl.String)
            .replace_strict(
                [_label(v) for v, _ in top.values], list(range(len(labels))), default=len(labels), return_dtype=pl.Int64
            )
        )
        data.category = codes.fill_null(len(labels)).to_numpy().astype(np.int64)
        data.labels = labels
        data.counts = tuple(c for _, c in top.values) + (top.other + top.nulls,)
        data.colour_column = colour
    return data


def _label(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


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
        palette = list(DENSITY_COLOURS) + [OTHER_COLOUR, OUTLINE_COLOUR]
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


# -- histogram, top values, date buckets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    edges: np.ndarray  # bins + 1 edges
    counts: np.ndarray  # per bin; the last bin includes its right edge
    missing: int  # nulls and NaN left out


def histogram(values: Any, bins: int) -> Histogram:
    """Equal-width bins from the smallest to the largest finite value (one value: a bin of width 1 around it)."""
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    missing = int(array.size - finite.size)
    bins = max(int(bins), 1)
    if finite.size == 0:
        return Histogram(np.zeros(0), np.zeros(0, dtype=np.int64), missing)
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        pad = max(0.5, abs(lo) * 1e-9)
        top = float(np.finfo(np.float64).max)
        lo, hi = max(lo - pad, -top), min(hi + pad, top)
        if lo == hi:  # at the very limit of the floats
            lo, hi = (lo - 2 * pad, hi) if hi > 0 else (lo, hi + 2 * pad)
    # Near ±1.8e308 the range itself overflows: bin halved values (exact for powers of two) and double the edges.
    scale = 1.0 if math.isfinite(hi - lo) else 0.5
    edges = np.linspace(lo * scale, hi * scale, bins + 1)
    while bins > 1 and not (np.diff(edges) > 0).all():  # more bins than distinct floats in the range
        bins = max(bins // 2, 1)
        edges = np.linspace(lo * scale, hi * scale, bins + 1)
    counts, _ = np.histogram(finite * scale, bins=edges)
    return Histogram(edges / scale, counts.astype(np.int64), missing)


@dataclass(frozen=True)
class TopValues:
    values: list[tuple[Any, int]]  # commonest first; ties in value order
    other: int  # rows with a value not listed
    nulls: int
    distinct: int


def top_values(series: pl.Series, n: int) -> TopValues:
    """The ``n`` commonest non-null values of ``series`` with their counts."""
    import polars as pl

    if isinstance(series.dtype, (pl.List, pl.Array, pl.Struct, pl.Object)):  # nested values count as JSON text
        series = pl.Series(
            series.name,
            [None if v is None else json.dumps(v, default=str, ensure_ascii=False) for v in series.to_list()],
            dtype=pl.String,
        )
    nulls = series.null_count()
    # renamed first: a column called "count" (or anything else) must not clash with the counts' column
    present = series.drop_nulls().rename("value")
    counts = present.value_counts(name="__n")
    counts = counts.sort(["__n", "value"], descending=[True, False], nulls_last=True)
    listed = counts.head(max(n, 0))
    values = list(zip(listed["value"].to_list(), listed["__n"].to_list()))
    return TopValues(values, int(present.len() - sum(c for _, c in values)), int(nulls), counts.height)


def years_unit(k: int) -> str:
    """The name of buckets of ``k`` years: "year", "10 years"."""
    return "year" if k == 1 else f"{k} years"


def unit_years(unit: str) -> int:
    """How many years a bucket of ``unit`` is (0 for day, week and month)."""
    if unit == "year":
        return 1
    if unit.endswith(" years") and unit.split()[0].isdigit():
        return int(unit.split()[0])
    return 0


#: every unit, finest first
ALL_UNITS = UNITS + tuple(years_unit(k) for k in YEAR_STEPS)


def coarser(unit: str) -> str:
    """The next coarser unit (the coarsest stays)."""
    i = ALL_UNITS.index(unit)
    return ALL_UNITS[min(i + 1, len(ALL_UNITS) - 1)]


def finer(unit: str) -> str:
    """The next finer unit (day stays)."""
    i = ALL_UNITS.index(unit)
    return ALL_UNITS[max(i - 1, 0)]


def bucket_start(day: date, unit: str) -> date:
    k = unit_years(unit)
    if k > 1:
        return date(max(day.year - day.year % k, 1), 1, 1)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown unit {unit!r}")


def bucket_count(first: date, last: date, unit: str) -> int:
    """How many buckets of ``unit`` the days ``first``..``last`` span (both ends included)."""
    a, b = bucket_start(first, unit), bucket_start(last, unit)
    if unit == "day":
        return (b - a).days + 1
    if unit == "week":
        return (b - a).days // 7 + 1
    if unit == "month":
        return (b.year - a.year) * 12 + b.month - a.month + 1
    k = max(unit_years(unit), 1)
    return last.year // k - first.year // k + 1


def pick_unit(first: date, last: date, max_buckets: int) -> str:
    """The finest of day, week, month, year and buckets of several years (:data:`YEAR_STEPS`) whose buckets fit in
    ``max_buckets`` (the coarsest when none does)."""
    for unit in ALL_UNITS:
        if bucket_count(first, last, unit) <= max_buckets:
            return unit
    return ALL_UNITS[-1]


@dataclass(frozen=True)
class DateCounts:
    starts: list[date]  # the first day of each bucket, every bucket from the first to the last (empty ones too)
    counts: np.ndarray
    unit: str
    missing: int


def date_span(series: pl.Series) -> tuple[date, date] | None:
    days = _as_dates(series).drop_nulls()
    if days.len() == 0:
        return None
    return days.min(), days.max()  # type: ignore[return-value]


def date_counts(series: pl.Series, unit: str) -> DateCounts:
    """Rows per day, week (from Monday), month or year of a date/datetime column; datetimes count on their own
    calendar day (in their time zone, if they have one)."""
    import polars as pl

    days = _as_dates(series)
    missing = days.null_count()
    days = days.drop_nulls()
    if days.len() == 0:
        return DateCounts([], np.zeros(0, dtype=np.int64), unit, missing)
    k = unit_years(unit)
    if k > 1:
        starts = (days.dt.year().cast(pl.Int64) // k * k).alias("start")
        counts = starts.value_counts(name="__n")
        every = pl.Series("start", range(int(starts.min()), int(starts.max()) + 1, k), dtype=pl.Int64).to_frame()
        full = every.join(counts, on="start", how="left").with_columns(pl.col("__n").fill_null(0)).sort("start")
        return DateCounts(
            [date(max(y, 1), 1, 1) for y in full["start"].to_list()],
            full["__n"].to_numpy().astype(np.int64),
            unit,
            missing,
        )
    buckets = days.dt.truncate(_TRUNCATE[unit]).alias("start")
    counts = buckets.value_counts(name="__n")
    first, last = buckets.min(), buckets.max()
    every = pl.date_range(first, last, _TRUNCATE[unit], eager=True).alias("start").to_frame()
    full = every.join(counts, on="start", how="left").with_columns(pl.col("__n").fill_null(0)).sort("start")
    return DateCounts(full["start"].to_list(), full["__n"].to_numpy().astype(np.int64), unit, missing)


def _as_dates(series: pl.Series) -> pl.Series:
    import polars as pl

    if series.dtype == pl.Date:
        return series
    if isinstance(series.dtype, pl.Datetime):
        return series.dt.date()
    return series.cast(pl.Date, strict=False)


def format_bucket(day: date, unit: str) -> str:
    if unit_years(unit):
        return f"{day.year}"
    if unit == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


# -- bars ----------------------------------------------------------------------------------------------------------------


def vertical_bars(counts: Sequence[int] | np.ndarray, cols: int, rows: int) -> tuple[list[str], int]:
    """Columns of block characters for ``counts`` (tallest: ``rows`` cells), each bar ``bar_width`` cells wide with a
    one-cell gap when bars are 3 or more cells wide. Returns (lines, bar width)."""
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.size
    rows = max(rows, 1)
    if n == 0:
        return [""] * rows, 0
    bar_width = max(cols // n, 1)
    gap = 1 if bar_width >= 3 else 0
    top = counts.max()
    eighths = np.zeros(n, dtype=np.int64) if top <= 0 else np.round(counts / top * rows * 8).astype(np.int64)
    eighths = np.where((counts > 0) & (eighths == 0), 1, eighths)  # a bar that is not empty always shows
    lines = []
    for r in range(rows):
        below = (rows - 1 - r) * 8
        fill = np.clip(eighths - below, 0, 8)
        cells = [EIGHTHS_UP[f] * (bar_width - gap) + " " * gap for f in fill.tolist()]
        lines.append("".join(cells)[:cols])
    return lines, bar_width


def horizontal_bar(count: float, top: float, width: int) -> str:
    """A bar of ``width`` cells at full ``top``, in 1/8 cell steps (never empty for a non-zero count)."""
    if top <= 0 or width <= 0:
        return ""
    eighths = int(round(count / top * width * 8))
    if count > 0 and eighths == 0:
        eighths = 1
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS_RIGHT[part] if part else "")


def nice_number(value: float) -> str:
    """A short label for an axis: 12, 1.5, 2.4k, 3.1M."""
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1e15:
        return f"{value:.3g}"
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= size:
            return f"{value / size:.3g}{suffix}"
    if magnitude == 0 or magnitude >= 1:
        return f"{value:.4g}"
    return f"{value:.3g}"


# -- whole charts, laid out for a canvas of cols × rows cells -----------------------------------------------------------


@dataclass(frozen=True)
class ChartPicture:
    lines: list[Text]
    note: str  # what is drawn: bins, buckets, values left out


def column_chart(
    counts: np.ndarray, left: str, right: str, cols: int, rows: int, style: str, middle: str = ""
) -> list[Text]:
    """Vertical bars with a count axis on the left and labels under the first, middle and last bar."""
    counts = np.asarray(counts)
    top = int(counts.max()) if counts.size else 0
    axis = max(len(f"{top:,}"), 1)
    plot_cols, plot_rows = max(cols - axis - 1, 1), max(rows - 2, 1)
    bars, bar_width = vertical_bars(counts, plot_cols, plot_rows)
    out = []
    for r, line in enumerate(bars):
        label = f"{top:,}" if r == 0 else (f"{top // 2:,}" if r == plot_rows // 2 and plot_rows >= 4 else "")
        text = Text(label.rjust(axis) + ("┤" if label else "│"), "dim", no_wrap=True, overflow="crop")
        text.append(line, style)
        out.append(text)
    used = bar_width * counts.size
    out.append(Text(" " * axis + "└" + "─" * max(min(used, plot_cols), 1), "dim", no_wrap=True, overflow="crop"))
    labels = [" "] * (axis + 1 + max(used, len(left) + len(right) + 2))
    for position, word in ((0, left), (max(used - len(right), len(left) + 1), right)):
        labels[axis + 1 + position : axis + 1 + position + len(word)] = list(word)
    if middle and used > len(left) + len(right) + len(middle) + 4:
        at = axis + 1 + (used - len(middle)) // 2
        labels[at : at + len(middle)] = list(middle)
    out.append(Text("".join(labels).rstrip()[:cols], "dim", no_wrap=True, overflow="crop"))
    return out


def draw_histogram(values: Any, bins: int, cols: int, rows: int) -> ChartPicture:
    """A histogram of ``values`` (at most one bin per column of the canvas)."""
    hist = histogram(values, bins)
    if hist.counts.size == 0:
        return ChartPicture([Text("No numbers to draw: every value is empty.", "yellow")], "no values")
    plot_cols = max(cols - len(f"{int(hist.counts.max()):,}") - 1, 1)
    if hist.counts.size > plot_cols:
        hist = histogram(values, plot_cols)
    edges = hist.edges
    width = (edges[1] / 2 - edges[0] / 2) * 2  # halves: the width of one bin near ±1.8e308 would overflow
    lines = column_chart(
        hist.counts,
        nice_number(edges[0]),
        nice_number(edges[-1]),
        cols,
        rows,
        "green",
        nice_number(edges[0] / 2 + edges[-1] / 2),
    )
    note = f"{hist.counts.size} bins of {nice_number(width)} from {nice_number(edges[0])} to {nice_number(edges[-1])}"
    if hist.missing:
        note += f" · {hist.missing:,} empty values left out"
    return ChartPicture(lines, note)


def draw_timeseries(counts: DateCounts, cols: int, rows: int) -> ChartPicture:
    if not counts.starts:
        return ChartPicture([Text("No dates to draw: every value is empty.", "yellow")], "no values")
    first, last = counts.starts[0], counts.starts[-1]
    middle = counts.starts[len(counts.starts) // 2]
    lines = column_chart(
        counts.counts,
        format_bucket(first, counts.unit),
        format_bucket(last, counts.unit),
        cols,
        rows,
        "cyan",
        format_bucket(middle, counts.unit) if len(counts.starts) > 2 else "",
    )
    k = unit_years(counts.unit)
    if k > 1:  # the last bucket ends k - 1 years after it starts
        note = f"rows per {k} years, {len(counts.starts):,} buckets of {k} years from {first.year} to {min(last.year + k - 1, 9999)}"
    else:
        note = f"rows per {counts.unit}, {len(counts.starts):,} {counts.unit}s from {format_bucket(first, counts.unit)} to {format_bucket(last, counts.unit)}"
    if counts.missing:
        note += f" · {counts.missing:,} empty values left out"
    return ChartPicture(lines, note)


def far_dates(series: pl.Series) -> tuple[int, int, int, date, date] | None:
    """When most dates sit in a few years and some lie far away (1900-01-01 or 9999-12-31 placeholders): (first and
    last year of the middle 98% of the dates, how many dates are far from them, the earliest and latest of those).
    A date is far when it lies further from that middle span than the span is long (at least 10 years). None when
    no date is far."""
    days = _as_dates(series).drop_nulls()
    if days.len() < 3:
        return None
    years = days.dt.year()
    lo = int(years.quantile(0.01, "lower"))  # type: ignore[arg-type]
    hi = int(years.quantile(0.99, "higher"))  # type: ignore[arg-type]
    pad = max(hi - lo + 1, 10)
    far = days.filter((years < lo - pad) | (years > hi + pad))
    if far.len() == 0:
        return None
    return lo, hi, far.len(), far.min(), far.max()  # type: ignore[return-value]


def draw_dates(series: pl.Series, cols: int, rows: int, unit: str | None = None) -> tuple[ChartPicture, str]:
    """The time series of a date column on ``cols`` × ``rows`` cells, and the unit drawn: ``unit`` (None: the finest
    that fits), made coarser (up to buckets of many years) until every bucket has a column, so nothing is cropped."""
    span = date_span(series)
    if span is None:
        return ChartPicture([Text("No dates to draw: every value is empty.", "yellow")], "no values"), unit or "day"
    width = max(cols - len(f"{series.len():,}") - 1, 1)  # the count axis is at most this wide
    chosen = unit or pick_unit(span[0], span[1], width)
    note = ""
    while bucket_count(span[0], span[1], chosen) > width and chosen != ALL_UNITS[-1]:
        chosen = coarser(chosen)
        note = f" ({unit} buckets would need more columns than there are)"
    picture = draw_timeseries(date_counts(series, chosen), cols, rows)
    text = f"{picture.note}, {'chosen from the span' if unit is None else 'fixed'}{note}"
    if unit_years(chosen) > 1:
        far = far_dates(series)
        if far is not None:
            lo, hi, n, earliest, latest = far
            text += (
                f" · most dates in {lo}–{hi}; {n:,} date{'s' if n != 1 else ''} far from the rest "
                f"({earliest.isoformat()} … {latest.isoformat()})"
                if n != 1
                else f" · most dates in {lo}–{hi}; 1 date far from the rest ({earliest.isoformat()})"
            )
    return ChartPicture(picture.lines, text), chosen


def draw_bars(top: TopValues, cols: int, rows: int) -> ChartPicture:
    """One horizontal bar per value, commonest first, as many as fit in ``rows`` (with the rest summed)."""
    from pdxtui.textsafe import one_line

    shown = top.values[: max(rows - (1 if top.other or top.nulls else 0), 1)]
    other = top.other + sum(c for _, c in top.values[len(shown) :])
    rows_out: list[tuple[str, int, str]] = [(one_line(_label(v), 60), c, "green") for v, c in shown]
    if other:
        rows_out.append(("(others)", other, "dim"))
    if top.nulls:
        rows_out.append(("∅ (null)", top.nulls, "dim"))
    if not rows_out:
        return ChartPicture([Text("No values to draw: every value is empty.", "yellow")], "no values")
    label_w = min(max(cell_len(label) for label, _, _ in rows_out), max(cols // 3, 8))  # terminal cells, not characters
    count_w = max(len(f"{c:,}") for _, c, _ in rows_out)
    bar_w = max(cols - label_w - count_w - 3, 1)
    biggest = max(c for _, c, _ in rows_out)
    lines = []
    total = sum(c for _, c, _ in rows_out)
    for label, count, style in rows_out:
        text = Text(no_wrap=True, overflow="crop")
        cut = label if cell_len(label) <= label_w else set_cell_size(label, label_w - 1) + "…"
        text.append(set_cell_size(cut, label_w), "" if style == "green" else "dim")
        text.append(" ")
        text.append(horizontal_bar(count, biggest, bar_w).ljust(bar_w), style)
        text.append(" " + f"{count:,}".rjust(count_w), "bold" if style == "green" else "dim")
        lines.append(text)
    note = f"{len(shown)} commonest of {top.distinct:,} distinct values in {total:,} rows"
    return ChartPicture(lines, note)


def chart_kind(dtype: Any) -> str:
    """The chart for a column of this polars dtype: histogram (numbers), timeseries (dates) or bars (the rest)."""
    import polars as pl

    if dtype.is_numeric():
        return "histogram"
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return "timeseries"
    return "bars"


def geometry_column(columns: Sequence[str]) -> str | None:
    """The column holding GeoJSON outlines (``geometry``, as the ArcGIS portal names it), if any."""
    return next((c for c in columns if c.lower() in ("geometry", "shape_geometry", "the_geom")), None)
