"""The map's geometry and the braille canvas: extents, projection to dots, density shades, and
:class:`Raster`, which draws points, outlines and shades as Rich ``Text`` lines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rich.text import Text

if TYPE_CHECKING:
    pass


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


# -- coordinates -------------------------------------------------------------------------------------------------------


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
        wests.append(float(x.min()))
        souths.append(float(y.min()))
        easts.append(float(x.max()))
        norths.append(float(y.max()))
    for box in geometry_boxes:
        wests.append(box.west)
        souths.append(box.south)
        easts.append(box.east)
        norths.append(box.north)
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


# -- the braille canvas ------------------------------------------------------------------------------------------------


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
