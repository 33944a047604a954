"""The unit register (SPEC §2): kontor → fylke → nasjonal, with effective dating.

``enheter.csv`` (or ``.xlsx``) names every unit and its parent, optionally with ``gyldig_fra`` /
``gyldig_til`` (YYYY-MM). ``Register.tree(period)`` gives the hierarchy in force that month, so a
consolidation of last year is not rewritten by this year's reorganisation. Unit ids are text
always (``0101`` keeps its zero) and must be safe file names.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from importlib import resources
from typing import Container

from .hints import suggest_unit
from .tables import (TableRow, cell_text, find_in_folder, join_or, quote, read_table,
                     unsafe_text, write_csv_rows)
from ..period import check_period, invalid_period_message, parse_period, shift
from ..errors import InputError, ERROR, WARNING, Problem, raise_if_errors
from ..model import LEVELS, Unit

COLUMNS = ("enhet", "navn", "nivå", "overordnet", "type", "gyldig_fra", "gyldig_til")
REQUIRED = ("enhet", "navn", "nivå", "overordnet")
SHEET = "Enheter"
MAX_ID_LENGTH = 64
#: the level a unit's parent must have
PARENT_LEVEL = {"kontor": "fylke", "fylke": "nasjonal", "nasjonal": None}
_LEVEL_WORDS = {"kontor": "et kontor", "fylke": "en fylkesenhet", "nasjonal": "den nasjonale enheten"}
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                     *(f"lpt{i}" for i in range(10))}
_FIRST = "0000-01"  # the interval before every date in the register


# ---------------------------------------------------------------------------------------------
# Unit ids and register dates
# ---------------------------------------------------------------------------------------------

def unit_id_problem(unit_id: str) -> str | None:
    """Why ``unit_id`` is not a safe unit id (and file name), or None when it is."""
    if not unit_id:
        return "Enhet mangler. Skriv enhetens id, f.eks. 0101."
    if unit_id != unit_id.strip():
        return f"Enhet {quote(unit_id)} har mellomrom først eller sist. Fjern mellomrommene."
    if len(unit_id) > MAX_ID_LENGTH:
        return f"Enhet {quote(unit_id)} er for lang (høyst {MAX_ID_LENGTH} tegn)."
    if unit_id.casefold() in _WINDOWS_RESERVED:
        return (f"Enhet «{unit_id}» er et reservert navn i Windows og kan ikke brukes i et "
                "filnavn. Velg en annen id.")
    if unit_id.startswith("-"):
        return f"Enhet «{unit_id}» kan ikke begynne med «-». Velg en annen id."
    bad = next((c for c in unit_id if not (c.isalpha() or c in "0123456789-_")), None)
    if bad is not None:
        if not bad.isprintable():
            shown = "".join(c if c.isprintable() else "?" for c in unit_id)
            what = f"kontrolltegnet U+{ord(bad):04X}"
        else:
            shown, what = unit_id, "mellomrom" if bad == " " else f"«{bad}»"
        return (f"Enhet {quote(shown)} inneholder {what} og kan ikke brukes i et filnavn. Bruk "
                "bare bokstaver, sifre, «-» og «_».")
    return None


def is_safe_unit_id(unit_id: str) -> bool:
    """True when ``unit_id`` can be a unit id and a file name on Windows, macOS and Linux."""
    return unit_id_problem(unit_id) is None


def _parse_date(raw) -> str | None:
    """A register date (gyldig_fra, gyldig_til): a period as ``period.parse_period`` reads it,
    or an Excel date; None when invalid."""
    if isinstance(raw, (dt.date, dt.datetime)):
        return f"{raw.year:04d}-{raw.month:02d}"
    return parse_period(cell_text(raw))


# ---------------------------------------------------------------------------------------------
# The register and the tree in force
# ---------------------------------------------------------------------------------------------

class Tree:
    """The hierarchy in force in one month: only units with gyldig_fra ≤ period ≤ gyldig_til."""

    def __init__(self, units, period: str):
        self.period = period
        self._units: dict[str, Unit] = {}
        for u in units:
            self._units.setdefault(u.id, u)
        self._children: dict[str, list[Unit]] = {uid: [] for uid in self._units}
        for u in self._units.values():
            if u.parent in self._units:
                self._children[u.parent].append(u)

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._units

    def __iter__(self):
        return iter(self._units.values())

    def __len__(self) -> int:
        return len(self._units)

    def units(self) -> list[Unit]:
        return list(self._units.values())

    def unit(self, unit_id: str) -> Unit:
        """The unit; KeyError when it is not in force this month."""
        return self._units[unit_id]

    def children(self, unit_id: str) -> list[Unit]:
        return list(self._children.get(unit_id, ()))

    def parent(self, unit_id: str) -> Unit | None:
        parent = self._units[unit_id].parent
        return self._units.get(parent) if parent else None

    def ancestors(self, unit_id: str) -> list[Unit]:
        """Parent, grandparent, … (nearest first)."""
        out: list[Unit] = []
        seen = {unit_id}
        current = self.parent(unit_id)
        while current is not None and current.id not in seen:
            out.append(current)
            seen.add(current.id)
            current = self.parent(current.id)
        return out

    def leaves(self, unit_id: str, done: Container[str] = ()) -> list[Unit]:
        """Every kontor-level unit under ``unit_id``, recursively (a kontor: itself). A unit
        below it that is in ``done`` stands in for everything under it (a consolidated unit
        whose sums are known), so the nation is made of its counties."""
        out: list[Unit] = []
        stack = [self._units[unit_id]]
        seen: set[str] = set()
        while stack:
            u = stack.pop()
            if u.id in seen:
                continue
            seen.add(u.id)
            if u.id in done and u.id != unit_id:
                out.append(u)
                continue
            if u.level == "kontor":
                out.append(u)
            stack.extend(reversed(self._children.get(u.id, ())))
        return out

    def offices(self) -> list[Unit]:
        return [u for u in self._units.values() if u.level == "kontor"]

    def counties(self) -> list[Unit]:
        return [u for u in self._units.values() if u.level == "fylke"]

    def nation(self) -> Unit | None:
        return next((u for u in self._units.values() if u.level == "nasjonal"), None)


class Register:
    """Every unit row of the register (one id may have several rows with different validity)."""

    def __init__(self, units, source: str = ""):
        self.units: tuple[Unit, ...] = tuple(units)
        self.source = source
        self._trees: dict[str, Tree] = {}

    def __iter__(self):
        return iter(self.units)

    def __len__(self) -> int:
        return len(self.units)

    def __eq__(self, other) -> bool:
        return isinstance(other, Register) and self.units == other.units

    def __repr__(self) -> str:
        return f"Register({len(self.units)} enheter, source={self.source!r})"

    def ids(self) -> list[str]:
        """Every unit id, once, in register order."""
        return list(dict.fromkeys(u.id for u in self.units))

    def tree(self, period: str) -> Tree:
        """The hierarchy in force in the month ``period`` (YYYY-MM)."""
        period = check_period(period)
        if period not in self._trees:
            self._trees[period] = Tree([u for u in self.units if u.in_force(period)], period)
        return self._trees[period]

    def find_unit(self, unit_id: str, period: str | None = None) -> Unit | None:
        """The unit with exactly this id: the row in force in ``period``, else its latest row."""
        rows = [u for u in self.units if u.id == unit_id]
        if period is not None:
            rows = [u for u in rows if u.in_force(period)]
        if not rows:
            return None
        return max(rows, key=lambda u: u.valid_from or "")

    def suggest(self, unit_id: object) -> str | None:
        """The register id a user most likely meant (``hints.suggest_unit``): same id up to case
        and spaces, or one that lost (or gained) leading zeros (``101`` → ``0101``). None when
        there is no such id."""
        return suggest_unit(unit_id, self.ids())

    def validate(self) -> list[Problem]:
        """Problems of a register built in code (each message names the unit)."""
        return _validate([(u, None) for u in self.units])


# ---------------------------------------------------------------------------------------------
# Loading and checking
# ---------------------------------------------------------------------------------------------

def check_register(path) -> list[Problem]:
    """Every problem in a register file (errors and warnings); never raises for bad input."""
    return _read_register(path)[1]


def load_register(path, warnings: list[Problem] | None = None) -> Register:
    """Load the unit register from CSV or a workbook (sheet ``Enheter``, else the first sheet).

    Raises InputError with every problem found when there is an error.
    """
    register, problems = _read_register(path)
    raise_if_errors(problems, into=warnings)
    assert register is not None
    return register


def resolve_register(register=None, workdir=None, *, required: bool = False) -> Register | None:
    """``--register F`` where given, else ``enheter.csv`` (or ``.xlsx``) in the work folder,
    else None, or with ``required`` an InputError saying what to do (the demo's register is
    never used silently: SPEC §8)."""
    if register is not None:
        return load_register(register)
    for name in ("enheter.csv", "enheter.xlsx"):
        found = find_in_folder(workdir, name)
        if found is not None:
            return load_register(found)
    if required:
        raise InputError(Problem(
            f"Fant ikke noe enhetsregister (enheter.csv eller enheter.xlsx) i {workdir}. Oppgi "
            "registeret med --register F, eller kjør kommandoen i arbeidsmappen der det ligger."))
    return None


@dataclass
class _Where:
    """Locates a register row for messages."""

    table: object
    row: TableRow

    def at(self, column: str | None) -> dict:
        return self.table.where(self.row, column)

    def ref(self) -> str:
        return self.table.ref(self.row, "enhet")


def _read_register(path) -> tuple[Register | None, list[Problem]]:
    table, problems = read_table(path, labels=COLUMNS, required=REQUIRED, sheet_names=(SHEET,),
                                 first_sheet=True, what="enhetsregisteret")
    if table is None or not all(label in table.columns for label in REQUIRED):
        return None, problems
    records: list[tuple[Unit, _Where]] = []
    failed: set[str] = set()
    for row in table.rows:
        unit, row_problems = _parse_unit(table, row)
        problems.extend(row_problems)
        if unit is not None:
            records.append((unit, _Where(table, row)))
        else:
            failed.add(cell_text(row.values.get("enhet")))
    if not records and not any(p.is_error for p in problems):
        problems.append(Problem("Registeret har ingen enheter. Legg til minst én rad under "
                                "overskriftsraden.", **table.where()))
    problems.extend(_validate(records, frozenset(failed)))
    if any(p.is_error for p in problems):
        return None, problems
    return Register((u for u, _ in records), source=str(path)), problems


def _parse_unit(table, row: TableRow) -> tuple[Unit | None, list[Problem]]:
    problems: list[Problem] = []
    v = row.values

    def add(column, message, severity=ERROR):
        problems.append(Problem(message, severity=severity, **table.where(row, column)))

    unit_id = cell_text(v.get("enhet"))
    if msg := unit_id_problem(unit_id):
        add("enhet", msg)
    elif isinstance(v.get("enhet"), float):
        add("enhet", f"Enhet {unit_id} er lagret som et tall i Excel, så en ledende null kan ha "
                     "falt bort. Formater kolonnen «enhet» som tekst.", WARNING)
    name = cell_text(v.get("navn")).strip()
    if not name:
        add("navn", "Navn mangler. Skriv enhetens navn, f.eks. Nav Moss.")
    elif msg := unsafe_text(name):
        add("navn", msg)
    raw_level = v.get("nivå")
    level = cell_text(raw_level).strip().casefold()
    if raw_level is None:
        add("nivå", f"Nivå mangler. Bruk {join_or(LEVELS)}.")
    elif level not in LEVELS:
        add("nivå", f"Ukjent nivå {quote(raw_level)}. Bruk {join_or(LEVELS)}.")
    parent = cell_text(v.get("overordnet")) or None
    if parent is not None and (msg := unit_id_problem(parent)):
        add("overordnet", msg.replace("Enhet «", "Overordnet enhet «", 1))
    unit_type = cell_text(v.get("type")).strip()
    if unit_type and (msg := unsafe_text(unit_type)):
        add("type", msg)
    dates = {}
    for column in ("gyldig_fra", "gyldig_til"):
        raw = v.get(column)
        dates[column] = None if raw is None else _parse_date(raw)
        if raw is not None and dates[column] is None:
            add(column, invalid_period_message(cell_text(raw), column))
    start, end = dates["gyldig_fra"], dates["gyldig_til"]
    if start and end and start > end:
        add("gyldig_til", f"gyldig_fra ({start}) er etter gyldig_til ({end}). Rett datoene.")
    if any(p.is_error for p in problems):
        return None, problems
    return Unit(unit_id, name, level, parent, unit_type, start, end), problems


def _validate(records: list[tuple[Unit, _Where | None]],
              other_ids: frozenset[str] = frozenset()) -> list[Problem]:
    """Hierarchy checks over all rows: duplicates, cycles, parents and levels, then per interval
    of the register's dates: parents in force and one nation.

    ``other_ids`` are ids of rows that had errors of their own: not reported as unknown parents.
    """
    check = _Hierarchy(records, other_ids)
    check.duplicates()
    in_cycle = check.cycles()
    check.parents(in_cycle)
    check.in_force()
    return check.problems


class _Hierarchy:
    """The hierarchy checks of ``_validate``, each a step adding to ``problems``."""

    def __init__(self, records: list[tuple[Unit, _Where | None]], other_ids: frozenset[str]):
        self.records = records
        self.other_ids = other_ids
        self.problems: list[Problem] = []
        self.by_id: dict[str, list[tuple[Unit, _Where | None]]] = {}
        for unit, where in records:
            self.by_id.setdefault(unit.id, []).append((unit, where))

    def add(self, where: _Where | None, unit: Unit, column, message) -> None:
        if where is None:
            self.problems.append(Problem(f"Enhet «{unit.id}»: {message}", column=column))
        else:
            self.problems.append(Problem(message, **where.at(column)))

    @staticmethod
    def ref(where: _Where | None) -> str:
        return where.ref() if where is not None else "i en annen rad"

    def duplicates(self) -> None:
        """Duplicate ids (overlapping validity) and ids equal up to case."""
        earlier: dict[str, list[tuple[Unit, _Where | None]]] = {}
        by_fold: dict[str, tuple[Unit, _Where | None]] = {}
        for unit, where in self.records:
            for other, other_where in earlier.get(unit.id, ()):
                if _overlap(unit, other):
                    self.add(where, unit, "enhet",
                             f"Enhet «{unit.id}» finnes også {self.ref(other_where)} med "
                             "overlappende gyldighet. En enhet kan bare ha én rad per periode; "
                             "juster gyldig_fra/gyldig_til eller fjern den ene raden.")
                    break
            earlier.setdefault(unit.id, []).append((unit, where))
            first = by_fold.setdefault(unit.id.casefold(), (unit, where))
            if first[0].id != unit.id:
                self.add(where, unit, "enhet",
                         f"Enhet «{unit.id}» skiller seg bare i store/små bokstaver fra "
                         f"«{first[0].id}» {self.ref(first[1])}, og filnavnene ville kollidert i "
                         "Windows. Velg en annen id.")

    def cycles(self) -> set[str]:
        """Cycles in the parent links (whatever the dates); the ids in one are returned, so
        their levels are not reported again."""
        parents: dict[str, set[str]] = {}
        for unit, _ in self.records:
            if unit.parent:
                parents.setdefault(unit.id, set()).add(unit.parent)
        in_cycle: set[str] = set()
        for cycle in _cycles(parents):
            in_cycle.update(cycle)
            unit, where = self.by_id[cycle[0]][0]
            path = " → ".join([*cycle, cycle[0]])
            self.add(where, unit, "overordnet",
                     f"Enhetene danner en sløyfe av overordnede enheter ({path}). Rett kolonnen "
                     "«overordnet» så hver enhet ligger under en enhet på nivået over.")
        return in_cycle

    def parents(self, in_cycle: set[str]) -> None:
        """Each parent known and of the level above."""
        for unit, where in self.records:
            wanted = PARENT_LEVEL[unit.level]
            if unit.parent is None:
                if wanted is not None:
                    self.add(where, unit, "overordnet",
                             f"Overordnet enhet mangler. {_LEVEL_WORDS[unit.level].capitalize()} "
                             f"må ligge under {_LEVEL_WORDS[wanted]}; skriv dens id i kolonnen "
                             "«overordnet».")
                continue
            if wanted is None:
                if unit.id not in in_cycle:
                    self.add(where, unit, "overordnet",
                             "Den nasjonale enheten skal ikke ha noen overordnet enhet. Tøm "
                             "kolonnen «overordnet».")
                continue
            if unit.parent not in self.by_id:
                if unit.parent not in self.other_ids:
                    self.add(where, unit, "overordnet",
                             f"Ukjent overordnet enhet «{unit.parent}». Den må stå i kolonnen "
                             "«enhet».")
                continue
            levels = {p.level for p, _ in self.by_id[unit.parent]}
            if wanted not in levels and unit.id not in in_cycle:
                self.add(where, unit, "overordnet",
                         f"Overordnet enhet «{unit.parent}» har nivå {join_or(sorted(levels))}, "
                         f"men {_LEVEL_WORDS[unit.level]} skal ligge under "
                         f"{_LEVEL_WORDS[wanted]} (nivå {wanted}).")

    def in_force(self) -> None:
        """Per interval of the register's dates: each parent in force whenever its child is,
        and one nation. Each row is reported once per kind of problem."""
        records = self.records
        reported: set[tuple[int, str]] = set()
        periods = sorted({_FIRST} | {u.valid_from for u, _ in records if u.valid_from}
                         | {shift(u.valid_to, 1) for u, _ in records if u.valid_to})
        for period in periods:
            in_force = [(n, u, w) for n, (u, w) in enumerate(records) if u.in_force(period)]
            present = {u.id for _, u, _ in in_force}
            nations = [(n, u, w) for n, u, w in in_force if u.level == "nasjonal"]
            for n, unit, where in nations[1:]:
                if (n, "nation") not in reported:
                    reported.add((n, "nation"))
                    self.add(where, unit, "nivå",
                             f"Det finnes allerede en nasjonal enhet («{nations[0][1].id}» "
                             f"{self.ref(nations[0][2])}) i samme periode. Bruk bare én.")
            for n, unit, where in in_force:
                if not unit.parent or unit.parent not in self.by_id or unit.parent in present:
                    continue
                if PARENT_LEVEL[unit.level] is None or (n, "force") in reported:
                    continue
                reported.add((n, "force"))
                self.add(where, unit, "overordnet",
                         f"Overordnet enhet «{unit.parent}» gjelder ikke "
                         f"{self._when(period, unit.parent)}, men det gjør denne enheten. Juster "
                         "gyldig_fra/gyldig_til.")

    def _when(self, period: str, parent: str) -> str:
        if period == _FIRST:
            return "før " + min(p.valid_from for p, _ in self.by_id[parent] if p.valid_from)
        return f"i {period}"


def _overlap(a: Unit, b: Unit) -> bool:
    start = max(a.valid_from or _FIRST, b.valid_from or _FIRST)
    end = min(a.valid_to or "9999-12", b.valid_to or "9999-12")
    return start <= end


def _cycles(parents: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle of the parent graph once, as a list of ids starting at its smallest id."""
    found: set[tuple[str, ...]] = set()
    out: list[list[str]] = []
    for start in sorted(parents):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for parent in sorted(parents.get(node, ())):
                if parent == start:
                    i = path.index(min(path))
                    key = tuple(path[i:] + path[:i])
                    if key not in found:
                        found.add(key)
                        out.append(list(key))
                elif parent not in path and parent > start:
                    stack.append((parent, path + [parent]))
    return out


# ---------------------------------------------------------------------------------------------
# Writing, and the demo register
# ---------------------------------------------------------------------------------------------

def write_register_csv(register: Register, path) -> None:
    """Write the register as CSV (``;``, UTF-8 with BOM); ``load_register`` reads back the same."""
    write_csv_rows(path, COLUMNS, ([u.id, u.name, u.level, u.parent or "", u.type,
                                    u.valid_from or "", u.valid_to or ""] for u in register))


NATION_ID = "NO"
NATION_NAME = "Nav Norge"
OFFICE_TYPE = "NAV-kontor"

#: fixed ids of NAV's 12 county units, east to north (never derived from sort order)
COUNTY_IDS = {
    "Nav Oslo": "F01",
    "Nav Øst-Viken": "F02",
    "Nav Vest-Viken": "F03",
    "Nav Innlandet": "F04",
    "Nav Vestfold og Telemark": "F05",
    "Nav Agder": "F06",
    "Nav Rogaland": "F07",
    "Nav Vestland": "F08",
    "Nav Møre og Romsdal": "F09",
    "Nav Trøndelag": "F10",
    "Nav Nordland": "F11",
    "Nav Troms og Finnmark": "F12",
}


def demo_register() -> Register:
    """The demo register: Nav Norge (``NO``), the 12 county units (``F01``–``F12``) and the
    ≈255 offices of the packaged ``data/nav_kontor_approx.csv`` (an approximation)."""
    ref = resources.files("excelkort") / "data" / "nav_kontor_approx.csv"
    text = ref.read_text(encoding="utf-8-sig")
    units = [Unit(NATION_ID, NATION_NAME, "nasjonal")]
    units += [Unit(uid, name, "fylke", NATION_ID) for name, uid in COUNTY_IDS.items()]
    seen: dict[str, Unit] = {}
    for rec in csv.DictReader(text.splitlines()):
        office_id = rec["enhetsnr"].strip()
        county = rec["nav_fylkesenhet"].strip()
        if county not in COUNTY_IDS:
            raise ValueError(f"nav_kontor_approx.csv: unknown county unit {county!r}")
        unit = Unit(office_id, " ".join(rec["navn"].split()), "kontor", COUNTY_IDS[county],
                    OFFICE_TYPE)
        if office_id in seen:
            if seen[office_id] != unit:
                raise ValueError(f"nav_kontor_approx.csv: office {office_id} listed twice")
            continue
        seen[office_id] = unit
    units += seen.values()
    return Register(units, source="nav_kontor_approx.csv (demo)")
