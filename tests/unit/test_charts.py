"""Chart math against hand-computed cases: extent, aspect correction, projection, density, bins, top values, dates."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from pdxtui import charts
from pdxtui.charts import Extent

NAN = float("nan")


# -- extent ------------------------------------------------------------------------------------------------------------


def test_extent_ignores_nulls_nan_and_out_of_range_values():
    lon = np.array([-122.7, NAN, -122.5, 200.0, -122.6, -122.9])
    lat = np.array([45.5, 45.0, 45.6, 45.5, 95.0, NAN])
    # kept: (-122.7, 45.5) and (-122.5, 45.6); dropped: NaN lon, lon 200, lat 95, NaN lat
    assert charts.data_extent(lon, lat) == Extent(-122.7, 45.5, -122.5, 45.6)


def test_extent_from_polars_nulls():
    frame = pl.DataFrame({"Latitude": [45.5, None, 45.4], "Longitude": [-122.6, -122.0, None]})
    data = charts.map_data(frame, "Latitude", "Longitude")
    assert data.points == 1  # only the first row has both
    box = data.extent()
    assert box is not None and box.centre == pytest.approx((-122.6, 45.5))


def test_extent_of_one_point_is_widened_and_of_nothing_is_none():
    box = charts.data_extent(np.array([-122.6]), np.array([45.5]))
    assert box.width == pytest.approx(charts.MIN_SPAN) and box.height == pytest.approx(charts.MIN_SPAN)
    assert box.centre == pytest.approx((-122.6, 45.5))
    assert charts.data_extent(np.array([NAN]), np.array([45.5])) is None
    assert charts.data_extent(np.array([]), np.array([])) is None


def test_extent_includes_outline_boxes():
    box = charts.data_extent(np.array([1.0]), np.array([1.0]), [Extent(-1, -2, 0.5, 3)])
    assert box == Extent(-1, -2, 1.0, 3)


# -- aspect correction -------------------------------------------------------------------------------------------------


def test_aspect_correction_at_portland_widens_latitude():
    # 0.3° of longitude × 0.2° of latitude centred on 45.5°N; cos(45.5°) = 0.700909...
    # ground: 0.3 × 0.700909 = 0.210273 wide, 0.2 tall. Canvas 40 × 20 cells = 40 × 40 cell widths (cells are 1:2).
    # scale = min(40 / 0.210273, 40 / 0.2) = 190.23 -> width fits exactly, latitude span grows to 0.210273
    box = charts.fit_extent(Extent(-122.8, 45.4, -122.5, 45.6), 40, 20)
    assert box.width == pytest.approx(0.3)
    assert box.height == pytest.approx(0.3 * math.cos(math.radians(45.5)))
    assert box.centre == pytest.approx((-122.65, 45.5))


def test_aspect_correction_widens_longitude_on_a_wide_canvas():
    # same box on 100 × 20 cells: canvas 100 × 40; scale = min(100 / 0.210273, 40 / 0.2) = 200 (height fits)
    # ground width 100 / 200 = 0.5 -> 0.5 / cos(45.5°) = 0.713359° of longitude
    box = charts.fit_extent(Extent(-122.8, 45.4, -122.5, 45.6), 100, 20)
    assert box.height == pytest.approx(0.2)
    assert box.width == pytest.approx(0.5 / math.cos(math.radians(45.5)))


def test_aspect_at_the_equator_is_the_canvas_shape():
    # a 1° × 1° box at 0°N on 10 × 5 cells (10 × 10 cell widths) stays square
    box = charts.fit_extent(Extent(0, -0.5, 1, 0.5), 10, 5)
    assert box.width == pytest.approx(1) and box.height == pytest.approx(1)
    # on 20 × 5 cells (20 × 10) the longitude doubles
    assert charts.fit_extent(Extent(0, -0.5, 1, 0.5), 20, 5).width == pytest.approx(2)


def test_zoom_and_pan():
    box = Extent(0, 0, 4, 2)
    assert box.zoom(2) == Extent(1, 0.5, 3, 1.5)
    assert box.pan(0.25, -0.5) == Extent(1, -1, 5, 1)


# -- projection --------------------------------------------------------------------------------------------------------


def test_projection_to_dots():
    # 5 × 2 cells = 10 × 8 dots over lon 0..10, lat 0..10: 1° per dot across, 1.25° per dot down from the north
    view = Extent(0, 0, 10, 10)
    fx, fy = charts.to_dots(np.array([0.0, 10.0, 5.0, 11.0, 2.5]), np.array([10.0, 0.0, 5.0, 5.0, 7.5]), view, 5, 2)
    x, y, inside = charts.dot_indices(fx, fy, 5, 2)
    assert inside.tolist() == [True, True, True, False, True]
    # NW corner -> (0, 0); SE corner -> the last dot (9, 7); centre -> (5, 4); (2.5, 7.5) -> (2, 2)
    assert x.tolist() == [0, 9, 5, 2]
    assert y.tolist() == [0, 7, 4, 2]


def test_every_point_is_inside_the_box_fitted_to_the_data():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(-122.83, -122.48, 5000), rng.uniform(45.44, 45.64, 5000)
    for cols, rows in ((136, 36), (81, 23), (40, 40), (7, 3)):
        view = charts.fit_extent(charts.data_extent(lon, lat), cols, rows)
        x, y, inside = charts.dot_indices(*charts.to_dots(lon, lat, view, cols, rows), cols, rows)
        assert inside.all() and x.max() < cols * 2 and y.max() < rows * 4


def test_raster_sets_braille_bits_and_colours_by_commonest_category():
    raster = charts.Raster(2, 1)  # 4 × 4 dots
    # cell 0: dots (0,0) and (1,3) -> bits 0x01 | 0x80; cell 1: dot (2,1) -> 0x02
    raster.points(np.array([0, 1, 2, 0]), np.array([0, 3, 1, 0]), category=np.array([1, 1, 0, 0]))
    assert raster.bits.tolist() == [[0x81, 0x02]]
    # cell 0 has categories 1, 1, 0: commonest 1; cell 1 has 0
    assert raster.colour.tolist() == [[1, 0]]
    line = raster.lines(["red", "blue"])[0]
    assert line.plain == chr(0x2881) + chr(0x2802)


def test_segments_draw_every_dot_between_the_ends():
    raster = charts.Raster(4, 1)  # 8 × 4 dots
    raster.segments(np.array([0.5]), np.array([0.5]), np.array([7.5]), np.array([0.5]))  # along the top row
    assert raster.bits.tolist() == [[0x09, 0x09, 0x09, 0x09]]  # both top dots of every cell


# -- density -----------------------------------------------------------------------------------------------------------


def test_density_counts_points_per_cell():
    # 2 × 1 cells: dots x 0-1 are cell 0, x 2-3 cell 1
    counts = charts.density(np.array([0, 1, 1, 3, 2]), np.array([0, 3, 3, 0, 2]), 2, 1)
    assert counts.tolist() == [[3, 2]]


def test_density_levels_on_a_log_scale():
    # level = ceil(8 · log(1+c) / log(1+max)); max 100: c=1 -> ceil(1.2016) = 2, c=10 -> ceil(4.156) = 5
    levels = charts.density_levels(np.array([[0, 1, 10, 100]]))
    assert levels.tolist() == [[0, 2, 5, 8]]
    assert charts.density_levels(np.array([[0, 1]])).tolist() == [[0, 8]]
    assert charts.density_levels(np.zeros((1, 2), dtype=int)).tolist() == [[0, 0]]


def test_map_switches_to_density_above_the_threshold():
    rng = np.random.default_rng(1)
    n = charts.DENSITY_POINTS + 1
    data = charts.MapData(lon=rng.uniform(-122.8, -122.5, n), lat=rng.uniform(45.4, 45.6, n))
    view = charts.fit_extent(data.extent(), 60, 20)
    dense = charts.draw_map(data, view, 60, 20)
    assert dense.density and dense.drawn == n
    assert set("".join(t.plain for t in dense.lines)) - {" "} <= set(charts.SHADES)
    few = charts.MapData(lon=data.lon[:100], lat=data.lat[:100])
    assert not charts.draw_map(few, view, 60, 20).density


def test_outline_segments_from_geojson():
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    line = '{"type": "LineString", "coordinates": [[2, 2], [3, 3]]}'
    (x0, _y0, _x1, y1), shapes, rows = charts.outline_segments([square, line, None, "not json", {"type": "Point"}])
    assert shapes == 2
    assert x0.tolist() == [0, 1, 1, 2] and y1.tolist() == [0, 1, 0, 3]
    assert rows.tolist() == [0, 0, 0, 1]


def test_outlines_take_the_colour_of_their_row():
    # two squares side by side on a 4 × 1 canvas (8 × 4 dots), coloured by category 0 and 1
    left = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]}
    right = {"type": "Polygon", "coordinates": [[[3, 0], [3, 1], [4, 1], [4, 0], [3, 0]]]}
    frame = pl.DataFrame({"geometry": [json.dumps(left), json.dumps(right)], "kind": ["a", "b"]})
    data = charts.map_data(frame, None, None, "kind", "geometry")
    assert data.points == 0 and data.shapes == 2
    picture = charts.draw_map(data, Extent(0, 0, 4, 1), 4, 1)
    spans = {(span.start, span.end, str(span.style)) for span in picture.lines[0].spans}
    # the left square reaches lon 1 = dot 2 = the second cell; the right one lies in the last cell
    assert spans == {(0, 2, charts.PALETTE[0]), (3, 4, charts.PALETTE[1])}


# -- histogram, top values ---------------------------------------------------------------------------------------------


def test_histogram_bins_by_hand():
    hist = charts.histogram([0, 1, 2, 3, 4, 10, NAN, None], 5)
    assert hist.edges.tolist() == [0, 2, 4, 6, 8, 10]
    assert hist.counts.tolist() == [2, 2, 1, 0, 1]  # 10 falls in the last bin, which includes its right edge
    assert hist.missing == 2
    assert charts.histogram([0, 1, 2, 3, 4, 10], 2).counts.tolist() == [5, 1]


def test_histogram_of_one_value():
    hist = charts.histogram([3, 3, 3], 4)
    assert hist.edges[0] == 2.5 and hist.edges[-1] == 3.5 and hist.counts.sum() == 3


def test_top_values_of_nested_values_count_them_as_json():
    top = charts.top_values(pl.Series("l", [[1, 2], [1, 2], [3], None]), 5)
    assert top.values == [("[1, 2]", 2), ("[3]", 1)] and top.nulls == 1
    assert charts.top_values(pl.Series("s", [{"a": 1}, {"a": 1}]), 5).values == [('{"a": 1}', 2)]


def test_top_values_ties_in_value_order():
    series = pl.Series("Condition", ["Good", "Fair", "Good", "Poor", "Fair", "Dead", None, "Good"])
    top = charts.top_values(series, 2)
    assert top.values == [("Good", 3), ("Fair", 2)]
    assert (top.other, top.nulls, top.distinct) == (2, 1, 4)
    assert charts.top_values(series, 10).values[2:] == [("Dead", 1), ("Poor", 1)]


# -- date buckets ------------------------------------------------------------------------------------------------------


def test_bucket_counts_and_automatic_unit():
    assert charts.bucket_count(date(2020, 1, 1), date(2020, 3, 1), "day") == 61
    # 2020-01-01 is a Wednesday: weeks from Monday 2019-12-30 to Monday 2021-06-28
    assert charts.bucket_count(date(2020, 1, 1), date(2021, 6, 30), "week") == 79
    assert charts.bucket_count(date(2000, 1, 15), date(2020, 1, 1), "month") == 241
    assert charts.bucket_count(date(2000, 1, 15), date(2020, 1, 1), "year") == 21
    assert charts.pick_unit(date(2020, 1, 1), date(2020, 3, 1), 100) == "day"
    assert charts.pick_unit(date(2020, 1, 1), date(2021, 6, 30), 100) == "week"
    assert charts.pick_unit(date(2018, 1, 1), date(2021, 6, 30), 100) == "month"  # 183 weeks, 42 months
    assert charts.pick_unit(date(2000, 1, 15), date(2020, 1, 1), 100) == "year"
    # 1,021 years do not fit in 100 years; 103 decades neither; 52 buckets of 20 years do
    assert charts.pick_unit(date(1000, 1, 1), date(2020, 1, 1), 100) == "20 years"
    assert charts.pick_unit(date(1, 1, 1), date(9999, 12, 31), 1) == "10000 years"  # the coarsest: one bucket


def test_week_buckets_start_on_monday_and_empty_buckets_are_zero():
    series = pl.Series("d", [date(2024, 1, 1), date(2024, 1, 3), date(2024, 1, 8), date(2024, 1, 20), None])
    counts = charts.date_counts(series, "week")
    assert counts.starts == [date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15)]
    assert counts.counts.tolist() == [2, 1, 1]
    assert counts.missing == 1
    months = charts.date_counts(pl.Series("d", [date(2024, 1, 31), date(2024, 3, 1)]), "month")
    assert months.starts == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert months.counts.tolist() == [1, 0, 1]


def test_datetimes_count_on_their_day():
    series = pl.Series("t", [datetime(2023, 12, 31, 23, 0, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)])
    years = charts.date_counts(series, "year")
    assert years.starts == [date(2023, 1, 1), date(2024, 1, 1)] and years.counts.tolist() == [1, 1]
    assert charts.date_span(series) == (date(2023, 12, 31), date(2024, 6, 1))


# -- drawing bars ------------------------------------------------------------------------------------------------------


def test_vertical_bars_in_eighths():
    lines, width = charts.vertical_bars([4, 2, 1, 0], 4, 1)
    # one cell per bar, tallest 8 eighths: 4 -> █, 2 -> ▄, 1 -> ▂, 0 -> blank
    assert width == 1 and lines == ["█▄▂ "]
    lines, _ = charts.vertical_bars([4, 2], 2, 2)
    assert lines == ["█ ", "██"]


def test_horizontal_bar_in_eighths():
    assert charts.horizontal_bar(10, 10, 4) == "████"
    assert charts.horizontal_bar(5, 10, 3) == "█▌"  # 12 eighths
    assert charts.horizontal_bar(1, 1000, 3) == "▏"  # never empty for a count above zero
    assert charts.horizontal_bar(0, 10, 3) == ""


def test_chart_kind_by_dtype():
    assert charts.chart_kind(pl.Float64) == "histogram"
    assert charts.chart_kind(pl.Int32) == "histogram"
    assert charts.chart_kind(pl.Date) == "timeseries"
    assert charts.chart_kind(pl.Datetime("ms", "UTC")) == "timeseries"
    assert charts.chart_kind(pl.String) == "bars"
    assert charts.chart_kind(pl.Boolean) == "bars"


def test_coordinate_and_geometry_columns():
    assert charts.coordinate_columns(["OBJECTID", "Latitude", "Longitude"]) == ("Latitude", "Longitude")
    assert charts.coordinate_columns(["shape_latitude", "shape_longitude"]) == ("shape_latitude", "shape_longitude")
    assert charts.coordinate_columns(["lat", "lng"]) == ("lat", "lng")
    assert charts.coordinate_columns(["Latitude", "NAME"]) is None
    assert charts.geometry_column(["NAME", "geometry"]) == "geometry"
    assert charts.geometry_column(["NAME"]) is None


def test_colour_candidates_few_values_first_then_column_order():
    many = [str(i % 10) for i in range(40)]  # 10 distinct values: more than 8 colours
    frame = pl.DataFrame(
        {
            "m": many,
            "a": ["x", "y", "z", "x"] * 10,
            "b": ["p", "q"] * 20,
            "c": [str(i) for i in range(40)],
            "n": list(range(40)),
            "one": ["k"] * 40,
        }
    )
    # c has 40 values (too many), n is a number, one has a single value
    assert charts.colour_candidates(frame) == ["a", "b", "m"]
    assert charts.colour_candidates(frame, skip=["a"]) == ["b", "m"]


def test_map_categories_top_eight_and_other():
    labels = [f"v{i}" for i in range(10)]
    values = [label for i, label in enumerate(labels) for _ in range(20 - i)] + [None]
    frame = pl.DataFrame({"lat": [45.5] * len(values), "lon": [-122.6] * len(values), "kind": values})
    data = charts.map_data(frame, "lat", "lon", "kind")
    assert data.labels == tuple(labels[:8])
    assert data.counts == (*range(20, 12, -1), 12 + 11 + 1)  # v8 (12), v9 (11) and the null are "other"
    assert data.category[0] == 0 and data.category[-1] == 8 and data.category[-2] == 8


# -- ArcGIS shapes as GeoJSON (pdxtui/portals/arcgis.py) -------------------------------------------------------------


def test_arcgis_rings_become_geojson_polygons_with_holes():
    import json

    from pdxtui.portals.arcgis import shape_geojson

    outer = [[0, 0], [0, 4], [4, 4], [4, 0], [0, 0]]  # clockwise (x east, y north): an exterior in ArcGIS
    hole = [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]  # counter-clockwise: a hole of the ring before it
    second = [[10, 10], [10, 11], [11, 11], [10, 10]]  # clockwise again: a second polygon
    one = json.loads(shape_geojson({"rings": [outer, hole]}, "esriGeometryPolygon"))
    # RFC 7946: exteriors counter-clockwise, holes clockwise
    assert one == {"type": "Polygon", "coordinates": [outer[::-1], hole[::-1]]}
    many = json.loads(shape_geojson({"rings": [outer, second]}, "esriGeometryPolygon"))
    assert many["type"] == "MultiPolygon" and many["coordinates"] == [[outer[::-1]], [second[::-1]]]
    assert shape_geojson(None, "esriGeometryPolygon") is None
    assert shape_geojson({"rings": [[[0, 0], ["x", 1]]]}, "esriGeometryPolygon") is None  # fewer than 2 good points


def test_arcgis_paths_become_geojson_lines():
    import json

    from pdxtui.portals.arcgis import shape_geojson

    assert json.loads(shape_geojson({"paths": [[[0, 0], [1, 1]]]}, "esriGeometryPolyline")) == {
        "type": "LineString",
        "coordinates": [[0, 0], [1, 1]],
    }
    two = json.loads(shape_geojson({"paths": [[[0, 0], [1, 1]], [[2, 2], [3, 3, 9]]]}, "esriGeometryPolyline"))
    assert two == {"type": "MultiLineString", "coordinates": [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]}


def test_geojson_export_writes_the_fetched_outlines(tmp_path):
    import json

    from pdxtui.export import export_frame
    from pdxtui.model import Dataset, Field
    from pdxtui.portals.arcgis import shape_geojson

    ring = [[-122.7, 45.5], [-122.7, 45.6], [-122.6, 45.6], [-122.6, 45.5], [-122.7, 45.5]]
    shape = shape_geojson({"rings": [ring]}, "esriGeometryPolygon")
    dataset = Dataset(
        id="d",
        title="Districts",
        geometry_type="esriGeometryPolygon",
        fields=(
            Field("OBJECTID", "esriFieldTypeOID", "integer"),
            Field("NAME", "esriFieldTypeString", "string"),
            Field("geometry", "esriGeometryPolygon", "string"),
        ),
    )
    frame = pl.DataFrame({"OBJECTID": [1, 2], "NAME": ["District 1", "District 2"], "geometry": [shape, None]})
    export_frame(frame, tmp_path / "d.geojson", dataset=dataset)
    data = json.loads((tmp_path / "d.geojson").read_text())
    first, second = data["features"]
    assert first["geometry"] == {"type": "Polygon", "coordinates": [ring[::-1]]}
    assert first["properties"] == {"OBJECTID": 1, "NAME": "District 1"}  # the outline is not repeated as a property
    assert second["geometry"] is None


# -- review fixes: a column named count, dates far apart, huge numbers, OpenDataLat/Lon, wide labels ------------------


def test_a_column_named_count_has_top_values_and_colours_the_map():
    series = pl.Series("count", ["a", "b", "a", None])
    top = charts.top_values(series, 5)
    assert top.values == [("a", 2), ("b", 1)] and (top.nulls, top.distinct) == (1, 2)
    frame = pl.DataFrame({"lat": [45.5] * 4, "lon": [-122.6] * 4, "count": ["a", "b", "a", None]})
    data = charts.map_data(frame, "lat", "lon", "count")
    assert data.labels == ("a", "b") and data.counts == (2, 1, 1)
    # a date column named count, too (the time series counts per bucket)
    days = pl.Series("count", [date(2020, 1, 1), date(2020, 1, 3)])
    assert charts.date_counts(days, "day").counts.tolist() == [1, 0, 1]


def _placeholder_dates() -> pl.Series:
    real = [date(2020, 1, 1) + timedelta(days=i) for i in range(1000)]
    return pl.Series("d", [date(1900, 1, 1), *real, date(9999, 12, 31)])


def test_dates_spanning_more_years_than_columns_use_multi_year_buckets_and_draw_every_one():
    series = _placeholder_dates()
    cols, rows = 100, 20
    picture, unit = charts.draw_dates(series, cols, rows)
    counts = charts.date_counts(series, unit)
    plot = cols - len(f"{series.len():,}") - 1
    assert charts.unit_years(unit) > 1 and len(counts.starts) <= plot
    assert counts.counts.sum() == series.len() and counts.counts[-1] == 1 and counts.counts[0] == 1
    # the last bucket (9999) is drawn: a bar in the bottom bar row at the right end of the plot
    bottom = picture.lines[rows - 3].plain
    assert bottom.rstrip()[-1] in charts.EIGHTHS_UP[1:], bottom
    assert picture.lines[-1].plain.rstrip().endswith(charts.format_bucket(counts.starts[-1], unit))
    note = picture.note
    assert f"{charts.unit_years(unit)} years" in note and "1900" in note and "9999" in note
    # the note says where most dates are and how many are far from them
    assert "2 dates far from the rest" in note and "2020–2022" in note, note


def test_every_span_fits_the_columns_for_every_width():
    for years in (95, 96, 150, 1000, 8099):
        first, last = date(1900, 1, 1), date(1900 + years, 12, 31)
        for width in (10, 37, 94, 200):
            unit = charts.pick_unit(first, last, width)
            assert charts.bucket_count(first, last, unit) <= width, (years, width, unit)
            series = pl.Series("d", [first, last])
            assert len(charts.date_counts(series, unit).starts) == charts.bucket_count(first, last, unit)


def test_coarser_and_finer_units_step_through_multi_year_buckets():
    assert charts.coarser("month") == "year" and charts.coarser("year") == charts.years_unit(2)
    assert charts.finer(charts.years_unit(2)) == "year" and charts.finer("day") == "day"
    assert charts.unit_years(charts.coarser(charts.years_unit(5))) == 10


def test_a_fixed_fine_unit_grows_coarser_until_the_buckets_fit():
    picture, unit = charts.draw_dates(_placeholder_dates(), 100, 20, unit="day")
    assert charts.unit_years(unit) >= 100 and "day buckets would need more columns" in picture.note


def test_histogram_of_values_near_the_float_limits():
    picture = charts.draw_histogram(np.array([-1.7e308, 1.7e308, 0.0]), 20, 80, 20)
    assert "bins of" in picture.note and "e+308" in picture.note
    hist = charts.histogram([-1.7e308, 1.7e308], 20)
    assert np.isfinite(hist.edges).all() and hist.counts.sum() == 2
    assert hist.counts[0] == 1 and hist.counts[-1] == 1
    hist = charts.histogram([1.7976931348623157e308] * 3, 4)  # one value at the very limit
    assert np.isfinite(hist.edges).all() and hist.counts.sum() == 3
    hist = charts.histogram([1e16, 1e16 + 2], 20)  # more bins than distinct floats in the range
    assert hist.counts.sum() == 2 and (np.diff(hist.edges) > 0).all()


def test_coordinate_columns_of_portland_crime_data_and_careful_pairs():
    crime = ["Address", "CaseNumber", "OpenDataLat", "OpenDataLon", "OpenDataX", "OpenDataY", "OffenseCount"]
    assert charts.coordinate_columns(crime) == ("OpenDataLat", "OpenDataLon")
    assert charts.coordinate_columns(["site_lat", "site_lng"]) == ("site_lat", "site_lng")
    assert charts.coordinate_columns(["GeoLat", "OtherLon", "GeoLong"]) == ("GeoLat", "GeoLong")
    # words that merely end in lat/lon are not coordinates, nor is a pair with different prefixes
    assert charts.coordinate_columns(["Flat", "Salon"]) is None
    assert charts.coordinate_columns(["StartLat", "EndLon"]) is None


def test_bar_labels_are_sized_in_cells_so_wide_characters_keep_bars_in_line():
    from rich.cells import cell_len

    top = charts.top_values(pl.Series("k", ["東京都港区"] * 3 + ["ab"] * 2 + ["🌳🌳🌳"]), 5)
    picture = charts.draw_bars(top, 60, 10)
    widths = {cell_len(line.plain) for line in picture.lines}
    assert len(widths) == 1 and max(widths) <= 60, [(line.plain, cell_len(line.plain)) for line in picture.lines]
    starts = {cell_len(line.plain[: line.plain.index("█")]) for line in picture.lines}
    assert len(starts) == 1  # every bar starts in the same column
    narrow = charts.draw_bars(top, 24, 10)  # label column of 8 cells: wide labels are cut on a cell boundary
    assert len({cell_len(line.plain) for line in narrow.lines}) == 1
