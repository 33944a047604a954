"""``excelkort tiltak``: the tiltaksplan at work (SPEC §5 Tiltaksplan, §8).

For one målekort and its tiltaksplan: a proposal row for every indicator whose own Status and
Risiko cells call for a measure and that has no open one, the effect cells (``Verdi ved start``
set once, ``Verdi nå`` kept current) and the overdue measures for the summary. The decisions
are in ``actionplan.proposals``; this module does the file work.

What a person wrote is never rewritten: proposals go into the first free rows after the last
row anything is written in, the effect cells are the only cells of a person's row excelkort
writes, and the file is patched cell by cell (``xlsx.workbookpatch``): every other part stays
byte-identical, a re-run that changes nothing leaves the file untouched (no backup), and a
changed file is backed up first. A plan that does not exist yet (a county unit's, the first
time) is made from the template.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..actionplan.layout import ACTION_SHEET, KEPT_BY_EXCELKORT
from ..actionplan.proposals import (Proposal, deviation_text, effect_value, reason_for_measure,
                                    result_in_month, start_month)
from ..actionplan.reader import ActionPlan, Measure, date_serial, read_action_plan
from ..actionplan.writer import row_height, write_action_plan
from ..atomic import atomic_output
from ..errors import EXIT_PARTIAL, InputError, Problem, count_word, internal_file_error
from ..runlock import folder_lock
from ..inputs.catalogue import default_catalogue
from ..model import Catalogue
from ..numbers.rules import Result, tolerance_for
from ..scorecard import layout as L
from ..scorecard.reader import ScorecardFile, read_scorecard
from ..scorecard.rowmodel import RowInputs
from ..xlsx.package import lock_file_for, locked_message
from ..xlsx.refs import cell_ref
from ..xlsx.celledit import CellEdit
from ..xlsx.workbookpatch import patch_workbook
from .consolidate_read import NAME_PATTERN, candidate_files
from .fill import same_cached
from .newfiles import action_plan_name

VALUE_AT_START, VALUE_NOW = KEPT_BY_EXCELKORT
CONSOLIDATED_SHEET = "Enheter"  # only a consolidated målekort has it (SPEC §7)


@dataclass
class MeasuresResult:
    """What ``tiltak`` did to one tiltaksplan."""

    scorecard: Path
    action_plan: Path
    unit_id: str
    period: str
    today: dt.date
    proposals: list[tuple[int, Proposal]] = field(default_factory=list)  # (0-based row, proposal)
    overdue: list[Measure] = field(default_factory=list)
    effect_cells: int = 0  # Verdi ved start / Verdi nå cells written in existing rows
    created: bool = False  # the plan did not exist and was made from the template
    written: bool = False
    backup: Path | None = None
    warnings: list[Problem] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """The terminal summary: what was proposed, what is overdue, the effect cells, the file."""
        return summary_lines([self], [])


@dataclass
class _Indicator:
    """One indicator of the målekort as ``tiltak`` needs it."""

    inputs: RowInputs
    now: Result  # its numbers in the målekort's period
    reason: str | None  # rød / Høy by the målekort's own cells, or None


def plan_measures(scorecard_path: str | Path, action_plan_path: str | Path | None = None,
                  today: dt.date | None = None, catalogue: Catalogue | None = None) -> MeasuresResult:
    """``excelkort tiltak``: proposals, effect cells and overdue measures for one unit's plan.

    ``action_plan_path`` defaults to ``tiltaksplan_<enhet>_<år>.xlsx`` beside the målekort;
    ``today`` (the date Frist is compared with and proposals are dated) to the clock's. Raises
    InputError when the målekort or the plan cannot be read or the plan is open in Excel.
    """
    today = today or dt.date.today()
    sc = read_scorecard(scorecard_path)
    path = (Path(action_plan_path) if action_plan_path is not None
            else sc.path.parent / action_plan_name(sc.unit_id, sc.year))
    if (lock := lock_file_for(path)) is not None:
        raise InputError(Problem(locked_message(lock, then="kjør tiltak på nytt"), file=str(path)))
    out = MeasuresResult(sc.path, path, sc.unit_id, sc.period, today)
    if path.exists():
        _work_on(path, sc, out, catalogue, backup=True)
        return out
    made = None
    try:
        with atomic_output(path) as made:  # whole or not at all: a killed run leaves no half-made plan
            write_action_plan(made, sc.unit_id, sc.unit_name, sc.period)
            _work_on(made, sc, out, catalogue, backup=False)
    except InputError as exc:  # said of the plan, not of the temp file it was made in
        raise InputError([replace(p, file=str(path)) if p.file == str(made) else p
                          for p in exc.problems]) from None
    out.created = out.written = True
    return out


def _work_on(path: Path, sc: ScorecardFile, out: MeasuresResult, catalogue: Catalogue | None,
             backup: bool) -> None:
    """Read the plan at ``path`` into ``out`` and patch in the proposals and effect cells."""
    plan = read_action_plan(path)
    out.warnings = list(plan.problems)  # the målekort's own warnings are «sjekk»'s
    out.overdue = plan.overdue(out.today)
    indicators = _indicators(sc, catalogue)
    edits: dict[str, CellEdit] = {}
    out.effect_cells = _effect_edits(plan, sc, indicators, edits)
    heights: dict[int, float] = {}
    out.proposals = _proposals(plan, indicators, out.today, edits, heights)
    if edits:
        patched = patch_workbook(path, edits={ACTION_SHEET: edits}, backup=backup,
                                 row_heights={ACTION_SHEET: heights})
        out.written = out.written or patched.written
        out.backup = patched.backup


def _indicators(sc: ScorecardFile, catalogue: Catalogue | None) -> dict[str, _Indicator]:
    """Every indicator row of the målekort (in its order) with its inputs, its numbers now and
    whether it needs a measure by its own Status and Risiko cells."""
    definitions = sc.own_catalogue or catalogue or default_catalogue()
    consolidated = sc.package is not None and CONSOLIDATED_SHEET in sc.package.sheet_names()
    out = {}
    for ind_id, item in sc.rows.items():
        if ind_id not in definitions:
            continue
        ind = definitions[ind_id]
        target = item.target if item.target is not None else ind.target
        inputs = RowInputs(ind, list(item.teller), list(item.nevner), list(item.bare), target,
                           tolerance_for(ind, target),
                           weighted=L.is_weighted_name(item.name),
                           months_are_formulas=consolidated or ind.is_automatic)
        reason = reason_for_measure(item.cached.get(L.COL_STATUS), item.risk_assessed,
                                    item.cached.get(L.COL_RISK_SUGGESTED))
        out[ind_id] = _Indicator(inputs, result_in_month(inputs, sc.period_month), reason)
    return out


def _effect_edits(plan: ActionPlan, sc: ScorecardFile, indicators: dict[str, _Indicator],
                  edits: dict[str, CellEdit]) -> int:
    """The effect cells of the rows people wrote: ``Verdi ved start`` where it is empty and can
    be known, ``Verdi nå`` where it differs from now. Returns how many cells change."""
    changed = 0
    for measure in plan.measures:
        found = indicators.get(measure.indicator_id)
        if found is None:
            continue
        ind = found.inputs.indicator
        line = plan.values[measure.row]
        for label in KEPT_BY_EXCELKORT:
            col = plan.cols.get(label)
            if col is None:
                continue
            current = line[col] if col < len(line) else None
            if label == VALUE_NOW:
                new = effect_value(ind, found.now)
            else:
                if current not in (None, ""):
                    continue  # set once
                month = start_month(measure.start, sc.year, sc.period_month)
                new = None if month is None else effect_value(
                    ind, found.now if month == sc.period_month else result_in_month(found.inputs, month))
                if new is None:
                    continue
            if not same_cached(current, new):
                edits[cell_ref(measure.row, col)] = CellEdit(new)
                changed += 1
    return changed


def _proposals(plan: ActionPlan, indicators: dict[str, _Indicator], today: dt.date,
               edits: dict[str, CellEdit], heights: dict[int, float]) -> list[tuple[int, Proposal]]:
    """A proposal row for each indicator that needs a measure and has no open one, in the
    målekort's order, in the first free rows after the last row anything is written in; the
    height each row needs for its text goes to ``heights`` (row number from 1)."""
    open_ids = {m.indicator_id for m in plan.open_measures()}
    numbers = [int(m.nr) for m in plan.measures if m.nr.isdigit()]
    nr = max(numbers, default=len(plan.measures)) + 1
    row = plan.next_free_row()
    out = []
    for ind_id, found in indicators.items():
        if found.reason is None or ind_id in open_ids:
            continue
        ind = found.inputs.indicator
        proposal = Proposal(ind, found.reason,
                            deviation_text(ind, found.now, found.reason, found.inputs.target),
                            effect_value(ind, found.now))
        cells = proposal.cells(nr, today, date_serial)
        for label, value in cells.items():
            if value is not None and label in plan.cols:  # a column a person removed stays so
                edits[cell_ref(row, plan.cols[label])] = CellEdit(value)
        heights[row + 1] = row_height(cells, plan.cols)
        out.append((row, proposal))
        nr += 1
        row += 1
    return out


@dataclass
class MeasuresBatch:
    """What ``tiltak`` did for every målekort under a folder (``syklus``)."""

    folder: Path
    results: list[MeasuresResult] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)  # (målekort, reason)

    @property
    def exit_code(self) -> int:
        return EXIT_PARTIAL if self.rejected else 0

    def summary_lines(self, detail: bool = False) -> list[str]:
        """The terminal summary; with ``detail`` every proposal and overdue measure too."""
        return summary_lines(self.results, self.rejected, detail=detail)


def scorecards_under(folder: Path) -> list[Path]:
    """Every målekort (``målekort_<enhet>_<år>.xlsx``) under ``folder``, recursively, sorted;
    no backups or lock files."""
    return [p for p in candidate_files(folder)
            if NAME_PATTERN.fullmatch(unicodedata.normalize("NFC", p.name))]


def plan_measures_all(folder: str | Path, today: dt.date | None = None,
                      catalogue: Catalogue | None = None, progress=None) -> MeasuresBatch:
    """``tiltak`` for every målekort under ``folder`` (offices and county units): one file that
    cannot be read is one rejected file, never a stopped run."""
    folder = Path(folder)
    with folder_lock(folder, "tiltak"):
        batch = MeasuresBatch(folder)
        paths = scorecards_under(folder)
        for i, path in enumerate(paths):
            try:
                batch.results.append(plan_measures(path, today=today, catalogue=catalogue))
            except InputError as exc:
                batch.rejected.append((path, "; ".join(str(p) for p in exc.errors or exc.problems)))
            except Exception as exc:  # noqa: BLE001 - one odd file never stops the run
                batch.rejected.append((path, internal_file_error(path, "i tiltak", exc,
                                                                 "tiltaksplanen er ikke endret")))
            if progress:
                progress(i + 1, len(paths))
        return batch


def _day(day: dt.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def _file_line(r: MeasuresResult) -> str:
    state = ("opprettet" if r.created else "skrevet") if r.written else "uendret"
    return (f"{r.action_plan.name} ({r.scorecard.name}, {r.period}): "
            f"{count_word(len(r.proposals), 'forslag', 'forslag')}, "
            f"{count_word(len(r.overdue), 'forfalt tiltak', 'forfalte tiltak')}, "
            f"{count_word(r.effect_cells, 'effektcelle', 'effektceller')} oppdatert – {state}")


def summary_lines(results: list[MeasuresResult], rejected: list[tuple[Path, str]],
                  detail: bool = True) -> list[str]:
    """Norwegian summary lines of one or more ``tiltak`` runs: per plan what was proposed (the
    row and Avvik), the overdue measures (row, Frist, Status) and the effect cells, then the
    totals with files written, warnings and errors."""
    lines = []
    for r in results:
        lines.append(_file_line(r))
        if not detail:
            continue
        for row, p in r.proposals:
            lines.append(f"  Forslag rad {row + 1}: {p.indicator.id} {p.indicator.name} – {p.deviation}")
        for m in r.overdue:
            what = f" – {m.action}" if m.action else ""
            lines.append(f"  Forfalt rad {m.row + 1}: {m.indicator}{what} (frist {_day(m.deadline)}, "
                         f"{m.status or 'uten status'})")
    written = sum(1 for r in results if r.written)
    warnings = sum(len(r.warnings) for r in results)
    lines.append(
        f"Oppsummering: {count_word(sum(len(r.proposals) for r in results), 'forslag', 'forslag')}, "
        f"{count_word(sum(len(r.overdue) for r in results), 'forfalt tiltak', 'forfalte tiltak')}, "
        f"{count_word(sum(r.effect_cells for r in results), 'effektcelle', 'effektceller')} oppdatert; "
        f"{count_word(written, 'fil', 'filer')} skrevet, "
        f"{count_word(warnings, 'advarsel', 'advarsler')}, {len(rejected)} feil.")
    return lines
