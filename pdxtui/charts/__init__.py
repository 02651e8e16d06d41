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

from pdxtui.charts.bars import (
    ChartPicture,
    chart_kind,
    column_chart,
    draw_bars,
    draw_dates,
    draw_histogram,
    draw_timeseries,
    far_dates,
    geometry_column,
    horizontal_bar,
    nice_number,
    vertical_bars,
)
from pdxtui.charts.bins import (
    ALL_UNITS,
    UNITS,
    YEAR_STEPS,
    DateCounts,
    Histogram,
    TopValues,
    bucket_count,
    bucket_start,
    coarser,
    date_counts,
    date_span,
    finer,
    format_bucket,
    histogram,
    pick_unit,
    top_values,
    unit_years,
    years_unit,
)
from pdxtui.charts.canvas import (
    BRAILLE_BITS,
    CELL_ASPECT,
    DENSITY_COLOURS,
    DENSITY_POINTS,
    EIGHTHS_RIGHT,
    EIGHTHS_UP,
    MAX_CATEGORIES,
    MIN_SPAN,
    OTHER_COLOUR,
    OUTLINE_COLOUR,
    PALETTE,
    SHADES,
    Extent,
    Raster,
    data_extent,
    density,
    density_levels,
    dot_indices,
    fit_extent,
    ground_scale,
    to_dots,
    valid_points,
)
from pdxtui.charts.map import (
    DEFAULT_COLOUR_VALUES,
    MapData,
    MapPicture,
    colour_candidates,
    colour_choices,
    draw_map,
    map_data,
    outline_segments,
)
from pdxtui.geo import coordinate_columns

__all__ = [
    "ALL_UNITS",
    "BRAILLE_BITS",
    "CELL_ASPECT",
    "DEFAULT_COLOUR_VALUES",
    "DENSITY_COLOURS",
    "DENSITY_POINTS",
    "EIGHTHS_RIGHT",
    "EIGHTHS_UP",
    "MAX_CATEGORIES",
    "MIN_SPAN",
    "OTHER_COLOUR",
    "OUTLINE_COLOUR",
    "PALETTE",
    "SHADES",
    "UNITS",
    "YEAR_STEPS",
    "ChartPicture",
    "DateCounts",
    "Extent",
    "Histogram",
    "MapData",
    "MapPicture",
    "Raster",
    "TopValues",
    "bucket_count",
    "bucket_start",
    "chart_kind",
    "coarser",
    "colour_candidates",
    "colour_choices",
    "column_chart",
    "coordinate_columns",
    "data_extent",
    "date_counts",
    "date_span",
    "density",
    "density_levels",
    "dot_indices",
    "draw_bars",
    "draw_dates",
    "draw_histogram",
    "draw_map",
    "draw_timeseries",
    "far_dates",
    "finer",
    "fit_extent",
    "format_bucket",
    "geometry_column",
    "ground_scale",
    "histogram",
    "horizontal_bar",
    "map_data",
    "nice_number",
    "outline_segments",
    "pick_unit",
    "to_dots",
    "top_values",
    "unit_years",
    "valid_points",
    "vertical_bars",
    "years_unit",
]
