"""The chart screen: a map of the rows, a histogram, a bar chart of the top values or a time series.

Every chart says what it covers (the loaded rows or the whole dataset, and the filter); it draws in a thread worker
(:class:`~pdxtui.ui.widgets.chart.ChartCanvas`) and redraws when the terminal is resized.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static

from pdxtui import charts
from pdxtui.textout import fmt_count
from pdxtui.textsafe import one_line
from pdxtui.ui.feedback import error_text
from pdxtui.ui.footer import KeysFooter
from pdxtui.ui.widgets.chart import ChartCanvas, Painter

if TYPE_CHECKING:
    import polars as pl

    from pdxtui.model import Field

CHART_KINDS = ("map", "histogram", "bars", "timeseries")
BIN_STEPS = (5, 8, 10, 15, 20, 30, 40, 60, 80, 120, 160)
DEFAULT_BINS = 20
BAR_STEPS = (5, 10, 15, 20, 30, 40, 60)
DEFAULT_BARS = 15
ZOOM_STEP = 2.0
PAN_STEP = 0.25  # of the view's width or height


@dataclass(frozen=True)
class ChartSource:
    """The rows a chart is drawn from, and the words that say what they are."""

    frame: pl.DataFrame
    title: str
    covers: str  # "The 1,000 loaded rows of 252,184 (L in the grid loads all)"
    filter: str  # "no filter" / "filter SPECIES ~ maple (applied by the portal)"
    sample: bool = False
    fields: tuple[Field, ...] = ()  # the dataset's (which columns are ids, names, codes)

    @classmethod
    def from_pane(cls, pane) -> ChartSource | None:
        """From the preview pane: its loaded rows, narrowed by the filter applied here (if any)."""
        preview = pane.preview
        if preview is None:
            return None
        frame = preview.frame
        where = preview.query.where
        filter_text = f"filter {where} (applied by the portal)" if where else "no filter"
        if pane.local_where:
            from pdxtui.filters import parse, to_polars

            node = parse(pane.local_where, preview.dataset.fields)
            if node is not None:
                frame = frame.filter(to_polars(node, frame.schema))
            filter_text = f"filter {pane.local_where} (on the loaded rows: {frame.height:,} match)"
        whole = preview.total is not None and preview.shown >= preview.total
        if whole:
            covers = f"All {preview.shown:,} rows {'matching the filter' if where else 'of the dataset'}"
        else:
            matching = " matching" if where else ""
            covers = (
                f"The {preview.shown:,} loaded rows of {fmt_count(preview.total)}{matching} (L in the grid loads all)"
            )
        return cls(
            frame=frame,
            title=preview.dataset.title,
            covers=covers,
            filter=filter_text,
            sample=preview.dataset.sample,
            fields=preview.dataset.fields,
        )


class ChartScreen(Screen[None]):
    CSS_PATH = "chart.tcss"

    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("plus,equals_sign", "zoom(2)", "Zoom in"),
        Binding("minus", "zoom(0.5)", "Zoom out"),
        Binding("left", "pan(-1, 0)", "Pan", show=False),
        Binding("right", "pan(1, 0)", "Pan", show=False),
        Binding("up", "pan(0, 1)", "Pan", show=False),
        Binding("down", "pan(0, -1)", "Pan", show=False),
        Binding("c", "colour", "Colour by"),
        Binding("D", "density", "Density/points"),
        Binding("plus,equals_sign", "bins(1)", "More bins"),
        Binding("minus", "bins(-1)", "Fewer bins"),
        Binding("plus,equals_sign", "unit(-1)", "Finer"),
        Binding("minus", "unit(1)", "Coarser"),
        Binding("0", "reset", "Reset"),
    ]

    ACTIONS_OF = {
        "zoom": ("map",),
        "pan": ("map",),
        "colour": ("map",),
        "density": ("map",),
        "bins": ("histogram", "bars"),
        "unit": ("timeseries",),
    }

    def __init__(self, source: ChartSource, kind: str, column: str | None = None) -> None:
        super().__init__()
        if kind not in CHART_KINDS:
            raise ValueError(f"unknown chart kind {kind!r}")
        self.source = source
        self.kind = kind
        self.column = column
        frame = source.frame
        # map
        coords = charts.coordinate_columns(frame.columns)
        self.lat: str | None = coords[0] if coords else None
        self.lon: str | None = coords[1] if coords else None
        self.geometry = charts.geometry_column(frame.columns)
        self.colours: list[str | None] | None = None  # found by the first drawing, off the UI thread
        self.colour_index = 0
        self.zoom = 1.0
        self.centre: tuple[float, float] | None = None
        self.density: bool | None = None  # None: automatic
        self._data: dict[str | None, charts.MapData] = {}
        self._data_lock = threading.Lock()  # the map's arrays are made once, by whichever thread comes first
        # histogram and bars
        self.bins = DEFAULT_BINS if kind == "histogram" else DEFAULT_BARS
        # time series
        self.unit: str | None = None  # None: chosen from the span
        self.shown_unit: str | None = None
        self.error = ""

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.title_text(), id="chart-title")
        yield Static(Text(one_line(f"Covers: {self.source.covers} · {self.source.filter}", 400)), id="chart-scope")
        yield ChartCanvas(self.painter(), id="chart-canvas")
        yield Static("", id="chart-legend")
        yield Static("", id="chart-status")
        yield KeysFooter()

    def title_text(self) -> Text:
        what = {
            "map": "Map of",
            "histogram": f"Histogram of {self.column} in",
            "bars": f"Top values of {self.column} in",
            "timeseries": f"Rows over time by {self.column} in",
        }[self.kind]
        out = Text(one_line(f"{what} {self.source.title}", 200), "bold", no_wrap=True, overflow="ellipsis")
        if self.source.sample:
            out.append("  ")
            out.append(" SAMPLE DATA ", "bold black on yellow")
        return out

    @property
    def canvas(self) -> ChartCanvas:
        return self.query_one(ChartCanvas)

    @property
    def colour_column(self) -> str | None:
        return self.colours[self.colour_index % len(self.colours)] if self.colours else None

    def on_mount(self) -> None:
        if self.kind == "map":  # make the map's arrays while the screen is laid out: the first draw needs them
            self.run_worker(lambda: self._map_data(0), thread=True, group="chart-prepare", exit_on_error=False)

    def _map_data(self, index: int) -> charts.MapData:
        with self._data_lock:
            choices = self._colour_choices()
            colour = choices[index % len(choices)]
            data = self._data.get(colour)
            if data is None:
                data = self._data[colour] = charts.map_data(
                    self.source.frame, self.lat, self.lon, colour, self.geometry
                )
            return data

    def _colour_choices(self) -> list[str | None]:
        if self.colours is None:
            skip = [c for c in (self.lat, self.lon, self.geometry) if c]
            self.colours = charts.colour_choices(self.source.frame, skip=skip, fields=self.source.fields)
        return self.colours

    @property
    def settled(self) -> bool:
        found = self.query(ChartCanvas)
        return not found or found.first().idle

    # ------------------------------------------------------------------ drawing (these run in the canvas's thread)
    def painter(self) -> Painter:
        kind = self.kind
        if kind == "map":
            index, zoom, centre, density = self.colour_index, self.zoom, self.centre, self.density

            def paint_map(cols: int, rows: int) -> Any:
                data = self._map_data(index)
                base = data.extent()
                if base is None:
                    return charts.ChartPicture([Text("No rows with a latitude and longitude to draw.", "yellow")], "")
                box = base
                if centre is not None:
                    x, y = base.centre
                    box = base.pan((centre[0] - x) / base.width, (centre[1] - y) / base.height)
                view = charts.fit_extent(box.zoom(zoom), cols, rows)
                picture = charts.draw_map(data, view, cols, rows, density_mode=density)
                return MapResult(picture, data)

            return paint_map
        column = cast(str, self.column)  # every kind but the map has a column (open_chart checks it)
        frame = self.source.frame
        if kind == "histogram":
            bins = self.bins

            def paint_histogram(cols: int, rows: int) -> Any:
                import polars as pl

                values = frame[column].cast(pl.Float64, strict=False).to_numpy()
                return charts.draw_histogram(values, bins, cols, rows)

            return paint_histogram
        if kind == "bars":
            bars = self.bins

            def paint_bars(cols: int, rows: int) -> Any:
                return charts.draw_bars(charts.top_values(frame[column], bars), cols, rows)

            return paint_bars
        unit = self.unit

        def paint_dates(cols: int, rows: int) -> Any:
            # buckets grow coarser (up to many years) until each has a column: nothing is cropped
            picture, self.shown_unit = charts.draw_dates(frame[column], cols, rows, unit)
            return picture

        return paint_dates

    def redraw(self) -> None:
        self.canvas.draw(self.painter())

    def on_chart_canvas_drawn(self, event: ChartCanvas.Drawn) -> None:
        legend, status = self.query_one("#chart-legend", Static), self.query_one("#chart-status", Static)
        if event.error is not None:
            self.error = error_text(event.error)
            legend.update(Text(f"Could not draw the chart: {self.error}", "red"))
            status.update("")
            return
        picture = event.picture
        if isinstance(picture, MapResult):
            legend.update(self.map_legend(picture))
            status.update(self.map_status(picture))
        else:
            legend.update(Text(one_line(picture.note, 300), "italic"))
            status.update(Text(self.chart_keys(), "dim") if self.kind != "map" else "")

    def map_legend(self, result: MapResult) -> Text:
        picture, data = result.picture, result.data
        out = Text(no_wrap=False)
        if not data.points and not data.colour_column:
            out.append(f"▭ Outlines of {data.shapes:,} shapes", charts.OUTLINE_COLOUR)
            out.append(" (polygons and lines as fetched from the layer, in WGS 84)", "dim")
            return out
        if picture.density:
            out.append("Density (points per cell): ")
            for shade, colour in zip(charts.SHADES[1:], charts.DENSITY_COLOURS):
                out.append(shade, colour)
            out.append(" few → many (log scale) · D draws single points")
        elif data.colour_column:
            out.append(f"Colour: {one_line(data.colour_column, 40)}  ", "bold")
            for i, (label, count) in enumerate(zip(data.labels, data.counts)):
                out.append("■ ", charts.PALETTE[i])
                out.append(f"{one_line(label, 30)} ({count:,})  ")
            if data.counts and data.counts[-1]:
                out.append("■ ", charts.OTHER_COLOUR)
                out.append(f"other ({data.counts[-1]:,})  ")
            out.append("· c: next column", "dim")
        else:
            out.append("No colour column", "bold")
            out.append(
                " · c: colour by a column" if len(self.colours or ()) > 1 else " (no column with 2–30 values)", "dim"
            )
        if data.shapes:
            out.append(f"  ▭ outlines of {data.shapes:,} shapes", charts.OUTLINE_COLOUR)
        return out

    def map_status(self, result: MapResult) -> Text:
        picture, data = result.picture, result.data
        mode = "density" if picture.density else "points"
        auto = "" if self.density is not None else ", automatic"
        missing = self.source.frame.height - data.points
        if self.lat is None:  # outlines only
            text = (
                f"{picture.view.label()} · {data.shapes:,} shapes ({picture.outlines:,} segments) · zoom {self.zoom:g}×"
            )
        else:
            text = (
                f"{picture.view.label()} · {picture.drawn:,} of {data.points:,} points drawn ({mode}{auto})"
                f" · zoom {self.zoom:g}×"
            )
            if missing:
                text += f" · {missing:,} rows without a location"
        text += " · +/- zoom, arrows pan, 0 fits"
        return Text(text)

    def chart_keys(self) -> str:
        if self.kind == "timeseries":
            return f"{self.shown_unit or ''} buckets · + finer, - coarser, 0 automatic"
        what = "bins" if self.kind == "histogram" else "values"
        return f"{self.bins} {what} · + more, - fewer, 0 default"

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        kinds = self.ACTIONS_OF.get(action)
        return kinds is None or self.kind in kinds

    def action_close(self) -> None:
        self.dismiss(None)

    def action_zoom(self, factor: float) -> None:
        self.zoom = min(max(self.zoom * factor, 1 / 16), 4096.0)
        self.redraw()

    def action_pan(self, dx: int, dy: int) -> None:
        picture = self.canvas.picture
        if not isinstance(picture, MapResult):
            return
        view = picture.picture.view
        x, y = self.centre or view.centre
        self.centre = (x + dx * PAN_STEP * view.width, y + dy * PAN_STEP * view.height)
        self.redraw()

    def action_colour(self) -> None:
        if self.colours is not None and len(self.colours) > 1:
            self.colour_index = (self.colour_index + 1) % len(self.colours)
            self.redraw()

    def action_density(self) -> None:
        picture = self.canvas.picture
        current = picture.picture.density if isinstance(picture, MapResult) else False
        self.density = not current
        self.redraw()

    def action_bins(self, step: int) -> None:
        steps = BIN_STEPS if self.kind == "histogram" else BAR_STEPS
        at = min(range(len(steps)), key=lambda i: abs(steps[i] - self.bins))
        self.bins = steps[min(max(at + step, 0), len(steps) - 1)]
        self.redraw()

    def action_unit(self, step: int) -> None:
        current = self.unit or self.shown_unit or "month"
        self.unit = charts.coarser(current) if step > 0 else charts.finer(current)
        self.redraw()

    def action_reset(self) -> None:
        self.zoom, self.centre, self.density = 1.0, None, None
        self.bins = DEFAULT_BINS if self.kind == "histogram" else DEFAULT_BARS
        self.unit = None
        self.redraw()


@dataclass(frozen=True)
class MapResult:
    picture: charts.MapPicture
    data: charts.MapData

    @property
    def lines(self) -> list[Text]:
        return self.picture.lines


def open_chart(screen, pane, kind: str | None = None, column: str | None = None) -> Any:
    """Open a chart of the preview pane's rows: ``kind`` None picks one from the column's type. Returns the
    ChartScreen, or None after saying why nothing can be drawn."""
    source = ChartSource.from_pane(pane) if pane is not None else None
    if source is None:
        screen.notify("Open a dataset first: charts draw its loaded rows.", markup=False, timeout=4)
        return None
    if kind == "map":
        if (
            charts.coordinate_columns(source.frame.columns) is None
            and charts.geometry_column(source.frame.columns) is None
        ):
            screen.notify(
                "No map: this dataset has no latitude/longitude columns or fetched geometry.", markup=False, timeout=5
            )
            return None
    else:
        if column is None or column not in source.frame.columns:
            screen.notify("Put the grid cursor on a column first.", markup=False, timeout=4)
            return None
        kind = kind or charts.chart_kind(source.frame.schema[column])
    chart = ChartScreen(source, kind, column)
    screen.app.push_screen(chart)
    return chart
