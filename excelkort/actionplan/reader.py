"""Reading a tiltaksplan, tolerant of what people do to it (SPEC §5): the one place that turns
the sheet Tiltak into measures, for ``tiltak``, the statusrapport and the county's Kommentarer.

The table is found by its header labels (a person may move it or insert columns). Dates are
read as Excel stores them (a date serial or a date cell) and as people type them as text
(``15.03.2026``, ``15.3.26``, ``2026-03-15``). Problems (an unknown Status, a date that is no
date, Pågår without Ansvarlig) are listed with sheet and cell and never stop the reading.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import WARNING, InputError, Problem
from ..inputs.tables import norm_label
from ..scorecard.reader import find_header
from ..xlsx.grid import sheet_values
from ..xlsx.package import open_package
from ..xlsx.refs import cell_ref
from .layout import (ACTION_LABELS, ACTION_SHEET, ACTION_STATUSES, CLOSED_STATUSES, OPEN_STATUSES,
                     PROPOSAL_COMMENT)

REQUIRED = ("Indikator", "Tiltak", "Ansvarlig", "Frist", "Status")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_TEXT = (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})"), re.compile(r"(\d{4})-(\d{2})-(\d{2})"))
_STATUS_BY_KEY = {norm_label(s): s for s in ACTION_STATUSES}


@dataclass
class Measure:
    """One row of the tiltaksplan as a person wrote it (and the two cells excelkort keeps)."""

    row: int  # 0-based sheet row
    nr: str
    indicator: str  # as written: «B1 Andel …»
    deviation: str  # Avvik
    action: str  # Tiltak
    owner: str  # Ansvarlig
    start: dt.date | None
    deadline: dt.date | None  # Frist
    status: str  # one of ACTION_STATUSES, or what was typed when it is none of them
    expected_effect: str
    comment: str
    updated: dt.date | None  # Sist oppdatert
    value_at_start: float | None  # Verdi ved start
    value_now: float | None  # Verdi nå

    @property
    def indicator_id(self) -> str:
        """The indicator's ID: the first word of ``Indikator`` («B1 Andel …», «B1: …» → «B1»)."""
        return self.indicator.split(maxsplit=1)[0].rstrip(":;,.–-") if self.indicator.strip() else ""

    @property
    def is_open(self) -> bool:
        """Ikke startet or Pågår: a measure still to act on (and no new proposal for it)."""
        return self.status in OPEN_STATUSES

    @property
    def is_proposal(self) -> bool:
        return self.comment.strip() == PROPOSAL_COMMENT

    def is_overdue(self, today: dt.date) -> bool:
        """Past Frist and neither Fullført nor Avbrutt."""
        return self.deadline is not None and self.deadline < today and self.status not in CLOSED_STATUSES


@dataclass
class ActionPlan:
    """A tiltaksplan as read: where its table is, its measures and the reader's problems."""

    path: Path
    header_row: int
    cols: dict[str, int]
    measures: list[Measure] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    values: list[list] = field(default_factory=list, repr=False)  # the sheet's cells as cached

    def open_measures(self) -> list[Measure]:
        return [m for m in self.measures if m.is_open]

    def overdue(self, today: dt.date) -> list[Measure]:
        return [m for m in self.measures if m.is_overdue(today)]

    def typed_rows(self, only: set[int] | None = None) -> list[dict[str, object]]:
        """Every row below the header with something in the table's columns (or those of the
        sheet rows ``only``, 0-based): label → the cell as cached (a date cell as a date), for
        ``ny`` to write into the new plan."""
        out = []
        for r, line in enumerate(self.values[self.header_row + 1:], start=self.header_row + 1):
            if only is not None and r not in only:
                continue
            row = {label: line[c] for label, c in self.cols.items()
                   if c < len(line) and line[c] not in (None, "")}
            if row:
                out.append(row)
        return out

    def own_columns(self) -> list[str]:
        """Headings of columns a person added to the table that hold something below."""
        header = self.values[self.header_row]
        known = set(self.cols.values())
        return [str(header[c]).strip() for c in range(len(header))
                if c not in known and any(c < len(line) and line[c] not in (None, "")
                                          for line in self.values[self.header_row:])]

    def next_free_row(self) -> int:
        """The first row after the last row anything is written in (0-based)."""
        last = self.header_row
        for r in range(self.header_row + 1, len(self.values)):
            if any(v not in (None, "") for v in self.values[r]):
                last = r
        return last + 1


def read_action_plan(path: str | Path) -> ActionPlan:
    """Read a tiltaksplan; raises InputError when the file or its table cannot be read."""
    path = Path(path)
    package = open_package(path, allow_locked=True)
    if ACTION_SHEET not in package.sheet_names():
        raise InputError(Problem(f"Arket «{ACTION_SHEET}» mangler. Gi arket tilbake navnet "
                                 f"«{ACTION_SHEET}».", file=str(path)))
    values = sheet_values(package, ACTION_SHEET)
    header_row, cols = find_header(values, ACTION_LABELS, REQUIRED, path, ACTION_SHEET)
    plan = ActionPlan(path, header_row, cols, values=values)
    for r in range(header_row + 1, len(values)):
        measure = _measure(plan, r)
        if measure is not None:
            plan.measures.append(measure)
    return plan


def _measure(plan: ActionPlan, r: int) -> Measure | None:
    row = plan.values[r]

    def raw(label: str):
        c = plan.cols.get(label)
        return row[c] if c is not None and c < len(row) else None

    def text(label: str) -> str:
        v = raw(label)
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    if not (text("Indikator") or text("Tiltak")):
        return None  # an empty or a person's own note row
    where = {"file": str(plan.path), "sheet": ACTION_SHEET}

    def problem(label: str, message: str) -> None:
        plan.problems.append(Problem(message, cell=cell_ref(r, plan.cols[label]), severity=WARNING,
                                     **where))

    def date(label: str) -> dt.date | None:
        if label not in plan.cols:
            return None
        value, ok = parse_date(raw(label))
        if not ok:
            problem(label, f"«{text(label)}» i {label} er ikke en dato. Skriv datoen som 15.03.2026.")
        return value

    def number(label: str) -> float | None:
        v = raw(label)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    start, deadline, updated = date("Start"), date("Frist"), date("Sist oppdatert")
    status_text = text("Status")
    status = _STATUS_BY_KEY.get(norm_label(status_text), status_text)
    if status_text and status not in ACTION_STATUSES:
        problem("Status", f"Status «{status_text}» er ukjent. Velg {', '.join(ACTION_STATUSES[:-1])} "
                          f"eller {ACTION_STATUSES[-1]}.")
    measure = Measure(r, text("Nr"), text("Indikator"), text("Avvik"), text("Tiltak"),
                      text("Ansvarlig"), start, deadline, status,
                      text("Forventet effekt"), text("Kommentar"), updated,
                      number("Verdi ved start"), number("Verdi nå"))
    if status == "Pågår" and not measure.owner:
        problem("Ansvarlig", "Tiltaket pågår, men Ansvarlig er tom. Skriv hvem som har ansvaret.")
    return measure


def date_serial(day: dt.date) -> int:
    """A date as Excel stores it (days since 1899-12-30): the inverse of ``parse_date``."""
    return (day - _EXCEL_EPOCH).days


def parse_date(value) -> tuple[dt.date | None, bool]:
    """A date as a cell holds it → (date, True); blank → (None, True); no date → (None, False)."""
    if value is None or value == "":
        return None, True
    if isinstance(value, dt.datetime):
        return value.date(), True
    if isinstance(value, dt.date):
        return value, True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's serials: 1900-01-01 … 9999-12-31
            return _EXCEL_EPOCH + dt.timedelta(days=int(value)), True
        return None, False
    text = str(value).strip()
    for pattern in _DATE_TEXT:
        m = pattern.fullmatch(text)
        if m:
            a, b, c = (int(g) for g in m.groups())
            day, month, year = (c, b, a) if pattern is _DATE_TEXT[1] else (a, b, c)
            if year < 100:
                year += 2000
            try:
                return dt.date(year, month, day), True
            except ValueError:
                return None, False
    return None, False

