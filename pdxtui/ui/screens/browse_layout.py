"""How the browser shares a small terminal: which pane the focus is in, the catalog that steps aside while a dataset
is worked on in a narrow terminal, and ``z``, which zooms the focused pane (maximise / restore).

The classes it sets on the browse screen (browse.tcss reads them):

- ``-open`` (on the sidebar): a dataset is open (or opening);
- ``-aside`` (on the sidebar): the focus is in one of the dataset's panes (metadata, schema/stats, preview);
- ``-narrow`` (set by the app below 100 columns): with the two above, the catalog sidebar is hidden, so the
  dataset's panes get the whole width. Focusing the search box or the list (``1``, ``2``, ``/`` outside the
  grid, the palette) brings it back.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget

#: the panes ``z`` can zoom, each a direct part of the layout: the catalog sidebar (search box, facets, list), the
#: metadata, the Schema/Stats tabs and the preview (grid, header, filter bar), or the changed rows shown in its place
PANES = ("sidebar", "metadata", "side", "preview", "changed")
#: the panes of an open dataset: focus in one of them lets the catalog step aside in a narrow terminal
DATASET_PANES = ("metadata", "side", "preview", "changed")
#: what stays on screen around a zoomed pane: the messages and the keys
KEPT_WHEN_ZOOMED = "#banner, #status, Footer"


def pane_of(widget: Widget | None) -> Widget | None:
    """The zoomable pane that holds ``widget`` (None when it is in none of them)."""
    node: object = widget
    while isinstance(node, Widget):
        if node.id in PANES:
            return node
        node = node.parent
    return None


def focus_moved(screen: Screen, widget: Widget) -> None:
    """Keep the layout classes true after the focus moved to ``widget``; leave a zoomed pane when the focus goes
    elsewhere (e.g. ``/`` from the zoomed grid)."""
    pane = pane_of(widget)
    # (on the sidebar, not the screen: restyling the whole screen on every focus move costs, and disturbs the
    # tables' hover highlight). Only a narrow screen's CSS reads it: in a wide one the sidebar (search box, facets,
    # list) is not restyled for it (~15 ms of CPU a Tab into or out of the panes); the screen turning narrow
    # restyles every node, with the class as it is by then.
    aside = pane is not None and pane.id in DATASET_PANES
    screen.query_one("#sidebar").set_class(aside, "-aside", update=screen.has_class("-narrow"))
    zoomed = screen.maximized
    if zoomed is not None and pane is not None and pane is not zoomed:
        screen.minimize()


def toggle_zoom(screen: Screen) -> str:
    """Zoom the focused pane to the whole screen, or restore the layout when one is zoomed; returns what was done
    for the status line ("" when there is no pane to zoom)."""
    if screen.maximized is not None:
        screen.minimize()
        return "Layout restored: z zooms the focused pane again."
    pane = pane_of(screen.focused)
    if pane is None or not pane.display:
        return ""
    screen.maximized = pane
    return "Zoomed: z restores the layout."
