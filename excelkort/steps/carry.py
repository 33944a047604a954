"""``ny``: what a re-made workbook (``--erstatt``) or next year's takes over from the old one.

Re-making a year's workbook carries everything people typed (SPEC §8): the month values and
Data's teller and nevner (the automatic ones too, so the workbook keeps its numbers until the
next ``fyll``), the month comment, Risiko (vurdering), Kommentar, the Logg and the tiltaksplan's
rows. What the new catalogue has no place for is listed by indicator, never dropped silently.
Next year's workbook starts without values; it takes the unit's own targets where the
indicator is still measured the same way, and says what the catalogue changed; next year's
tiltaksplan takes the measures still open (a measure runs until it is done, whatever the year).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..actionplan.layout import CLOSED_STATUSES
from ..actionplan.reader import read_action_plan
from ..errors import InputError, count_word
from ..model import MONTHS, Catalogue, Indicator
from ..numtext import format_number
from ..scorecard.reader import IndicatorRow, ScorecardFile, read_log, read_scorecard


@dataclass
class Carried:
    """What the new files are made with from the old ones, and what could not be placed."""

    teller: dict[str, list] = field(default_factory=dict)
    nevner: dict[str, list] = field(default_factory=dict)
    bare: dict[str, list] = field(default_factory=dict)
    month_comment: str = ""
    period: str = ""  # the old workbook's Periode (a re-made workbook never goes back)
    risk_assessed: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)  # next year: the unit's own Mål
    log_rows: list[list] = field(default_factory=list)
    plan_rows: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was carried, what the catalogue changed
    lost: list[tuple[Path, str]] = field(default_factory=list)  # (old file, what was not placed)


def _and(items: list[str]) -> str:
    """«a», «a og b», «a, b og c»."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]


def _read(path: Path, lost: list[tuple[Path, str]], what: str, reader):
    """The old file read, or None with a line in ``lost`` saying it could not be."""
    try:
        return reader(path)
    except InputError as exc:
        first = exc.problems[0].message if exc.problems else str(exc)
        lost.append((path, f"{what} kunne ikke leses ({first.rstrip('.')}); ingenting fra "
                           "filen ble tatt med"))
        return None


def carry_remake(old_scorecard: Path, old_plan: Path, catalogue: Catalogue) -> Carried:
    """What a re-made workbook takes from the year's old målekort and tiltaksplan (either may be
    missing)."""
    carried = Carried()
    if old_scorecard.exists():
        sc = _read(old_scorecard, carried.lost, "Målekortet", read_scorecard)
        if sc is not None:
            _carry_rows(sc, catalogue, carried)
            carried.month_comment, carried.period = sc.month_comment, sc.period
            carried.log_rows = read_log(old_scorecard)
            carried.notes.append(_carried_note(carried))
            carried.notes += _catalogue_changes(sc, catalogue, with_removed=False)
    if old_plan.exists():
        plan = _read(old_plan, carried.lost, "Tiltaksplanen", read_action_plan)
        if plan is not None:
            carried.plan_rows = plan.typed_rows()
            carried.notes.append(f"Tatt med fra tiltaksplanen: "
                                 f"{count_word(len(carried.plan_rows), 'rad', 'rader')}.")
            carried.lost += [(old_plan, f"Kolonnen «{name}» er ikke en av tiltaksplanens kolonner "
                                        "og ble ikke tatt med") for name in plan.own_columns()]
    return carried


def _carry_rows(sc: ScorecardFile, catalogue: Catalogue, carried: Carried) -> None:
    """Each indicator row's typed cells into ``carried``, or a line in ``carried.lost``."""
    own = sc.own_catalogue
    for ind_id, row in sc.rows.items():
        old = own[ind_id] if own is not None and ind_id in own else (
            catalogue[ind_id] if ind_id in catalogue else None)
        if ind_id not in catalogue:
            typed = _typed_parts(row, old)
            if typed:
                carried.lost.append((sc.path, f"{ind_id} finnes ikke lenger i katalogen: "
                                              f"{_and(typed)} ble ikke tatt med"))
            continue
        ind = catalogue[ind_id]
        if any(v is not None for v in row.teller + row.nevner):
            carried.teller[ind_id], carried.nevner[ind_id] = list(row.teller), list(row.nevner)
        _carry_bare(ind, row, sc.path, carried)
        if row.risk_assessed:
            carried.risk_assessed[ind_id] = row.risk_assessed
        if row.comment:
            carried.comments[ind_id] = row.comment


def _typed_parts(row: IndicatorRow, old: Indicator | None) -> list[str]:
    """What a person typed in a row: «3 tastede verdier», «en risikovurdering», «en kommentar»."""
    local = old is None or not old.is_automatic
    values = sum(v is not None for v in row.bare)
    if local:
        values += sum(v is not None for v in row.teller + row.nevner)
    parts = [count_word(values, "tastet verdi", "tastede verdier")] if values else []
    if row.risk_assessed:
        parts.append("en risikovurdering")
    if row.comment:
        parts.append("en kommentar")
    return parts


def _carry_bare(ind: Indicator, row: IndicatorRow, path: Path, carried: Carried) -> None:
    """The month values typed on Målekort, where the new definition still has an input cell."""
    typed = {m: v for m, v in enumerate(row.bare, start=1) if v is not None}
    if not typed:
        return
    if ind.is_automatic:
        carried.lost.append((path, f"{ind.id} hentes nå fra uttrekket: "
                                   f"{count_word(len(typed), 'tastet verdi', 'tastede verdier')} "
                                   "på Målekort ble ikke tatt med"))
        return
    outside = [m for m in typed if m not in ind.reporting_months]
    if outside:
        carried.lost.append((path, f"{ind.id} rapporteres ikke lenger for "
                                   f"{_and([MONTHS[m - 1] for m in outside])}: "
                                   f"{count_word(len(outside), 'tastet verdi', 'tastede verdier')} "
                                   "ble ikke tatt med"))
    carried.bare[ind.id] = [v if m in ind.reporting_months else None
                            for m, v in enumerate(row.bare, start=1)]


def _carried_note(carried: Carried) -> str:
    """«Tatt med fra målekortet: 27 tastede verdier, 40 dataceller, …»."""
    bare = sum(v is not None for values in carried.bare.values() for v in values)
    data = sum(v is not None for part in (carried.teller, carried.nevner)
               for values in part.values() for v in values)
    parts = [count_word(bare, "verdi på Målekort", "verdier på Målekort"),
             count_word(data, "celle i Data", "celler i Data"),
             "månedskommentaren" if carried.month_comment else "ingen månedskommentar",
             count_word(len(carried.risk_assessed), "risikovurdering", "risikovurderinger"),
             count_word(len(carried.comments), "kommentar", "kommentarer"),
             count_word(len(carried.log_rows), "rad i Logg", "rader i Logg")]
    return f"Tatt med fra målekortet: {_and(parts)}."


def _catalogue_changes(sc: ScorecardFile, catalogue: Catalogue, *, with_removed: bool) -> list[str]:
    """What the catalogue changed since the old workbook: new indicators, removed ones (when
    not already said as lost) and targets from the catalogue."""
    notes = []
    added = [i.id for i in catalogue if i.id not in sc.rows]
    if added:
        notes.append(f"Nye indikatorer i katalogen: {', '.join(added)}.")
    removed = [i for i in sc.rows if i not in catalogue]
    if removed and with_removed:
        notes.append(f"Ikke lenger i katalogen: {', '.join(removed)}.")
    own = sc.own_catalogue
    if own is not None:
        changed = [f"{i} {format_number(own[i].target)} → {format_number(catalogue[i].target)}"
                   for i in sc.rows if i in own and i in catalogue
                   and own[i].target != catalogue[i].target]
        if changed:
            notes.append(f"Katalogen har nye mål: {', '.join(changed)}.")
    return notes


def carry_new_year(last_year: Path, last_plan: Path, catalogue: Catalogue,
                   unit_targets: dict[str, float]) -> Carried:
    """What next year's workbooks take from this year's (either may be missing): from the
    målekort the unit's own targets (Mål different from the catalogue it was made with) where the
    indicator is still measured the same way and ``mål.csv`` gives none, values, comments and
    risks starting empty; from the tiltaksplan its open measures (``carry_open_measures``)."""
    carried = Carried()
    if last_year.exists():
        _carry_targets(last_year, catalogue, unit_targets, carried)
    if last_plan.exists():
        carry_open_measures(last_plan, carried)
    return carried


def carry_open_measures(last_plan: Path, carried: Carried) -> None:
    """Last year's measures that are not done (neither Fullført nor Avbrutt: Ikke startet,
    Pågår, or a Status left empty or mistyped, as ``tiltak`` counts them when a Frist passes)
    into next year's tiltaksplan, as typed; finished and cancelled measures, and excelkort's
    proposals nobody took on (no Ansvarlig), stay in last year's plan."""
    plan = _read(last_plan, carried.lost, "Fjorårets tiltaksplan", read_action_plan)
    if plan is None:
        return
    rows = {m.row for m in plan.measures
            if m.status not in CLOSED_STATUSES and not (m.is_proposal and not m.owner.strip())}
    carried.plan_rows = plan.typed_rows(rows)
    left = len(plan.measures) - len(rows)
    note = (f"Fra {last_plan.name}: {count_word(len(rows), 'åpent tiltak', 'åpne tiltak')} tatt "
            "med (alle som ikke er Fullført eller Avbrutt).")
    if left:
        note += (f" {count_word(left, 'tiltak', 'tiltak')} ble igjen i fjorårets plan (fullført, "
                 "avbrutt, eller et forslag fra excelkort uten Ansvarlig).")
    carried.notes.append(note)


def _carry_targets(last_year: Path, catalogue: Catalogue, unit_targets: dict[str, float],
                   carried: Carried) -> None:
    """The unit's own targets from last year's målekort, and what the catalogue changed."""
    sc = _read(last_year, carried.lost, "Målekortet", read_scorecard)
    if sc is None:
        return
    own = sc.own_catalogue
    kept, refused = [], []
    for ind_id, row in sc.rows.items():
        if own is None or ind_id not in own or row.target is None or row.target == own[ind_id].target:
            continue
        if ind_id not in catalogue or ind_id in unit_targets:
            continue
        old, new = own[ind_id], catalogue[ind_id]
        if (old.measure, old.direction, old.ytd_mode) == (new.measure, new.direction, new.ytd_mode):
            carried.targets[ind_id] = row.target
            kept.append(f"{ind_id} {format_number(row.target)}")
        else:
            refused.append(ind_id)
    carried.notes.append(f"Fra {last_year.name}: ingen verdier, kommentarer eller "
                         "risikovurderinger (et nytt år starter tomt).")
    if kept:
        carried.notes.append(f"Enhetens egne mål tatt med: {', '.join(kept)}.")
    if refused:
        carried.notes.append(f"Egne mål ikke tatt med fordi katalogen måler indikatoren på en ny "
                             f"måte: {', '.join(refused)}.")
    carried.notes += _catalogue_changes(sc, catalogue, with_removed=True)
