"""A sheet's cached values as a grid, read with python-calamine: bounded, and with one message.

calamine builds a dense grid from A1 to the farthest cell it finds, so one value at XFD1048576
asks for hundreds of GB before anything can look at it. ``sheet_values`` first finds the
farthest cell in the sheet's XML (the bytes are already in memory) and refuses a sheet larger
than the file can hold, or with a row or cell twice (``sheetshape``); and every error calamine
raises (``XmlError``, ``CalamineError``, ``WorksheetNotFound``, a panic …) becomes one Norwegian
``InputError`` naming file and sheet.
Every reader that uses calamine goes through here.
"""
from __future__ import annotations

import io
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from python_calamine import CalamineWorkbook

from ..errors import InputError, Problem
from ..files import ZIP_ERRORS
from .package import MSG_BAD_MEMBER, Package
from .refs import cell_ref, column_letter, column_number

MSG_UNREADABLE = "Arket kan ikke leses ({reason}). Åpne filen i Excel og lagre den på nytt."
MSG_UNREADABLE_BOOK = ("Filen kan ikke leses som Excel-arbeidsbok ({reason}). Åpne filen i Excel og "
                       "lagre den på nytt.")
MSG_TOO_FAR = ("Arket har innhold langt utenfor det {what} kan ha (høyst {rows} rader "
               "og {cols} kolonner). Slett radene og kolonnene utenfor tabellen og lagre filen på "
               "nytt.")


@dataclass(frozen=True)
class Limits:
    """How far a sheet of one kind of file may reach (rows and columns from A1)."""

    rows: int
    cols: int
    what: str


#: a målekort, tiltaksplan or konsolidert målekort: hundreds of rows, a hundred-odd columns
WORKBOOK = Limits(rows=5_000, cols=300, what="en arbeidsbok fra excelkort")
#: a catalogue, register or target table: thousands of rows, a few columns
TABLE = Limits(rows=100_000, cols=100, what="en tabell")
#: an extract: every unit and month of years (a national year is ~500,000 rows), few columns
EXTRACT = Limits(rows=1_048_576, cols=60, what="et uttrekk")

_TAG = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*)>")
_REF_ATTR = re.compile(rb'\sr="([A-Z]*)([0-9]*)"')  # any length: calamine reads r="AAAA1" too


_NO_REF = re.compile(rb"<(?:\w+:)?(?:row|c)\b(?![^>]*\sr=)")
_VALUED_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]+)([0-9]+)"[^>]*?(?<!/)>')


def extent(xml: bytes) -> tuple[int, int]:
    """Rows and columns (from A1) a sheet's XML makes calamine allocate (see ``_walk``); every
    row and cell with its ``r=`` (as Excel writes them) is the fast case."""
    if _NO_REF.search(xml) is None:
        return _farthest(_VALUED_REF, xml)[1:]
    return _walk(xml)


def _farthest(pattern: re.Pattern, xml: bytes, chunk: int = 1 << 22) -> tuple[int, int, int]:
    """(cells, rows, columns) of the ``pattern`` matches (groups: column letters, row number),
    found a few MB of XML at a time: an extract's sheet has millions of cells, and a list of
    them all would take more memory than the extract itself."""
    count = rows = cols = start = 0
    while start < len(xml):
        end = xml.find(b"<c", start + chunk)  # a cell's tag starts a chunk, never straddles one
        end = len(xml) if end < 0 else end
        refs = pattern.findall(xml, start, end)
        if refs:
            count += len(refs)
            rows = max(rows, max(map(int, (row for _, row in refs))))
            cols = max(cols, max(column_number(c) for c in {c for c, _ in refs}))
        start = end
    return count, rows, cols


def _walk(xml: bytes) -> tuple[int, int]:
    """Rows and columns (from A1) a sheet's XML makes calamine allocate: the farthest cell that
    can hold a value, placed as calamine places it (by ``r=``, or next after the one before).
    Empty styled cells (``<c r="B9000" s="3"/>``) and formatted rows hold nothing and count not."""
    rows = cols = row = col = 0
    for m in _TAG.finditer(xml):
        tag, attrs = m.groups()
        ref = _REF_ATTR.search(attrs)
        if tag == b"row":
            row = int(ref.group(2)) if ref and ref.group(2) else row + 1
            col = 0
            continue
        if ref and ref.group(1) and ref.group(2):
            row, col = int(ref.group(2)), column_number(ref.group(1))
        else:
            col += 1
        if not attrs.endswith(b"/"):
            rows, cols = max(rows, row), max(cols, col)
    return rows, cols


def _suspect_cell_pattern(limits: Limits) -> re.Pattern:
    """One scan for whatever needs the exact walk: a cell reference that may lie beyond
    ``limits`` (a superset: as many row digits as the limit or more, or as many column letters
    starting at or after the limit's first letter), a cell without a plain ``r="A1"``, or a cell
    tag written otherwise than ``<c r=`` (other white space, a namespace prefix)."""
    digits, letters = len(str(limits.rows)), column_letter(limits.cols - 1)
    far = [f"[{letters[0]}-Z][A-Z]{{{len(letters) - 1}}}[0-9]", f"[A-Z]{{1,3}}[0-9]{{{digits},}}"]
    if len(letters) < 3:
        far.append(f"[A-Z]{{{len(letters) + 1},3}}[0-9]")
    return re.compile(('<(?:c r="(?:' + "|".join(far) + '|(?![A-Z]{1,3}[0-9]{1,7}"))'
                       r'|c(?! r=")[\s>/]|\w+:c[\s>/])').encode())


_SUSPECT = {limits: _suspect_cell_pattern(limits) for limits in (WORKBOOK, TABLE, EXTRACT)}


def check_extent(xml: bytes, path: Path | str, sheet: str | None, limits: Limits,
                 bound: tuple[int, int] | None = None) -> None:
    """InputError naming the farthest cell when the sheet reaches beyond ``limits``; ``bound``
    is an upper bound of every cell's row and column when the caller knows one
    (``sheetshape.Shape.bound``), else one regex scan finds whether the exact walk is needed."""
    if bound is not None:
        if bound[0] <= limits.rows and bound[1] <= limits.cols:
            return
    elif (_SUSPECT.get(limits) or _suspect_cell_pattern(limits)).search(xml) is None:
        return  # the common case: one scan, no walk
    rows, cols = extent(xml)
    if rows > limits.rows or cols > limits.cols:
        cell = cell_ref(max(rows, 1) - 1, max(cols, 1) - 1)
        message = MSG_TOO_FAR.format(what=limits.what, rows=f"{limits.rows:,}".replace(",", " "),
                                     cols=limits.cols)
        raise InputError(Problem(message, file=str(path), sheet=sheet, cell=cell))


@contextmanager
def _calamine_errors(message: str, path: Path | str, sheet: str | None = None):
    """Any error calamine raises (its types are no hierarchy; a panic is a BaseException) as one
    InputError: ``message`` with the error's type and first line as ``{reason}``."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # noqa: BLE001
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        reason = f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__
        raise InputError(Problem(message.format(reason=reason), file=str(path), sheet=sheet)) from None


def open_workbook(data: bytes, path: Path | str, package: Package | None = None) -> CalamineWorkbook:
    """calamine's view of a workbook's bytes (``package``: the same bytes, already opened and
    checked); InputError naming the file when it cannot open."""
    if package is not None:
        _check_unique_count(package.zip, path)
    else:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                _check_unique_count(zf, path)
        except ZIP_ERRORS:
            pass  # calamine reports the broken zip in its own words
    with _calamine_errors(MSG_UNREADABLE_BOOK, path):
        return CalamineWorkbook.from_filelike(io.BytesIO(data))


_UNIQUE_COUNT = re.compile(rb'<(?:\w+:)?sst\b[^>]*?\suniqueCount="([0-9]+)"')


def _check_unique_count(zf: zipfile.ZipFile, path: Path | str) -> None:
    """calamine reserves room for the strings a shared-string table says it holds before it reads
    one (``uniqueCount="99999999999"`` asks for 2.4 TB and ends the process): refuse a count
    larger than the part's size, which no table can hold (each ``<si>`` takes bytes)."""
    try:
        for info in zf.infolist():
            if info.filename.lower().endswith("sharedstrings.xml"):
                with zf.open(info) as part:
                    found = _UNIQUE_COUNT.search(part.read(4096))
                if found and int(found.group(1)) > info.file_size:
                    raise InputError(Problem(MSG_BAD_MEMBER.format(member=info.filename),
                                             file=str(path)))
    except ZIP_ERRORS:
        return  # calamine reports the broken zip in its own words


@dataclass
class Grid:
    """A sheet read: its values from A1, and its merged ranges ((r0, c0), (r1, c1)) from 0."""

    values: list[list]
    merged_cell_ranges: list


def read_grid(wb: CalamineWorkbook, sheet: str | int, path: Path | str,
              name: str | None = None) -> Grid:
    """A sheet (by name or position) read by calamine; InputError naming file and sheet when it
    cannot be read. Check its extent first (``package_grid`` does)."""
    with _calamine_errors(MSG_UNREADABLE, path, name or (sheet if isinstance(sheet, str) else None)):
        found = wb.get_sheet_by_name(sheet) if isinstance(sheet, str) else wb.get_sheet_by_index(sheet)
        return Grid(found.to_python(skip_empty_area=False), list(found.merged_cell_ranges or []))


def sheet_rows(wb: CalamineWorkbook, index: int, path: Path | str,
               name: str | None = None) -> Iterator[tuple[int, list]]:
    """A sheet's rows one at a time with their row numbers, each from column A as ``read_grid``
    has them: for a table too large to hold as lists all at once (an extract). InputError naming
    file and sheet when calamine cannot read it."""
    with _calamine_errors(MSG_UNREADABLE, path, name):
        found = wb.get_sheet_by_index(index)
        pad = [""] * (found.start[1] if found.start else 0)  # rows come from column start[1]
        rows = iter(found.iter_rows())  # from row 1
    line = 0
    while True:
        with _calamine_errors(MSG_UNREADABLE, path, name):
            row = next(rows, None)
        if row is None:
            return
        line += 1
        yield line, pad + row if pad else row


def package_grid(package: Package, sheet: str, wb: CalamineWorkbook | None = None,
                 limits: Limits = WORKBOOK) -> Grid:
    """A package's sheet, bounded by ``limits`` before calamine builds it, and refused when a row
    or cell is there twice (``sheetshape``: which one calamine keeps is no answer)."""
    xml = package.read(package.sheet_member(sheet))
    shape = package.sheet_shape(sheet, xml)
    check_extent(xml, package.path, sheet, limits, shape.bound)
    return read_grid(wb if wb is not None else open_workbook(package.data, package.path, package), sheet,
                     package.path)


def sheet_values(package: Package, sheet: str, wb: CalamineWorkbook | None = None,
                 limits: Limits = WORKBOOK) -> list[list]:
    """A package's sheet as rows of values from A1, bounded by ``limits``."""
    return package_grid(package, sheet, wb, limits).values


def check_zip_extent(zf: zipfile.ZipFile, path: Path | str, limits: Limits,
                     sheet: str | None = None) -> None:
    """Bound every worksheet of a zip not opened as a Package (tables, extracts)."""
    for info in zf.infolist():
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            try:
                xml = zf.read(info)
            except ZIP_ERRORS:
                continue  # calamine reports the broken part
            check_extent(xml, path, sheet, limits)
