"""The data-warehouse extract (SPEC §6): reading, validating and writing it.

An extract is long: one row per unit (``enhet``), month (``periode``) and indicator
(``indikator``) with ``teller`` and ``nevner`` and an optional free-text ``merknad``.

Formats
    * CSV as Norwegian Excel and data warehouses write it: ``;`` (or ``,`` or tab) separator,
      decimal comma or point, UTF-8 with or without BOM (UTF-16 with BOM too), else
      Windows-1252. The header row is found by its labels among the first lines (a title line
      or Excel's ``sep=;`` line before it is skipped).
    * ``.xlsx``: the first sheet, header row found by its labels wherever it is.
    * Parquet.
    The format is recognised from the file's first bytes, not only from its name.

Values
    Every column is read as text first: unit ids stay text (``0101`` never becomes ``101``).
    Numbers may be written ``1 234,5``, ``1234.5``, ``1234,5`` (also with non-breaking spaces
    as thousand separators). Statistics Norway's symbols are explicit missing values with a
    reason, never numbers: ``:`` prikket, ``..`` mangler, ``...`` ikke klar (not yet
    available), ``.`` umulig; ``-`` is zero. A value is therefore ``float | None`` plus a reason
    code (``None`` when the value is present or simply blank).
    Formula-like text (``=HYPERLINK(…)``, ``+cmd``, ``@SUM``) is data: in a text field it is
    kept as text, in a number field it is an error ("tekst i tallfelt").

What rejects the extract
    Errors reject the whole extract — :func:`read_extract` raises :class:`InputError` carrying
    every problem found (errors and warnings), each naming file, line and column, so a command
    leaves every input untouched (exit code 2). Errors are structural (wrong columns, encoding,
    unreadable file, wrong number of fields) and value errors (text in a number field, bad
    periode, missing enhet/indikator, nevner 0 with teller > 0, negative teller or nevner,
    andel over 100 % except for ``nær`` indicators, duplicate unit+period+indicator).
    Every row must be well-formed, including rows that are then skipped.
    Warnings never reject: rows whose indicator is unknown or ``lokal``, or whose unit is not
    in the register, are skipped and reported (grouped: one warning per unknown value); a
    ``nevner`` on an ``antall`` row is ignored with a warning.

Line numbers
    CSV: the physical 1-based line in the file (the header's line is where the header is,
    normally 1). xlsx: the sheet's row number. Parquet has no lines: row *i* (0-based) is
    numbered *i* + 2, as if the table were a CSV with its header on line 1.
"""
from __future__ import annotations

import csv
import gc
import io
import math
import os
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, NamedTuple

from ..atomic import write_bytes_atomic
from ..numtext import format_number, parse_number_text
from ..period import parse_period
from ..textfile import DecodeError, decode_text
from ..errors import ERROR, WARNING, InputError, Problem
from ..files import (EXTRACT_FILE, MAX_EXTRACT_SIZE, MSG_UNREADABLE, check_file, check_unpacked,
                     read_bytes)
from ..model import Catalogue
from .hints import indicator_advice, suggest_indicator, unit_advice

__all__ = [
    "ExtractTable",
    "read_table",
    "validate_table",
    "table_keys",
    "rows_read",
    "SYMBOL_FOR_REASON",
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "REASON_SUPPRESSED",
    "REASON_NOT_AVAILABLE",
    "REASON_NOT_READY",
    "REASON_IMPOSSIBLE",
    "SYMBOLS",
    "ExtractRow",
    "Extract",
    "read_extract",
    "write_extract_csv",
    "parse_number",
    "parse_period",
]

#: The extract's columns, in the order write_extract_csv writes them.
COLUMNS = ("enhet", "periode", "indikator", "teller", "nevner", "merknad")
REQUIRED_COLUMNS = ("enhet", "periode", "indikator", "teller", "nevner")

# Reason codes for a missing value (Statistics Norway's symbols).
REASON_SUPPRESSED = "prikket"  # ":"
REASON_NOT_AVAILABLE = "mangler"  # ".."
REASON_NOT_READY = "ikke klar"  # "..."
REASON_IMPOSSIBLE = "umulig"  # "."

#: symbol → reason code; "-" is not here: it is the number 0.
SYMBOLS = {
    ":": REASON_SUPPRESSED,
    "..": REASON_NOT_AVAILABLE,
    "...": REASON_NOT_READY,
    "\u2026": REASON_NOT_READY,  # "…": Excel's autocorrect of "..."
    ".": REASON_IMPOSSIBLE,
}
#: reason code → the symbol write_extract_csv writes
SYMBOL_FOR_REASON = {
    REASON_SUPPRESSED: ":",
    REASON_NOT_AVAILABLE: "..",
    REASON_NOT_READY: "...",
    REASON_IMPOSSIBLE: ".",
}
#: Statistics Norway's zero (and its typographic variants: en dash, minus sign)
ZERO_SYMBOLS = ("-", "\u2013", "\u2212")

_HEADER_SEARCH_LINES = 20
_WHAT = "et uttrekk"  # what a file too large is too large for
_MAX_LISTED_LINES = 10

_SYMBOL_HELP = "bruk : (prikket), .. (mangler), ... (ikke klar ennå), . (umulig) eller - (null)"
_EXPECTED_TEXT = (
    "Uttrekket skal ha en overskriftsrad med kolonnene enhet, periode, indikator, teller, "
    "nevner (og eventuelt merknad), i valgfri rekkefølge."
)


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------
class ExtractRow(NamedTuple):
    """One row of the extract, as read.

    ``teller``/``nevner`` are ``None`` when missing; ``teller_reason``/``nevner_reason`` then
    say why (``"prikket"``, ``"mangler"``, ``"ikke klar"``, ``"umulig"``), or are ``None`` when
    the field was simply blank. ``line`` is where the row is in the file (see module doc).
    """

    unit: str
    period: str  # YYYY-MM
    indicator: str
    teller: float | None
    nevner: float | None
    teller_reason: str | None = None
    nevner_reason: str | None = None
    merknad: str | None = None
    line: int | None = None

    @property
    def reasons(self) -> dict[str, str]:
        """The reasons for missing values, by field (``{"teller": "prikket"}``); empty if none."""
        out = {}
        if self.teller_reason:
            out["teller"] = self.teller_reason
        if self.nevner_reason:
            out["nevner"] = self.nevner_reason
        return out

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.unit, self.period, self.indicator)


@dataclass
class Extract:
    """A validated extract: the rows to use, and the warnings found while reading it."""

    source: str
    format: str  # "csv", "xlsx" or "parquet"
    rows: list[ExtractRow]
    problems: list[Problem] = field(default_factory=list)  # warnings only
    rows_read: int = 0  # non-blank data rows in the file, skipped ones included

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[ExtractRow]:
        return iter(self.rows)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def periods(self) -> list[str]:
        """The periods (YYYY-MM) that occur, sorted."""
        return sorted({r.period for r in self.rows})

    def latest_period(self) -> str | None:
        """The latest period in the extract, or None when it has no rows."""
        return max((r.period for r in self.rows), default=None)

    def units(self) -> list[str]:
        return sorted({r.unit for r in self.rows})

    def indicators(self) -> list[str]:
        return sorted({r.indicator for r in self.rows})

    def by_unit(self) -> dict[str, list[ExtractRow]]:
        """Rows grouped by unit (units sorted; rows in file order)."""
        groups: dict[str, list[ExtractRow]] = defaultdict(list)
        for r in self.rows:
            groups[r.unit].append(r)
        return {u: groups[u] for u in sorted(groups)}

    def lookup(self) -> dict[tuple[str, str, str], ExtractRow]:
        """(unit, period, indicator) → row (unique: duplicates are rejected on reading)."""
        return {r.key: r for r in self.rows}


# --------------------------------------------------------------------------------------------
# Parsing single values
# --------------------------------------------------------------------------------------------
_PERIOD = re.compile(r"(\d{4})-?(\d{2})", re.ASCII)


def parse_number(text: str) -> tuple[float | None, str | None, bool]:
    """Parse one number field written as text. Returns ``(value, reason, ok)``.

    Blank → ``(None, None, True)``; a Statistics Norway symbol → ``(None, reason, True)``;
    ``-`` → ``(0.0, None, True)``; a number → ``(value, None, True)``; anything else (``65 %``,
    ``abc``, ``=SUM(A1)``) → ``(None, None, False)``.
    """
    s = text.strip().replace("\u2212", "-")  # the Unicode minus sign
    if not s:
        return (None, None, True)
    if s in SYMBOLS:
        return (None, SYMBOLS[s], True)
    if s in ZERO_SYMBOLS:
        return (0.0, None, True)
    value = parse_number_text(s)
    return (value, None, value is not None)


def _parse_number_cell(cell: Any) -> tuple[float | None, str | None, bool]:
    """Like parse_number, for a cell of any type (xlsx and Parquet give typed cells)."""
    if isinstance(cell, str):
        return parse_number(cell)
    if cell is None:
        return (None, None, True)
    if isinstance(cell, bool):
        return (None, None, False)
    if isinstance(cell, (int, float)):
        x = float(cell)
        if math.isnan(x):
            return (None, None, True)
        if math.isinf(x):
            return (None, None, False)
        return (x, None, True)
    try:  # decimal.Decimal from Parquet
        x = float(cell)
    except (TypeError, ValueError):
        return (None, None, False)
    return (x, None, True) if math.isfinite(x) else (None, None, False)


def _map_cells(func, column) -> list:
    """``func`` over a column; for an all-text column each distinct value is parsed once."""
    if set(map(type, column)) <= {str}:
        cache = {v: func(v) for v in set(column)}
        return list(map(cache.__getitem__, column))
    return list(map(func, column))


def _period_of_cell(cell: Any) -> str | None:
    return parse_period(_period_cell_text(cell))


def _text_field(cell: Any) -> str:
    """A text field (enhet, indikator, merknad): stripped, one escaping apostrophe removed."""
    return _unescape_text(_text(cell))


def _merknad_of_cell(cell: Any) -> str | None:
    return _text_field(cell) or None


def _period_cell_text(cell: Any) -> str:
    if isinstance(cell, (datetime, date)):
        return f"{cell.year:04d}-{cell.month:02d}"
    return _text(cell)


def _text(cell: Any) -> str:
    """A cell as stripped text; integral numbers without ``.0`` (101.0 → "101")."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return "SANN" if cell else "USANN"
    if isinstance(cell, float):
        if math.isnan(cell):
            return ""
        if cell.is_integer() and abs(cell) < 1e16:
            return str(int(cell))
        return repr(cell)
    return str(cell).strip()


# Formula-like text is escaped with one leading apostrophe on writing, as Excel itself marks
# text ('=abc); reading removes exactly one such apostrophe. Bijective, so text round-trips.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


def _unescape_text(s: str) -> str:
    if s.startswith("'") and _ESCAPED_FORMULA.match(s):
        return s[1:]
    return s


def _escape_text(s: str) -> str:
    return "'" + s if _FORMULA_START.match(s) else s


def _show(cell: Any) -> str:
    """A raw cell as the user typed it, for a message."""
    if isinstance(cell, str):
        return cell.strip()
    return _text(cell)


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------
def _join_and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def _lines_text(lines: list[int], limit: int | None = _MAX_LISTED_LINES) -> str:
    """"linje 4", "linje 4 og 7", "linje 4, 7 og 9", "linje 1, 2, …, 10 og 5 andre"."""
    shown = [str(n) for n in lines]
    word = "linje"
    if limit is not None and len(shown) > limit:
        rest = len(shown) - limit
        return f"{word} {', '.join(shown[:limit])} og {rest} andre"
    return f"{word} {_join_and(shown)}"


def _rows_word(n: int) -> str:
    return "1 rad" if n == 1 else f"{n} rader"


def _quoted(items: Iterable[str]) -> str:
    return ", ".join(f"«{x}»" for x in items)


def _msg_text_in_number(shown: str) -> str:
    return (
        f"tekst i tallfelt: «{shown}» er ikke et tall. Skriv bare tallet (f.eks. 1234 eller "
        f"1234,5, uten %-tegn eller tekst), la feltet stå tomt, eller {_SYMBOL_HELP}."
    )


# --------------------------------------------------------------------------------------------
# Reading: files → header + records
# --------------------------------------------------------------------------------------------
@dataclass
class ExtractTable:
    """A file's raw content: the header, and the data records with their line numbers."""

    format: str
    header_line: int
    header: list[Any]  # labels as written in the file
    lines: list[int]  # lines[k] is where records[k] is in the file
    records: list[list[Any]]
    sheet: str | None = None
    separator: str | None = None


class _Reject(Exception):
    """Internal: the file cannot be read at all; carries the problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_extract(
    path: str | os.PathLike,
    catalogue: Catalogue,
    unit_ids: set[str] | None = None,
) -> Extract:
    """Read and validate an extract (CSV, .xlsx or Parquet).

    ``catalogue`` decides which indicators are known, automatic and of which Måletype;
    ``unit_ids`` (optional) the units that exist. Returns the rows to use and the warnings;
    raises :class:`InputError` with every problem (warnings too) when there is any error.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()  # tens of thousands of small tuples: the cyclic GC would double the time
    try:
        return validate_table(read_table(path), catalogue, unit_ids, name=str(path))
    finally:
        if gc_was_enabled:
            gc.enable()


def read_table(path: str | os.PathLike) -> "ExtractTable":
    """The extract's raw table: format detected from the bytes, header found by its labels,
    file line numbers kept. Raises InputError for problems with the whole file."""
    p = Path(path)
    name = str(path)
    check_file(p, kind=EXTRACT_FILE, what=_WHAT, max_size=MAX_EXTRACT_SIZE)
    try:
        with open(p, "rb") as f:
            magic = f.read(8)
    except OSError as exc:
        raise InputError(Problem(MSG_UNREADABLE.format(reason=exc.strerror),
                                 file=name)) from None

    suffix = p.suffix.lower()
    try:
        if magic.startswith(b"PK\x03\x04"):
            return _read_xlsx(p, name)
        if magic.startswith(b"PAR1"):
            return _read_parquet(p, name)
        if magic.startswith(_OLE_MAGIC):
            raise _Reject([Problem(
                "filen er i det gamle .xls-formatet eller passordbeskyttet. Åpne den i Excel og "
                "lagre den som .xlsx uten passord, eller som CSV.", file=name)])
        if suffix in (".xlsx", ".xlsm"):
            raise _Reject([Problem(
                f"filen heter {suffix}, men er ikke en Excel-arbeidsbok (ødelagt, eller en annen "
                "filtype med feil navn). Lag uttrekket på nytt.", file=name)])
        if suffix == ".parquet":
            raise _Reject([Problem(
                "filen heter .parquet, men er ikke en Parquet-fil (ødelagt, eller en annen "
                "filtype med feil navn). Lag uttrekket på nytt.", file=name)])
        return _read_csv(p, name)
    except _Reject as rej:
        raise InputError(rej.problems) from None


def validate_table(table: "ExtractTable", catalogue: Catalogue, unit_ids: set[str] | None = None,
                   *, name: str = "") -> Extract:
    """Validate a raw table (all of it, or a subset of its records) into an Extract.

    Raises InputError with every problem (warnings too) when there is any error.
    """
    try:
        return _validate(table, name, catalogue, unit_ids)
    except _Reject as rej:
        raise InputError(rej.problems) from None


def table_keys(table: "ExtractTable") -> list[tuple[int, str, str | None, str]]:
    """(line, enhet, periode, indikator) of every record, parsed as read_extract parses them
    (periode None when it is not a valid period). Empty when a key column is missing."""
    index: dict[str, int] = {}
    for i, label in enumerate(table.header):
        index.setdefault(_norm_label(label), i)
    if any(c not in index for c in ("enhet", "periode", "indikator")):
        return []
    iu, ip, ii = index["enhet"], index["periode"], index["indikator"]

    def column(i):
        return [cells[i] if i < len(cells) else "" for cells in table.records]

    units = _map_cells(_text_field, column(iu))
    periods = _map_cells(_period_of_cell, column(ip))
    inds = _map_cells(_text_field, column(ii))
    return list(zip(table.lines, units, periods, inds))


def rows_read(table: "ExtractTable") -> int:
    """Records with any content (what a summary calls rows read)."""
    return sum(1 for cells in table.records if any(_text(v) for v in cells))


# ---- CSV -----------------------------------------------------------------------------------
def _decode(data: bytes, name: str) -> str:
    try:
        return decode_text(data, refuse_nul=True)
    except DecodeError as exc:
        if exc.nul:
            line = data[: exc.pos].count(b"\n") + 1
            raise _Reject([Problem(
                "filen inneholder binære data (NUL-tegn) og er ikke en tekstfil. Lagre uttrekket "
                "som CSV, .xlsx eller Parquet.", file=name, line=line)]) from None
        raise _Reject([_encoding_problem(data, exc.pos, name, bom=exc.bom)]) from None


def _encoding_problem(data: bytes, pos: int, name: str, bom: bool = False) -> Problem:
    line = data[:pos].count(b"\n") + 1
    what = "gyldig UTF-8 (filen starter med UTF-8-merke)" if bom else (
        "gyldig UTF-8 eller Windows-1252")
    return Problem(
        f"ukjent tegnkoding: byte 0x{data[pos]:02X} er ikke {what}. Lagre filen som "
        "«CSV UTF-8 (kommadelt)» i Excel, eller som UTF-8 fra datavarehuset.",
        file=name, line=line)


def _norm_label(label: Any) -> str:
    return _text(label).strip('\ufeff"\' ').casefold()


def _is_header(cells: list[Any]) -> bool:
    labels = {_norm_label(c) for c in cells}
    return all(col in labels for col in REQUIRED_COLUMNS)


def _detect_separator(text: str) -> str:
    lines = [ln for ln in text[:65536].splitlines()[:_HEADER_SEARCH_LINES] if ln.strip()]
    if not lines:
        return ";"
    m = re.fullmatch(r'"?sep=(.)"?', lines[0].strip(), flags=re.IGNORECASE)
    if m:
        return m.group(1)
    for sep in (";", "\t", ","):
        if any(_is_header(ln.split(sep)) for ln in lines):
            return sep
    first = lines[0]
    for sep in (";", "\t", ","):
        if sep in first:
            return sep
    return ";"


def _read_csv(p: Path, name: str) -> ExtractTable:
    data = read_bytes(p)
    text = _decode(data, name)
    sep = _detect_separator(text)
    lines: list[int] = []
    records: list[list[str]] = []
    if '"' not in text:
        # Fast path: without quotes a record is one line split at the separator (exactly what
        # the csv module would do), and the line numbers are plain.
        physical = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        lines = [i for i, ln in enumerate(physical, 1) if ln and not ln.isspace()]
        records = [physical[i - 1].split(sep) for i in lines]
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        prev = 0
        try:
            for cells in reader:
                start, prev = prev + 1, reader.line_num
                if any(cells):
                    lines.append(start)
                    records.append(cells)
        except csv.Error as exc:
            raise _Reject([Problem(
                f"filen kan ikke leses som CSV ({exc}). Sjekk anførselstegnene rundt linjen.",
                file=name, line=reader.line_num)]) from None
    return _table_from_records("csv", lines, records, name, None, sep)


def _table_from_records(fmt: str, lines: list[int], records: list[list[Any]], name: str,
                        sheet: str | None, sep: str | None = None) -> ExtractTable:
    """Find the header row among the first records; what follows it is data."""
    for k, cells in enumerate(records[:_HEADER_SEARCH_LINES]):
        if _is_header(cells):
            return ExtractTable(fmt, lines[k], cells, lines[k + 1:], records[k + 1:], sheet, sep)
    raise _Reject([_no_header_problem(lines[:1], records[:1], name, sheet)])


def _no_header_problem(lines: list[int], records: list[list[Any]], name: str,
                       sheet: str | None) -> Problem:
    if not records:
        return Problem(f"filen er tom. {_EXPECTED_TEXT}", file=name, sheet=sheet)
    line, cells = lines[0], records[0]
    found = [_text(c) for c in cells if _text(c)]
    labels = {_norm_label(c) for c in cells}
    missing = [c for c in REQUIRED_COLUMNS if c not in labels]
    what = "kolonnen" if len(missing) == 1 else "kolonnene"
    return Problem(
        f"mangler {what} {_join_and([f'«{c}»' for c in missing])}. Fant "
        f"{_join_and([f'«{c}»' for c in found])}. {_EXPECTED_TEXT}",
        file=name, sheet=sheet, line=line)


# ---- xlsx ----------------------------------------------------------------------------------
def _read_xlsx(p: Path, name: str) -> ExtractTable:
    from python_calamine import CalamineWorkbook

    unreadable = Problem(
        "filen ser ut som en Excel-arbeidsbok, men kan ikke leses (ødelagt, passordbeskyttet "
        "eller ikke en .xlsx). Åpne den i Excel og lagre den på nytt som .xlsx, eller lag "
        "uttrekket som CSV.", file=name)
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError):
        raise _Reject([unreadable]) from None
    check_unpacked(infos, p, what=_WHAT, limit=MAX_EXTRACT_SIZE)
    try:
        wb = CalamineWorkbook.from_path(str(p))
        sheet_name = wb.sheet_names[0]
        rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - any failure of the reader means an unreadable file
        raise _Reject([unreadable]) from None
    lines = [i for i, cells in enumerate(rows, 1) if any(c != "" for c in cells)]
    records = [rows[i - 1] for i in lines]
    return _table_from_records("xlsx", lines, records, name, sheet_name)


# ---- Parquet -------------------------------------------------------------------------------
def _read_parquet(p: Path, name: str) -> ExtractTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(p)
    except Exception:  # noqa: BLE001
        raise _Reject([Problem(
            "filen kan ikke leses som Parquet (ødelagt eller ufullstendig). Lag uttrekket på "
            "nytt.", file=name)]) from None
    header = list(table.column_names)
    if not _is_header(header):
        raise _Reject([_no_header_problem([1], [header], name, None)])
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    records = list(zip(*columns))
    return ExtractTable("parquet", 1, header, list(range(2, len(records) + 2)), records)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------
def _validate(
    table: ExtractTable, name: str, catalogue: Catalogue, unit_ids: set[str] | None
) -> Extract:
    sheet = table.sheet
    problems: list[Problem] = []

    def problem(message, line=None, column=None, severity=ERROR):
        problems.append(Problem(message, file=name, sheet=sheet, line=line, column=column,
                                severity=severity))

    # -- the header
    index: dict[str, int] = {}
    label: dict[str, str] = {}
    for i, raw in enumerate(table.header):
        key = _norm_label(raw)
        if not key:
            continue
        if key in index:
            problem(
                f"kolonnen «{_text(raw)}» står to ganger (kolonne {index[key] + 1} og {i + 1}). "
                "Fjern den ene.", table.header_line, _text(raw))
            continue
        index[key] = i
        label[key] = _text(raw).strip('\ufeff"\' ')
    unknown_cols = [label[k] for k in index if k not in COLUMNS]
    if unknown_cols:
        what = "ukjent kolonne" if len(unknown_cols) == 1 else "ukjente kolonner"
        problem(
            f"{what} {_quoted(unknown_cols)} blir ikke lest. {_EXPECTED_TEXT}",
            table.header_line, severity=WARNING)
    if any(p.is_error for p in problems):
        raise InputError(problems)

    iu, ip, ii, it, in_ = (index[c] for c in REQUIRED_COLUMNS)
    im = index.get("merknad")
    col_u, col_p, col_i, col_t, col_n = (label[c] for c in REQUIRED_COLUMNS)

    # -- records of the right width (a trailing separator, or optional trailing columns left
    #    out, are harmless)
    width = len(table.header)
    last_needed = max(iu, ip, ii, it, in_)
    lines, records = table.lines, table.records
    rows_read = 0
    if any(len(cells) != width for cells in records):
        lines, records = [], []
        for line, cells in zip(table.lines, table.records):
            n = len(cells)
            if n > width and not any(_text(c) for c in cells[width:]):
                pass
            elif last_needed < n < width:
                cells = list(cells) + [""] * (width - n)
            elif n != width:
                rows_read += 1
                problem(_field_count_message(n, width, table.separator), line)
                continue
            lines.append(line)
            records.append(cells)

    # -- column-wise parsing (each distinct text parsed once)
    wanted = (iu, ip, ii, it, in_) + ((im,) if im is not None else ())
    columns = list(zip(*map(itemgetter(*wanted), records))) if records else [()] * len(wanted)
    raw_u, raw_p, raw_i, raw_t, raw_n = columns[:5]
    units = _map_cells(_text_field, raw_u)
    periods = _map_cells(_period_of_cell, raw_p)
    ind_ids = _map_cells(_text_field, raw_i)
    tellers = _map_cells(_parse_number_cell, raw_t)
    nevners = _map_cells(_parse_number_cell, raw_n)
    merknads = _map_cells(_merknad_of_cell, columns[5]) if im is not None else repeat(None)

    # per indicator: 0 unknown, 1 lokal, 2 antall, 3 andel capped at 100 %, 4 other automatic
    kinds: dict[str, int] = {}
    for ind in catalogue:
        if not ind.is_automatic:
            kinds[ind.id] = 1
        elif ind.measure == "antall":
            kinds[ind.id] = 2
        elif ind.measure == "andel" and ind.direction != "nær":
            kinds[ind.id] = 3
        else:
            kinds[ind.id] = 4

    rows: list[ExtractRow] = []
    first_line: dict[tuple[str, str, str], int] = {}
    duplicates: dict[tuple[str, str, str], list[int]] = {}
    new_row = partial(tuple.__new__, ExtractRow)  # ExtractRow(...) without a Python call
    skipped_unknown_ind: dict[str, list[int]] = defaultdict(list)
    skipped_local: dict[str, list[int]] = defaultdict(list)
    skipped_unit: dict[str, list[int]] = defaultdict(list)
    antall_nevner: dict[str, list[int]] = defaultdict(list)

    def report_row(i: int) -> bool:
        """Report a row that failed the fast checks; False when it is entirely blank."""
        line = lines[i]
        unit, period, ind_id = units[i], periods[i], ind_ids[i]
        teller, t_reason, t_ok = tellers[i]
        nevner, n_reason, n_ok = nevners[i]
        shown_period = _show(raw_p[i])
        if (not unit and not shown_period and not ind_id and teller is None and nevner is None
                and not t_reason and not n_reason):
            return False
        if not unit:
            problem("enhet mangler. Skriv enhetsnummeret slik det står i enhetsregisteret.",
                    line, col_u)
        if period is None:
            if shown_period:
                problem(f"ugyldig periode «{shown_period}». Skriv periode som ÅÅÅÅ-MM "
                        "(f.eks. 2024-03) eller ÅÅÅÅMM (f.eks. 202403).", line, col_p)
            else:
                problem("periode mangler. Skriv periode som ÅÅÅÅ-MM (f.eks. 2024-03) eller "
                        "ÅÅÅÅMM (f.eks. 202403).", line, col_p)
        if not ind_id:
            problem("indikator mangler. Skriv indikatorens ID fra katalogen (f.eks. B1).",
                    line, col_i)
        if not t_ok:
            problem(_msg_text_in_number(_show(raw_t[i])), line, col_t)
        if not n_ok:
            problem(_msg_text_in_number(_show(raw_n[i])), line, col_n)
        if teller is not None and teller < 0:
            problem(f"negativ teller ({_fmt(teller)}). Teller og nevner kan ikke være "
                    "negative: rett tallet i kilden.", line, col_t)
        if nevner is not None and nevner < 0:
            problem(f"negativ nevner ({_fmt(nevner)}). Teller og nevner kan ikke være "
                    "negative: rett tallet i kilden.", line, col_n)
        return True

    for i, (line, unit, period, ind_id, (teller, t_reason, t_ok), (nevner, n_reason, n_ok),
            merknad) in enumerate(zip(lines, units, periods, ind_ids, tellers, nevners,
                                      merknads)):
        if (not (unit and period and ind_id and t_ok and n_ok)
                or (teller is not None and teller < 0) or (nevner is not None and nevner < 0)):
            if report_row(i):
                rows_read += 1
            continue
        rows_read += 1
        kind = kinds.get(ind_id, 0)
        if kind == 2:  # antall: no nevner
            if nevner is not None:
                antall_nevner[ind_id].append(line)
            nevner = n_reason = None
        elif nevner == 0 and teller:  # teller > 0 (negatives are rejected above)
            problem(f"nevner er 0, men teller er {_fmt(teller)}. Med nevner 0 kan verdien "
                    "ikke regnes ut: rett nevner, eller la både teller og nevner stå tomme hvis "
                    "tallet mangler.", line, col_n)
            continue
        elif kind == 3 and teller is not None and nevner is not None and teller > nevner:
            problem(f"andel over 100 %: teller ({_fmt(teller)}) er større enn nevner "
                    f"({_fmt(nevner)}) for indikatoren «{ind_id}». Rett tallene; bare "
                    "indikatorer med retning «nær» (som budsjettbruk) kan gå over 100 %.",
                    line, col_t)
            continue
        key = (unit, period, ind_id)
        if key in first_line:
            duplicates.setdefault(key, [first_line[key]]).append(line)
            continue
        first_line[key] = line

        # -- what to use
        if kind == 0:
            skipped_unknown_ind[ind_id].append(line)
        elif kind == 1:
            skipped_local[ind_id].append(line)
        elif unit_ids is not None and unit not in unit_ids:
            skipped_unit[unit].append(line)
        else:
            rows.append(new_row((unit, period, ind_id, teller, nevner, t_reason, n_reason,
                                 merknad, line)))

    # -- duplicates
    for (unit, period, ind_id), dup_lines in duplicates.items():
        problem(
            f"enhet «{unit}», periode {period}, indikator «{ind_id}» står flere ganger: "
            f"{_lines_text(dup_lines, limit=None)}. Hver kombinasjon av enhet, periode og "
            "indikator skal stå på én linje: fjern duplikatene.", dup_lines[0])

    # -- grouped warnings
    for ind_id, lines in skipped_unknown_ind.items():
        todo = indicator_advice(suggest_indicator(ind_id, kinds))
        problem(
            f"indikatoren «{ind_id}» finnes ikke i katalogen; {_rows_word(len(lines))} "
            f"hoppet over ({_lines_text(lines)}). {todo}", lines[0], col_i, WARNING)
    for ind_id, lines in skipped_local.items():
        problem(
            f"indikatoren «{ind_id}» er lokal (Kilde = lokal) og fylles inn av enheten selv, "
            f"ikke fra uttrekket; {_rows_word(len(lines))} hoppet over ({_lines_text(lines)}).",
            lines[0], col_i, WARNING)
    for unit, lines in skipped_unit.items():
        problem(
            f"enheten «{unit}» finnes ikke i enhetsregisteret; {_rows_word(len(lines))} hoppet "
            f"over ({_lines_text(lines)}). {unit_advice(unit, unit_ids)}", lines[0], col_u,
            WARNING)
    for ind_id, lines in antall_nevner.items():
        problem(
            f"indikatoren «{ind_id}» er et antall og har ingen nevner; nevner er ignorert på "
            f"{_rows_word(len(lines))} ({_lines_text(lines)}).", lines[0], col_n, WARNING)
    if rows_read == 0:
        problem("uttrekket har ingen datarader under overskriften.", table.header_line,
                severity=WARNING)

    problems.sort(key=lambda p: p.line if p.line is not None else 0)
    if any(p.is_error for p in problems):
        raise InputError(problems)
    return Extract(source=name, format=table.format, rows=rows, problems=problems,
                   rows_read=rows_read)


def _field_count_message(n: int, width: int, sep: str | None) -> str:
    msg = f"linjen har {n} felt, men overskriften har {width}."
    if sep == ",":
        return msg + (" Skilletegnet er komma: står det et tall med desimalkomma uten "
                      "anførselstegn? Bruk semikolon som skilletegn, eller sett slike verdier i "
                      "anførselstegn.")
    shown = {";": "semikolon", "\t": "tabulator"}.get(sep or "", "skilletegnet")
    return msg + f" Sjekk at ingen verdi inneholder {shown} uten anførselstegn rundt."


_fmt = format_number


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def _format_value(value: float | None, reason: str | None) -> str:
    if value is None:
        return SYMBOL_FOR_REASON.get(reason, "") if reason else ""
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"not a finite number: {value!r}")
    return format_number(x)


def _as_row(row: ExtractRow | Mapping[str, Any]) -> ExtractRow:
    if isinstance(row, ExtractRow):
        return row
    get = row.get
    return ExtractRow(
        unit=str(get("enhet", get("unit"))),
        period=str(get("periode", get("period"))),
        indicator=str(get("indikator", get("indicator"))),
        teller=get("teller"),
        nevner=get("nevner"),
        teller_reason=get("teller_reason"),
        nevner_reason=get("nevner_reason"),
        merknad=get("merknad"),
    )


def write_extract_csv(rows: Iterable[ExtractRow | Mapping[str, Any]], path: str | os.PathLike
                      ) -> bool:
    """Write rows as Norwegian Excel writes CSV: ``;``, decimal comma, UTF-8 with BOM, CRLF.

    Rows are :class:`ExtractRow` or mappings with the keys ``enhet``, ``periode``,
    ``indikator``, ``teller``, ``nevner`` and optionally ``merknad``, ``teller_reason``,
    ``nevner_reason``. Missing values with a reason are written as Statistics Norway's symbol.
    Formula-like text is written with a leading apostrophe (as Excel marks text), which
    :func:`read_extract` removes, so every row round-trips. The write is atomic, and the file
    is left untouched when its content would not change. Returns True when it was written.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for raw in rows:
        r = _as_row(raw)
        period = parse_period(r.period)
        if period is None:
            raise ValueError(f"bad period: {r.period!r}")
        writer.writerow((
            _escape_text(r.unit),
            period,
            _escape_text(r.indicator),
            _format_value(r.teller, r.teller_reason),
            _format_value(r.nevner, r.nevner_reason),
            _escape_text(r.merknad) if r.merknad else "",
        ))
    return write_bytes_atomic(path, buf.getvalue().encode("utf-8-sig"))
