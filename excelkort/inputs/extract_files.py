"""Reading an extract's file into a raw table: the header row, then the records with their lines.

The format is recognised from the file's first bytes, not only from its name: CSV (``;``,
``,`` or tab; UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252), ``.xlsx`` (the
first sheet) or Parquet. The header row is found by its labels among the first lines, so a
title line or Excel's ``sep=;`` line before it is skipped. Problems with the whole file raise
InputError; the values are checked later (``extract_validate``).
"""
from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..errors import InputError, Problem
from ..files import (EXTRACT_FILE, MAX_EXTRACT_ROWS, MAX_EXTRACT_SIZE, MSG_UNREADABLE, ZIP_ERRORS,
                     check_file, check_unpacked, read_bytes)
from ..numtext import format_fixed
from ..textfile import DecodeError, decode_text
from ..xlsx.grid import EXTRACT, check_zip_extent, open_workbook, sheet_rows
from .extract_values import REQUIRED_COLUMNS, map_cells, period_of, text_field, text_of
from .tables import join_and, lines_text

EXPECTED_TEXT = (
    "Uttrekket skal ha en overskriftsrad med kolonnene enhet, periode, indikator, teller, "
    "nevner (og eventuelt merknad), i valgfri rekkefølge."
)
_HEADER_SEARCH_LINES = 20
_WHAT = "et uttrekk"  # what a file too large is too large for
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class ExtractTable:
    """A file's raw content: the header, and the data records with their line numbers."""

    format: str
    header_line: int
    header: list[Any]  # labels as written in the file
    lines: Sequence[int]  # lines[k] is where records[k] is in the file
    records: list[Sequence[Any]]
    sheet: str | None = None
    separator: str | None = None


def _reject(message: str, name: str, **where) -> InputError:
    return InputError(Problem(message, file=name, **where))


def read_table(path: str | os.PathLike) -> ExtractTable:
    """The extract's raw table: format detected from the bytes, header found by its labels,
    file line numbers kept. Raises InputError for problems with the whole file."""
    p = Path(path)
    name = str(path)
    check_file(p, kind=EXTRACT_FILE, what=_WHAT, max_size=MAX_EXTRACT_SIZE)
    try:
        with open(p, "rb") as f:
            magic = f.read(8)
    except OSError as exc:
        raise _reject(MSG_UNREADABLE.format(reason=exc.strerror), name) from None

    suffix = p.suffix.lower()
    if magic.startswith(b"PK\x03\x04"):
        return _read_xlsx(p, name)
    if magic.startswith(b"PAR1"):
        return _read_parquet(p, name)
    if magic.startswith(_OLE_MAGIC):
        raise _reject(
            "filen er i det gamle .xls-formatet eller passordbeskyttet. Åpne den i Excel og "
            "lagre den som .xlsx uten passord, eller som CSV.", name)
    if suffix in (".xlsx", ".xlsm"):
        raise _reject(
            f"filen heter {suffix}, men er ikke en Excel-arbeidsbok (ødelagt, eller en annen "
            "filtype med feil navn). Lag uttrekket på nytt.", name)
    if suffix == ".parquet":
        raise _reject(
            "filen heter .parquet, men er ikke en Parquet-fil (ødelagt, eller en annen "
            "filtype med feil navn). Lag uttrekket på nytt.", name)
    return _read_csv(p, name)


def table_keys(table: ExtractTable) -> list[tuple[int, str, str | None, str]]:
    """(line, enhet, periode, indikator) of every record, parsed as read_extract parses them
    (periode None when it is not a valid period). Empty when a key column is missing."""
    index: dict[str, int] = {}
    for i, label in enumerate(table.header):
        index.setdefault(norm_label(label), i)
    if any(c not in index for c in ("enhet", "periode", "indikator")):
        return []
    iu, ip, ii = index["enhet"], index["periode"], index["indikator"]

    def column(i):
        return [cells[i] if i < len(cells) else "" for cells in table.records]

    units = map_cells(text_field, column(iu))
    periods = map_cells(period_of, column(ip))
    inds = map_cells(text_field, column(ii))
    return list(zip(table.lines, units, periods, inds))


def rows_read(table: ExtractTable) -> int:
    """Records with any content (what a summary calls rows read)."""
    return sum(1 for cells in table.records if any(text_of(v) for v in cells))


def norm_label(label: Any) -> str:
    """A header label as compared: stripped of BOM, quotes and spaces, case-folded."""
    return text_of(label).strip('\ufeff"\' ').casefold()


def _is_header(cells: list[Any]) -> bool:
    labels = {norm_label(c) for c in cells}
    return all(col in labels for col in REQUIRED_COLUMNS)


def _table_from_records(fmt: str, lines: list[int], records: list[list[Any]], name: str,
                        sheet: str | None, sep: str | None = None) -> ExtractTable:
    """Find the header row among the first records; what follows it is data."""
    for k, cells in enumerate(records[:_HEADER_SEARCH_LINES]):
        if _is_header(cells):
            if len(records) - k - 1 > MAX_EXTRACT_ROWS:
                raise _reject(_too_many_rows_message(), name, sheet=sheet,
                              line=lines[k + 1 + MAX_EXTRACT_ROWS])
            return ExtractTable(fmt, lines[k], cells, lines[k + 1:], records[k + 1:], sheet, sep)
    raise InputError(_no_header_problem(lines[:1], records[:1], name, sheet))


def _no_header_problem(lines: list[int], records: list[list[Any]], name: str,
                       sheet: str | None) -> Problem:
    if not records:
        return Problem(f"filen er tom. {EXPECTED_TEXT}", file=name, sheet=sheet)
    line, cells = lines[0], records[0]
    found = [text_of(c) for c in cells if text_of(c)]
    labels = {norm_label(c) for c in cells}
    missing = [c for c in REQUIRED_COLUMNS if c not in labels]
    what = "kolonnen" if len(missing) == 1 else "kolonnene"
    return Problem(
        f"mangler {what} {join_and([f'«{c}»' for c in missing])}. Fant "
        f"{join_and([f'«{c}»' for c in found])}. {EXPECTED_TEXT}",
        file=name, sheet=sheet, line=line)


# ---- CSV -----------------------------------------------------------------------------------
def _decode(data: bytes, name: str) -> str:
    try:
        return decode_text(data, refuse_nul=True)
    except DecodeError as exc:
        line = data[: exc.pos].count(b"\n") + 1
        if exc.nul:
            raise _reject(
                "filen inneholder binære data (NUL-tegn) og er ikke en tekstfil. Lagre uttrekket "
                "som CSV, .xlsx eller Parquet.", name, line=line) from None
        what = "gyldig UTF-8 (filen starter med UTF-8-merke)" if exc.bom else (
            "gyldig UTF-8 eller Windows-1252")
        raise _reject(
            f"ukjent tegnkoding: byte 0x{data[exc.pos]:02X} er ikke {what}. Lagre filen som "
            "«CSV UTF-8 (kommadelt)» i Excel, eller som UTF-8 fra datavarehuset.",
            name, line=line) from None


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
    text = _decode(read_bytes(p), name)
    sep = _detect_separator(text)
    records = _Records(name, "csv")
    if '"' not in text:
        # Fast path: without quotes a record is one line split at the separator (exactly what
        # the csv module would do), and the line numbers are plain.
        first = 1
        for chunk in _line_chunks(text):
            for i, ln in enumerate(chunk, first):
                if ln and not ln.isspace():
                    records.add(i, ln.split(sep))
            first += len(chunk)
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        del text
        prev = 0
        try:
            for cells in reader:
                start, prev = prev + 1, reader.line_num
                if prev > start and (swallowed := _swallowed_lines(cells, start, sep)):
                    raise _reject(_swallowed_message(swallowed[1], prev), name, line=swallowed[0])
                if any(cells):
                    records.add(start, cells)
        except csv.Error as exc:
            raise _reject(
                f"filen kan ikke leses som CSV ({exc}). Sjekk anførselstegnene rundt linjen.",
                name, line=reader.line_num) from None
    return _table_from_records("csv", records.lines, records.records, name, None, sep)


class _Records:
    """A file's records as read, held compactly: each record a tuple of shared strings (an
    extract repeats its units, periods, indicators and most numbers), the line numbers an
    array. More than MAX_EXTRACT_ROWS records are refused while reading, before they fill
    the memory."""

    def __init__(self, name: str, fmt: str, sheet: str | None = None):
        self.name, self.format, self.sheet = name, fmt, sheet
        self.lines = array("q")
        self.records: list[tuple[Any, ...]] = []
        self._shared: dict[Any, Any] = {}

    def add(self, line: int, cells) -> None:
        if len(self.records) > MAX_EXTRACT_ROWS + _HEADER_SEARCH_LINES:
            # more data rows than the limit, wherever the header is: this raises
            _table_from_records(self.format, self.lines, self.records, self.name, self.sheet)
        share = self._shared.setdefault
        self.lines.append(line)
        self.records.append(tuple(map(share, cells, cells)))


def _too_many_rows_message() -> str:
    return (f"uttrekket har mer enn {format_fixed(MAX_EXTRACT_ROWS, 0)} datarader, flere enn "
            "excelkort leser fra én fil (et nasjonalt uttrekk for et helt år har rundt "
            "500 000). Del uttrekket, f.eks. ett år eller én fylkesenhet per fil.")


def _line_chunks(text: str, size: int = 1 << 20):
    """The text's physical lines (CRLF, CR and LF each end a line), a chunk of about
    ``size`` characters at a time, so no list of every line is ever held."""
    start, n = 0, len(text)
    while start < n:
        end = text.find("\n", min(start + size, n))
        end = n if end < 0 else end + 1
        piece = text[start:end]
        if end == n:
            piece += "\n"  # the last line, with or without its line end
        lines = piece.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        lines.pop()  # what follows the piece's last line end
        yield lines
        start = end


def _swallowed_lines(cells: list[str], start: int, sep: str) -> tuple[int, list[int]] | None:
    """A record over several lines whose quoted field holds lines that look like records (a
    stray ``"`` opened it): the line where that field opens, and the lines swallowed. A
    merknad over two lines holds no such line, and passes."""
    line = start
    for cell in cells:
        parts = cell.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        rowlike = [line + k for k, part in enumerate(parts)
                   if k and part.count(sep) >= len(REQUIRED_COLUMNS) - 1]
        if rowlike:
            return line, rowlike
        line += len(parts) - 1
    return None


def _swallowed_message(rowlike: list[int], closed: int) -> str:
    n = len(rowlike)
    what = "1 linje" if n == 1 else f"{n} linjer"
    return (
        f"et anførselstegn åpner her et felt som går helt til linje {closed}, så {what} som ser "
        f"ut som datarader ({lines_text(rowlike)}) ville blitt lest som tekst i ett felt og gått "
        "tapt. Et felt som starter med \" må slutte med \": fjern anførselstegnet, eller sett "
        "et til der feltet slutter.")


# ---- xlsx ----------------------------------------------------------------------------------
_UNREADABLE_XLSX = (
    "filen ser ut som en Excel-arbeidsbok, men kan ikke leses (ødelagt, passordbeskyttet eller "
    "ikke en .xlsx). Åpne den i Excel og lagre den på nytt som .xlsx, eller lag uttrekket som CSV.")


def _read_xlsx(p: Path, name: str) -> ExtractTable:
    try:
        data = p.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            check_unpacked(zf.infolist(), p, what=_WHAT, limit=MAX_EXTRACT_SIZE)
            check_zip_extent(zf, name, EXTRACT)
    except ZIP_ERRORS:
        raise _reject(_UNREADABLE_XLSX, name) from None
    try:
        wb = open_workbook(data, name)
        sheet_name = wb.sheet_names[0]
    except (InputError, IndexError):
        raise _reject(_UNREADABLE_XLSX, name) from None
    records = _Records(name, "xlsx", sheet_name)
    for line, cells in _rows_or_reject(sheet_rows(wb, 0, name, sheet_name), name):
        if any(c != "" for c in cells):
            records.add(line, cells)
    return _table_from_records("xlsx", records.lines, records.records, name, sheet_name)


def _rows_or_reject(rows, name: str):
    """The sheet's rows; a sheet calamine cannot read is an extract that cannot be read."""
    try:
        yield from rows
    except InputError:
        raise _reject(_UNREADABLE_XLSX, name) from None


# ---- Parquet -------------------------------------------------------------------------------
def _read_parquet(p: Path, name: str) -> ExtractTable:
    import pyarrow.parquet as pq

    try:
        if pq.ParquetFile(p).metadata.num_rows > MAX_EXTRACT_ROWS:
            raise _reject(_too_many_rows_message(), name)
        table = pq.read_table(p)
    except InputError:
        raise
    except Exception:  # noqa: BLE001
        raise _reject(
            "filen kan ikke leses som Parquet (ødelagt eller ufullstendig). Lag uttrekket på "
            "nytt.", name) from None
    header = list(table.column_names)
    if not _is_header(header):
        raise InputError(_no_header_problem([1], [header], name, None))
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    records = list(zip(*columns))
    return ExtractTable("parquet", 1, header, list(range(2, len(records) + 2)), records)
