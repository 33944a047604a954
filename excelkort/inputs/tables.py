"""Tables read from CSV or a workbook sheet: a header row found by its labels, then data rows.

The catalogue, the unit register and the per-unit targets are all such tables. ``read_table``
finds the header among the first rows (labels matched case-insensitively and with or without
æ, ø, å), keeps each row's file line or sheet row, and locates every problem (file, line or sheet
and cell, column). CSV may use ``;``, ``,`` or tab, decimal comma or point, UTF-8 with or without
BOM, or Windows-1252. The helpers below turn cells into text and numbers for messages, and write
a table back as Norwegian Excel writes CSV.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_bytes_atomic
from ..numtext import format_number, parse_number_text
from ..textfile import DecodeError, decode_text
from ..errors import InputError, Problem
from ..xlsx.grid import TABLE, check_zip_extent, open_workbook, read_grid
from ..xlsx.refs import cell_ref
from ..files import (MAX_TABLE_SIZE, MAX_UNPACKED, TABLE_FILE, ZIP_ERRORS, check_file,
                     check_unpacked, read_bytes)

#: rows scanned for the header row
HEADER_SCAN_ROWS = 30
_WHAT = "en tabell"  # what a file too large is too large for

_TRANSLIT = str.maketrans({"å": "a", "ø": "o", "æ": "ae"})


def norm_label(text: object) -> str:
    """A header label or enum value, compared case- and whitespace-insensitively."""
    s = unicodedata.normalize("NFC", str(text)).casefold()
    return " ".join(s.split())


def label_keys(label: str) -> set[str]:
    """The spellings accepted for a label: as written, and without æ, ø, å (``Maletype``)."""
    n = norm_label(label)
    return {n, n.translate(_TRANSLIT), n.replace("å", "aa").replace("ø", "oe").replace("æ", "ae")}


@dataclass(frozen=True)
class TableRow:
    """One data row: raw values by canonical column label (str, float or date; None = blank)."""

    values: dict[str, object]
    index: int  # 1-based: the CSV file line or the sheet row


@dataclass
class Table:
    """A table read from a CSV file or a sheet, with what is needed to locate a cell."""

    file: str
    sheet: str | None  # None for CSV
    header_index: int  # 1-based CSV line or sheet row of the header
    columns: dict[str, int] = field(default_factory=dict)  # canonical label -> 0-based column
    rows: list[TableRow] = field(default_factory=list)

    @property
    def is_csv(self) -> bool:
        return self.sheet is None

    def where(self, row: TableRow | int | None = None, column: str | None = None) -> dict:
        """Keyword arguments for ``Problem`` locating a cell (or a row, or the whole table)."""
        index = row.index if isinstance(row, TableRow) else row
        loc: dict = {"file": self.file, "column": column}
        if self.is_csv:
            loc["line"] = index
        else:
            loc["sheet"] = self.sheet
            if index is not None and column in self.columns:
                loc["cell"] = cell_ref(index - 1, self.columns[column])
        return loc

    def ref(self, row: TableRow, column: str) -> str:
        """How a message names another cell: ``på linje 2`` or ``i celle A5``."""
        if self.is_csv:
            return f"på linje {row.index}"
        return f"i celle {cell_ref(row.index - 1, self.columns[column])}"


def join_or(items) -> str:
    """``a, b eller c`` – Norwegian enumeration."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " eller " + items[-1]


def join_and(items) -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def lines_text(lines, limit: int | None = 10) -> str:
    """"linje 4", "linje 4 og 7", "linje 4, 7 og 9", "linje 1, 2, …, 10 og 5 andre"."""
    shown = [str(n) for n in lines]
    if not shown:
        return ""
    if limit is not None and len(shown) > limit:
        return f"linje {', '.join(shown[:limit])} og {len(shown) - limit} andre"
    return f"linje {join_and(shown)}"


def rows_word(n: int) -> str:
    return "1 rad" if n == 1 else f"{n} rader"


def read_table(path, *, labels: tuple[str, ...], required: tuple[str, ...],
               sheet_names: tuple[str, ...] = (), first_sheet: bool = False,
               what: str = "tabellen") -> tuple[Table | None, list[Problem]]:
    """Read a table with the given column labels from a CSV file or a workbook sheet.

    The header row is the first of the first rows holding every required label (matched
    case-insensitively, any order, extra columns ignored). For a workbook the sheet is the first
    whose name matches ``sheet_names`` (case-insensitive), else the first sheet when
    ``first_sheet``. Returns the table (None when it cannot be read) and the problems found.
    """
    path = Path(path)
    opened = _open_rows(path, sheet_names, first_sheet)
    if isinstance(opened, Problem):
        return None, [opened]
    sheet, candidates = opened
    return table_from_rows(str(path), sheet, candidates, labels=labels, required=required, what=what)


def table_from_rows(file: str, sheet: str | None, candidates: list, *, labels: tuple[str, ...],
                    required: tuple[str, ...], what: str) -> tuple[Table | None, list[Problem]]:
    """``read_table`` for rows already read: ``candidates`` is [(tag, [(index, cells), …]), …]."""
    problems: list[Problem] = []
    keys = {k: label for label in labels for k in label_keys(label)}

    def where(index=None, column=None):
        return Table(file, sheet, 0).where(index, column)

    best = None  # (matches, index, cells, sep-tag)
    for tag, rows in candidates:
        for index, cells in rows[:HEADER_SCAN_ROWS]:
            found = {keys[norm_label(c)] for c in cells if c is not None and norm_label(c) in keys}
            score = (all(r in found for r in required), len(found))
            if best is None or score > best[0]:
                best = (score, index, cells, tag)
    if best is None or best[0][1] < 2:
        hint = " Sjekk også at kolonnene er skilt med semikolon eller komma." if sheet is None else ""
        problems.append(Problem(
            f"Fant ikke overskriftsraden i {what}. Den må ha kolonnene {join_and(required)}."
            + hint, **where()))
        return None, problems
    _score, header_index, header_cells, tag = best
    rows = dict(candidates)[tag]
    table = Table(file, sheet, header_index)
    for col, cell in enumerate(header_cells):
        if cell is None or norm_label(cell) not in keys:
            continue
        label = keys[norm_label(cell)]
        if label in table.columns:
            problems.append(Problem(
                f"Kolonnen «{label}» står to ganger i overskriftsraden. Fjern den ene.",
                **table.where(header_index if sheet is None else None, label)))
            continue
        table.columns[label] = col
    for label in required:
        if label not in table.columns:
            problems.append(Problem(
                f"Mangler kolonnen «{label}». Legg den til i overskriftsraden.",
                **table.where(header_index if sheet is None else None, None)))
    width = len(header_cells)
    for index, cells in rows:
        if index <= header_index or all(c is None for c in cells):
            continue
        if sheet is None and any(c is not None for c in cells[width:]):
            problems.append(Problem(
                f"Linjen har {len(cells)} felt, men overskriftsraden har {width}. Sjekk "
                "skilletegnet: et tall med desimalkomma i en kommaseparert fil må stå i "
                "anførselstegn.", **table.where(index)))
            continue
        values = {label: (cells[col] if col < len(cells) else None)
                  for label, col in table.columns.items()}
        table.rows.append(TableRow(values, index))
    return table, problems


def _open_rows(path: Path, sheet_names, first_sheet):
    """Rows of a file as (index, cells) lists, per candidate separator for CSV.

    Returns (sheet name or None, [(tag, rows), …]) or a Problem.
    """
    file = str(path)
    try:
        check_file(path, kind=TABLE_FILE, what=_WHAT, max_size=MAX_TABLE_SIZE)
        data = read_bytes(path)
    except InputError as exc:
        return exc.problems[0]
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return Problem("Filen er en gammel .xls-arbeidsbok eller er passordbeskyttet. Åpne den i "
                       "Excel, fjern eventuelt passordet og lagre som .xlsx eller CSV.", file=file)
    if data.startswith(b"PK"):
        return _open_xlsx(path, data, sheet_names, first_sheet)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return Problem("Filen er ikke en gyldig Excel-arbeidsbok (den kan være skadet). Åpne den i "
                       "Excel og lagre den på nytt som .xlsx.", file=file)
    text = _decode(data)
    if isinstance(text, str) and "\x00" in text:
        text = None
    if text is None:
        return Problem("Filen ser ikke ut som en tekstfil (CSV). Lagre den som CSV (UTF-8) "
                       "eller .xlsx.", file=file)
    return None, [(sep, _csv_rows(text, sep)) for sep in (";", ",", "\t")]


def _decode(data: bytes) -> str | None:
    """The file's text (``textfile.decode_text``), or None when it is not text we accept."""
    try:
        return decode_text(data)
    except DecodeError:
        return None


def _csv_rows(text: str, sep: str) -> list[tuple[int, list]]:
    """Rows as (first file line of the record, cells); blank cells None."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows = []
    line = 1
    try:
        for record in reader:
            cells = [c if c.strip() else None for c in record]
            rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error:
        pass  # an unterminated quote: keep what was read
    return rows


def _open_xlsx(path: Path, data: bytes, sheet_names, first_sheet):
    file = str(path)
    bad = Problem("Filen er ikke en gyldig Excel-arbeidsbok (den kan være skadet). Åpne den i "
                  "Excel og lagre den på nytt som .xlsx.", file=file)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            check_unpacked(zf.infolist(), path, what=_WHAT, limit=MAX_UNPACKED)
            check_zip_extent(zf, path, TABLE)
    except ZIP_ERRORS:
        return bad
    except InputError as exc:
        return exc.problems[0]
    try:
        wb = open_workbook(data, path)
        names = list(wb.sheet_names)
        chosen = None
        wanted = [norm_label(n) for n in sheet_names]
        for want in wanted:
            chosen = next((n for n in names if norm_label(n) == want), None)
            if chosen:
                break
        if chosen is None and first_sheet and names:
            chosen = names[0]
        if chosen is None:
            return Problem(f"Arbeidsboken har ikke arket «{sheet_names[0]}». Legg til arket, "
                           "eller gi det riktig navn.", file=file)
        values = read_grid(wb, chosen, path).values
    except InputError:
        return bad
    return chosen, [("xlsx", sheet_rows(values))]


def sheet_rows(values: list[list]) -> list[tuple[int, list]]:
    """A sheet's cell values as (1-based row, cells), blank text as None."""
    return [(i, [None if (c is None or (isinstance(c, str) and not c.strip())) else c for c in cells])
            for i, cells in enumerate(values, start=1)]



# ---------------------------------------------------------------------------------------------
# Cell values, for messages and checks
# ---------------------------------------------------------------------------------------------

def parse_number(value: object) -> float:
    """A number as a user or Excel writes it: ``65``, ``4,5``, ``4.5``, ``1 234,5``, ``−2``.

    Raises ValueError for anything else (``65 %``, ``ikke klar``, ``-``).
    """
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(value)
        return float(value)
    number = parse_number_text(str(value))
    if number is None:
        raise ValueError(value)
    return number


def cell_text(value: object) -> str:
    """A cell's value as text (a number Excel stored for a text column loses nothing visible)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value))


def quote(text: object, limit: int = 40) -> str:
    """Text for a message, shortened: «…»."""
    s = cell_text(text) if not isinstance(text, str) else text
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return f"«{s}»"


def unsafe_text(text: str) -> str | None:
    """A message when free text is unsafe in a cell or CSV: formula-like, or control characters."""
    for ch in text:
        if (ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127:
            return (f"Teksten inneholder et kontrolltegn (U+{ord(ch):04X}) som ikke hører hjemme "
                    "i en celle. Fjern det.")
    first = text.lstrip()[:1]
    if first and first in "=+-@":
        return (f"Teksten {quote(text)} begynner med «{first}» og kan bli lest som en formel i "
                f"Excel. Fjern tegnet «{first}» i starten.")
    return None


def find_in_folder(folder, name: str) -> Path | None:
    """A file in ``folder`` whose name equals ``name`` up to case and Unicode normalisation."""
    if folder is None:
        return None
    folder = Path(folder)
    exact = folder / name
    if exact.is_file():
        return exact
    want = norm_label(name)
    try:
        for entry in sorted(folder.iterdir()):
            if entry.is_file() and norm_label(entry.name) == want:
                return entry
    except OSError:
        return None
    return None


def write_csv_rows(path, header, rows) -> None:
    """Write a table as Norwegian Excel does: ``;``, UTF-8 with BOM, CRLF, decimal comma."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else format_number(v)
                         if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
                         for v in row])
    write_bytes_atomic(path, ("\ufeff" + out.getvalue()).encode("utf-8"))
