"""Atomic file output: write to a temp file beside the target, then rename.

A file is rewritten only when its content changes (re-running a step leaves it byte-identical),
and a new file gets the usual permissions (umask), an existing one keeps its own.
"""
from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path


#: the name of excelkort's own temp files (``.~excelkort-<pid>-abc123.xlsx``, with the id of the
#: process writing it); one left by a killed run is removed by the next run in its folder
#: (``runlock.folder_lock``)
TEMP_PREFIX = ".~excelkort-"


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new temp file in the target's folder (so the rename stays on one file system)."""
    return tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=path.suffix,
                            dir=path.parent)


def _put_in_place(tmp: str | Path, path: Path) -> None:
    """Give a written, synced temp file the target's permissions (a new file: the umask's) and
    rename it over the target."""
    os.chmod(tmp, stat.S_IMODE(path.stat().st_mode) if path.exists() else _default_mode())
    os.replace(tmp, path)


@contextmanager
def atomic_output(path: str | Path):
    """Yield a temp path to write; on success it replaces ``path`` (unless identical).

    On any exception the temp file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = _temp_beside(path)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if path.exists() and _same_content(path, tmp):
            tmp.unlink()
            return
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        _put_in_place(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _same_content(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    return a.read_bytes() == b.read_bytes()


def write_bytes_atomic(path: str | Path, data: bytes, *, current: bytes | None = None) -> bool:
    """Write ``data`` atomically; returns False when the file already held exactly that.

    ``current`` is the file's content when the caller has just read it (saves a read).
    """
    path = Path(path)
    exists = path.exists()
    if exists:
        if current is None and path.stat().st_size == len(data):
            current = path.read_bytes()
        if current == data:
            return False
    else:
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
