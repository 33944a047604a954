"""Backups of a user's file, kept beside it before excelkort changes or replaces it.

``patch_workbook`` (with ``backup=True``), ``ny --erstatt`` and ``gjenopprett`` use them: a
backup is ``.excelkort/backup/<stem>.<YYYYmmdd-HHMMSS-ffffff><suffix>`` in the file's folder, so
names sort by time and ``newest_backup`` finds the last one.
"""
from __future__ import annotations

import os
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from ..atomic import TEMP_PREFIX, real_path, refuse_read_only, write_errors
from ..files import MSG_MISSING
from .package import refuse

BACKUP_DIR = Path(".excelkort") / "backup"


def backup_file(path: str | Path, *, link: bool = False) -> Path:
    """Keep ``path`` as ``.excelkort/backup/<stem>.<YYYYmmdd-HHMMSS-ffffff><suffix>`` beside it.

    A copy, or with ``link`` a hard link where the file system allows (~0.5 ms faster). A link
    is only for a caller that surely renames a new file over ``path`` next (``patch_workbook``:
    its content differs, and a failed write removes the link), so that afterwards the old bytes
    live on only under the backup's name and later edits of the file cannot reach them.

    A backup is taken just before ``path`` is replaced, so a read-only file is refused here,
    before anything is copied. A symlink's backup holds its target's bytes (beside the link,
    where ``gjenopprett`` on the link finds it); an OS error is an InputError naming the file.
    """
    path = Path(path)
    source = real_path(path)
    if not source.is_file():
        refuse(path, MSG_MISSING)
    refuse_read_only(source, path)
    folder = path.parent / BACKUP_DIR
    with write_errors(path, folder, what="sikkerhetskopien"):
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now()
        while True:
            target = folder / f"{path.stem}.{stamp:%Y%m%d-%H%M%S-%f}{path.suffix}"
            if not target.exists():
                break
            stamp += timedelta(microseconds=1)
        tmp = folder / f"{TEMP_PREFIX}{os.getpid()}-{target.name}"  # a killed run's: see runlock
        try:
            _copy(source, tmp, link)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target


def _copy(source: Path, tmp: Path, link: bool) -> None:
    if link:
        try:
            os.link(source, tmp)
            return
        except OSError:  # a file system without hard links (some network shares): copy
            tmp.unlink(missing_ok=True)
    shutil.copy2(source, tmp)


def backups(path: str | Path) -> list[tuple[Path, datetime]]:
    """The backups of ``path`` made by ``backup_file``, newest first, each with its time."""
    path = Path(path)
    folder = path.parent / BACKUP_DIR
    if not folder.is_dir():
        return []
    pattern = re.compile(re.escape(path.stem) + r"\.(\d{8}-\d{6}-\d{6})" + re.escape(path.suffix))
    found = [(folder / p.name, datetime.strptime(m.group(1), "%Y%m%d-%H%M%S-%f"))
             for p in folder.iterdir() if (m := pattern.fullmatch(p.name)) and p.is_file()]
    return sorted(found, key=lambda item: item[1], reverse=True)


def newest_backup(path: str | Path) -> Path | None:
    """The newest backup of ``path`` made by ``backup_file``, or None."""
    found = backups(path)
    return found[0][0] if found else None
