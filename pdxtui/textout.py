"""Plain-text rendering for the CLI: tables, dates, counts. Every value goes through textsafe first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pdxtui.textsafe import one_line

try:  # wcwidth-like measurement without a dependency: rich is always installed with textual
    from rich.cells import cell_len
except ImportError:  # pragma: no cover
    cell_len = len  # type: ignore[assignment]  # len takes any Sized, cell_len only str


def fmt_count(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


def fmt_date(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    return value.isoformat()


def fmt_time(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds).strftime("%Y-%m-%d %H:%M")


def human_bytes(n: int | float) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def human_age(seconds: float) -> str:
    """'40 s', '12 min', '3 h', '2 days'."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def float_text(value: float) -> str:
    """A float as people read it: whole numbers without a fraction or exponent (2002440, not 2.00244e+06 or
    2002440.0), others to 10 significant digits."""
    if value != value or value in (float("inf"), float("-inf")):
        return repr(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".10g")


def fmt_cell(value: Any, max_len: int = 40) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M:%S")
            if (value.hour or value.minute or value.second)
            else value.strftime("%Y-%m-%d")
        )
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    return one_line(value, max_len)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_len(text))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], max_width: int = 40) -> str:
    """A simple aligned table. Cells are cleaned and cut to ``max_width`` characters."""
    head = [one_line(h, max_width) for h in headers]
    body = [[fmt_cell(v, max_width) for v in row] for row in rows]
    widths = [cell_len(h) for h in head]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell_len(cell))
    lines = ["  ".join(_pad(h, w) for h, w in zip(head, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in body]
    return "\n".join(lines)


def json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def dumps(value: Any) -> str:
    """JSON for stdout. ASCII-only, so no control or bidi character can reach a terminal raw."""
    return json.dumps(value, default=json_default, ensure_ascii=True, indent=2)


def local_time(moment: datetime | None, *, minutes: bool = True) -> str:
    """A moment in local time as people read it: "2026-11-20 14:05" (``minutes=False``: the day); "" for None. What
    the recents and bookmarks show, in the app and ``pdxtui bookmark list``/``recent``."""
    if moment is None:
        return ""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M" if minutes else "%Y-%m-%d")


def iso_utc(moment: datetime | None) -> str | None:
    """``2026-12-03T11:22:33Z``: a moment as ISO 8601 in UTC, to the second (a naive datetime is taken as UTC);
    None stays None. What ``--json`` output and provenance records write."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(value: Any) -> datetime | None:
    """A moment written by :func:`iso_utc` (None for anything else; a naive one is taken as UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
