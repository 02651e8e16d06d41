"""What a screen does when its preview pane (or its Stats pane) asks for something: the cell view, the column
picker, the "load all" question, a map, a chart, statistics or facets of a column. A mixin of the screens that show
rows in a :class:`pdxtui.ui.widgets.preview.PreviewPane` (the browser, the SQL screen), with
:class:`pdxtui.ui.screens.browse_counts.ColumnCounts`; each screen has its own ``action_chart``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pdxtui.ui.widgets.preview import PreviewPane
    from pdxtui.ui.widgets.stats import StatsPane


class GridRequests:
    # provided by the screen
    app: Any
    action_chart: Any
    show_stats: Any
    show_facets: Any

    def on_preview_pane_cell_wanted(self, event: PreviewPane.CellWanted) -> None:
        from pdxtui.ui.screens.cell import CellScreen

        self.app.push_screen(CellScreen(event.column, event.row, event.value))

    def on_preview_pane_columns_wanted(self, event: PreviewPane.ColumnsWanted) -> None:
        from pdxtui.ui.screens.columns import ColumnsScreen

        self.app.push_screen(ColumnsScreen(event.columns, event.visible), event.pane.set_columns)

    def on_preview_pane_load_all_asked(self, event: PreviewPane.LoadAllAsked) -> None:
        from pdxtui.ui.screens.confirm import ConfirmScreen

        load = event.load

        def answered(yes: bool | None) -> None:
            if yes:
                load()

        self.app.push_screen(ConfirmScreen(event.question, event.detail), answered)

    def on_preview_pane_map_wanted(self) -> None:
        self.action_chart("map")

    def on_stats_pane_chart_wanted(self, event: StatsPane.ChartWanted) -> None:
        self.action_chart(None, event.column)

    def on_preview_pane_column_chosen(self, event: PreviewPane.ColumnChosen) -> None:
        if event.purpose == "stats":
            self.show_stats(event.column)
        elif event.purpose == "facets":
            self.show_facets(event.column)
        elif event.purpose == "chart":
            self.action_chart(None, event.column)
