"""Validating an extract's raw table into the rows to use, in named steps.

columns → record widths → cells (parsed column-wise, each distinct text once) → rows (the
per-row rules, one pass) → duplicates → skipped rows (one grouped warning per unknown value).

Errors reject the whole extract: ``validate_table`` raises InputError with every problem found
(warnings too), sorted by line; which findings are errors and which warnings is told in
``extract``'s module doc.

The row pass is the hot path of ``fyll`` on a national extract: it stays one loop over
pre-parsed columns, with the indicator's ``Kind`` looked up once per row.
"""
from __future__ import annotations

from array import array
from collections import defaultdict
from datetime import date, datetime
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from itertools import repeat
from typing import Any, Iterable, NamedTuple

from ..errors import ERROR, WARNING, InputError, Problem
from ..model import Catalogue
from ..numtext import MAX_MAGNITUDE, format_number
from .extract_files import EXPECTED_TEXT, ExtractTable, norm_label
from .extract_values import (COLUMNS, REQUIRED_COLUMNS, Extract, ExtractRow,
                             map_cells, merknad_of,
                             number_of, period_is_date, period_of, text_field,
                             text_of)
from .hints import indicator_advice, suggest_indicator, unknown_unit
from .tables import lines_text, rows_word

_SYMBOL_HELP = "bruk : (prikket), .. (mangler), ... (ikke klar ennå), . (umulig) eller - (null)"
_NEGATIVE = "Teller og nevner kan ikke være negative: rett tallet i kilden."
_PERIOD_HELP = "Skriv periode som ÅÅÅÅ-MM (f.eks. 2024-03) eller ÅÅÅÅMM (f.eks. 202403)."


class Kind(Enum):
    """What the extract does with an indicator's rows, from its catalogue entry."""

    UNKNOWN = "ukjent"  # not in the catalogue: skipped, with a grouped warning
    LOCAL = "lokal"  # Kilde = lokal, typed by the unit: skipped, with a grouped warning
    COUNT = "antall"  # Måletype antall: has no nevner
    CAPPED_SHARE = "andel"  # an andel not «nær»: teller may not exceed nevner (100 %)
    AUTOMATIC = "automatisk"  # any other automatic indicator


def indicator_kinds(catalogue: Catalogue) -> dict[str, Kind]:
    """Each catalogue indicator's Kind (an id not here is ``Kind.UNKNOWN``)."""
    kinds: dict[str, Kind] = {}
    for ind in catalogue:
        if not ind.is_automatic:
            kinds[ind.id] = Kind.LOCAL
        elif ind.measure == "antall":
            kinds[ind.id] = Kind.COUNT
        elif ind.measure == "andel" and ind.direction != "nær":
            kinds[ind.id] = Kind.CAPPED_SHARE
        else:
            kinds[ind.id] = Kind.AUTOMATIC
    return kinds


def validate_table(table: ExtractTable, catalogue: Catalogue, unit_ids: set[str] | None = None,
                   *, name: str = "") -> Extract:
    """Validate a raw table (all of it, or a subset of its records) into an Extract.

    Raises InputError with every problem (warnings too) when there is any error.
    """
    found = _Findings(name, table.sheet)
    columns = _columns(table, found)
    if found.has_errors():
        raise InputError(found.problems)
    lines, records, bad_width = _fit_widths(table, columns, found)
    cells = _parse_cells(records, columns)
    _report_date_periods(lines, cells, columns, found)
    kinds = indicator_kinds(catalogue)
    checked = _check_rows(lines, cells, kinds, unit_ids, columns, found)
    _report_duplicates(checked.keys.duplicates(), found)
    _report_skipped(checked, kinds, unit_ids, columns, found)
    rows_read = bad_width + checked.rows_read
    if rows_read == 0:
        found.add("uttrekket har ingen datarader under overskriften.", table.header_line,
                  severity=WARNING)
    found.problems.sort(key=lambda p: p.line if p.line is not None else 0)
    if found.has_errors():
        raise InputError(found.problems)
    return Extract(source=name, format=table.format, rows=checked.rows, problems=found.problems,
                   rows_read=rows_read)


class _Findings:
    """The problems found so far, each located in the extract's file (and sheet)."""

    def __init__(self, name: str, sheet: str | None):
        self.name, self.sheet = name, sheet
        self.problems: list[Problem] = []

    def add(self, message: str, line: int | None = None, column: str | None = None,
            severity: str = ERROR) -> None:
        self.problems.append(Problem(message, file=self.name, sheet=self.sheet, line=line,
                                     column=column, severity=severity))

    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)


# -- columns ----------------------------------------------------------------------------------
@dataclass
class _Columns:
    """Where each column is in a record, and its label as the file writes it."""

    index: dict[str, int] = field(default_factory=dict)
    label: dict[str, str] = field(default_factory=dict)


def _columns(table: ExtractTable, found: _Findings) -> _Columns:
    """The header's columns; a duplicate is an error, an unknown column a warning."""
    cols = _Columns()
    for i, raw in enumerate(table.header):
        key = norm_label(raw)
        if not key:
            continue
        if key in cols.index:
            found.add(
                f"kolonnen «{text_of(raw)}» står to ganger (kolonne {cols.index[key] + 1} og "
                f"{i + 1}). Fjern den ene.", table.header_line, text_of(raw))
            continue
        cols.index[key] = i
        cols.label[key] = text_of(raw).strip('\ufeff"\' ')
    unknown = [cols.label[k] for k in cols.index if k not in COLUMNS]
    if unknown:
        what = "ukjent kolonne" if len(unknown) == 1 else "ukjente kolonner"
        found.add(f"{what} {', '.join(f'«{x}»' for x in unknown)} blir ikke lest. "
                  f"{EXPECTED_TEXT}", table.header_line, severity=WARNING)
    return cols


# -- record widths ----------------------------------------------------------------------------
def _fit_widths(table: ExtractTable, cols: _Columns,
                found: _Findings) -> tuple[list[int], list[list[Any]], int]:
    """The records of the header's width, with their lines, and how many were refused.

    A trailing separator, or optional trailing columns left out, are harmless.
    """
    width = len(table.header)
    if all(len(cells) == width for cells in table.records):
        return table.lines, table.records, 0
    last_needed = max(cols.index[c] for c in REQUIRED_COLUMNS)
    lines, records, refused = [], [], 0
    for line, cells in zip(table.lines, table.records):
        n = len(cells)
        if n > width and not any(text_of(c) for c in cells[width:]):
            pass
        elif last_needed < n < width:
            cells = list(cells) + [""] * (width - n)
        elif n != width:
            refused += 1
            found.add(_field_count_message(n, width, table.separator), line)
            continue
        lines.append(line)
        records.append(cells)
    return lines, records, refused


def _field_count_message(n: int, width: int, sep: str | None) -> str:
    msg = f"linjen har {n} felt, men overskriften har {width}."
    if sep == ",":
        return msg + (" Skilletegnet er komma: står det et tall med desimalkomma uten "
                      "anførselstegn? Bruk semikolon som skilletegn, eller sett slike verdier i "
                      "anførselstegn.")
    shown = {";": "semikolon", "\t": "tabulator"}.get(sep or "", "skilletegnet")
    return msg + f" Sjekk at ingen verdi inneholder {shown} uten anførselstegn rundt."


# -- cells --------------------------------------------------------------------------------------
class _Cells(NamedTuple):
    """The records parsed column by column (raw values kept for messages)."""

    units: list[str]
    periods: list[str | None]
    indicators: list[str]
    tellers: list[tuple[float | None, str | None, bool]]
    nevners: list[tuple[float | None, str | None, bool]]
    merknads: Iterable[str | None]
    raw_periods: tuple
    raw_tellers: tuple
    raw_nevners: tuple


def _parse_cells(records: list[list[Any]], cols: _Columns) -> _Cells:
    """Every cell parsed, column-wise (each distinct text once)."""
    merknad = cols.index.get("merknad")
    wanted = tuple(cols.index[c] for c in REQUIRED_COLUMNS) + (
        (merknad,) if merknad is not None else ())
    columns = [tuple(cells[i] for cells in records) for i in wanted]  # no tuple per row
    raw_u, raw_p, raw_i, raw_t, raw_n = columns[:5]
    return _Cells(
        map_cells(text_field, raw_u), map_cells(period_of, raw_p), map_cells(text_field, raw_i),
        map_cells(number_of, raw_t), map_cells(number_of, raw_n),
        map_cells(merknad_of, columns[5]) if merknad is not None else repeat(None),
        raw_p, raw_t, raw_n)


def _report_date_periods(lines: list[int], cells: _Cells, cols: _Columns,
                         found: _Findings) -> None:
    """One warning when Excel has made dates of the periods: they are read as their month."""
    dated = map_cells(period_is_date, cells.raw_periods)
    first = next((i for i, is_date in enumerate(dated) if is_date), None)
    if first is None:
        return
    n = sum(dated)
    raw, period = cells.raw_periods[first], cells.periods[first]
    shown = f"{raw:%Y-%m-%d}" if isinstance(raw, (datetime, date)) else text_of(raw)
    found.add(
        f"kolonnen har datoer, ikke perioder (ÅÅÅÅ-MM), på {rows_word(n)}, f.eks. «{shown}» på "
        f"linje {lines[first]}: Excel gjør en periode om til en dato. De er lest som måneden "
        f"datoen ligger i («{shown}» er {period}); sjekk at månedene stemmer, og lagre "
        "kolonnen som tekst neste gang.", lines[first], cols.label["periode"], WARNING)


# -- rows -----------------------------------------------------------------------------------
class _Keys:
    """The (unit, period, indicator) keys the row pass has seen, one int each (an index per
    distinct unit, period and indicator: a tuple and a line per row would double the memory a
    national extract needs), and the lines of every key seen again."""

    def __init__(self):
        self._units: dict[str, int] = {}
        self._periods: dict[str, int] = {}
        self._indicators: dict[str, int] = {}
        self._seen: set[int] = set()
        self._firsts: list[int] = []  # each key's code where it first occurs, in file order
        self._first_lines = array("q")
        self._repeats: dict[int, tuple[tuple[str, str, str], list[int]]] = {}

    def is_repeat(self, unit: str, period: str, ind_id: str, line: int) -> bool:
        """Whether the key has been seen before (then its line is kept for the message)."""
        code = ((self._units.setdefault(unit, len(self._units)) << 44)
                | (self._periods.setdefault(period, len(self._periods)) << 22)
                | self._indicators.setdefault(ind_id, len(self._indicators)))
        if code in self._seen:
            self._repeats.setdefault(code, ((unit, period, ind_id), []))[1].append(line)
            return True
        self._seen.add(code)
        self._firsts.append(code)
        self._first_lines.append(line)
        return False

    def duplicates(self) -> dict[tuple[str, str, str], list[int]]:
        """Each repeated key → its lines, the first one first."""
        if not self._repeats:
            return {}
        first = {code: line for code, line in zip(self._firsts, self._first_lines)
                 if code in self._repeats}
        return {key: [first[code], *lines] for code, (key, lines) in self._repeats.items()}


@dataclass
class _Checked:
    """What the row pass found: the rows to use, duplicates and the rows skipped."""

    rows: list[ExtractRow] = field(default_factory=list)
    rows_read: int = 0
    keys: _Keys = field(default_factory=lambda: _Keys())
    unknown_indicator: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    local_indicator: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    unknown_unit: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    count_nevner: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


def _check_rows(lines: list[int], cells: _Cells, kinds: dict[str, Kind],
                unit_ids: set[str] | None, cols: _Columns, found: _Findings) -> _Checked:
    """The per-row rules, in one pass: a malformed row is reported field by field; a
    well-formed one is checked against its indicator's Kind, then used or skipped."""
    out = _Checked()
    new_row = partial(tuple.__new__, ExtractRow)  # ExtractRow(...) without a Python call
    add_row = out.rows.append
    unknown, local, count, capped = Kind.UNKNOWN, Kind.LOCAL, Kind.COUNT, Kind.CAPPED_SHARE
    col_t, col_n = cols.label["teller"], cols.label["nevner"]
    rows_read = 0
    for i, (line, unit, period, ind_id, (teller, t_reason, t_ok), (nevner, n_reason, n_ok),
            merknad) in enumerate(zip(lines, cells.units, cells.periods, cells.indicators,
                                      cells.tellers, cells.nevners, cells.merknads)):
        if (not (unit and period and ind_id and t_ok and n_ok)
                or (teller is not None and not 0 <= teller < MAX_MAGNITUDE)
                or (nevner is not None and not 0 <= nevner < MAX_MAGNITUDE)):
            if _report_bad_row(i, line, cells, cols, found):
                rows_read += 1
            continue
        rows_read += 1
        kind = kinds.get(ind_id, unknown)
        if kind is count:  # antall: no nevner
            if nevner is not None:
                out.count_nevner[ind_id].append(line)
            nevner = n_reason = None
        elif nevner == 0 and teller:  # teller > 0 (negatives are rejected above)
            found.add(f"nevner er 0, men teller er {format_number(teller)}. Med nevner 0 kan "
                      "verdien ikke regnes ut: rett nevner, eller la både teller og nevner stå "
                      "tomme hvis tallet mangler.", line, col_n)
            continue
        elif teller and nevner and teller >= nevner * MAX_MAGNITUDE:  # a tiny nevner
            found.add(f"teller ({text_of(cells.raw_tellers[i])}) delt på nevner "
                      f"({text_of(cells.raw_nevners[i])}) gir et tall utenfor det excelkort kan regne med (høyst 15 sifre). Rett "
                      "nevner i kilden.", line, col_n)
            continue
        elif kind is capped and teller is not None and nevner is not None and teller > nevner:
            found.add(f"andel over 100 %: teller ({format_number(teller)}) er større enn nevner "
                      f"({format_number(nevner)}) for indikatoren «{ind_id}». Rett tallene; "
                      "bare indikatorer med retning «nær» (som budsjettbruk) kan gå over 100 %.",
                      line, col_t)
            continue
        if out.keys.is_repeat(unit, period, ind_id, line):
            continue
        if kind is unknown:
            out.unknown_indicator[ind_id].append(line)
        elif kind is local:
            out.local_indicator[ind_id].append(line)
        elif unit_ids is not None and unit not in unit_ids:
            out.unknown_unit[unit].append(line)
        else:
            add_row(new_row((unit, period, ind_id, teller, nevner, t_reason, n_reason, merknad,
                             line)))
    out.rows_read = rows_read
    return out


def _report_bad_row(i: int, line: int, cells: _Cells, cols: _Columns, found: _Findings) -> bool:
    """Report a row that failed the fast checks, field by field; False when it is entirely
    blank (then it is no row at all)."""
    unit, period, ind_id = cells.units[i], cells.periods[i], cells.indicators[i]
    teller, t_reason, t_ok = cells.tellers[i]
    nevner, n_reason, n_ok = cells.nevners[i]
    shown_period = text_of(cells.raw_periods[i])
    if (not unit and not shown_period and not ind_id and teller is None and nevner is None
            and not t_reason and not n_reason):
        return False
    label = cols.label
    if not unit:
        found.add("enhet mangler. Skriv enhetsnummeret slik det står i enhetsregisteret.",
                  line, label["enhet"])
    if period is None:
        what = f"ugyldig periode «{shown_period}»" if shown_period else "periode mangler"
        found.add(f"{what}. {_PERIOD_HELP}", line, label["periode"])
    if not ind_id:
        found.add("indikator mangler. Skriv indikatorens ID fra katalogen (f.eks. B1).",
                  line, label["indikator"])
    if not t_ok:
        found.add(_text_in_number(text_of(cells.raw_tellers[i])), line, label["teller"])
    if not n_ok:
        found.add(_text_in_number(text_of(cells.raw_nevners[i])), line, label["nevner"])
    for value, raw, field_name in ((teller, cells.raw_tellers[i], "teller"),
                                   (nevner, cells.raw_nevners[i], "nevner")):
        if value is not None and value < 0:
            found.add(f"negativ {field_name} ({format_number(value)}). {_NEGATIVE}", line,
                      label[field_name])
        elif value is not None and not value < MAX_MAGNITUDE:
            found.add(_too_large(field_name, text_of(raw)), line, label[field_name])
    return True


def _too_large(field_name: str, shown: str) -> str:
    return (
        f"{field_name} «{shown}» er utenfor det excelkort kan regne med (høyst 15 sifre: tall "
        "under 1 000 000 000 000 000). Rett tallet i kilden.")


def _text_in_number(shown: str) -> str:
    return (
        f"tekst i tallfelt: «{shown}» er ikke et tall. Skriv bare tallet (f.eks. 1234 eller "
        f"1234,5, uten %-tegn eller tekst), la feltet stå tomt, eller {_SYMBOL_HELP}."
    )


# -- duplicates and skipped rows ------------------------------------------------------------------
def _report_duplicates(duplicates: dict[tuple[str, str, str], list[int]],
                       found: _Findings) -> None:
    for (unit, period, ind_id), lines in duplicates.items():
        found.add(
            f"enhet «{unit}», periode {period}, indikator «{ind_id}» står flere ganger: "
            f"{lines_text(lines, limit=None)}. Hver kombinasjon av enhet, periode og "
            "indikator skal stå på én linje: fjern duplikatene.", lines[0])


def _report_skipped(checked: _Checked, kinds: dict[str, Kind], unit_ids: set[str] | None,
                    cols: _Columns, found: _Findings) -> None:
    """One warning per unknown or local indicator, unknown unit, and antall with a nevner."""
    col_u, col_i, col_n = cols.label["enhet"], cols.label["indikator"], cols.label["nevner"]
    for ind_id, lines in checked.unknown_indicator.items():
        found.add(
            f"indikatoren «{ind_id}» finnes ikke i katalogen; {rows_word(len(lines))} hoppet "
            f"over ({lines_text(lines)}). {indicator_advice(suggest_indicator(ind_id, kinds))}",
            lines[0], col_i, WARNING)
    for ind_id, lines in checked.local_indicator.items():
        found.add(
            f"indikatoren «{ind_id}» er lokal (Kilde = lokal) og fylles inn av enheten selv, "
            f"ikke fra uttrekket; {rows_word(len(lines))} hoppet over ({lines_text(lines)}).",
            lines[0], col_i, WARNING)
    for unit, lines in checked.unknown_unit.items():
        severity, message = unknown_unit(unit, unit_ids or (), lines)
        found.add(message, lines[0], col_u, severity)
    for ind_id, lines in checked.count_nevner.items():
        found.add(
            f"indikatoren «{ind_id}» er et antall og har ingen nevner; nevner er ignorert på "
            f"{rows_word(len(lines))} ({lines_text(lines)}).", lines[0], col_n, WARNING)

