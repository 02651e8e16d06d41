"""The browser's part in SQL across datasets (a mixin of :class:`pdxtui.ui.screens.browse.BrowseScreen`).

Every dataset whose rows the preview shows is a table of ``app.sql_tables`` (:mod:`pdxtui.sql.tables`): each time
rows arrive (the first page, ``+`` and ``L``, a sort or a filter the portal runs), the table takes the grid's frame
as it is (never copied), the filter the rows were read with and where they came from
(:func:`pdxtui.sql.load.add_preview`). A local sort or filter changes what the grid shows, not the rows loaded. Rows
loaded in full stay when a later preview of the dataset loads fewer. Past the tables' memory budget the rows of
the least recently used tables go (:meth:`pdxtui.sql.tables.Tables.trim`), never those the preview shows.

:meth:`SqlTables.remembered_tables` is what the SQL screen runs once to add the recents and bookmarks the cache
knows (:func:`pdxtui.sql.remembered.add_remembered`: no request is sent).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pdxtui.service import Service

log = logging.getLogger(__name__)


class SqlTables:
    # provided by the screen
    app: Any
    service: Service
    preview_pane: Any
    memory: Any
    tell_store_warnings: Any

    def _session_secrets(self) -> list[str]:
        """The tokens of this run, kept out of a table's provenance (as the export dialog keeps them out)."""
        from pdxtui.config import known_secrets

        session = getattr(self.app, "session", None)  # None in tests that give the app a service
        return known_secrets(session.config) if session is not None else []

    def table_from_preview(self, service: Service) -> None:
        """The rows the preview pane just loaded from ``service``, as the dataset's table."""
        tables = getattr(self.app, "sql_tables", None)
        preview = self.preview_pane.preview
        if tables is None or preview is None:
            return
        from pdxtui.sql.load import add_preview

        try:
            add_preview(tables, preview, service, secrets=self._session_secrets())
            # the rows of other datasets opened before go past the budget (those on screen stay): as before the
            # SQL tables, opening B lets A's rows go, unless a query used them lately and they fit
            for gone in tables.trim(keep=[preview.dataset]):
                log.info("the rows of the SQL table %s are let go (memory budget)", gone.name)
        except Exception:  # the rows are shown whatever becomes of their table: logged, browsing goes on
            log.warning("the rows of %s could not be made a SQL table", preview.dataset.id, exc_info=True)

    def remembered_tables(self) -> Callable[[], Awaitable[int]]:
        """What adds the recents and bookmarks of this browser's portal that the cache knows to the tables (for
        the SQL screen to run once, in a worker): returns how many it added. A damaged memory file is told as
        the lists tell it."""

        async def add_remembered() -> int:
            from pdxtui.memory.store import portal_key
            from pdxtui.sql.remembered import add_remembered as add

            service = self.service  # (the bundled sample, when it stands in for a portal that cannot be reached)
            try:
                return await add(self.app.sql_tables, service, self.memory(), portal_key(service.portal))
            finally:
                self.tell_store_warnings()

        return add_remembered
