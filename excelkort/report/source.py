"""Reading what a statusrapport is made from: the målekort, its tiltaksplan, the work folder's
register and history, and a consolidated workbook's sheet Enheter.

The numbers are **recomputed** from the workbook's data (teller, nevner and typed values) with
``numbers.rules.evaluate``, with the row's own Mål and tolerance, as ``fyll`` would: so the deck
is right even when a leader typed a local value after the last ``fyll`` and Prognose, Krav and
Sannsynlighet (values, not formulas) were not updated yet. Status and trend equal what Excel's
formulas show. The units side by side come from the Enheter sheet the consolidation wrote.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..actionplan.reader import read_action_plan
from ..errors import WARNING, InputError, Problem
from ..inputs.catalogue import default_catalogue
from ..inputs.register import resolve_register
from ..model import Catalogue
from ..numbers.rules import STATUSES, GREY, evaluate
from ..scorecard import layout as L
from ..scorecard.reader import ScorecardFile, read_scorecard
from ..steps.consolidate_read import leaf_series
from ..steps.history import FOLDER as HISTORY_FOLDER, history_path, read_history
from ..steps.newfiles import action_plan_name
from ..xlsx.grid import sheet_values
from .content import IndicatorLine, ReportInputs, UnitRow, fmt_value, period_end

UNITS_SHEET = L.UNITS_SHEET
_CACHE: dict[tuple, object] = {}  # per process: registers and history by (path, mtime)


@dataclass
class Source:
    """The deck's inputs and what reading them found."""

    inputs: ReportInputs
    scorecard: ScorecardFile
    warnings: list[Problem] = field(default_factory=list)


def work_folder_of(path: Path) -> Path | None:
    """The work folder a målekort lies in (kontor/<enhet>/ or konsolidert/<enhet>/ under it):
    the nearest folder above it with enheter.csv, indikatorer.csv or historikk/."""
    for folder in list(path.resolve().parents)[:4]:
        if any((folder / n).exists() for n in ("enheter.csv", "enheter.xlsx", "indikatorer.csv",
                                                HISTORY_FOLDER)):
            return folder
    return None


def _cached(key_path: Path, kind: str, load):
    try:
        key = (kind, str(key_path), key_path.stat().st_mtime_ns)
    except OSError:
        key = (kind, str(key_path), None)
    if key not in _CACHE:
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = load()
    return _CACHE[key]


def _level(sc: ScorecardFile, workdir: Path | None, warnings: list[Problem]) -> str:
    """nivå from the work folder's register; else from the workbook (Enheter → fylke)."""
    if workdir is not None:
        for name in ("enheter.csv", "enheter.xlsx"):
            if (workdir / name).is_file():
                try:
                    register = _cached(workdir / name, "register", lambda: resolve_register(None, workdir))
                except InputError as exc:
                    warnings.append(Problem(f"Enhetsregisteret kunne ikke leses ({exc}); nivået "
                                            "tas fra målekortet.", file=str(workdir / name),
                                            severity=WARNING))
                    break
                unit = register.find_unit(sc.unit_id, sc.period) if register else None
                if unit is not None:
                    return unit.level
                break
    return "fylke" if UNITS_SHEET in sc.package.sheet_names() else "kontor"


def _last_year(workdir: Path | None, unit_id: str, year: int) -> dict[str, tuple]:
    """Last year's month values of the unit per indicator, from the history (empty without)."""
    if workdir is None:
        return {}
    path = history_path(workdir, year - 1)
    if not path.is_file():
        return {}

    def load():
        df = read_history(workdir, year - 1)
        out: dict[tuple[str, str], list] = {}
        for enhet, periode, indikator, verdi in zip(df["enhet"], df["periode"], df["indikator"],
                                                    df["verdi"]):
            values = out.setdefault((str(enhet), str(indikator)), [None] * 12)
            if verdi is not None and verdi == verdi:  # NaN / NA: missing
                values[int(str(periode)[5:7]) - 1] = float(verdi)
        return out

    table = _cached(path, "history", load)
    return {ind: tuple(v) for (enhet, ind), v in table.items() if enhet == unit_id}


def _tolerance(sc: ScorecardFile, row: int) -> float | None:
    col = sc.cols.get(L.helper_label("e"))
    if col is None:
        return None
    line = sc.values[L.SCORECARD_SHEET][row]
    value = line[col] if col < len(line) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def indicator_lines(sc: ScorecardFile, catalogue: Catalogue, line: str | None,
                    last_year: dict[str, tuple]) -> list[IndicatorLine]:
    """The unit's indicators (of one Styringslinje and felles, or all), recomputed."""
    out = []
    for ind in catalogue:
        if line and ind.line not in (line, "felles"):
            continue
        item = sc.rows.get(ind.id)
        if item is None:
            continue
        series = leaf_series(ind, item)
        series.weighted = L.is_weighted_name(item.name)
        target = item.target if item.target is not None else ind.target
        result = evaluate(ind, series, sc.period_month, target=target,
                          tolerance=_tolerance(sc, item.row))
        out.append(IndicatorLine(ind, result, item.risk_assessed, item.comment, last_year.get(ind.id)))
    return out


def units_side_by_side(sc: ScorecardFile, catalogue: Catalogue) -> list[UnitRow]:
    """The rows of a consolidated workbook's sheet Enheter: the unit itself, then its units."""
    if UNITS_SHEET not in sc.package.sheet_names():
        return []
    rows = sheet_values(sc.package, UNITS_SHEET)
    sub = next((r for r, row in enumerate(rows[:20]) if row[:2] == ["Enhet", "Navn"]), None)
    if sub is None or sub == 0:
        return []
    columns: dict[str, int] = {}
    for c, label in enumerate(rows[sub]):
        head = rows[sub - 1][c] if c < len(rows[sub - 1]) else ""
        if label == "Hittil i år" and isinstance(head, str) and head.split():
            columns[head.split()[0]] = c
    out = []
    for r in range(sub + 1, len(rows)):
        row = rows[r]
        unit_id = str(row[0]).strip() if row and row[0] not in (None, "") else ""
        if not unit_id:
            break
        cells = {}
        for ind_id, c in columns.items():
            if ind_id not in catalogue:
                continue
            value = row[c] if c < len(row) else None
            status = row[c + 1] if c + 1 < len(row) else None
            shown = fmt_value(catalogue[ind_id], value if value != "" else None)
            cells[ind_id] = (shown, status if status in STATUSES else GREY)
        out.append(UnitRow(unit_id, str(row[1] or ""), cells, total=r == sub + 1))
    return out


def read_source(scorecard: str | Path, action_plan: str | Path | None = None, line: str | None = None,
                today: dt.date | None = None) -> Source:
    """Everything one deck needs. InputError when the målekort (or a tiltaksplan given by name)
    cannot be read; a tiltaksplan found beside it that cannot be read is a warning."""
    path = Path(scorecard)
    sc = read_scorecard(path)
    catalogue = sc.own_catalogue
    if catalogue is None:
        catalogue = default_catalogue()
        sc = read_scorecard(path, catalogue)
    warnings: list[Problem] = []  # the målekort's own (typed text, odd values): «sjekk» lists them
    workdir = work_folder_of(path)
    year = sc.year or int(sc.period[:4])
    lines = indicator_lines(sc, catalogue, line, _last_year(workdir, sc.unit_id, year))
    measures, plan_name = None, ""
    plan_path = Path(action_plan) if action_plan else path.parent / action_plan_name(sc.unit_id, year)
    if action_plan or plan_path.is_file():
        try:
            plan = read_action_plan(plan_path)
            measures, plan_name = plan.measures, plan_path.name
            warnings += plan.problems
        except InputError as exc:
            if action_plan:
                raise
            warnings.append(Problem(f"Tiltaksplanen kunne ikke leses og er utelatt: {exc}",
                                    file=str(plan_path), severity=WARNING))
    level = _level(sc, workdir, warnings)
    inputs = ReportInputs(
        unit_id=sc.unit_id, unit_name=sc.unit_name, level=level, period=sc.period,
        indicators=lines, month_comment=sc.month_comment, line=line, measures=measures,
        plan_name=plan_name, source_name=path.name, today=today or period_end(sc.period),
        units=units_side_by_side(sc, catalogue) if level != "kontor" else [],
        unit_indicators=list(catalogue))
    return Source(inputs, sc, warnings)
