"""``excelkort gjenopprett``: list the backups of a file excelkort changed, and put one back
(SPEC §8).

A backup is listed with its time, size and, for a målekort, the Periode its Målekort shows
(the defined name ``Periode``); number 1 is the newest. ``restore`` puts back the newest, the
one numbered ``nr`` in that list, or the newest taken at or before ``at``. The file as it is
now is kept as a backup too, so a restore can itself be undone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..atomic import write_bytes_atomic
from ..runlock import folders_lock, folders_of
from ..errors import InputError
from ..numtext import format_number
from ..period import parse_period
from ..xlsx.backup import BACKUP_DIR, backup_file, backups
from ..xlsx.cells import read_named
from ..xlsx.package import lock_file_for, locked_message

#: how a ``--fra`` time may be written (as ``--liste`` shows it, or shorter), each with the
#: span it names
TIME_FORMATS = (("%Y-%m-%d %H:%M:%S", timedelta(seconds=1)), ("%Y-%m-%dT%H:%M:%S", timedelta(seconds=1)),
                ("%Y-%m-%d %H:%M", timedelta(minutes=1)), ("%Y-%m-%dT%H:%M", timedelta(minutes=1)),
                ("%Y-%m-%d", timedelta(days=1)))
TIME_HELP = "Skriv tidspunktet som ÅÅÅÅ-MM-DD TT:MM[:SS], slik «--liste» viser det."


@dataclass
class Backup:
    """One backup of a file: its number in the list (1 = newest), where, when, how big, and the
    Periode of a målekort (None for other files, or when it cannot be read)."""

    nr: int
    path: Path
    time: datetime
    size: int
    period: str | None

    @property
    def when(self) -> str:
        """The time as ``--liste`` shows it and ``--fra`` accepts it."""
        return time_text(self.time)

    @property
    def size_text(self) -> str:
        return f"{format_number(max(1, round(self.size / 1024)))} KB"

    @property
    def description(self) -> str:
        """«sikkerhetskopi nr. 2 fra 2026-12-06 18:30:12 (Periode 2026-10)»."""
        period = f" (Periode {self.period})" if self.period else ""
        return f"sikkerhetskopi nr. {self.nr} fra {self.when}{period}"


@dataclass
class RestoreResult:
    """What ``restore`` did: which backup came back, and where the replaced version went."""

    path: Path
    restored: Backup  # the backup whose bytes the file now holds
    kept: Path  # the backup of the file as it was before the restore


def _period(path: Path) -> str | None:
    if path.suffix.lower() != ".xlsx":
        return None
    try:
        value = read_named(path, "Periode")
    except InputError:
        return None
    return parse_period(value) if value is not None else None


def list_backups(path: str | Path) -> list[Backup]:
    """The backups of ``path``, newest first (number 1)."""
    return [Backup(nr, backup, time, backup.stat().st_size, _period(backup))
            for nr, (backup, time) in enumerate(backups(path), 1)]


def parse_time(text: str) -> datetime:
    """A ``--fra`` time → the end of the second (or minute, or day) it names."""
    for fmt, span in TIME_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt) + span
        except ValueError:
            continue
    raise InputError(f"Ugyldig tidspunkt «{text}». {TIME_HELP}")


def _choose(path: Path, found: list[Backup], nr: int | None, at: str | None) -> Backup:
    where = path.parent / BACKUP_DIR
    if not found:
        raise InputError(f"Fant ingen sikkerhetskopi av filen i {where}.", file=str(path))
    if nr is not None:
        if not 1 <= nr <= len(found):
            raise InputError(f"Det finnes ingen sikkerhetskopi nr. {nr}: filen har {len(found)} "
                             "(se «excelkort gjenopprett --liste»).", file=str(path))
        return found[nr - 1]
    if at is not None:
        end = parse_time(at)
        chosen = next((b for b in found if b.time < end), None)
        if chosen is None:
            raise InputError(f"Ingen sikkerhetskopi er tatt på eller før {at.strip()}; den eldste er fra "
                             f"{time_text(found[-1].time)}.", file=str(path))
        return chosen
    return found[0]


def time_text(time: datetime) -> str:
    """A backup's time as ``--liste`` shows it and ``--fra`` accepts it."""
    return f"{time:%Y-%m-%d %H:%M:%S}"


def restore(path: str | Path, *, nr: int | None = None, at: str | None = None) -> RestoreResult:
    """Put back a backup of ``path`` (the newest, number ``nr`` of ``list_backups``, or the
    newest taken at or before ``at``); refuses a file someone has open."""
    path = Path(path)
    if (lock := lock_file_for(path)) is not None:
        raise InputError(locked_message(lock), file=str(path))
    backup = _choose(path, list_backups(path), nr, at)
    with folders_lock(folders_of([path]), "gjenopprett"):  # never while another run writes the folder
        data = backup.path.read_bytes()
        kept = backup_file(path)
        try:
            write_bytes_atomic(path, data)
        except InputError:  # nothing changed: no backup of it either
            kept.unlink(missing_ok=True)
            raise
    return RestoreResult(path, backup, kept)
