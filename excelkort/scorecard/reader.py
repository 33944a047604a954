"""Reading a målekort workbook, tolerant of what users do to it (SPEC §5).

Tables are found by their header labels, not fixed addresses: a user may insert columns, move
the table down or add rows of their own. Values are read with python-calamine (fast, cached
values); number formats and defined names come from the package XML. Typed local values are
read in the forms people type, with a warning wherever the reader had to guess.
"""
from __future__ import annotations

from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path

from . import layout as L
from ..inputs.tables import norm_label
from ..numtext import MAX_MAGNITUDE, parse_number_text
from ..errors import WARNING, InputError, Problem
from ..model import Catalogue
from ..period import parse_period
from ..numbers.rules import RISKS
from ..xlsx.grid import open_workbook, package_grid, sheet_values
from ..xlsx.package import Package, open_package
from ..xlsx.refs import cell_ref, parse_ref, range_ref

REQUIRED_SCORECARD = (L.COL_ID, L.COL_NAME, *L.MONTHS_BY_NUMBER.values(), L.COL_YTD,
                      L.COL_STATUS, L.COL_RISK_ASSESSED, L.COL_COMMENT)
REQUIRED_DATA = L.DATA_LABELS
_DATA_LABELS = {(m, part): L.data_label(m, part) for m in range(1, 13) for part in ("teller", "nevner")}
MSG_OUT_OF_RANGE = ("Tallet {value} er utenfor det excelkort kan regne med (høyst 15 sifre). Rett "
                    "tallet i cellen og lagre filen.")
MISSING_TEXT = {"", "-", "–", "ikke klar", ".", "..", "...", ":", "x", "n/a"}


@dataclass
class IndicatorRow:
    """What one indicator row of a målekort holds."""

    id: str
    name: str
    row: int  # 0-based row in Målekort
    data_row: int | None  # 0-based row in Data
    target: float | None
    teller: list = field(default_factory=lambda: [None] * 12)
    nevner: list = field(default_factory=lambda: [None] * 12)
    bare: list = field(default_factory=lambda: [None] * 12)
    risk_assessed: str | None = None
    comment: str = ""
    cached: dict[str, object] = field(default_factory=dict)  # visible output columns as cached


@dataclass
class ScorecardFile:
    """A målekort as read: identity, table positions, rows, and the reader's warnings."""

    path: Path
    unit_id: str
    unit_name: str
    period: str
    year: int | None
    month_comment: str
    cols: dict[str, int]
    data_cols: dict[str, int]
    header_row: int
    data_header_row: int
    rows: dict[str, IndicatorRow]
    warnings: list[Problem] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # defined name → reference as stored
    values: dict[str, list[list]] = field(default_factory=dict, repr=False)  # sheet → cached cells
    package: object = field(default=None, repr=False, compare=False)  # the file as read (xlsx.package.Package)
    own_catalogue: Catalogue | None = field(default=None, repr=False, compare=False)  # its Indikatorer sheet

    @property
    def period_month(self) -> int:
        return int(self.period[5:7])


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


_norm_label = lru_cache(maxsize=4096)(norm_label)  # the same labels and titles in every file


@lru_cache(maxsize=16)
def _wanted(labels: tuple[str, ...]) -> dict[str, str]:
    return {norm_label(lab): lab for lab in labels}


def find_header(rows: list[list], labels: tuple[str, ...], required: tuple[str, ...],
                file: Path, sheet: str) -> tuple[int, dict[str, int]]:
    """The header row (0-based) and column of each label found, searched by labels."""
    wanted = _wanted(labels)
    best_row, best_hits = -1, {}
    for r, row in enumerate(rows[:200]):
        hits = {}
        for c, v in enumerate(row):
            if isinstance(v, str) and v:
                lab = wanted.get(_norm_label(v))
                if lab is not None and lab not in hits:
                    hits[lab] = c
        if len(hits) > len(best_hits):
            best_row, best_hits = r, hits
            if len(hits) == len(wanted):
                break
    missing = [lab for lab in required if lab not in best_hits]
    if best_row < 0 or len(best_hits) < max(2, len(required) // 2):
        raise InputError(Problem(
            f"Fant ikke overskriftsraden (med {', '.join('«' + x + '»' for x in required[:3])} …). "
            "Sett tilbake overskriftene slik malen har dem.", file=str(file), sheet=sheet))
    if missing:
        raise InputError([Problem(
            f"Overskriften «{lab}» mangler i rad {best_row + 1}. Gi kolonnen tilbake navnet «{lab}».",
            file=str(file), sheet=sheet) for lab in missing])
    return best_row, best_hits


def _check_merged(sheet_obj, rows: list[int], cols: list[int], file: Path, sheet: str):
    """Refuse merged cells that cover one of our columns in the header row or an indicator row
    (a user's own merged notes, titles or perspective headings elsewhere are harmless)."""
    for (r0, c0), (r1, c1) in getattr(sheet_obj, "merged_cell_ranges", None) or []:
        if any(r0 <= r <= r1 for r in rows) and any(c0 <= c <= c1 for c in cols):
            rng = range_ref(r0, c0, r1, c1)
            raise InputError(Problem(
                f"Sammenslåtte celler ({rng}) ligger inne i tabellen. Del opp cellene "
                "(Hjem → Slå sammen og midtstill → Del celler) og prøv igjen.",
                file=str(file), sheet=sheet, cell=cell_ref(r0, c0)))


def _comma(v: float) -> str:
    """A number as Norwegians write it (decimal comma), for messages."""
    return f"{v:.10g}".replace(".", ",")


def bounded(value: float, where: dict) -> float:
    """``value`` when excelkort can compute with it; InputError naming the cell when it is
    1e15 or more, infinite or not a number (as for the extract's teller and nevner)."""
    if not abs(value) < MAX_MAGNITUDE:
        raise InputError(Problem(MSG_OUT_OF_RANGE.format(value=_comma(value)), **where))
    return value


def parse_typed_number(value, *, percent_format: bool, andel: bool, where: dict,
                       warnings: list[Problem]) -> float | None:
    """A value typed in an input cell → a number in the indicator's unit, or None (missing);
    InputError for a number excelkort cannot compute with (``bounded``)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        warnings.append(Problem("Sannhetsverdi i tallcelle leses som tom.", severity=WARNING, **where))
        return None
    if isinstance(value, (int, float)):
        v = bounded(float(value), where)
        if andel and percent_format:
            warnings.append(Problem(
                f"Cellen er formatert som prosent ({_comma(v)}); leses som {_comma(v * 100)} %. "
                f"Skriv tallet på nytt som {_comma(v * 100)} uten %-tegn, så regner Excel likt.",
                severity=WARNING, **where))
            return round(v * 100, 10)  # 0.07 * 100 is 7.000000000000001
        return v
    text = str(value).strip()
    if text.casefold() in MISSING_TEXT:
        warnings.append(Problem(f"Teksten «{text}» leses som manglende verdi.", severity=WARNING, **where))
        return None
    cleaned = text.rstrip("%").strip()
    number = parse_number_text(cleaned)
    if number is not None:
        bounded(number, where)
        warnings.append(Problem(f"Tallet er skrevet som tekst («{text}»); leses som {cleaned}.",
                                severity=WARNING, **where))
        return number
    warnings.append(Problem(f"Teksten «{text}» er ikke et tall og leses som manglende verdi.",
                            severity=WARNING, **where))
    return None


def plausibility_warnings(ind, item: "IndicatorRow", path: Path, cols: dict[str, int],
                          data_cols: dict[str, int]) -> list[Problem]:
    """Values typed in a workbook that cannot be right (SPEC §9): warnings naming the cell."""
    out: list[Problem] = []
    # an uvektet row of a consolidated workbook holds (sum of values, number of units)
    andel_capped = ind.measure == "andel" and ind.direction != "nær" and L.is_weighted_name(item.name)

    def warn(message: str, sheet: str, row: int, col: int) -> None:
        out.append(Problem(message, file=str(path), sheet=sheet, cell=cell_ref(row, col),
                           severity=WARNING))

    bare, teller, nevner, data_row = item.bare, item.teller, item.nevner, item.data_row
    for m in range(1, 13):  # the cells are looked up only for a warning (most rows have none)
        v = bare[m - 1]
        if v is not None and (v < 0 or (andel_capped and v > 100)):
            col = cols[L.MONTHS_BY_NUMBER[m]]
            if v < 0:
                warn(f"Negativ verdi ({_comma(v)}) kan ikke stemme. Rett tallet.", L.SCORECARD_SHEET, item.row, col)
            else:
                warn(f"Andelen {_comma(v)} % er over 100 %. Skriv andelen i prosent mellom 0 og 100.",
                     L.SCORECARD_SHEET, item.row, col)
        if data_row is None:
            continue
        t, n = teller[m - 1], nevner[m - 1]
        if t is None and n is None:
            continue
        if t is not None and t < 0:
            warn(f"Negativ teller ({_comma(t)}) kan ikke stemme. Rett tallet.", L.DATA_SHEET, data_row,
                 data_cols[_DATA_LABELS[m, "teller"]])
        if n is not None and n < 0:
            warn(f"Negativ nevner ({_comma(n)}) kan ikke stemme. Rett tallet.", L.DATA_SHEET, data_row,
                 data_cols[_DATA_LABELS[m, "nevner"]])
        if n == 0 and t is not None and t > 0:
            warn(f"Nevner er 0, men teller er {_comma(t)}; måneden regnes ikke med. Rett nevneren.",
                 L.DATA_SHEET, data_row, data_cols[_DATA_LABELS[m, "nevner"]])
        if andel_capped and t is not None and n is not None and n > 0 and t > n:
            warn(f"Teller ({_comma(t)}) er større enn nevner ({_comma(n)}): andelen blir over 100 %. "
                 "Rett tallene.", L.DATA_SHEET, data_row, data_cols[_DATA_LABELS[m, "teller"]])
    return out


def _id_rows(rows: list[list], header_row: int, id_col: int, path: Path, sheet: str) -> dict[str, int]:
    """Indicator id → its row (0-based) below the header; an id twice is an InputError."""
    found: dict[str, int] = {}
    for r in range(header_row + 1, len(rows)):
        ind_id = _text(rows[r][id_col])
        if not ind_id:
            continue
        if ind_id in found:
            raise InputError(Problem(f"Indikatoren {ind_id} står to ganger (rad {found[ind_id] + 1} "
                                     f"og {r + 1}). Slett den ene raden.", file=str(path),
                                     sheet=sheet, cell=cell_ref(r, id_col)))
        found[ind_id] = r
    return found


_OWN_CATALOGUES: dict[tuple, Catalogue | None] = {}  # Indikatorer sheet values → its catalogue


def own_catalogue(package: Package, wb) -> Catalogue | None:
    """The catalogue the workbook was made with (its Indikatorer sheet), if it reads cleanly.

    Workbooks made from the same catalogue have the same sheet, so each distinct sheet is parsed
    once per process (a county's 50 workbooks cost one parse, not 50).
    """
    from ..inputs.catalogue import catalogue_from_sheet

    if L.CATALOGUE_SHEET not in package.sheet_names():
        return None
    try:
        values = sheet_values(package, L.CATALOGUE_SHEET, wb)
    except InputError:  # the sheet is optional
        return None
    key = tuple(tuple(row) for row in values)
    if key not in _OWN_CATALOGUES:
        if len(_OWN_CATALOGUES) >= 64:
            _OWN_CATALOGUES.clear()
        _OWN_CATALOGUES[key] = catalogue_from_sheet(str(package.path), values)
    return _OWN_CATALOGUES[key]


def read_scorecard(path: str | Path, catalogue: Catalogue | None = None, *,
                   own_definitions: bool = True) -> ScorecardFile:
    """Read a målekort. Raises InputError (Norwegian, located) when it cannot be read.

    Without ``catalogue`` the workbook's own Indikatorer sheet tells which rows are local. With
    ``own_definitions`` (the default) each row is read by the definition the workbook was made
    with (its Indikatorer sheet, SPEC §3) and ``own_catalogue`` is set, so ``fyll`` can see what
    the catalogue changed since; ``own_definitions=False`` reads every row by ``catalogue`` and
    skips that sheet (``konsolider``, which aggregates by the run's catalogue anyway).
    """
    path = Path(path)
    book = _Book(path)
    own = own_catalogue(book.package, book.wb) if own_definitions or catalogue is None else None
    if catalogue is None:
        catalogue = own
    sc_sheet = package_grid(book.package, L.SCORECARD_SHEET, book.wb)
    data_sheet = package_grid(book.package, L.DATA_SHEET, book.wb)
    sc, data = sc_sheet.values, data_sheet.values
    named = _named_cells(book.names, {L.SCORECARD_SHEET: sc, L.DATA_SHEET: data})
    unit_id, period = _text(named("Enhet")), _text(named("Periode"))
    if not unit_id or parse_period(period) != period:
        raise InputError(Problem(
            "Fant ikke enhet og periode (navnene «Enhet» og «Periode» mangler eller er tomme). "
            "Lag målekortet på nytt med «excelkort ny».", file=str(path), sheet=L.SCORECARD_SHEET))
    year_value = named("År")
    tables = _locate_tables(path, sc_sheet, sc, data_sheet, data)
    warnings: list[Problem] = []
    rows = _read_rows(path, tables, catalogue, own, book.percent_styled, warnings)
    return ScorecardFile(
        path=path, unit_id=unit_id, unit_name=_text(named("Enhetsnavn")), period=period,
        year=int(year_value) if isinstance(year_value, (int, float)) else int(period[:4]),
        month_comment=_text(named("Månedskommentar")), cols=tables.cols, data_cols=tables.data_cols,
        header_row=tables.header_row, data_header_row=tables.data_header_row, rows=rows,
        warnings=warnings, names=dict(book.names), values={L.SCORECARD_SHEET: sc, L.DATA_SHEET: data},
        package=book.package, own_catalogue=own)


class _Book:
    """A målekort file opened for reading: the checked package, its defined names and calamine's
    view of the same bytes; the Målekort's percent-styled cells are read only when asked for."""

    def __init__(self, path: Path):
        self.package = open_package(path, allow_locked=True)  # reading a file open in Excel is harmless
        self.names = self.package.defined_names()
        for sheet in (L.SCORECARD_SHEET, L.DATA_SHEET):
            self.package.sheet_member(sheet)  # InputError naming the sheet and the sheets the file has
        if L.LOG_SHEET in self.package.sheets:  # fyll appends to it: a cell twice refuses it here too
            self.package.sheet_shape(L.LOG_SHEET)
        self.wb = open_workbook(self.package.data, path, self.package)  # the bytes already read
        self._percent: set[str] | None = None

    def percent_styled(self, ref: str) -> bool:
        if self._percent is None:
            self._percent = self.package.percent_style_cells(L.SCORECARD_SHEET)
        return ref in self._percent



def _named_cells(names: dict[str, str], sheets: dict[str, list[list]]):
    """A lookup: defined name → the cached value of the (first) cell it refers to, or None."""
    def named(name: str):
        ref = names.get(name)
        if not ref or "!" not in ref:
            return None
        sheet, cell = ref.rsplit("!", 1)
        rows = sheets.get(sheet.strip("'"))
        if rows is None:
            return None
        r, c = parse_ref(cell.split(":")[0])
        return rows[r][c] if r < len(rows) and c < len(rows[r]) else None
    return named


@dataclass
class _Tables:
    """Where the Målekort and Data tables are, and their cached cells."""

    sc: list[list]
    data: list[list]
    header_row: int
    cols: dict[str, int]
    data_header_row: int
    data_cols: dict[str, int]
    sc_rows: dict[str, int]  # indicator → its row in Målekort
    data_rows: dict[str, int]  # indicator → its row in Data


def _locate_tables(path: Path, sc_sheet, sc: list[list], data_sheet, data: list[list]) -> _Tables:
    """Both header rows found by their labels, no merged cells across the tables, and each
    indicator's row (an id twice is an InputError)."""
    labels = L.SCORECARD_LABELS + L.HELPER_LABELS
    header_row, cols = find_header(sc, labels, REQUIRED_SCORECARD, path, L.SCORECARD_SHEET)
    data_header_row, data_cols = find_header(data, REQUIRED_DATA, REQUIRED_DATA, path, L.DATA_SHEET)
    id_col, data_id_col = cols[L.COL_ID], data_cols[L.COL_ID]
    _check_merged(sc_sheet, [header_row] + [r for r in range(header_row + 1, len(sc))
                                            if _text(sc[r][id_col])],
                  [cols[x] for x in L.SCORECARD_LABELS if x in cols], path, L.SCORECARD_SHEET)
    _check_merged(data_sheet, [data_header_row] + [r for r in range(data_header_row + 1, len(data))
                                                   if _text(data[r][data_id_col])],
                  list(data_cols.values()), path, L.DATA_SHEET)
    data_rows = _id_rows(data, data_header_row, data_id_col, path, L.DATA_SHEET)
    sc_rows = _id_rows(sc, header_row, id_col, path, L.SCORECARD_SHEET)
    return _Tables(sc, data, header_row, cols, data_header_row, data_cols, sc_rows, data_rows)

_CACHED_LABELS = (L.COL_YTD, L.COL_STATUS, L.COL_TREND, L.COL_PROGNOSIS, L.COL_REQUIREMENT,
                  L.COL_PROBABILITY, L.COL_RISK_SUGGESTED)


def _read_rows(path: Path, t: _Tables, catalogue: Catalogue | None, own: Catalogue | None,
               percent_styled, warnings: list[Problem]) -> dict[str, IndicatorRow]:
    """Every indicator row of Målekort (with its Data row), read by its definition: the
    workbook's own where it has one (SPEC §3), else ``catalogue``'s; rows for indicators the
    catalogue does not know are skipped with a warning."""
    rows: dict[str, IndicatorRow] = {}
    for ind_id, r in t.sc_rows.items():
        line = t.sc[r]
        ind = catalogue[ind_id] if catalogue is not None and ind_id in catalogue else None
        if ind is not None and own is not None and ind_id in own:
            ind = own[ind_id]  # the definition the workbook was made with (SPEC §3)
        if catalogue is not None and ind is None:
            warnings.append(Problem(f"Ukjent indikator «{ind_id}» (ikke i katalogen); raden hoppes over.",
                                    file=str(path), sheet=L.SCORECARD_SHEET,
                                    cell=cell_ref(r, t.cols[L.COL_ID]), severity=WARNING))
            continue
        target = line[t.cols[L.COL_TARGET]] if L.COL_TARGET in t.cols else None
        if isinstance(target, (int, float)):
            target = bounded(float(target), dict(file=str(path), sheet=L.SCORECARD_SHEET,
                                                 cell=cell_ref(r, t.cols[L.COL_TARGET])))
        item = IndicatorRow(ind_id, _text(line[t.cols[L.COL_NAME]]), r, t.data_rows.get(ind_id),
                            target if isinstance(target, float) else None)
        if ind is not None and not ind.is_automatic:
            _read_typed_months(path, item, line, t.cols, ind.measure == "andel", percent_styled, warnings)
        if item.data_row is not None:
            _read_data_row(path, item, t.data[item.data_row], t.data_cols, warnings)
        if ind is not None:
            warnings += plausibility_warnings(ind, item, path, t.cols, t.data_cols)
        _read_notes(path, item, line, t.cols, warnings)
        rows[ind_id] = item
    return rows


def _read_typed_months(path: Path, item: IndicatorRow, line: list, cols: dict[str, int], andel: bool,
                       percent_styled, warnings: list[Problem]) -> None:
    """A local row's month cells on Målekort, as typed, into ``item.bare``."""
    r = item.row
    for m, label in L.MONTHS_BY_NUMBER.items():
        c = cols[label]
        value = line[c]
        if value is None or value == "":
            continue  # common: nothing typed (parse_typed_number's None, without the bookkeeping)
        where = dict(file=str(path), sheet=L.SCORECARD_SHEET, cell=cell_ref(r, c))
        maybe_fraction = andel and isinstance(value, float) and abs(value) <= 10
        item.bare[m - 1] = parse_typed_number(
            value, percent_format=maybe_fraction and percent_styled(cell_ref(r, c)),
            andel=andel, where=where, warnings=warnings)


def _read_data_row(path: Path, item: IndicatorRow, drow: list, data_cols: dict[str, int],
                   warnings: list[Problem]) -> None:
    """The row's teller and nevner on Data, into ``item.teller`` and ``item.nevner``."""
    width = len(drow)
    parts = (("teller", item.teller), ("nevner", item.nevner))
    for m in range(1, 13):
        for part, values in parts:
            c = data_cols[_DATA_LABELS[m, part]]
            value = drow[c] if c < width else None
            if value is None or (type(value) is float and -MAX_MAGNITUDE < value < MAX_MAGNITUDE):
                values[m - 1] = value  # common: a number or nothing, no warning
            elif value == "":
                values[m - 1] = None
            else:
                where = dict(file=str(path), sheet=L.DATA_SHEET, cell=cell_ref(item.data_row, c))
                values[m - 1] = parse_typed_number(
                    value, percent_format=False, andel=False, where=where, warnings=warnings)


def _read_notes(path: Path, item: IndicatorRow, line: list, cols: dict[str, int],
                warnings: list[Problem]) -> None:
    """Risiko (vurdering), Kommentar and the visible output columns as cached."""
    risk = _text(line[cols[L.COL_RISK_ASSESSED]])
    if risk:
        match = next((x for x in RISKS if x.casefold() == risk.casefold()), None)
        if match is None:
            warnings.append(Problem(f"Ukjent risiko «{risk}»; bruk Lav, Middels eller Høy.",
                                    file=str(path), sheet=L.SCORECARD_SHEET, severity=WARNING,
                                    cell=cell_ref(item.row, cols[L.COL_RISK_ASSESSED])))
        item.risk_assessed = match
    item.comment = _text(line[cols[L.COL_COMMENT]])
    for label in _CACHED_LABELS:
        if label in cols:
            item.cached[label] = line[cols[label]]


def read_log(path: str | Path) -> list[list]:
    """The Logg sheet's rows below its header (as cached; a date as ``YYYY-MM-DD HH:MM:SS``),
    trailing empty cells and empty rows dropped; no Logg sheet gives no rows."""
    import datetime as dt

    book = _Book(Path(path))
    if L.LOG_SHEET not in book.wb.sheet_names:
        return []
    values = book.wb.get_sheet_by_name(L.LOG_SHEET).to_python(skip_empty_area=False)
    rows = []
    for line in values[1:]:
        cells = [v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, dt.datetime) else
                 v.isoformat() if isinstance(v, dt.date) else v for v in line]
        while cells and cells[-1] in (None, ""):
            cells.pop()
        if cells:
            rows.append(cells)
    return rows
