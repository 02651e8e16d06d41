"""The log of every HTTP request pdxtui makes: one :class:`RequestRecord` per request (from the network or the
cache), kept in memory for the Requests panel and appended to a bounded, rotating file in the user state folder
for ``pdxtui log``.

Best effort: a log that cannot be written is never a reason for a command to fail. No secret is ever recorded:
the query is stored with secrets removed, and no request header is kept.

This module sits at the bottom, beside ``net.py`` (which records into it): it imports nothing of ours but the
state folder (``statedir``) and the text helpers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

from pdxtui.statedir import ENV_STATE_DIR

log = logging.getLogger(__name__)

#: how many records the in-memory ring keeps (the Requests panel shows the newest)
RECENT = 500
#: the file in the user state folder, and how it rotates: past FILE_BYTES it becomes requests.1.jsonl (the older
#: ones move up, requests.KEEP.jsonl is dropped), so the log never holds more than (KEEP + 1) * FILE_BYTES
FILE_NAME = "requests.jsonl"
FILE_BYTES = 1_000_000
KEEP = 4
#: after a failed write, seconds before the file is tried again (a full disk may have room again)
RETRY_WRITE = 60.0
#: the longest path-and-query kept in a record (a long SoQL query is cut, with "…" at the end)
MAX_PATH = 2000
SECRET = "[secret]"
#: the error of a request given up on by pdxtui itself (Esc, a newer search): not counted as an error
CANCELLED = "cancelled"

Listener = Callable[["RequestRecord"], None]


@dataclass(frozen=True)
class RequestRecord:
    """One request, as it was answered."""

    at: float  # time.time() when the request was asked for (UTC epoch seconds)
    host: str
    path: str  # the path, then "?" and the query when there is one, with secrets removed
    status: int | None  # HTTP status of the final answer; None: no answer (a network error) or from the cache
    bytes: int  # body bytes received (from the cache: bytes served from it)
    duration: float  # seconds from asking to the answer, waits included
    source: str  # "network", "cache" (a fresh cached answer) or "stale" (an old copy when the portal failed)
    attempts: int = 1  # tries that went to the network (0 for an answer from the cache)
    waited: float = 0.0  # seconds spent waiting: Retry-After, a 429 hold on the host, backoff between tries
    #: the rate-limit headers the server sent on this answer (names lowercased), as sent
    rate_limits: Mapping[str, str] = field(default_factory=dict)
    portal: str = ""  # the portal's name, when known
    error: str = ""  # one line, secrets removed, when the request failed (CANCELLED: pdxtui gave up on it)
    throttled: int = 0  # 429 answers among the attempts (a 429 then a 200 after Retry-After: 1, status 200)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rate_limits"] = dict(self.rate_limits)
        return data


class RequestLog:
    """Where records go: a ring in memory, listeners (the TUI's panel), and the file (see :meth:`add`).

    ``sink(record)`` is called for every record after the listeners (``current()``'s log writes the file with
    :class:`RequestFile`); like a listener, an error in it is swallowed."""

    def __init__(self, sink: Listener | None = None) -> None:
        self._lock = threading.Lock()
        self._recent: deque[RequestRecord] = deque(maxlen=RECENT)
        self._listeners: list[Listener] = []
        self.sink = sink

    def add(self, record: RequestRecord) -> None:
        """Keep ``record``. Thread-safe; listeners are called in the caller's thread and must not raise (an error
        in one is swallowed, so that logging never breaks a request)."""
        with self._lock:
            self._recent.append(record)
            listeners = list(self._listeners)
        for listener in listeners:
            with contextlib.suppress(Exception):  # a broken listener must never break the request being logged
                listener(record)
        if self.sink is not None:
            with contextlib.suppress(Exception):  # the file is best effort (RequestFile logs its own trouble)
                self.sink(record)

    def recent(self, n: int = RECENT) -> list[RequestRecord]:
        """The newest ``n`` records of this process, oldest first."""
        with self._lock:
            items = list(self._recent)
        return items[-n:] if n < len(items) else items

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(record)`` for every record from now on; returns the function that stops it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe


@dataclass
class HostDay:
    """What was asked of one host on one day (UTC): what ``pdxtui log`` and the Requests panel total."""

    day: str  # YYYY-MM-DD, UTC
    host: str
    requests: int = 0  # every record: from the network and from the cache
    network: int = 0  # of which went to the network (a record with attempts > 0)
    attempts: int = 0  # tries sent, retries included
    bytes: int = 0  # bytes received from the network
    cache_hits: int = 0  # answered from the cache (fresh or stale)
    throttled: int = 0  # 429 answers received (retried ones included)
    errors: int = 0  # failed requests (an error, or a final status of 400 or more; not one pdxtui cancelled)
    waited: float = 0.0  # seconds spent waiting


def day_of(at: float) -> str:
    """The UTC day (YYYY-MM-DD) of an epoch time."""
    return time.strftime("%Y-%m-%d", time.gmtime(at))


def daily_totals(records: Iterable[RequestRecord]) -> list[HostDay]:
    """Totals per (day, host), sorted by day then host. A stale answer (the portal failed, an old copy stood in)
    counts as a cache hit and, when it was tried, as a network request; its bytes came from the cache."""
    totals: dict[tuple[str, str], HostDay] = {}
    for r in records:
        key = (day_of(r.at), r.host)
        t = totals.get(key)
        if t is None:
            t = totals[key] = HostDay(*key)
        t.requests += 1
        if r.source == "network" or r.attempts > 0:
            t.network += 1
        if r.source == "network":
            t.bytes += r.bytes
        else:
            t.cache_hits += 1
        t.attempts += r.attempts
        t.throttled += max(r.throttled, int(r.status == 429))
        t.errors += (bool(r.error) and r.error != CANCELLED) or (r.status is not None and r.status >= 400)
        t.waited += r.waited
    return [totals[k] for k in sorted(totals)]


def grand_total(days: Iterable[HostDay]) -> HostDay:
    """The sum of ``days`` (day and host empty)."""
    total = HostDay("", "")
    for d in days:
        for name in ("requests", "network", "attempts", "bytes", "cache_hits", "throttled", "errors", "waited"):
            setattr(total, name, getattr(total, name) + getattr(d, name))
    return total


#: the columns of :func:`usage_table`: heading, HostDay attribute
USAGE_COLUMNS = (
    ("Day", "day"),
    ("Host", "host"),
    ("Requests", "requests"),
    ("Network", "network"),
    ("Cache hits", "cache_hits"),
    ("Bytes", "bytes"),
    ("429s", "throttled"),
    ("Errors", "errors"),
    ("Waited", "waited"),
)


def usage_table(days: list[HostDay]) -> list[str]:
    """Per host per day, as aligned plain-text lines: a heading, one line a (day, host), and a total line."""
    from pdxtui.textout import human_bytes
    from pdxtui.textsafe import one_line

    total = grand_total(days)
    total.day = "Total"

    def cells(d: HostDay) -> list[str]:
        return [
            d.day,
            one_line(d.host),
            f"{d.requests:,}",
            f"{d.network:,}",
            f"{d.cache_hits:,}",
            human_bytes(d.bytes),
            f"{d.throttled:,}",
            f"{d.errors:,}",
            f"{d.waited:.1f} s",
        ]

    rows = [[h for h, _ in USAGE_COLUMNS], *(cells(d) for d in days), cells(total)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(USAGE_COLUMNS))]

    def line(row: list[str]) -> str:
        text = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(text).rstrip()

    return [line(r) for r in rows]


# -- secrets ------------------------------------------------------------------------------------------------------

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def add_secrets(values: Iterable[str | None]) -> None:
    """Values never to be written to the log (tokens, keys), as they are and percent-encoded; the words of a
    header value ("Bearer abc...") as well."""
    from pdxtui.textsafe import secret_forms

    found = secret_forms(values, words=True)
    with _secrets_lock:
        _secrets.update(found)


def scrub(text: str) -> str:
    """``text`` without any value given to :func:`add_secrets`."""
    from pdxtui.textsafe import without_secrets

    with _secrets_lock:
        secrets = set(_secrets)
    return without_secrets(text, secrets, SECRET)


# -- the file -----------------------------------------------------------------------------------------------------


def log_path(folder: str | os.PathLike[str] | None = None) -> Path:
    """The current log file: ``requests.jsonl`` in ``folder`` (default: the user state folder)."""
    if folder is None:
        from pdxtui.statedir import state_dir

        folder = state_dir()
    return Path(folder) / FILE_NAME


def rotated(path: Path, n: int) -> Path:
    """The ``n``-th older file beside ``path`` (requests.1.jsonl is the newest of them)."""
    return path.with_name(f"{path.stem}.{n}{path.suffix}")


def log_files(path: Path) -> list[Path]:
    """The log's files that exist, oldest first."""
    return [p for p in (*(rotated(path, n) for n in range(KEEP, 0, -1)), path) if os.path.lexists(p)]


class RequestFile:
    """Appends records to the log file, one JSON line each, rotating past ``max_bytes``.

    One open handle (in append mode, so that two pdxtui processes writing at once each add whole lines), one
    ``write`` a record: nothing is buffered, a crash loses at most the line being written. The folder is the
    user state folder unless ``path`` is given; it is looked up again when ``PDXTUI_STATE_DIR`` changes. Trouble
    (a folder that cannot be written, a full disk) is logged once per file, and records are dropped until the file
    is tried again ``RETRY_WRITE`` seconds later: a log that cannot be written never stops a request."""

    def __init__(self, path: str | os.PathLike[str] | None = None, max_bytes: int = FILE_BYTES) -> None:
        self._fixed = Path(path) if path is not None else None
        self.max_bytes = max(1, int(max_bytes))
        self._lock = threading.Lock()
        self._env: str | None = None
        self._path: Path | None = None
        self._fd: int | None = None
        self._fd_path: Path | None = None
        self._failed: Path | None = None
        self._failed_at = 0.0
        self._warned: set[Path] = set()
        #: the last problem writing the file ("" when none)
        self.problem = ""

    def path(self) -> Path:
        if self._fixed is not None:
            return self._fixed
        env = os.environ.get(ENV_STATE_DIR, "")  # the folder is looked up again only when this changes
        if self._path is None or env != self._env:
            self._env, self._path = env, log_path()
        return self._path

    def __call__(self, record: RequestRecord) -> None:
        self.write(record)

    def write(self, record: RequestRecord) -> bool:
        """Append ``record``; False when it could not be written."""
        line = (json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n").encode(
            "utf-8", "replace"
        )
        with self._lock:
            path = self.path()
            if path == self._failed and time.monotonic() - self._failed_at < RETRY_WRITE:
                return False
            try:
                fd = self._open(path)
                if os.fstat(fd).st_size + len(line) > self.max_bytes:
                    fd = self._rotate(path, fd)
                os.write(fd, line)
            except OSError as exc:
                self._close()
                self._failed, self._failed_at = path, time.monotonic()
                self.problem = f"could not write the request log {path}: {exc.strerror or exc}"
                if path not in self._warned:
                    self._warned.add(path)
                    log.warning("requests are not being recorded: %s", self.problem)
                return False
            self._failed, self.problem = None, ""
        return True

    def close(self) -> None:
        with self._lock:
            self._close()

    def _open(self, path: Path) -> int:
        if self._fd is not None and self._fd_path == path and self._still_there(path, self._fd):
            return self._fd
        self._close()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        self._fd, self._fd_path = os.open(path, flags, 0o600), path
        return self._fd

    @staticmethod
    def _still_there(path: Path, fd: int) -> bool:
        """Is the open file still the one at ``path``? (Not when it was deleted, or another process rotated it
        away: writing on would put the records in a file nobody reads.)"""
        try:
            now, mine = os.stat(path), os.fstat(fd)
        except OSError:
            return False
        return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)

    def _close(self) -> None:
        fd, self._fd, self._fd_path = self._fd, None, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _rotate(self, path: Path, fd: int) -> int:
        """Move the full file aside (unless another process did already: then just open the new one)."""
        mine = os.fstat(fd)
        self._close()
        try:
            now = os.stat(path)
        except FileNotFoundError:
            now = None
        if now is not None and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
            try:
                for n in range(KEEP - 1, 0, -1):
                    if os.path.lexists(rotated(path, n)):
                        os.replace(rotated(path, n), rotated(path, n + 1))
                os.replace(path, rotated(path, 1))
            except FileNotFoundError:
                pass  # another process is rotating at the same moment: its new file is the one to append to
        return self._open(path)


def write_problem(path: str | os.PathLike[str] | None = None) -> str:
    """Why the log file could not be appended to, as far as can be told without writing ("" when it looks fine)."""
    current = Path(path) if path is not None else log_path()
    folder = current.parent
    while not os.path.lexists(folder) and folder.parent != folder:
        folder = folder.parent  # made on the first write: what matters is the nearest folder that exists
    if os.path.lexists(current) and not current.is_file():
        return f"{current} is not a file"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    target = current if os.path.lexists(current) else folder
    if not os.access(target, os.W_OK):
        return f"{target} cannot be written"
    return ""


@dataclass
class Reading:
    """What :func:`read_records` found."""

    records: list[RequestRecord]
    path: Path  # the current log file
    damaged: int = 0  # lines that could not be read (skipped)
    problem: str = ""  # a file that could not be read at all, in one line ("" when none)


_FIELDS = {f.name: f for f in dc_fields(RequestRecord)}
#: 9999-12-31 23:59:59 UTC: a record's time past this is damage (and time.gmtime would fail on it)
LATEST_TIME = 253402300799
_NUMBER = (int, float)


def record_from_json(data: Any) -> RequestRecord | None:
    """A record from one parsed line; None when it is not one (a line of a damaged or foreign file)."""
    if not isinstance(data, dict):
        return None
    known = {k: v for k, v in data.items() if k in _FIELDS}
    try:
        ok = (
            isinstance(known["at"], _NUMBER)
            and isinstance(known["host"], str)
            and isinstance(known["path"], str)
            and (known["status"] is None or isinstance(known["status"], int))
            and isinstance(known["bytes"], int)
            and isinstance(known["duration"], _NUMBER)
            and isinstance(known["source"], str)
            and isinstance(known.get("attempts", 1), int)
            and isinstance(known.get("waited", 0.0), _NUMBER)
            and isinstance(known.get("throttled", 0), int)
            and isinstance(known.get("rate_limits", {}), dict)
            and isinstance(known.get("portal", ""), str)
            and isinstance(known.get("error", ""), str)
        )
    except KeyError:
        return None
    if not ok or not 0 <= known["at"] <= LATEST_TIME:  # NaN, infinity, or a time no clock gives
        return None
    known["rate_limits"] = {str(k): str(v) for k, v in known.get("rate_limits", {}).items()}
    return RequestRecord(**known)


def host_matches(host: str, wanted: str) -> bool:
    """``wanted`` (a host name, or a URL) is ``host`` or a domain above it (arcgis.com matches services.arcgis.com)."""
    from urllib.parse import urlsplit

    wanted = wanted.strip().lower()
    if "//" in wanted:
        wanted = urlsplit(wanted).hostname or wanted
    host = host.lower()
    return bool(wanted) and (host == wanted or host.endswith("." + wanted))


def read_records(
    since: float | None = None,
    host: str | None = None,
    *,
    portal: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Reading:
    """The records in the log's files (oldest first), from ``since`` (epoch seconds) on, to ``host`` (see
    :func:`host_matches`), of ``portal``. Damaged lines are skipped and counted; a file that cannot be read is
    named in ``problem``. Never raises for the file system."""
    current = Path(path) if path is not None else log_path()
    reading = Reading([], current)
    try:
        files = log_files(current)
    except OSError as exc:
        reading.problem = f"could not read the request log {current}: {exc.strerror or exc}"
        return reading
    for name in files:
        try:
            with open(name, "rb") as f:
                lines = f.read().splitlines()
        except OSError as exc:
            reading.problem = f"could not read the request log {name}: {exc.strerror or exc}"
            continue
        for raw in lines:
            if not raw.strip():
                continue
            try:
                record = record_from_json(json.loads(raw))
            except (ValueError, TypeError, RecursionError):
                record = None
            if record is None:
                reading.damaged += 1
                continue
            if since is not None and record.at < since:
                continue
            if host is not None and not host_matches(record.host, host):
                continue
            if portal is not None and record.portal != portal:
                continue
            reading.records.append(record)
    reading.records.sort(key=lambda r: r.at)
    return reading


def usage_for(
    portals: Iterable[str] = (),
    hosts: Iterable[str] = (),
    *,
    days: int = 30,
    now: float | None = None,
    path: str | os.PathLike[str] | None = None,
) -> tuple[HostDay, ...]:
    """Totals per host and day of the requests of the last ``days`` days (UTC, today included) made for one of
    ``portals`` (a record's ``portal``) or to one of ``hosts``, from the log file."""
    import calendar

    today = time.gmtime(time.time() if now is None else now)
    since = calendar.timegm((today.tm_year, today.tm_mon, today.tm_mday, 0, 0, 0)) - (max(1, days) - 1) * 86400
    names, wanted = set(portals), {h.lower() for h in hosts if h}
    records = read_records(since=since, path=path).records
    return tuple(daily_totals(r for r in records if r.portal in names or r.host.lower() in wanted))


_current: RequestLog | None = None
_current_lock = threading.Lock()


def current() -> RequestLog:
    """This process's request log (made on first use), which writes the file in the user state folder."""
    global _current
    with _current_lock:
        if _current is None:
            _current = RequestLog(sink=RequestFile())
        return _current
