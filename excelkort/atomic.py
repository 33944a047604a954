"""Atomic file output: write to a temp file beside the target, then rename.

A file is rewritten only when its content changes (re-running a step leaves it byte-identical),
and a new file gets the usual permissions (umask), an existing one keeps its own mode and, where
the process may give it (root, or the file's owner), its owner and group.

Files as users have them: a symlink is written through to its target (the temp file goes beside
the real file, the link stays a link); a read-only file is never replaced (``refuse_read_only``:
its mode bits are checked, since root may write anything); and every OS error of a write (a full
disk, a folder without write access) becomes one Norwegian message naming the file
(``write_errors``), so the file is one rejected file, never an internal error.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError, Problem

#: the name of excelkort's own temp files (``.~excelkort-<pid>-abc123.xlsx``, with the id of the
#: process writing it); one left by a killed run is removed by the next run in its folder
#: (``runlock.folder_lock``)
TEMP_PREFIX = ".~excelkort-"

MSG_READ_ONLY = ("Filen er skrivebeskyttet og ble ikke endret. Fjern skrivebeskyttelsen eller "
                 "kopier filen, og kjør igjen.")
MSG_DISK_FULL = ("Disken er full: det er ikke plass til å skrive {what} i {folder}. {state} "
                 "Frigjør plass, og kjør igjen.")
MSG_NO_ACCESS = ("Mangler skrivetilgang til mappen {folder}, så {what} kunne ikke skrives. {state} "
                 "Be om skrivetilgang, eller kopier filen til en mappe du kan skrive i, og kjør igjen.")
MSG_OS_ERROR = ("Kunne ikke skrive {what} i {folder} ({reason}). {state} Sjekk mappen og disken, og "
                "kjør igjen.")
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def real_path(path: str | Path) -> Path:
    """The file a path names: a symlink's target, so a write goes through to it."""
    return Path(os.path.realpath(path))


def is_read_only(path: str | Path) -> bool:
    """Whether an existing file must not be replaced: no write bit at all (``chmod 444``; root
    could write it anyway), or not writable for this user."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def refuse_read_only(path: str | Path, shown: str | Path | None = None) -> None:
    """InputError naming the file (``shown``: the path as the user gave it) when it is read-only."""
    if is_read_only(path):
        raise InputError(Problem(MSG_READ_ONLY, file=str(shown or path)))


def _os_error_of(exc: BaseException) -> OSError | None:
    """The OS error behind ``exc``: itself, or the one a library wrapped (XlsxWriter's
    ``FileCreateError(OSError)``)."""
    if isinstance(exc, OSError):
        return exc
    if isinstance(exc, Exception) and exc.args and isinstance(exc.args[0], OSError):
        return exc.args[0]
    return None


def write_error_message(exc: OSError, folder: str | Path, *, existed: bool,
                        what: str = "filen") -> str:
    """The one wording of an OS error while writing ``what`` in ``folder``."""
    state = "Filen er ikke endret." if existed else "Filen ble ikke laget."
    if exc.errno in _FULL:
        return MSG_DISK_FULL.format(what=what, folder=folder, state=state)
    if exc.errno in _DENIED:
        return MSG_NO_ACCESS.format(what=what, folder=folder, state=state)
    return MSG_OS_ERROR.format(what=what, folder=folder, reason=exc.strerror or exc, state=state)


@contextmanager
def write_errors(path: str | Path, folder: str | Path | None = None, what: str = "filen"):
    """Turn an OS error inside into an InputError naming ``path`` (written in ``folder``, by
    default its own): the one place where a failed write gets its words."""
    existed = os.path.exists(path)
    try:
        yield
    except Exception as exc:
        os_error = _os_error_of(exc)
        if os_error is None:
            raise
        message = write_error_message(os_error, _nearest_existing(folder or Path(path).parent),
                                      existed=existed, what=what)
        raise InputError(Problem(message, file=str(path))) from exc


def _nearest_existing(folder: str | Path) -> Path:
    """The folder a write failed in, as the user can find it: absolute, and the nearest one
    that exists (``.excelkort/backup`` not yet made in a read-only folder: that folder)."""
    folder = Path(os.path.abspath(folder))
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new temp file in the target's folder (so the rename stays on one file system)."""
    return tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=path.suffix,
                            dir=path.parent)


def _keep_owner(tmp: str | Path, old: os.stat_result) -> None:
    """Give the temp file the replaced file's owner and group, where the process may: as root,
    or as the file's owner (a group it is not in stays its own)."""
    if not hasattr(os, "chown") or os.geteuid() not in (0, old.st_uid):
        return
    new = os.stat(tmp)
    if (new.st_uid, new.st_gid) == (old.st_uid, old.st_gid):
        return
    try:
        os.chown(tmp, old.st_uid, old.st_gid)
    except PermissionError:
        pass


def _put_in_place(tmp: str | Path, path: Path) -> None:
    """Give a written, synced temp file the target's permissions and owner (a new file: the
    umask's) and rename it over the target."""
    if path.exists():
        old = path.stat()
        os.chmod(tmp, stat.S_IMODE(old.st_mode))
        _keep_owner(tmp, old)
    else:
        os.chmod(tmp, _default_mode())
    os.replace(tmp, path)


@contextmanager
def atomic_output(path: str | Path):
    """Yield a temp path to write; on success it replaces ``path`` (unless identical).

    On any exception the temp file is removed and ``path`` is left untouched; an OS error is an
    InputError naming the file, and a read-only file is refused before anything is written.
    """
    shown = Path(path)
    path = real_path(shown)
    refuse_read_only(path, shown)
    with write_errors(shown, path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = _temp_beside(path)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            yield tmp
            if path.exists() and _same_content(path, tmp):
                return
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            _put_in_place(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def _same_content(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    return a.read_bytes() == b.read_bytes()


def write_bytes_atomic(path: str | Path, data: bytes, *, current: bytes | None = None) -> bool:
    """Write ``data`` atomically; returns False when the file already held exactly that.

    ``current`` is the file's content when the caller has just read it (saves a read). A
    symlink is written through to its target; a read-only file and an OS error are an
    InputError naming the file, and the file is left as it was.
    """
    shown = Path(path)
    path = real_path(shown)
    exists = path.exists()
    if exists:
        if current is None and path.stat().st_size == len(data):
            current = path.read_bytes()
        if current == data:
            return False
        refuse_read_only(path, shown)
    with write_errors(shown, path.parent):
        if not exists:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = _temp_beside(path)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            _put_in_place(tmp_name, path)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise
    return True
