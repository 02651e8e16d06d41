"""Stats pane: type, counts, nulls, distinct values, range, mean/median and the top values of one column."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from pdxtui.model import describe_near
from pdxtui.stats import ColumnStats, bar, format_count, format_pct, format_value
from pdxtui.textout import fmt_count
from pdxtui.textsafe import one_line
from pdxtui.ui.safe import plain

BAR_WIDTH = 8
HINT = "Press s on a grid column, or Enter on a field in the schema, for its statistics."


def matching_words(where: str | None, near: tuple[float, float, float] | None = None) -> str:
    """`` matching the filter X`` / `` within 200 m of …`` / both / "" (no filter): the rows a filter keeps."""
    out = f" matching the filter {one_line(where, 160)}" if where else ""
    if near is not None:
        out += f"{' and' if out else ''} {describe_near(near)}"
    return out


def covered_rows(preview, *, local_where: str | None = None, matching: int | None = None, counted_by: str = "") -> str:
    """Which rows statistics or facets cover, in words: all rows of the dataset, all rows matching the filter, or
    the loaded rows only (with how many there are in all). ``local_where`` is a filter applied to the loaded rows
    here (``matching`` of them pass it); ``counted_by`` names the portal when it counted on its server."""
    query = preview.query
    total, shown = preview.total, preview.shown
    if counted_by:
        what = matching_words(query.where, query.near) or " of the dataset"
        return f"All {fmt_count(total)} rows{what}, counted by {counted_by}."
    whole = total is not None and shown >= total
    if local_where:
        what = matching_words(" and ".join(w for w in (query.where, local_where) if w), query.near)
        kept = matching if matching is not None else shown
        if whole:
            return f"All {kept:,} rows{what} ({kept:,} of {shown:,}, filtered here)."
        return f"The {kept:,} loaded rows{what} ({kept:,} of {shown:,} loaded, {fmt_count(total)} in all; L loads all)."
    what = matching_words(query.where, query.near)
    if whole:
        return f"All {shown:,} rows{what or ' of the dataset'}."
    return f"The {shown:,} loaded rows of {fmt_count(total)}{what} (L loads all)."


def render_stats(stats: ColumnStats, note: str = "") -> Group:
    head = Text()
    head.append(one_line(stats.column, 80), "bold")
    head.append(" · ")
    head.append(stats.dtype, "cyan")
    facts = Table.grid(padding=(0, 1))
    facts.add_column(style="dim", no_wrap=True, width=10)
    facts.add_column(overflow="fold")
    rows: list[tuple[str, str]] = [
        ("Rows", format_count(stats.rows)),
        ("Non-null", format_count(stats.non_null)),
        ("Null", f"{format_count(stats.nulls)} ({format_pct(stats.null_pct)})"),
        ("Distinct", format_count(stats.distinct)),
    ]
    if stats.earliest is not None or stats.latest is not None:
        rows += [("Earliest", format_value(stats.earliest)), ("Latest", format_value(stats.latest))]
    elif stats.min is not None or stats.max is not None:
        rows += [("Min", format_value(stats.min, 60)), ("Max", format_value(stats.max, 60))]
    if stats.mean is not None:
        rows.append(("Mean", format_value(stats.mean)))
    if stats.median is not None:
        rows.append(("Median", format_value(stats.median)))
    if stats.nans:
        rows.append(("NaN", format_count(stats.nans)))
    for label, value in rows:
        facts.add_row(label, Text(value))
    parts: list = [head]
    if note:
        parts.append(Text(note, "italic dim"))
    parts.append(facts)
    if stats.top:
        top = Table(box=None, padding=(0, 1, 0, 0), show_header=True, header_style="bold", expand=True)
        top.add_column("Top values", overflow="ellipsis", no_wrap=True, ratio=1)
        top.add_column("Count", justify="right", no_wrap=True)
        top.add_column("%", justify="right", no_wrap=True)
        top.add_column("", no_wrap=True, width=BAR_WIDTH)
        for vc in stats.top:
            top.add_row(
                Text(format_value(vc.value, 40)),
                format_count(vc.count),
                format_pct(vc.pct),
                Text(bar(stats.scale(vc.count), BAR_WIDTH), "green"),
            )
        if stats.other:
            top.add_row(
                Text("(others)", "dim"),
                format_count(stats.other),
                format_pct(100 * stats.other / stats.rows if stats.rows else 0),
                "",
            )
        parts += [Text(""), top]
    return Group(*parts)


class StatsPane(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    StatsPane { padding: 0 1; }
    """

    BINDINGS = [Binding("v", "chart", "Chart")]
    column: str | None = None

    @dataclass
    class ChartWanted(Message):
        """The user asked for a chart of the column shown (histogram, top values or time series, by its type)."""

        pane: StatsPane
        column: str

        @property
        def control(self) -> StatsPane:
            return self.pane

    def action_chart(self) -> None:
        if self.column is not None:
            self.post_message(self.ChartWanted(self, self.column))

    def compose(self):
        yield Static(Text(HINT, "dim"), id="stats-body")

    def reset(self) -> None:
        """Forget the statistics shown (another dataset is opening): back to the hint."""
        self.column = None
        self.loading = False
        self.query_one("#stats-body", Static).update(Text(HINT, "dim"))
        self.scroll_home(animate=False)

    def show(self, stats: ColumnStats, note: str = "") -> None:
        self.column = stats.column
        self.query_one("#stats-body", Static).update(render_stats(stats, note))

    def show_message(self, message: str, style: str = "dim") -> None:
        self.query_one("#stats-body", Static).update(plain(message, style))
