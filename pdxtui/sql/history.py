"""The last queries run, per portal (``MAX_QUERIES`` each, newest first), in ``sql-history.json`` in the user data
folder: changed under the data folder's lock (:meth:`pdxtui.memory.store.Memory.locked`) and replaced atomically,
like the recents. A file that is not JSON (or not a history) is set aside and a new one started, with a warning;
entries that do not read are skipped, and a copy of the file is set aside before it is rewritten without them. A file
that cannot be read, or that a newer pdxtui wrote (``pdxtui_sql_history`` above ``SCHEMA``), is read as far as it
can be and never rewritten (as :class:`pdxtui.memory.store.Memory` does). Each of these is a warning, never a crash
(a query runs whether or not its history is kept)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pdxtui.errors import PdxError
from pdxtui.textout import iso_utc, parse_iso

log = logging.getLogger(__name__)

SCHEMA = 1
MAX_QUERIES = 100
MAX_QUERY = 20_000  # characters: a longer query is run, not kept
MAX_FILE = 8_000_000


@dataclass(frozen=True)
class Past:
    """One query run: its text and when (UTC)."""

    sql: str
    at: datetime | None = None


class History:
    """``folder``: the user data folder (default ``pdxtui.datadir.data_dir()``)."""

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        from pdxtui.memory.store import Memory

        self._memory = Memory(folder)
        self.path = self._memory.folder / "sql-history.json"
        #: what went wrong (a damaged file set aside, a file that cannot be written), oldest first
        self.warnings: list[str] = []
        self._read_only: str | None = None  # why the file must not be rewritten (set by the last read)
        self._dropped = 0  # entries of the file the last read could not read

    def queries(self, portal: str) -> list[Past]:
        """The queries run on ``portal`` (:func:`pdxtui.memory.store.portal_key`), newest first."""
        return list(self._read().get(portal, []))

    def add(self, portal: str, sql: str) -> None:
        """Keep ``sql`` as the newest query on ``portal`` (an earlier run of the same text moves up; the oldest past
        ``MAX_QUERIES`` fall off). Never raises: a history that cannot be kept is a warning."""
        text = sql.strip()
        if not text or len(text) > MAX_QUERY:
            return
        from pdxtui.memory.store import StoreError

        try:
            with self._memory.locked():
                data = self._read()
                kept = [p for p in data.get(portal, []) if p.sql != text]
                data[portal] = [Past(text, datetime.now(UTC)), *kept][:MAX_QUERIES]
                self._save(data)
        except (StoreError, OSError) as exc:
            self._warn(f"the query history is not kept: {exc}")

    def clear(self, portal: str) -> int:
        from pdxtui.memory.store import StoreError

        try:
            with self._memory.locked():
                data = self._read()
                gone = len(data.pop(portal, []))
                self._save(data)
                return gone
        except (StoreError, OSError) as exc:
            raise PdxError(f"the query history could not be cleared: {exc}") from None

    def _read(self) -> dict[str, list[Past]]:
        self._read_only = None
        self._dropped = 0
        try:
            raw = self.path.read_bytes()[: MAX_FILE + 1]
        except FileNotFoundError:
            return {}
        except OSError as exc:
            self._read_only = f"cannot read {self.path}: {exc.strerror or exc}"
            self._warn(f"cannot read the query history ({self.path}): {exc.strerror or exc}")
            return {}
        try:
            if len(raw) > MAX_FILE:
                raise ValueError("it is too large to be ours")
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("portals"), dict):
                raise ValueError("it is not a pdxtui query history")
        except ValueError as exc:
            self._set_aside(str(exc))
            return {}
        version = data.get("pdxtui_sql_history")
        if isinstance(version, int) and version > SCHEMA:
            self._read_only = f"{self.path} was written by a newer pdxtui (format {version}): it is only read"
            self._warn(f"the query history {self.path} was written by a newer pdxtui: read, not changed")
        out: dict[str, list[Past]] = {}
        for portal, items in data["portals"].items():
            if not isinstance(items, list):
                self._dropped += 1
                continue
            pasts = []
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("sql"), str):
                    if item["sql"].strip():
                        at = parse_iso(item["at"]) if isinstance(item.get("at"), str) else None
                        pasts.append(Past(item["sql"], at))
                else:
                    self._dropped += 1
            out[str(portal)] = pasts[:MAX_QUERIES]
        return out

    def _save(self, data: dict[str, list[Past]]) -> None:
        """Write ``data`` over the file just read: :class:`StoreError` when that file must not be rewritten; a copy
        of it set aside first when some of its entries did not read."""
        from pdxtui.memory.store import StoreError

        if self._read_only is not None:
            raise StoreError(self._read_only)
        if self._dropped:
            aside = self._memory.set_aside(self.path, copy=True)
            if aside == self.path:
                raise StoreError(f"{self._dropped} entries of {self.path} do not read, and no copy could be kept")
            self._warn(f"{self._dropped} entries of the query history did not read; the file is kept as {aside}")
            self._dropped = 0
        body: dict[str, Any] = {
            "pdxtui_sql_history": SCHEMA,
            "portals": {
                key: [{"sql": p.sql, "at": iso_utc(p.at)} for p in pasts]
                for key, pasts in sorted(data.items())
                if pasts
            },
        }
        self._memory.write(self.path, json.dumps(body, ensure_ascii=False, indent=1) + "\n", "the query history")

    def _set_aside(self, why: str) -> None:
        aside = self._memory.set_aside(self.path)
        if aside == self.path:  # left where it is: never written over (it may be read again once put right)
            self._read_only = f"{self.path} is damaged and could not be set aside"
            self._warn(f"the query history {self.path} is damaged ({why}) and could not be set aside")
            return
        self._warn(f"the query history was damaged ({why}); it is set aside as {aside} and starts afresh")

    def _warn(self, text: str) -> None:
        log.warning("%s", text)
        if text not in self.warnings:
            self.warnings.append(text)
