"""THE atomic writer: a temp file beside the target, fsynced, then renamed onto it (without ``overwrite``
linked, so a file that appeared meanwhile is never replaced); the temp file is removed on any failure."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import tempfile
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    pass

from pdxtui.export.formats import ExportError, ExportUsageError, TargetExists

_TEMP_MARK = ".pdxtui-tmp-"


# -- the target file ----------------------------------------------------------------------------------------------


log = logging.getLogger(__name__)


def write_text_atomic(path: str | os.PathLike[str], text: str, *, overwrite: bool, mode: int | None = None) -> int:
    """Write ``text`` (UTF-8) to ``path`` the way exports are written: a temp file beside it, fsynced, then
    renamed onto it; without ``overwrite`` an existing file is never replaced. ``mode``: the file's permissions
    (default: those of the file replaced, else as the umask allows). Returns the size in bytes."""
    target = _Target(path, overwrite, mode)
    handle = target.open()
    try:
        handle.write(text.encode("utf-8", "surrogateescape"))
        return target.commit()
    except OSError as exc:
        raise ExportError(f"cannot write {target.path}: {_os_problem(exc, target.path) or exc}") from None
    finally:
        target.discard()


def commit_pair(main: _Target, side: _Target) -> int:
    """Place an export and its sidecar together: both or neither. Returns the main file's size.

    Both temp files are complete and fsynced first. Then the old sidecar (if any) moves aside, so that no file
    ever sits beside a sidecar that describes another export; the old main file is linked aside; the main file
    is placed, then the sidecar. If either placing fails, what was placed is taken back and the old files are put
    back where they were; the error goes on. The copies set aside are removed only once the export is placed or
    they are back: when putting one back fails too, it stays (under a name that says so, when it can be renamed)
    and the error names it, since it may be the only copy of the earlier export. A process killed between the
    steps leaves the old or the new main file without a sidecar (never a mismatched pair) and the kept copies
    under temp names, which the next export to that name removes."""
    size = main.prepare()
    side.prepare()
    old_side = side.set_aside(move=True)
    old_main: str | None = None
    placed = False
    try:
        old_main = main.set_aside(move=False)
        main.place()
        placed = True
        side.place()
    except BaseException as exc:
        stranded = _undo(main, side, placed, old_main, old_side)
        if stranded and isinstance(exc, Exception):
            kept = " and ".join(stranded)
            raise ExportError(
                f"cannot write {main.path}: {_os_problem(exc, main.path) or exc}; the earlier export could not be "
                f"put back either: it is kept as {kept}"
            ) from exc
        raise
    for kept_copy in (old_main, old_side):
        if kept_copy is not None:
            with contextlib.suppress(OSError):
                os.unlink(kept_copy)
    _fsync_folder(main.folder)
    return size


def _undo(main: _Target, side: _Target, placed: bool, old_main: str | None, old_side: str | None) -> list[str]:
    """Take back a half-placed pair and put the set-aside copies back; the copies that could not be put back
    (kept, never removed: renamed to ``NAME.old-export-XXXX`` where that works), each named."""
    stranded: list[str] = []
    main_back = True
    if placed:
        try:
            if old_main is not None:
                os.replace(old_main, main.path)
                old_main = None
            else:
                os.unlink(main.path)
        except OSError:
            main_back = False
    if old_main is not None:
        if main_back:  # the old file never left its place: this is a spare link (or copy) of it
            with contextlib.suppress(OSError):
                os.unlink(old_main)
        else:
            stranded.append(_keep(old_main, main.path))
    if old_side is not None:
        restored = False
        if main_back:  # beside the new file the old record would describe other rows: only beside the old one
            try:
                os.replace(old_side, side.path)
                restored = True
            except OSError:
                pass
        if not restored:
            stranded.append(_keep(old_side, side.path))
    return stranded


def _keep(copy: str, path: str) -> str:
    """A set-aside copy that could not be put back at ``path``, out of the temp names the next export removes."""
    kept = f"{path}.old-export-{os.urandom(3).hex()}"
    try:
        os.replace(copy, kept)
    except OSError:
        return copy
    return kept


def sidecar_in_the_way(sidecar: str, overwrite: bool) -> None:
    """The check an export without provenance makes of ``sidecar``, the record that would sit beside its file:
    one there (left by an earlier export to that name, its file deleted or not) belongs to the new file, so it
    is removed with the commit, which takes ``overwrite`` (TargetExists without)."""
    if os.path.lexists(sidecar) and not overwrite:
        raise TargetExists(
            f"{sidecar} (the provenance record of an earlier export to that name) already exists; "
            "use --force to replace the file and remove that record"
        )


def commit_dropping(main: _Target, stale: str) -> int:
    """Place an export written without provenance: the sidecar ``stale`` already beside its name (a record of
    other rows) goes too, both or neither, so no file sits beside a record of other rows. It needs ``overwrite``
    (:func:`sidecar_in_the_way`), is set aside first and put back if placing the file fails."""
    if not os.path.lexists(stale):
        return main.commit()
    sidecar_in_the_way(stale, main.overwrite)
    kept = os.path.join(
        main.folder, f".{os.path.basename(stale)[:100]}{_TEMP_MARK}{os.getpid()}-old-{os.urandom(4).hex()}"
    )
    os.replace(stale, kept)
    try:
        size = main.commit()
    except BaseException:
        try:
            os.replace(kept, stale)
        except OSError:  # the old record cannot go back: keep it under a name the next export does not clear
            log.warning("the provenance record %s could not be put back; it is kept as %s", stale, _keep(kept, stale))
        raise
    with contextlib.suppress(OSError):
        os.unlink(kept)
    return size


class _Target:
    """A temp file beside the target, renamed onto it at the end (or removed)."""

    def __init__(self, path: str | os.PathLike[str], overwrite: bool, mode: int | None = None) -> None:
        raw = os.path.expanduser(os.fspath(path))
        if not raw.strip():
            raise ExportUsageError("no file name given")
        self.path = os.path.abspath(raw)
        self.folder, self.name = os.path.split(self.path)
        self.overwrite = overwrite
        self.mode = mode
        self.temp: str | None = None
        self.file: BinaryIO | None = None
        if raw.endswith(("/", os.sep)) or os.path.isdir(self.path):
            raise ExportUsageError(f"{self.path} is a folder: give a file name")
        if not os.path.exists(self.folder):
            raise ExportError(f"the folder {self.folder} does not exist")
        if not os.path.isdir(self.folder):
            raise ExportError(f"{self.folder} is not a folder")
        if os.path.lexists(self.path):
            if not overwrite:
                raise TargetExists(f"{self.path} already exists; use --force to replace it")
            if os.path.exists(self.path) and not os.path.isfile(self.path):
                raise ExportError(f"{self.path} exists and is not a regular file")
        if not os.access(self.folder, os.W_OK | os.X_OK):
            raise ExportError(f"cannot write in the folder {self.folder}: permission denied")

    @property
    def prefix(self) -> str:
        return f".{self.name[:100]}{_TEMP_MARK}"

    def open(self) -> BinaryIO:
        self._remove_stale()
        try:
            fd, self.temp = tempfile.mkstemp(prefix=f"{self.prefix}{os.getpid()}-", dir=self.folder)
        except OSError as exc:
            raise ExportError(f"cannot write in the folder {self.folder}: {_os_problem(exc, self.path)}") from exc
        self.file = os.fdopen(fd, "wb")
        return self.file

    def commit(self) -> int:
        """Flush, fsync, set the mode, rename onto the target; the file's size."""
        size = self.prepare()
        self.place()
        _fsync_folder(self.folder)
        return size

    def prepare(self) -> int:
        """Flush, fsync, close and set the mode of the temp file: ready to be placed. Its size."""
        assert self.file is not None and self.temp is not None
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        mode = self.mode
        if mode is None:
            try:
                mode = os.stat(self.path).st_mode & 0o7777
            except OSError:
                mode = 0o666 & ~_umask()
        with contextlib.suppress(OSError):  # some file systems (FAT, some network mounts) have no modes
            os.chmod(self.temp, mode)
        return os.stat(self.temp).st_size

    def place(self) -> None:
        """The prepared temp file onto the target (renamed; without ``overwrite`` linked, never replacing)."""
        assert self.temp is not None
        if self.overwrite:
            os.replace(self.temp, self.path)
        else:
            self._link()
        self.temp = None

    def set_aside(self, *, move: bool) -> str | None:
        """Keep the file now at the target under a temp name beside it, to put back if the export must be undone:
        moved there (``move``: the target is then gone) or linked (the target stays). None when there is none."""
        if not self.overwrite or not os.path.isfile(self.path):
            return None
        kept = os.path.join(self.folder, f"{self.prefix}{os.getpid()}-old-{os.urandom(4).hex()}")
        if move:
            os.replace(self.path, kept)
        else:
            try:
                os.link(self.path, kept)
            except OSError:  # no hard links here: a copy (the old file stays in place meanwhile)
                import shutil

                shutil.copy2(self.path, kept)
        return kept

    def _link(self) -> None:
        """Put the temp file at the target unless a file appeared there meanwhile (hard link: atomic, never
        replaces). Where links are not supported, check once more and rename."""
        assert self.temp is not None
        try:
            os.link(self.temp, self.path)
        except FileExistsError:
            raise TargetExists(f"{self.path} already exists; use --force to replace it") from None
        except OSError:
            if os.path.lexists(self.path):
                raise TargetExists(f"{self.path} already exists; use --force to replace it") from None
            os.replace(self.temp, self.path)
            return
        os.unlink(self.temp)

    def discard(self) -> None:
        if self.file is not None:
            with contextlib.suppress(Exception):
                self.file.close()
        if self.temp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.temp)
            self.temp = None

    def _remove_stale(self) -> None:
        """Temp files of earlier exports to this name whose process is gone (killed before it could clean up)."""
        try:
            entries = [e.name for e in os.scandir(self.folder) if e.name.startswith(self.prefix)]
        except OSError:
            return
        for entry in entries:
            pid = entry[len(self.prefix) :].partition("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.folder, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_folder(folder: str) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _os_problem(exc: BaseException, path: str) -> str | None:
    """A plain reason for an OS-level failure (also when polars or pyarrow only put it in the message)."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code == errno.ENOSPC or "No space left on device" in text or "os error 28" in text:
        return "the disk is full"
    if code == getattr(errno, "EDQUOT", -1) or "Disk quota exceeded" in text:
        return "the disk quota is used up"
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return f"permission denied in {os.path.dirname(path) or '.'}"
    if code == errno.EROFS or "Read-only file system" in text:
        return "the folder is on a read-only file system"
    if code == errno.ENAMETOOLONG:
        return "the file name is too long"
    if code == errno.ENOENT:
        folder = os.path.dirname(path)
        if os.path.isdir(folder):  # it exists, but new files cannot be made in it (/proc, some mounts)
            return "it is not writable (new files cannot be created there)"
        return f"the folder {folder} does not exist (any more)"
    if isinstance(exc, OSError):
        return exc.strerror or text
    return None
