"""Finding and reading the office målekort of a consolidation (SPEC §7).

Every målekort under a folder, recursively, read with the fast reader (python-calamine) into a
small picklable ``OfficeFile``: what the consolidation needs and nothing more, so big batches can
be read in worker processes. A file that cannot be read becomes an ``OfficeFile`` with the reason
it was rejected; it never stops the run.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Problem, internal_file_error
from ..runlock import process_pool
from ..model import Catalogue, Indicator, Series
from ..numbers.aggregate import NO_MONTHS, leaf_partial
from ..numbers.rules import ytd_standing
from ..scorecard.reader import IndicatorRow, read_scorecard
from ..xlsx.package import lock_file_for, locked_message
from .fill import other_workbook_kind

BACKUP_FOLDER = ".excelkort"


@dataclass
class OfficeFile:
    """One målekort as the consolidation uses it (or why it could not be used)."""

    path: Path
    sha256: str = ""
    modified: str = ""  # the file's modification time, ISO 8601 (seconds)
    unit_id: str = ""
    unit_name: str = ""
    period: str = ""
    year: int | None = None
    series: dict[str, Series] = field(default_factory=dict)  # indicator → leaf series (to P)
    risk_assessed: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    month_comment: str = ""
    rows_read: int = 0
    month: int = 0  # the month the numbers below are prepared for (``prepare_office``)
    standings: dict = field(default_factory=dict)  # indicator → the office's Standing
    partials: dict = field(default_factory=dict)  # indicator → its exact Partial
    warnings: list[Problem] = field(default_factory=list)
    rejected: str | None = None  # the reason, when the file cannot be consolidated
    skipped: str | None = None  # not a målekort (tiltaksplan, kontroll)


def candidate_files(folder: Path, outdir: Path | None = None) -> list[Path]:
    """Every .xlsx under ``folder`` that may be a målekort, sorted: no backups (``.excelkort/``),
    no lock files, no tiltaksplan or kontroll workbooks by name, nothing under ``outdir``
    (symlinked folders are not followed; a symlinked file into ``outdir`` is left out too)."""
    skip = os.path.realpath(outdir) if outdir is not None else None
    root = os.path.realpath(folder)
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(BACKUP_FOLDER)]
        real = os.path.normpath(os.path.join(root, os.path.relpath(dirpath, folder)))
        if skip is not None and _within(real, skip):  # (a walked folder is no link: no lookup)
            dirnames[:] = []
            continue
        for name in filenames:
            if not name.endswith(".xlsx") or name.startswith(("~$", ".~", "tiltaksplan_", "kontroll_")):
                continue
            path = os.path.join(dirpath, name)
            if skip is not None and os.path.islink(path) and _within(os.path.realpath(path), skip):
                continue
            out.append(Path(path))
    return sorted(out)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def leaf_series(indicator: Indicator, item: IndicatorRow) -> Series:
    """The series an office's row contributes: Data's teller and nevner for automatic rows and
    local rows typed with a nevner, else the bare values typed in the Målekort month cells
    (SPEC §5)."""
    antall = indicator.measure == "antall"
    with_data = any(v is not None for v in (item.teller if antall else item.nevner))
    if indicator.is_automatic or with_data:
        return Series(tuple(item.teller), NO_MONTHS if antall else tuple(item.nevner))
    return Series(tuple(item.bare), NO_MONTHS)


def cut_series(series: Series, period_month: int) -> Series:
    """The series as it stands at the consolidation month (later months left out; the series
    itself when it has none, the common case)."""
    if all(v is None for v in series.teller[period_month:]) and all(
            v is None for v in series.nevner[period_month:]):
        return series
    def cut(values):
        return [v if m <= period_month else None for m, v in enumerate(values, 1)]
    return Series(cut(series.teller), cut(series.nevner), series.weighted)


def prepare_office(office: OfficeFile, catalogue: Catalogue, targets: dict, month: int) -> None:
    """The office's standings (what Enheter, Rangering and the history show of it) and its
    exact contribution, as they stand in ``month``."""
    office.month = month
    office.standings, office.partials = {}, {}
    for ind in catalogue:
        series = office.series.get(ind.id)
        if series is None:
            continue
        s = cut_series(series, month)
        office.standings[ind.id] = ytd_standing(
            ind, s, month, target=targets.get((office.unit_id, ind.id), ind.target))
        office.partials[ind.id] = leaf_partial(ind, s)


def locals_due(catalogue: Catalogue, month: int) -> list[Indicator]:
    """The local indicators that report in ``month``."""
    return [ind for ind in catalogue if not ind.is_automatic and month in ind.reporting_months]


def local_delivery(office: OfficeFile, due: list[Indicator], month: int) -> int:
    """How many of the local indicators ``due`` (``locals_due``) have a value in ``month``."""
    return sum(1 for ind in due if ind.id in office.series
               and office.series[ind.id].teller[month - 1] is not None)


NAME_PATTERN = re.compile(r"målekort_(?P<unit>.+)_(?P<year>\d{4})\.xlsx", re.IGNORECASE)


def _unit_from_name(out: OfficeFile) -> None:
    """The unit and year of an unreadable file, from its name (``målekort_<enhet>_<år>.xlsx``),
    so Innlevering can put the rejection beside the right unit."""
    match = NAME_PATTERN.fullmatch(unicodedata.normalize("NFC", out.path.name))
    if match:
        out.unit_id, out.year = match["unit"], int(match["year"])


def read_office(path: Path, catalogue: Catalogue, targets: dict | None = None,
                month: int | None = None) -> OfficeFile:
    """Read one office målekort and prepare its numbers for ``month`` (default: its own
    Periode's month); never raises for a bad file (the reason goes in ``rejected``)."""
    out = OfficeFile(path)
    try:
        data = path.read_bytes()
        out.sha256 = hashlib.sha256(data).hexdigest()
        out.modified = dt.datetime.fromtimestamp(int(path.stat().st_mtime)).isoformat()
        sc = read_scorecard(path, catalogue, own_definitions=False)  # read as aggregated
    except InputError as exc:
        kind = other_workbook_kind(path) if path.exists() else None
        if kind:
            out.skipped = f"{path.name} er en {kind}, ikke et målekort."
        else:
            out.rejected = "; ".join(p.message for p in (exc.errors or exc.problems))
            _unit_from_name(out)
        return out
    except OSError as exc:
        out.rejected = f"Filen kan ikke leses ({exc.__class__.__name__}: {exc})."
        _unit_from_name(out)
        return out
    except Exception as exc:  # noqa: BLE001 - one odd file never stops the run
        out.rejected = internal_file_error(path, "ved lesing", exc)
        _unit_from_name(out)
        return out
    out.unit_id, out.unit_name, out.period, out.year = sc.unit_id, sc.unit_name, sc.period, sc.year
    if (lock := lock_file_for(path)) is not None:  # being edited: its numbers may be half-typed
        out.rejected = locked_message(lock, then="kjør konsolider på nytt")
        return out
    out.month_comment, out.warnings, out.rows_read = sc.month_comment, sc.warnings, len(sc.rows)
    for ind in catalogue:
        item = sc.rows.get(ind.id)
        if item is None:
            continue
        out.series[ind.id] = leaf_series(ind, item)
        if item.risk_assessed:
            out.risk_assessed[ind.id] = item.risk_assessed
        if item.comment:
            out.comments[ind.id] = item.comment
    prepare_office(out, catalogue, targets or {}, month or sc.period_month)
    return out


_WORKER: dict = {}


def _init(catalogue, targets, month) -> None:
    _WORKER.update(catalogue=catalogue, targets=targets, month=month)


def _read_in_worker(path: Path) -> OfficeFile:
    return read_office(path, **_WORKER)


def read_offices(paths: list[Path], catalogue: Catalogue, targets: dict, month: int | None,
                 pool=None, progress=None) -> list[OfficeFile]:
    """Read every file, in ``pool``'s worker processes when given (``reading_pool``); the
    result keeps the input order."""
    if pool is None:
        offices = (read_office(p, catalogue, targets, month) for p in paths)
    else:
        offices = pool.map(_read_in_worker, paths, chunksize=8)
    results = []
    for i, office in enumerate(offices):
        results.append(office)
        if progress:
            progress(i + 1, len(paths))
    return results


@contextmanager
def reading_pool(workers: int, catalogue: Catalogue, targets: dict, month: int | None):
    """A process pool whose workers can read offices (``read_offices``) and do any other
    picklable work; None (work in this process) for one worker."""
    if workers <= 1:
        yield None
        return
    with process_pool(workers, initializer=_init, initargs=(catalogue, targets, month)) as pool:
        yield pool
