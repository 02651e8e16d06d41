"""What start-up leaves until the catalog has painted.

- **Stylesheets.** Every screen keeps its CSS beside it (``screens/<name>.tcss``). The first frame needs only the
  browser's (``browse.tcss``) and the app-wide focus styles (``focus.tcss``): the app reads those at start, and
  :func:`load_later_css` reads the others right after the catalog has painted, before the detail panes are
  mounted. A screen's first push then finds its CSS loaded; otherwise that push would re-apply the whole
  stylesheet to every widget, and the schema pane (textual's DataTable) would take the rules of
  textual-fastdatatable's DataTable, which shares its CSS name.
- **The SQL screen's modules** are imported in a thread once the catalog has painted (:func:`warm_sql`): its
  first opening then only builds the screen.
- **The garbage collector.** Start-up allocates much and frees little, so the command line turns the collector
  off while the browser starts (``pdxtui.cli.tui``); :func:`collect_again` turns it back on, after freezing what
  start-up made (the modules, classes and styles that live as long as the app) so that later collections do
  not walk it again.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

SCREENS = Path(__file__).parent / "screens"
#: read before the first frame (``PdxApp.CSS_PATH``, relative to the app's module)
FIRST_CSS = ("screens/browse.tcss", "screens/focus.tcss")


def later_css() -> list[Path]:
    """The stylesheets of the screens the first frame does not show, in name order."""
    first = {Path(name).name for name in FIRST_CSS}
    return sorted(path for path in SCREENS.glob("*.tcss") if path.name not in first)


def load_later_css(app: Any) -> None:
    """Read the stylesheets :func:`later_css` names that the app has not read yet, and restyle what is mounted
    (this is what textual does when a screen with a CSS file of its own is first pushed)."""
    sheet = app.stylesheet
    new = [path for path in later_css() if not sheet.has_source(os.path.abspath(path), "")]
    for path in new:
        sheet.read(path)
    if new:
        sheet.reparse()
        sheet.update(app)


def warm_sql() -> None:
    """Import what the SQL screen's first opening needs (its modules, the SQL grammar, the query history's store),
    in a thread once the catalog has painted: that opening then only builds the screen. Best effort: a module that
    fails to import here fails again, and is reported, where it is used."""
    import importlib

    for name in (
        "pdxtui.ui.screens.sql",
        "pdxtui.ui.screens.sql_ask",
        "pdxtui.sql.history",
        "pdxtui.sql.remembered",
        "tree_sitter_sql",
        "diskcache",
    ):
        try:
            importlib.import_module(name)
        except Exception:  # (warming only: the real import, where the module is used, says what is wrong)
            continue


def collect_again() -> None:
    """Turn the garbage collector back on if start-up turned it off (a no-op otherwise, as under tests)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
