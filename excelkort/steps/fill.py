"""``excelkort fyll``: fill automatic indicators from an extract into users' own workbooks.

A user's workbook is never loaded and re-saved through a library: we read it (``reader``),
plan the edits to the cells excelkort owns (Data's automatic cells, the Målekort's formula and
computed cells with their cached values, ``Periode``, the Logg sheet), and patch exactly those
cells in the sheet XML (``xlsx.workbookpatch``); every other part of the file stays byte-identical.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from contextlib import ExitStack
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..scorecard import layout as L
from ..errors import WARNING, InputError, Problem, count_word, internal_file_error
from ..runlock import folders_lock, folders_of, process_pool
from ..inputs.extract import read_extract
from ..inputs.extract_values import ExtractRow
from ..inputs.hints import LOST_ZERO, did_you_mean, unit_guesses
from ..model import Catalogue, Indicator
from ..numtext import format_number
from ..scorecard.reader import IndicatorRow, ScorecardFile, read_scorecard
from ..scorecard.rowmodel import VALUE_LABELS, RowInputs, row_values
from ..numbers.rules import Result, tolerance_for
from ..xlsx.package import lock_file_for, locked_message
from ..xlsx.refs import cell_ref, column_letter, parse_ref
from ..xlsx.celledit import CellEdit
from ..xlsx.workbookpatch import PatchResult, check_patchable, patch_workbook
from .kinds import workbook_kind


@dataclass
class FillPlan:
    """What filling one workbook changes."""

    path: Path
    unit_id: str
    year: int
    period_before: str
    period_after: str
    edits: dict[str, dict[str, CellEdit]] = field(default_factory=dict)  # sheet → ref → edit
    log_rows: list[list] = field(default_factory=list)
    data_changes: int = 0
    results: dict[str, Result] = field(default_factory=dict)
    package: object = field(default=None, repr=False)  # the file as read, so it is read once
    warnings: list[Problem] = field(default_factory=list)
    catalogue_changes: list[tuple[str, str]] = field(default_factory=list)  # (B1, «Mål 80 → 85»), not applied
    autofilters: dict[str, str | None] = field(default_factory=dict)  # sheet → range (konsolider's tables)


#: definition fields whose change mid-year a fill never applies (SPEC §3), with their labels
DEFINITION_FIELDS = {"Måletype": "measure", "Retning": "direction", "Mål": "target",
                     "Toleranse": "tolerance", "Hittil": "ytd_mode", "Kilde": "source",
                     "Frekvens": "frequency", "Desimaler": "decimals", "Etterslep": "lag"}


def definition_changes(own: Indicator, run: Indicator) -> list[str]:
    """What the run's catalogue changes in an indicator the workbook was made with: «Mål 80 → 85»."""
    out = []
    for label, attr in DEFINITION_FIELDS.items():
        before, after = getattr(own, attr), getattr(run, attr)
        if before != after:
            out.append(f"{label} {_fmt(before) or 'tom'} → {_fmt(after) or 'tom'}")
    return out


def _fmt(value) -> str:
    """A logged value: numbers as Norwegian text, nothing as empty."""
    if value is None:
        return ""
    return format_number(value) if isinstance(value, (int, float)) else str(value)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return float(a) == float(b)


def same_cached(current, new) -> bool:
    """Whether a cell already caches ``new`` (so it needs no edit)."""
    if type(current) is type(new) and current == new:
        return True
    if new is None or new == "":
        return current is None or current == ""
    if isinstance(new, bool) or isinstance(current, bool):
        return type(new) is type(current) and new == current
    if isinstance(new, (int, float)):
        # XlsxWriter (and Excel) store 15–16 significant digits, not Python's 17: the same number
        return isinstance(current, (int, float)) and math.isclose(current, new, rel_tol=1e-15)
    return current == new


def plan_fill(sc: ScorecardFile, rows: list[ExtractRow], catalogue: Catalogue, source: str,
              now: dt.datetime | None = None, *, filled: Callable[[Indicator], bool] | None = None,
              row_inputs: Callable[[Indicator, IndicatorRow], RowInputs] | None = None,
              period: str | None = None) -> FillPlan:
    """The edits that bring ``sc`` up to date with the extract rows of its unit and year.

    Only cells whose content changes are edited: Data's filled cells, and the Målekort's
    owned cells (formula cells keep their formula; only the cached value changes).

    ``fyll`` fills the automatic indicators; ``konsolider`` fills every indicator of a
    consolidated workbook: ``filled`` says which indicators are filled from data (default: the
    automatic ones), ``row_inputs`` what a row is computed from (default: the workbook's own
    Data, Mål and typed months), and ``period`` the Periode the workbook is computed for
    (default: the latest of its own and the rows', never back).
    """
    now = now or dt.datetime.now().replace(microsecond=0)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    year = sc.year or int(sc.period[:4])
    periods = [r.period for r in rows if int(r.period[:4]) == year]
    period_after = period or max([sc.period, *periods])
    plan = FillPlan(sc.path, sc.unit_id, year, sc.period, period_after, package=sc.package)
    filled = filled or _is_automatic
    definitions = _definitions(sc, catalogue, plan)
    data_edits = _data_edits(sc, rows, definitions, plan, stamp, source, filled)
    sc_edits = _scorecard_edits(sc, definitions, int(period_after[5:7]), plan, filled, row_inputs)
    plan.edits = {name: cells for name, cells in
                  ((L.DATA_SHEET, data_edits), (L.SCORECARD_SHEET, sc_edits)) if cells}
    if period_after != sc.period:
        sheet, ref = sc.names.get("Periode", L.DEFINED_NAMES["Periode"]).rsplit("!", 1)
        sheet, ref = sheet.strip("'"), cell_ref(*parse_ref(ref.split(":")[0]))  # the name's first cell
        plan.edits.setdefault(sheet, {})[ref] = CellEdit(period_after)
        plan.log_rows.append([stamp, sheet, ref, "Periode", sc.period, period_after, source])
    if plan.catalogue_changes and (plan.edits or plan.log_rows):  # logged with each fill that writes
        for ind_id, what in plan.catalogue_changes:
            plan.log_rows.append([stamp, L.CATALOGUE_SHEET, "", ind_id, "",
                                  f"Katalogen endrer {what}; ikke brukt i {year}", source])
    return plan


def _is_automatic(ind: Indicator) -> bool:
    return ind.is_automatic


def _definitions(sc: ScorecardFile, catalogue: Catalogue, plan: FillPlan) -> dict[str, Indicator]:
    """The indicators as the workbook was made with them (its Indikatorer sheet), by id.

    A workbook is computed with the catalogue it was made with: a definition changed since is
    reported (``plan.catalogue_changes``) and logged, never applied to months already reported.
    """
    own = sc.own_catalogue
    definitions = {ind.id: own[ind.id] if own is not None and ind.id in own else ind for ind in catalogue}
    for ind in catalogue:
        changes = definition_changes(definitions[ind.id], ind) if ind.id in sc.rows else []
        if changes:
            plan.catalogue_changes.append((ind.id, ", ".join(changes)))
    return definitions


def _data_edits(sc: ScorecardFile, rows: list[ExtractRow], definitions: dict[str, Indicator],
                plan: FillPlan, stamp: str, source: str,
                filled: Callable[[Indicator], bool]) -> dict[str, CellEdit]:
    """Data's filled cells that the extract rows change (the workbook's series are updated
    in place); corrections are logged cell by cell, first values in one summary row, and an
    indicator without a row to go to is a warning."""
    data_edits: dict[str, CellEdit] = {}
    missing_rows: dict[str, int] = {}  # indicator → extract rows with no row to go to
    new_cells: dict[str, list[str]] = {}  # indicator → refs that got their first value
    new_months: dict[str, set[str]] = {}
    year_prefix = f"{plan.year}-"
    automatic = {i: ind for i, ind in definitions.items() if filled(ind)}
    for r in rows:
        ind = automatic.get(r.indicator)
        if ind is None or not r.period.startswith(year_prefix):
            continue
        item = sc.rows.get(r.indicator)
        if item is None or item.data_row is None:
            missing_rows[ind.id] = missing_rows.get(ind.id, 0) + 1
            continue
        m = int(r.period[5:7])
        new_nevner = None if ind.measure == "antall" else r.nevner
        if _same(item.teller[m - 1], r.teller) and _same(item.nevner[m - 1], new_nevner):
            continue  # the common case: a month already filled, re-delivered unchanged
        new_values = {"teller": r.teller, "nevner": new_nevner}
        reasons = r.reasons
        for part, current in (("teller", item.teller), ("nevner", item.nevner)):
            new = new_values[part]
            if _same(current[m - 1], new):
                continue
            ref = cell_ref(item.data_row, sc.data_cols[L.data_label(m, part)])
            data_edits[ref] = CellEdit(new)
            if current[m - 1] is None and part not in reasons:
                new_cells.setdefault(ind.id, []).append(ref)
                new_months.setdefault(ind.id, set()).add(r.period)
            else:  # a correction (or a value withdrawn): logged cell by cell
                shown_new = _fmt(new) if part not in reasons else f"{_fmt(new)} ({reasons[part]})".strip()
                plan.log_rows.append([stamp, L.DATA_SHEET, ref, ind.id, _fmt(current[m - 1]),
                                      shown_new, source])
            current[m - 1] = new
            plan.data_changes += 1
    for ind_id, n in missing_rows.items():
        sheet = L.DATA_SHEET if ind_id in sc.rows else L.SCORECARD_SHEET
        plan.warnings.append(Problem(
            f"Indikatoren {ind_id} har ingen rad i arket «{sheet}»; {count_word(n, 'rad', 'rader')} "
            "fra uttrekket ble ikke fylt inn. Lag raden på nytt (se malen) og kjør fyll igjen.",
            file=str(sc.path), sheet=sheet, severity=WARNING))
    if new_cells:  # first values: one summary row per fill (corrections are logged cell by cell)
        refs = sorted((ref for refs in new_cells.values() for ref in refs), key=parse_ref)
        months = sorted(set().union(*new_months.values()))
        span = months[0] if len(months) == 1 else f"{months[0]}–{months[-1]}"
        cells = refs[0] if len(refs) == 1 else f"{refs[0]}…{refs[-1]}"
        plan.log_rows.append([stamp, L.DATA_SHEET, cells, ", ".join(new_cells), "",
                              f"{len(refs)} nye verdier ({span})", source])
    return data_edits


def _scorecard_edits(sc: ScorecardFile, definitions: dict[str, Indicator], period_month: int,
                     plan: FillPlan, filled: Callable[[Indicator], bool],
                     row_inputs: Callable[[Indicator, IndicatorRow], RowInputs] | None) -> dict[str, CellEdit]:
    """The Målekort's owned cells whose value changes (formula cells: the cached value only);
    each row's Result goes to ``plan.results``."""
    sc_edits: dict[str, CellEdit] = {}
    cached_rows = sc.values.get(L.SCORECARD_SHEET, [])
    # label → (column, its letters, whether the cell holds a value rather than a formula)
    owned = {label: (col, column_letter(col), label in VALUE_LABELS) for label, col in sc.cols.items()}
    legacy = _computes_months_in_helpers(sc, definitions, filled)
    for ind in definitions.values():
        item = sc.rows.get(ind.id)
        if item is None or item.data_row is None:
            continue
        line = cached_rows[item.row] if item.row < len(cached_rows) else []
        width, row_number = len(line), str(item.row + 1)
        if row_inputs is not None:
            inputs = row_inputs(ind, item)
        else:
            target = item.target if item.target is not None else ind.target
            inputs = RowInputs(ind, list(item.teller), list(item.nevner), list(item.bare), target,
                               tolerance_for(ind, target), weighted=True, months_are_formulas=filled(ind))
        values, result = row_values(inputs, period_month, month_helpers=legacy)
        plan.results[ind.id] = result
        cells = [(owned[label], value) for label, value in values.items() if label in owned]
        current = [line[col] if col < width else "" for (col, _l, _v), _value in cells]
        for (where, value), old in zip(cells, current):
            if (old == value and type(old) is type(value)) or same_cached(old, value):
                continue  # the first test is the common case, without a call
            _col, letters, is_value = where
            sc_edits[letters + row_number] = CellEdit(value) if is_value else CellEdit.cached(value)
    return sc_edits


def _computes_months_in_helpers(sc: ScorecardFile, definitions: dict[str, Indicator],
                                filled: Callable[[Indicator], bool]) -> bool:
    """Whether the workbook is of the shape made before November 2026, whose filled rows compute
    their month values in the hidden hj:v cells (which then hold numbers), so those cells'
    cached values must be kept up to date too."""
    cached_rows = sc.values.get(L.SCORECARD_SHEET, [])
    v_cols = [sc.cols[label] for m in range(1, 13) if (label := L.helper_label("v", m)) in sc.cols]
    for ind_id, item in sc.rows.items():
        ind = definitions.get(ind_id)
        if ind is None or not filled(ind) or item.row >= len(cached_rows):
            continue
        line = cached_rows[item.row]
        if any(c < len(line) and type(line[c]) in (int, float) for c in v_cols):
            return True
    return False


@dataclass
class FillReport:
    """What ``fill_workbooks`` did, for the summary and the exit code."""

    extract: Path
    changed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    not_filled: list[Path] = field(default_factory=list)  # no rows for its unit and year (exit 3)
    rejected: list[tuple[Path, str]] = field(default_factory=list)  # (file, reason)
    warnings: list[Problem] = field(default_factory=list)
    data_changes: int = 0
    backups: list[Path] = field(default_factory=list)
    rows_read: int = 0
    units_without_workbook: set[str] = field(default_factory=set)
    filled_units: list[tuple[Path, str, int]] = field(default_factory=list)  # (file, unit, År)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # not målekort (e.g. tiltaksplan)



#: the sheets a fill writes: the Periode cell is on one of the first two (the reader refuses
#: a workbook whose name points elsewhere)
FILLED_SHEETS = [L.SCORECARD_SHEET, L.DATA_SHEET, L.LOG_SHEET]


def read_for_fill(path: str | Path, catalogue: Catalogue) -> ScorecardFile:
    """A målekort read and checked for everything ``fyll`` needs before it writes: the reader
    (``read_scorecard``) and every sheet it may write patchable (``check_patchable``), whatever
    the extract holds. ``sjekk`` runs exactly this, so it rejects what ``fyll`` rejects, with
    the same message."""
    sc = read_scorecard(path, catalogue)
    check_patchable(sc.package, FILLED_SHEETS)
    return sc


def apply_plan(plan: FillPlan) -> PatchResult:
    """Patch the planned cells into the workbook in place (backup first, atomic, lossless)."""
    return patch_workbook(plan.package or plan.path, edits=plan.edits,
                          append_rows={L.LOG_SHEET: plan.log_rows} if plan.log_rows else None,
                          autofilters=plan.autofilters,
                          full_calc_on_load=True, backup=True)


@dataclass
class _Outcome:
    """What filling one workbook gave (picklable, so workers can send it back)."""

    path: Path
    unit_id: str | None = None
    year: int | None = None
    written: bool = False
    data_changes: int = 0
    backup: Path | None = None
    warnings: list[Problem] = field(default_factory=list)
    rejected: str | None = None
    skipped: str | None = None
    catalogue_changes: tuple[tuple[str, str], ...] = ()


def other_workbook_kind(path: Path) -> str | None:
    """«tiltaksplan» or «kontrollarbeidsbok» when a file is one of excelkort's other workbooks,
    by the rule ``sjekk`` names files by (``kinds.workbook_kind``)."""
    return {"tiltaksplan": "tiltaksplan", "kontroll": "kontrollarbeidsbok"}.get(workbook_kind(path))


def _fill_one(wb: Path, by_unit: dict, catalogue: Catalogue, source: str,
              now: dt.datetime | None) -> _Outcome:
    out = _Outcome(wb)
    try:
        if (lock := lock_file_for(wb)) is not None:
            raise InputError(Problem(locked_message(lock, then="kjør fyll på nytt"),
                                     file=str(wb)))
        sc = read_for_fill(wb, catalogue)
        out.unit_id, out.year = sc.unit_id, sc.year
        plan = plan_fill(sc, by_unit.get(sc.unit_id, []), catalogue, source, now)
        out.warnings = sc.warnings + plan.warnings
        out.catalogue_changes = tuple(plan.catalogue_changes)
        result = apply_plan(plan)
        out.written, out.backup = result.written, result.backup
        out.data_changes = plan.data_changes if result.written else 0
    except InputError as exc:
        kind = other_workbook_kind(wb)
        if kind:
            out.skipped = f"{wb.name} er en {kind}, ikke et målekort, og ble hoppet over."
        else:
            out.rejected = "; ".join(str(p) for p in exc.errors or exc.problems)
    except Exception as exc:  # noqa: BLE001 - one odd file never stops the run
        out.rejected = internal_file_error(wb, "ved fylling", exc)
    return out


_WORKER: dict = {}


def _init_worker(by_unit, catalogue, source, now) -> None:
    _WORKER.update(by_unit=by_unit, catalogue=catalogue, source=source, now=now)


def _fill_in_worker(wb: Path) -> _Outcome:
    return _fill_one(wb, **_WORKER)


def default_workers(n_files: int) -> int:
    """Processes for a batch: one per core for big batches, none extra for small ones."""
    return 1 if n_files < 16 else max(1, min(os.cpu_count() or 1, 8))


def fill_workbooks(extract_path: str | Path, workbooks: list[str | Path], catalogue: Catalogue,
                   now: dt.datetime | None = None, progress=None,
                   workers: int | None = None) -> FillReport:
    """``excelkort fyll``: each extract row into its unit's workbook whose År matches.

    One bad workbook never stops the run: it is listed as rejected with the reason. Big
    batches are spread over the machine's cores (workbooks are independent); the report keeps
    the input order either way.
    """
    with folders_lock(folders_of(list(workbooks) or [extract_path]), "fyll"):  # not their common folder
        extract_path = Path(extract_path)
        extract = read_extract(extract_path, catalogue)
        report = FillReport(extract_path, warnings=list(extract.problems), rows_read=len(extract.rows))
        by_unit = extract.by_unit()
        paths = [Path(wb) for wb in workbooks]
        workers = workers or default_workers(len(paths))
        args = (by_unit, catalogue, extract_path.name, now)
        seen_units: set[str] = set()
        changed_definitions: dict[tuple[tuple[str, str], ...], list[Path]] = {}
        with ExitStack() as stack:
            if workers == 1:
                outcomes = (_fill_one(wb, *args) for wb in paths)
            else:
                pool = stack.enter_context(process_pool(workers, _init_worker, args))
                outcomes = pool.map(_fill_in_worker, paths, chunksize=4)
            for i, out in enumerate(outcomes):
                if out.skipped is not None:
                    report.skipped.append((out.path, out.skipped))
                elif out.rejected is not None:
                    report.rejected.append((out.path, out.rejected))
                else:
                    seen_units.add(out.unit_id)
                    if out.catalogue_changes:
                        changed_definitions.setdefault(out.catalogue_changes, []).append(out.path)
                    report.filled_units.append((out.path, out.unit_id, out.year))
                    report.warnings += out.warnings
                    if out.written:
                        report.changed.append(out.path)
                        report.data_changes += out.data_changes
                        if out.backup:
                            report.backups.append(out.backup)
                    else:
                        report.unchanged.append(out.path)
                if progress:
                    progress(i + 1, len(paths))
        report.units_without_workbook = set(by_unit) - seen_units
        for changes, paths_ in changed_definitions.items():
            report.warnings.append(catalogue_change_warning(changes, paths_))
        report.warnings += _coverage_warnings(report, by_unit, extract_path)
        return report


def catalogue_change_warning(changes: tuple[tuple[str, str], ...], paths: list[Path]) -> Problem:
    """One warning for the workbooks made with a catalogue that the run's catalogue changes."""
    which = paths[0].name if len(paths) == 1 else f"{len(paths)} målekort (bl.a. {paths[0].name})"
    return Problem(
        f"Katalogen fyll brukte endrer indikatorer som {which} ble laget med: "
        f"{'; '.join(f'{ind_id} {what}' for ind_id, what in changes)}. "
        "Målekortet regnes videre med sin egen katalog (arket «Indikatorer»), så måneder som er "
        "rapportert endres ikke; endringen er ført i Logg. Den gjelder fra neste års målekort, "
        "eller lag målekortet på nytt med «excelkort ny --erstatt».",
        file=str(paths[0]) if len(paths) == 1 else None, severity=WARNING)


def _coverage_warnings(report: FillReport, by_unit: dict, extract_path: Path) -> list[Problem]:
    """A workbook that got no rows (a lost leading zero, another year) is never silent."""
    out = []
    for path, unit, year in report.filled_units:
        rows = by_unit.get(unit, [])
        if not rows:
            hint = next((u for u in report.units_without_workbook
                         if unit in unit_guesses(u, (unit,))[0]), None)
            more = (f" Uttrekket har enheten «{hint}»: {did_you_mean([unit], capital=False)} "
                    f"{LOST_ZERO}." if hint else "")
            out.append(Problem(f"Uttrekket {extract_path.name} har ingen rader for enheten «{unit}»; "
                               f"målekortet ble ikke fylt.{more}", file=str(path), severity=WARNING))
        elif not any(r.period.startswith(str(year)) for r in rows):
            years = sorted({r.period[:4] for r in rows})
            out.append(Problem(f"Uttrekket har bare rader for {', '.join(years)}, men målekortet gjelder "
                               f"{year}; ingenting ble fylt.", file=str(path), severity=WARNING))
        else:
            continue
        report.not_filled.append(path)
        if path in report.unchanged:
            report.unchanged.remove(path)
    return out
