"""``excelkort gjenopprett``: put back the newest backup of a file excelkort changed (SPEC §8).

The file as it is now is kept as a backup too, so a restore can itself be undone.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_bytes_atomic
from ..errors import InputError
from ..xlsx.package import lock_file_for, locked_message
from ..xlsx.backup import BACKUP_DIR, backup_file, newest_backup


@dataclass
class RestoreResult:
    """What ``restore`` did: which backup came back, and where the replaced version went."""

    path: Path
    restored: Path  # the backup whose bytes the file now holds
    kept: Path  # the backup of the file as it was before the restore


def restore(path: str | Path) -> RestoreResult:
    """Put back the newest backup of ``path``; refuses a file someone has open."""
    path = Path(path)
    if (lock := lock_file_for(path)) is not None:
        raise InputError(locked_message(lock), file=str(path))
    backup = newest_backup(path)
    if backup is None:
        raise InputError(f"Fant ingen sikkerhetskopi av filen i {path.parent / BACKUP_DIR}.",
                         file=str(path))
    data = backup.read_bytes()
    kept = backup_file(path)
    write_bytes_atomic(path, data)
    return RestoreResult(path, backup, kept)
