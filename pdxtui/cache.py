"""The HTTP response cache: diskcache holding **bytes only**.

diskcache unpickles whatever it reads, so a tampered cache could run code. ``_BytesDisk`` refuses to store
anything but ``bytes`` and refuses to unpickle anything it finds, so nothing but raw bytes ever goes in or
comes out. Each value is a small header (stored-at time, content type) followed by the body.

Keys are the sha256 of portal + URL + sorted parameters, with secrets (tokens, keys, passwords) removed first,
so no secret reaches the disk even by mistake.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import struct
import time
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import diskcache

log = logging.getLogger(__name__)

#: inside :func:`cache_only`: fetchers answer from their cache and send nothing
_cache_only: ContextVar[bool] = ContextVar("pdxtui_cache_only", default=False)


@contextlib.contextmanager
def cache_only() -> Iterator[None]:
    """Within this block (this task, and the tasks it starts), every ``pdxtui.net.Fetcher`` answers from its cache,
    a fresh or a stale copy alike (served as "cache": the portal was not asked), and raises
    :class:`~pdxtui.errors.NotCached` instead of sending a request: what pdxtui knows without the network (the
    remembered datasets a SQL query can name). Other tasks sharing the fetcher go on as usual."""
    token = _cache_only.set(True)
    try:
        yield
    finally:
        _cache_only.reset(token)


def only_cached() -> bool:
    """Whether the running code is inside :func:`cache_only`."""
    return _cache_only.get()


DEFAULT_SIZE_LIMIT = 1 << 30  # 1 GiB
ENV_CACHE_DIR = "PDXTUI_CACHE_DIR"

# Parameter names that carry secrets, compared after lower-casing and dropping "$", "-" and "_".
_SECRET_NAMES = frozenset(
    {"token", "apptoken", "apikey", "key", "accesstoken", "password", "passwd", "secret", "clientsecret"}
)

_MAGIC = b"PDXC1"
_HEADER = struct.Struct(">5sI")  # magic, length of the JSON metadata that follows

_MISSING = object()

Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


def default_cache_dir() -> Path:
    """``$PDXTUI_CACHE_DIR`` if set, else the platform's user cache folder for pdxtui."""
    env = os.environ.get(ENV_CACHE_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("pdxtui"))


def is_secret_param(name: str) -> bool:
    """True for parameter names like token, app_token, $$app_token, api_key, apikey, key, password."""
    return name.lower().replace("$", "").replace("-", "").replace("_", "") in _SECRET_NAMES


def _pairs(params: Params) -> list[tuple[str, str]]:
    if not params:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    out: list[tuple[str, str]] = []
    for name, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        out.extend((str(name), "" if v is None else str(v)) for v in values)
    return out


def _url_for_key(url: str) -> str:
    """The URL as a key sees it. A secret-looking parameter written into the URL itself (a publisher's own link
    such as a Google Sheet's ``?key=SHEETID`` or a signed ``?token=`` download) tells one file from another, so it
    stays, but only as a digest of its value; user:password is dropped."""
    parts = urlsplit(url)
    query = sorted(
        (k, "sha256:" + hashlib.sha256(v.encode("utf-8")).hexdigest()[:32]) if is_secret_param(k) else (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme.lower(), netloc.lower(), parts.path, urlencode(query), ""))


def canonical(portal: str, url: str, params: Params = None) -> str:
    """The string a key is hashed from. Holds no secrets; never stored. Secret parameters that pdxtui adds
    (``params``, e.g. PortlandMaps' ``api_key``) are left out, so a new key still finds the cached answers."""
    pairs = sorted((k, v) for k, v in _pairs(params) if not is_secret_param(k))
    return json.dumps([portal, _url_for_key(url), pairs], separators=(",", ":"))


def key(portal: str, url: str, params: Params = None) -> str:
    """Stable cache key: sha256 hex of portal + URL + sorted parameters, without secrets or headers."""
    return hashlib.sha256(canonical(portal, url, params).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    body: bytes
    stored_at: float
    age: float
    fresh: bool
    content_type: str = ""


class _BytesDisk(diskcache.Disk):
    """A diskcache Disk that stores and returns raw bytes only, and never unpickles."""

    def put(self, key: Any) -> tuple[Any, bool]:
        if type(key) is not str:
            raise TypeError("cache keys must be str")
        return super().put(key)

    def get(self, key: Any, raw: bool) -> Any:
        return key if raw else None  # a pickled key: refuse to load it

    def store(self, value: Any, read: bool, key: Any = diskcache.core.UNKNOWN) -> Any:
        if type(value) is not bytes:
            raise TypeError("the pdxtui cache stores bytes only")
        return super().store(value, read, key)

    def filename(self, key: Any = diskcache.core.UNKNOWN, value: Any = diskcache.core.UNKNOWN) -> tuple[str, str]:
        """Where a large body goes: one of 16 sub-folders, not diskcache's two levels of 256. Creating a folder
        costs about as much as writing a 250 kB page, and the default layout makes two new ones for nearly every
        page of a fresh cache; 16 folders hold a full 1 GiB cache of large pages with a few hundred files each."""
        hex_name = os.urandom(16).hex()
        name = os.path.join(hex_name[:1], hex_name[1:] + ".val")
        return name, os.path.join(self._directory, name)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode not in (diskcache.core.MODE_RAW, diskcache.core.MODE_BINARY):
            return None  # text or pickle: not ours, and never unpickled
        return super().fetch(mode, filename, value, False)


def _pack(body: bytes, content_type: str, stored_at: float) -> bytes:
    meta = json.dumps({"t": stored_at, "ct": content_type}, separators=(",", ":")).encode("utf-8")
    return _HEADER.pack(_MAGIC, len(meta)) + meta + body


def _unpack(value: bytes) -> tuple[bytes, str, float] | None:
    if len(value) < _HEADER.size:
        return None
    magic, n = _HEADER.unpack_from(value)
    if magic != _MAGIC or _HEADER.size + n > len(value):
        return None
    try:
        meta = json.loads(value[_HEADER.size : _HEADER.size + n])
        stored_at, ctype = float(meta["t"]), str(meta.get("ct", ""))
    except (ValueError, TypeError, KeyError):
        return None
    return value[_HEADER.size + n :], ctype, stored_at


def _secure_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


class Store:
    """The response cache. Never raises on cache trouble: problems become misses and a ``warning``."""

    def __init__(self, cache: diskcache.Cache | None, path: Path | None, size_limit: int, warning: str = "") -> None:
        self._cache = cache
        self.path = path
        self.size_limit = size_limit
        self.warning = warning

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, size_limit: int = DEFAULT_SIZE_LIMIT) -> Store:
        """Open the cache in ``path`` (``--cache-dir``), else ``default_cache_dir()``.

        If the folder cannot be created or the database is unreadable, returns a disabled store whose
        ``warning`` says why.
        """
        folder = Path(path).expanduser() if path else default_cache_dir()
        try:
            _secure_dir(folder)
            cache = diskcache.Cache(str(folder), disk=_BytesDisk, size_limit=int(size_limit), timeout=5)
        except Exception as exc:  # OSError, sqlite3.DatabaseError, diskcache.Timeout, ...
            log.warning("cache disabled: %s", exc)
            return cls.disabled(folder, _open_warning(folder, exc), size_limit=size_limit)
        return cls(cache, folder, int(size_limit))

    @classmethod
    def disabled(cls, path: Path | None = None, warning: str = "", *, size_limit: int = DEFAULT_SIZE_LIMIT) -> Store:
        """A store that misses every get and ignores every put."""
        return cls(None, path, size_limit, warning)

    @property
    def enabled(self) -> bool:
        return self._cache is not None

    def get(self, key: str, ttl: float | None) -> Entry | None:
        """The entry for ``key``, fresh or stale (``fresh`` says which), or None. ``ttl`` None: never stale."""
        if self._cache is None:
            return None
        try:
            value = self._cache.get(key, default=_MISSING)
        except Exception as exc:
            self._trouble("read", exc)
            return None
        if value is _MISSING:
            return None
        unpacked = _unpack(value) if type(value) is bytes else None
        if unpacked is None:
            self.delete(key)  # not ours: treat as a miss and drop it
            return None
        body, ctype, stored_at = unpacked
        age = max(0.0, time.time() - stored_at)
        fresh = ttl is None or age < ttl
        return Entry(body=body, stored_at=stored_at, age=age, fresh=fresh, content_type=ctype)

    def put(self, key: str, body: bytes, content_type: str = "") -> None:
        if self._cache is None:
            return
        try:
            self._cache.set(key, _pack(bytes(body), content_type, time.time()))
        except Exception as exc:
            self._trouble("write", exc)

    def _trouble(self, action: str, exc: Exception) -> None:
        """A failed read or write. A damaged database (found corrupt after it opened) or a folder that stopped
        being writable turns the cache off for the rest of the run, with a ``warning`` saying why; anything else
        (a lock timeout, say) is just a miss."""
        log.warning("cache %s failed: %s", action, exc)
        text = str(exc).lower()
        damaged = isinstance(exc, sqlite3.DatabaseError) and not any(word in text for word in ("locked", "busy"))
        if not (damaged or isinstance(exc, OSError)) or self._cache is None:
            return
        cache, self._cache = self._cache, None
        with contextlib.suppress(Exception):  # closing a damaged cache may fail too; it is dropped either way
            cache.close()
        folder = self.path if self.path is not None else Path(".")
        self.warning = _open_warning(folder, exc)
        log.warning("%s", self.warning)

    def delete(self, key: str) -> None:
        if self._cache is None:
            return
        try:
            self._cache.delete(key)
        except Exception as exc:
            log.warning("cache delete failed: %s", exc)

    def clear(self) -> int:
        """Remove every entry; returns how many. On a disabled store with a broken database, delete the
        database files and reopen (this is how ``pdxtui cache clear`` repairs a corrupt cache)."""
        if self._cache is not None:
            try:
                return int(self._cache.clear())
            except Exception as exc:
                log.warning("cache clear failed: %s", exc)
                return 0
        if self.path is None or not (self.path / "cache.db").exists():
            return 0
        for name in ("cache.db", "cache.db-wal", "cache.db-shm"):
            try:
                (self.path / name).unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove %s: %s", self.path / name, exc)
                return 0
        reopened = Store.open(self.path, size_limit=self.size_limit)
        self._cache, self.warning = reopened._cache, reopened.warning
        return 0

    def info(self) -> dict[str, Any]:
        """path, size_bytes, entries, oldest_stored_at (epoch seconds or None), size_limit, enabled, warning."""
        out: dict[str, Any] = {
            "path": str(self.path) if self.path else "",
            "size_bytes": 0,
            "entries": 0,
            "oldest_stored_at": None,
            "size_limit": self.size_limit,
            "enabled": self.enabled,
            "warning": self.warning,
        }
        if self._cache is None:
            return out
        try:
            out["size_bytes"] = int(self._cache.volume())
            out["entries"] = len(self._cache)
            # diskcache keeps store_time per row; no public API reads the minimum.
            row = self._cache._sql("SELECT MIN(store_time) FROM Cache").fetchone()
            out["oldest_stored_at"] = row[0] if row else None
        except Exception as exc:
            log.warning("cache info failed: %s", exc)
        return out

    def close(self) -> None:
        if self._cache is not None:
            try:
                self._cache.close()
            except Exception as exc:
                log.warning("cache close failed: %s", exc)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_warning(folder: Path, exc: Exception) -> str:
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    if isinstance(exc, OSError):
        return f"cache disabled: cannot use folder {folder} ({detail}); choose another with --cache-dir"
    if any(word in str(detail).lower() for word in ("readonly", "read-only", "full")):
        return (
            f"cache disabled: cannot write to {folder / 'cache.db'} ({detail}); choose another folder with --cache-dir"
        )
    return (
        f"cache disabled: {folder / 'cache.db'} is unreadable ({detail}); "
        "run 'pdxtui cache clear' or delete that folder to reset it"
    )
