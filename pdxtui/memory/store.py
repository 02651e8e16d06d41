"""What pdxtui remembers per portal, in the user data folder (:mod:`pdxtui.datadir`): the datasets opened last
(``MAX_RECENT``, newest first), bookmarks with their notes, and the fingerprint of each dataset looked at.

* ``memory.json`` holds recents and bookmarks for every portal: a small file, replaced atomically on each change
  under a lock (``memory.lock``), re-read first, so that the app and a ``pdxtui bookmark`` run from cron at the
  same time both keep what they wrote.
* ``fingerprints/<portal>/<dataset>.json``: the app's last look at a dataset, and ``<dataset>.changes.json``
  ``pdxtui changes``'s (each keeps its own: the app opening a dataset must not hide a change from the next cron
  run, nor the other way round); one file per dataset and looker (a small dataset's row hashes make it tens of
  kilobytes: kept apart so that the list file stays small). The folder names are hashes of the portal key and the
  dataset id (ids may hold ``/`` or be too long for a file name); each file names its dataset in full.

A damaged file (not JSON, not ours, entries that do not read) is never a crash and never silently dropped: it is
set aside as ``NAME.damaged-YYYYmmddTHHMMSS`` (the list file is copied there, then replaced atomically by what still
reads: a reader never finds it missing), and a warning saying so
waits in :attr:`Memory.warnings` for the app or the CLI to show. A file written by a newer pdxtui is read as far as
it can be and never overwritten. A file that cannot be written is a :class:`StoreError` with the reason: a
bookmark the user asked for must not vanish without a word.

Portals are keyed by :func:`portal_key` (``arcgis:https://…``, ``bundled``): a profile name and the ``KIND:URL`` it
stands for share their memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pdxtui.errors import PdxError
from pdxtui.memory.fingerprint import Fingerprint, text_of
from pdxtui.textout import iso_utc, parse_iso

if TYPE_CHECKING:
    from pdxtui.portals import PortalSpec
    from pdxtui.portals.base import Portal

log = logging.getLogger(__name__)

SCHEMA = 1
MAX_RECENT = 50
MAX_NOTE = 2000  # characters: a note is a line or a paragraph, not a document
MAX_FILE = 4_000_000  # bytes: memory.json is tens of kilobytes; anything this large is not ours
MAX_FINGERPRINT = 8_000_000  # bytes: 10,000 row hashes are ~300 KB
#: who keeps a last look of its own at a dataset: the app (when a dataset is opened) and ``pdxtui changes``
LOOKERS = ("app", "changes")


class StoreError(PdxError):
    """Recents, bookmarks or a fingerprint could not be kept (the file system refused): the message says why."""


def portal_key(portal: Portal) -> str:
    """The key a portal's memory is kept under: ``bundled``, else ``KIND:SITE`` (the address as configured, without
    a trailing slash): the same key the disk cache and the request log use."""
    if portal.kind == "bundled":
        return "bundled"
    return _key(portal.kind, portal.site)


def spec_key(spec: PortalSpec) -> str:
    """:func:`portal_key` of the portal ``spec`` names, without making the portal (the commands that only read the
    store need none)."""
    return _key(spec.kind, spec.url)


def _key(kind: str, site: str) -> str:
    if kind == "bundled" or not site:
        return kind or "bundled"
    return f"{kind}:{site.rstrip('/')}"


@dataclass(frozen=True)
class Entry:
    """A recent dataset or a bookmark: enough to list it and open it without the network."""

    id: str
    title: str = ""
    owner: str = ""
    #: when it was opened (a recent) or bookmarked (a bookmark), UTC
    at: datetime | None = None
    #: the user's note (bookmarks only; "" for none)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "title": self.title, "owner": self.owner}
        out["at"] = iso_utc(self.at)
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_json(cls, data: Any) -> Entry:
        """An entry from its JSON; ValueError when it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"].strip():
            raise ValueError("an entry without an id")
        text = {k: text_of(data, k) for k in ("title", "owner", "note")}
        return cls(
            id=data["id"],
            title=text["title"],
            owner=text["owner"],
            at=parse_iso(data.get("at")),
            note=text["note"][:MAX_NOTE],
        )


def now() -> datetime:
    """The time entries are stamped with (tests replace it)."""
    return datetime.now(UTC)


def _hashed(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


class Memory:
    """Recents, bookmarks and fingerprints in ``folder`` (default: the user data folder). Every call reads the
    file afresh (it is small), so two processes see each other's changes; every change is one locked
    read-change-write."""

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        if folder is None:
            from pdxtui.datadir import data_dir

            folder = data_dir()
        self.folder = Path(folder)
        self.path = self.folder / "memory.json"
        #: what went wrong reading the files (a damaged file set aside, a newer file left alone), oldest first;
        #: the app and the CLI show these and clear the list
        self.warnings: list[str] = []
        #: why ``memory.json`` is there but could not be read ("" when it could, or is not there yet): the lists
        #: read as empty then, which a caller listing them must not pass off as "no bookmarks"
        self.unreadable = ""
        #: what was wrong with ``memory.json`` when it was last found damaged and set aside ("" when it never was,
        #: for this object): entries may be missing then, which a caller checking every bookmark must say
        self.damaged = ""
        self._read_only = False
        self._no_lock_said = False  # "no lock to be had" is logged once
        self._newer_said = False  # and "written by a newer pdxtui" said once
        #: whether this thread holds ``memory.lock`` through this object (flock on a second descriptor in the same
        #: process would wait for itself)
        self._held = threading.local()

    # -- reading ----------------------------------------------------------------------------------------------------

    def recent(self, portal: str) -> list[Entry]:
        """The datasets opened last on ``portal``, newest first (at most ``MAX_RECENT``)."""
        return list(self._portal(self._load(), portal)["recent"])

    def bookmarks(self, portal: str) -> list[Entry]:
        """The bookmarks on ``portal``, newest first."""
        return list(self._portal(self._load(), portal)["bookmarks"])

    def lists(self, portal: str) -> tuple[list[Entry], list[Entry]]:
        """The recents and the bookmarks on ``portal`` from one read of the file."""
        mine = self._portal(self._load(), portal)
        return list(mine["recent"]), list(mine["bookmarks"])

    def bookmark(self, portal: str, dataset_id: str) -> Entry | None:
        return next((e for e in self.bookmarks(portal) if e.id == dataset_id), None)

    def portals(self) -> list[str]:
        """The portal keys anything is remembered for."""
        return sorted(self._load())

    # -- changing ---------------------------------------------------------------------------------------------------

    def opened(self, portal: str, entry: Entry) -> None:
        """Remember that ``entry`` was opened now (it goes to the top of the recents; the oldest past ``MAX_RECENT``
        fall off). A bookmark of the same dataset takes the title and owner too, when they changed."""
        stamped = replace(entry, at=entry.at or now(), note="")
        with self._changing() as data:
            mine = self._portal(data, portal)
            mine["recent"] = [stamped, *[e for e in mine["recent"] if e.id != entry.id][: MAX_RECENT - 1]]
            mine["bookmarks"] = [
                replace(e, title=entry.title or e.title, owner=entry.owner or e.owner) if e.id == entry.id else e
                for e in mine["bookmarks"]
            ]

    def add_bookmark(self, portal: str, entry: Entry, note: str | None = None) -> Entry:
        """Bookmark ``entry`` (or update the bookmark: its title, owner and, unless ``note`` is None, its note; an
        existing bookmark keeps its place and date). Returns the bookmark as kept."""
        text = None if note is None else _clean_note(note)
        with self._changing() as data:
            mine = self._portal(data, portal)
            old = next((e for e in mine["bookmarks"] if e.id == entry.id), None)
            if old is None:
                kept = replace(entry, at=entry.at or now(), note=text or "")
                mine["bookmarks"] = [kept, *mine["bookmarks"]]
            else:
                kept = replace(
                    old,
                    title=entry.title or old.title,
                    owner=entry.owner or old.owner,
                    note=old.note if text is None else text,
                )
                mine["bookmarks"] = [kept if e.id == entry.id else e for e in mine["bookmarks"]]
        return kept

    def remove_bookmark(self, portal: str, dataset_id: str) -> Entry | None:
        """Forget the bookmark: the one removed (its note and date, read in the same locked change: to put it back),
        or None when there was none."""
        with self._changing() as data:
            mine = self._portal(data, portal)
            gone = next((e for e in mine["bookmarks"] if e.id == dataset_id), None)
            mine["bookmarks"] = [e for e in mine["bookmarks"] if e.id != dataset_id]
            return gone

    def forget_recent(self, portal: str, dataset_id: str | None = None) -> int:
        """Take one dataset (or, for None, every dataset) off the recents; how many were taken off."""
        with self._changing() as data:
            mine = self._portal(data, portal)
            before = len(mine["recent"])
            mine["recent"] = [e for e in mine["recent"] if dataset_id is not None and e.id != dataset_id]
            return before - len(mine["recent"])

    # -- fingerprints -----------------------------------------------------------------------------------------------

    def fingerprint_path(self, portal: str, dataset_id: str, who: str = "app") -> Path:
        """Where ``who``'s last look at the dataset is kept (see :data:`LOOKERS`)."""
        if who not in LOOKERS:
            raise ValueError(f"who is one of {LOOKERS}, not {who!r}")
        suffix = "" if who == "app" else f".{who}"
        return self.folder / "fingerprints" / _hashed(portal) / f"{_hashed(dataset_id)}{suffix}.json"

    def fingerprint(self, portal: str, dataset_id: str, who: str = "app") -> Fingerprint | None:
        """The fingerprint ``who`` kept when it last looked at ``dataset_id`` (the app, or ``pdxtui changes``: each
        keeps its own, so that neither hides a change from the other); when ``who`` never looked, or its file was
        damaged or could not be read, the other's (the first ``pdxtui changes`` after the app opened a dataset is a
        comparison, not a first look). None: neither looked, or neither file could be read (see
        :meth:`last_look`)."""
        return self.last_look(portal, dataset_id, who)[0]

    def last_look(self, portal: str, dataset_id: str, who: str = "app") -> tuple[Fingerprint | None, str]:
        """:meth:`fingerprint`, and what was wrong: "" when the fingerprint was read (or no one ever looked), else
        why ``who``'s last look could not be read and no other stood in (a damaged file is set aside; a warning
        says what happened either way)."""
        own, problem = self._read_fingerprint(self.fingerprint_path(portal, dataset_id, who), dataset_id)
        if own is not None:
            return own, ""
        for other in LOOKERS:
            if other == who:
                continue
            found, trouble = self._read_fingerprint(self.fingerprint_path(portal, dataset_id, other), dataset_id)
            if trouble:
                self._warn(f"the fingerprint of {dataset_id} {trouble}")
            if found is not None:
                if problem:
                    looker = "the app's" if other == "app" else "pdxtui changes'"
                    self._warn(f"the fingerprint of {dataset_id} {problem}: compared with {looker} last look instead")
                return found, ""
        if problem:
            problem = f"the fingerprint of {dataset_id} {problem}: what changed since it was taken cannot be told"
            self._warn(problem)
        return None, problem

    def _read_fingerprint(self, path: Path, dataset_id: str) -> tuple[Fingerprint | None, str]:
        """The fingerprint in ``path`` (None when there is none, or it could not be read: then why, as "was damaged
        (…); set aside as …" or "cannot be read (…): …")."""
        try:
            raw = path.read_bytes()[: MAX_FINGERPRINT + 1]
        except FileNotFoundError:
            return None, ""
        except OSError as exc:
            return None, f"cannot be read ({path}): {exc.strerror or exc}"
        try:
            if len(raw) > MAX_FINGERPRINT:
                raise ValueError("too large")
            data = json.loads(raw.decode("utf-8"))
            print_ = Fingerprint.from_json(data)
            if print_.dataset_id != dataset_id:
                raise ValueError(f"it is the fingerprint of {print_.dataset_id!r}")
        except (ValueError, TypeError, KeyError) as exc:
            return None, f"was damaged ({exc}); set aside as {self._set_aside(path)}"
        return print_, ""

    def keep_fingerprint(self, portal: str, fingerprint: Fingerprint, who: str = "app") -> None:
        """Keep ``fingerprint`` as ``who``'s last look at the dataset (replacing the one before, atomically)."""
        path = self.fingerprint_path(portal, fingerprint.dataset_id, who)
        data = fingerprint.to_json()
        data["portal"] = portal
        self._write(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", "a fingerprint")

    # -- the file ---------------------------------------------------------------------------------------------------

    @staticmethod
    def _portal(data: dict[str, dict[str, list[Entry]]], portal: str) -> dict[str, list[Entry]]:
        return data.setdefault(portal, {"recent": [], "bookmarks": []})

    def _load(self) -> dict[str, dict[str, list[Entry]]]:
        """The remembered entries per portal; a damaged file is set aside (keeping what still reads)."""
        self.unreadable = ""
        self._read_only = False  # read afresh: a file unreadable (or newer) once may not be now
        try:
            raw = self.path.read_bytes()[: MAX_FILE + 1]
        except FileNotFoundError:
            return {}
        except OSError as exc:
            self.unreadable = f"cannot read the recents and bookmarks ({self.path}): {exc.strerror or exc}"
            self._warn(self.unreadable)
            self._read_only = True
            return {}
        problems: list[str] = []
        out: dict[str, dict[str, list[Entry]]] = {}
        try:
            if len(raw) > MAX_FILE:
                raise ValueError("it is too large to be ours")
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("portals"), dict):
                raise ValueError("it is not a pdxtui memory file")
        except ValueError as exc:
            problems.append(str(exc) if "JSON" not in type(exc).__name__ else f"it is not JSON ({exc})")
            data = {"pdxtui_memory": SCHEMA, "portals": {}}
        version = data.get("pdxtui_memory")
        if isinstance(version, int) and version > SCHEMA:
            if not self._newer_said:
                self._newer_said = True
                self._warn(
                    f"{self.path} was written by a newer pdxtui (format {version}): read as far as this version "
                    "can, and left as it is (changes to recents and bookmarks are not kept)"
                )
            self._read_only = True
        for key, value in data["portals"].items():
            lists = value if isinstance(value, dict) else {}
            if not isinstance(value, dict):
                problems.append(f"the entry for {key!r} is not a list of recents and bookmarks")
            mine: dict[str, list[Entry]] = {"recent": [], "bookmarks": []}
            for name in ("recent", "bookmarks"):
                items = lists.get(name, [])
                if not isinstance(items, list):
                    problems.append(f"{key}: {name} is not a list")
                    continue
                seen: set[str] = set()
                for item in items:
                    try:
                        entry = Entry.from_json(item)
                    except ValueError as exc:
                        problems.append(f"{key}: a {name} entry could not be read ({exc})")
                        continue
                    if entry.id not in seen:
                        seen.add(entry.id)
                        mine[name].append(entry)
            out[str(key)] = mine
        if problems and not self._read_only and not getattr(self._held, "lock", False):
            # the repair rewrites the file: under the lock, and only if the file is still damaged once read again
            # (another process may have just replaced it)
            with contextlib.ExitStack() as stack:
                try:
                    stack.enter_context(self._locked())
                except StoreError as exc:  # no lock to be had (a read-only folder): repaired as well as can be
                    log.warning("repairing %s without the lock: %s", self.path, exc)
                else:
                    return self._load()
        if problems and not self._read_only:
            self.damaged = problems[0]
            # copied aside, then replaced atomically: a reader meanwhile sees the damaged file or the repaired one,
            # never no file (no bookmarks at all)
            aside = self._set_aside(self.path, copy=True)
            kept = sum(len(v["recent"]) + len(v["bookmarks"]) for v in out.values())
            said = (
                f"the recents and bookmarks file was damaged ({problems[0]}"
                + (f", and {len(problems) - 1} more problem(s)" if len(problems) > 1 else "")
                + f"); the original is set aside as {aside}"
                + (f"; the {kept} entries that could be read are kept" if kept else "; starting afresh")
            )
            if not self._read_only:  # set aside (else it is left as it is, and only read)
                try:
                    self._save(out)
                except StoreError as exc:  # a read never raises: the lists read are used, and kept as they are
                    self._read_only = True
                    said = f"{said}, but the repaired file could not be written ({exc})"
            self._warn(said)
        return out

    def _save(self, data: dict[str, dict[str, list[Entry]]]) -> None:
        body = {
            "pdxtui_memory": SCHEMA,
            "portals": {
                key: {name: [e.to_json() for e in entries] for name, entries in lists.items()}
                for key, lists in sorted(data.items())
                if lists["recent"] or lists["bookmarks"]
            },
        }
        self._write(self.path, json.dumps(body, ensure_ascii=False, indent=1) + "\n", "the recents and bookmarks")

    @contextlib.contextmanager
    def _changing(self) -> Iterator[dict[str, dict[str, list[Entry]]]]:
        with self._locked():
            data = self._load()
            if self._read_only:
                why = self.unreadable or f"{self.path} was written by a newer pdxtui"
                raise StoreError(f"recents and bookmarks cannot be changed: {why}")
            yield data
            self._save(data)

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """Hold the data folder's lock for one read-change-write of a file beside ``memory.json`` (the SQL
        history): the same lock, so one holder at a time across processes."""
        return self._locked()

    def write(self, path: Path, text: str, what: str) -> None:
        """Replace ``path`` by ``text`` atomically (:class:`StoreError` naming ``what`` when it cannot be)."""
        self._write(path, text, what)

    def set_aside(self, path: Path, copy: bool = False) -> Path:
        """Move (``copy``: copy) a damaged file beside ``memory.json`` out of the way (the SQL history), as a
        damaged ``memory.json`` is: its new name, or ``path`` itself when it could not be moved or copied."""
        return self._set_aside(path, copy)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold ``memory.lock`` (an advisory lock, where the system has them) for one read-change-write."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"cannot create {self.folder}: {exc.strerror or exc}") from None
        if getattr(self._held, "lock", False):  # held already (a repair inside a change): one lock, one holder
            yield
            return
        try:
            import fcntl
        except ImportError:  # Windows: one writer at a time is the user's business there
            self._held.lock = True
            try:
                yield
            finally:
                self._held.lock = False
            return
        try:
            handle = open(self.folder / "memory.lock", "a+b")  # noqa: SIM115 (held across the yield)
        except OSError as exc:
            raise StoreError(f"cannot lock {self.folder}: {exc.strerror or exc}") from None
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)
            except OSError as exc:  # no locks on this file system (ENOLCK on some NFS mounts): the change is kept
                if not self._no_lock_said:
                    self._no_lock_said = True
                    log.warning("changing %s without the lock: %s", self.path, exc.strerror or exc)
            self._held.lock = True
            yield
        finally:
            self._held.lock = False
            handle.close()  # releases the lock

    def _write(self, path: Path, text: str, what: str) -> None:
        from pdxtui.export.target import write_text_atomic
        from pdxtui.textsafe import fix_surrogates

        text = fix_surrogates(text)  # a lone surrogate (a portal's text, an argv byte) cannot be written as UTF-8
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_text_atomic(path, text, overwrite=True, mode=0o600)
        except (OSError, PdxError) as exc:
            reason = str(exc) if isinstance(exc, PdxError) else (exc.strerror or str(exc))
            raise StoreError(f"cannot keep {what} in {path}: {reason}") from None

    def _set_aside(self, path: Path, copy: bool = False) -> Path:
        """Move (``copy``: copy, for the caller to replace it) a damaged file out of the way
        (``NAME.damaged-STAMP``); its name, or the file itself when it cannot be moved (then it is only ignored,
        and read-only until it is read again)."""
        stamp = now().strftime("%Y%m%dT%H%M%S")
        aside = path.with_name(f"{path.name}.damaged-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
        try:
            if copy:
                import shutil

                shutil.copyfile(path, aside)
                aside.chmod(0o600)
            else:
                path.rename(aside)
        except OSError as exc:
            if copy:
                with contextlib.suppress(OSError):
                    aside.unlink(missing_ok=True)  # no half copy left behind
            log.warning("could not set aside %s: %s", path, exc)
            if path == self.path:
                self._read_only = True
            return path
        log.warning("set aside the damaged file %s as %s", path, aside)
        return aside

    def _warn(self, text: str) -> None:
        log.warning("%s", text)
        if text not in self.warnings:
            self.warnings.append(text)


def _clean_note(note: str) -> str:
    """A note as kept: control characters (escape sequences included) dropped, line breaks kept, at most
    ``MAX_NOTE`` characters, no trailing space."""
    kept = "".join(ch for ch in note.replace("\r\n", "\n") if ch in "\n\t" or (ch.isprintable()))
    return kept.strip()[:MAX_NOTE]
