"""A sheet's rows and cells: each once, and in order (SPEC §9; issue 14, "odd structure").

Excel writes each ``<row>`` once, in ascending order, and each ``<c>`` of a row once, in
ascending column order. A sheet that breaks this was made or edited by another program:

- a row number or a cell twice is ambiguous (which value counts?), and a cell inside another
  row's element (K12 in row 11) is one the patcher would miss, so ``check_unique`` refuses
  the sheet with one Norwegian message naming file, sheet and row or cell. Every reader of a
  package's sheet (``grid.package_grid``) and the patcher (``sheetpatch``) call it, through
  ``Package.sheet_shape`` (worked out once per file), so ``sjekk`` and ``fyll`` agree;
- rows or cells out of order read correctly (a cell is placed by its ``r``), and the patcher
  puts them in order before it splices, as Excel does when it saves: ``in_order`` moves whole
  elements, so every row's and cell's own text stays byte for byte as it was.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from itertools import islice, repeat
from pathlib import Path

from ..errors import InputError, Problem
from .refs import cell_ref, column_number

_BROKEN = "Filen er skadet: åpne den i Excel og lagre den på nytt, eller hent en sikkerhetskopi."
MSG_ROW_TWICE = ("Rad {row} står to ganger i arket (to rader med samme nummer i filens XML), så det "
                 f"er uklart hva raden inneholder. {_BROKEN}")
MSG_CELL_TWICE = ("Cellen står to ganger i arket (to celler med samme adresse i filens XML), så det "
                  f"er uklart hvilken verdi som gjelder. {_BROKEN}")
MSG_CELL_ASTRAY = ("Cellen ligger inne i rad {row} i filens XML, ikke i sin egen rad, så den kan "
                   f"ikke endres trygt. {_BROKEN}")


@dataclass(frozen=True)
class Shape:
    """How a sheet's rows and cells are laid out (rows and columns numbered from 1, as in XML)."""

    rows_sorted: bool = True
    unsorted_rows: frozenset[int] = frozenset()  # rows whose cells are out of column order
    row_twice: int | None = None  # the first row number met twice
    cell_twice: tuple[int, int] | None = None  # the first (row, column) met twice
    cell_astray: tuple[int, int, int] | None = None  # (row, column) of a cell inside another row, and that row
    #: the last row and column of any cell, empty ones too, known in the fast case (else None):
    #: ``grid.check_extent``'s cheap bound, so the cells are gone through once
    bound: tuple[int, int] | None = None

    @property
    def in_order(self) -> bool:
        return self.rows_sorted and not self.unsorted_rows


def _both(pattern: str) -> dict[type, re.Pattern]:
    """``pattern`` compiled for XML as text and as bytes."""
    return {str: re.compile(pattern), bytes: re.compile(pattern.encode("ascii"))}


_SPAN, _END = _both(r"<(?:\w+:)?sheetData[\s>/]"), _both(r"</(?:\w+:)?sheetData\s*>")
# the fast case: no namespace prefix, and every row and cell written with its ``r`` (as Excel,
# LibreOffice and XlsxWriter write them); inside sheetData only rows and cells have an ``r``
# attribute, so one scan for `` r="…"`` (a literal start: the quick kind of regex scan) finds
# them all in document order: a row's number, or a cell's reference
_FIRST = _both(r' r="([A-Z]{0,3}[0-9]+)"')
# what opens a row or cell inside sheetData (and <color> of rich text, which takes the slow path)
_OPENERS = {str: ("<row", "<c"), bytes: (b"<row", b"<c")}
_PLAIN = {str: ("<sheetData", "</sheetData>"), bytes: (b"<sheetData", b"</sheetData>")}
# a namespace prefix before a cell's tag (``<x:c r="…"``): no fast path, its cells are not counted
_PREFIXED = {str: ":c", bytes: b":c"}


class _Keys(dict):
    """A row's ``7`` or a cell's ``C7`` (text or bytes, as ``_FIRST`` finds them) → a number:
    row 7 is 7 * _ROW, cell C7 is 7 * _ROW + 3. In a sheet as Excel writes it these numbers
    strictly ascend. Filled on first use, so the same layout in a thousand workbooks is worked
    out once and then looked up from C."""

    def __missing__(self, found: str | bytes) -> int:
        if len(self) > 500_000:
            self.clear()
        ref = found if isinstance(found, str) else found.decode("ascii")
        digits = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        letters = ref[:len(ref) - len(digits)]
        self[found] = key = int(digits) * _ROW + (column_number(letters) if letters else 0)
        return key


_KEYS = _Keys()
_ROW = 20_000  # more than a sheet's 16,384 columns


_TAGS = _both(r"<(?:\w+:)?(row|c)\b([^>]*)>")
_R = _both(r"""\sr\s*=\s*["']\$?([A-Za-z]{0,3})\$?([0-9]{0,7})["']""")


def _sheet_data(xml: str | bytes) -> tuple[int, int]:
    """Where the content of ``<sheetData>`` starts and ends."""
    kind = type(xml)
    opener, closer = _PLAIN[kind]
    start, end = xml.find(opener), xml.rfind(closer)
    if 0 <= start < end:
        return start + len(opener), end
    start = _SPAN[kind].search(xml)
    if start is None:
        return 0, 0
    end = _END[kind].search(xml, start.end())
    return start.end(), end.start() if end else len(xml)


#: the fast case's last shapes by their rows' and cells' references: workbooks made from one
#: template have the same references in the same order, so a batch works the shape out once
_SEEN: dict[tuple[type, int, int], tuple[list, Shape]] = {}


def sheet_shape(xml: str | bytes) -> Shape:
    """The layout of a worksheet's rows and cells (its XML as text or bytes)."""
    kind = type(xml)
    start, end = _sheet_data(xml)
    found = _FIRST[kind].findall(xml, start, end)
    rows = xml.count(_OPENERS[kind][0], start, end)
    if len(found) == rows + xml.count(_OPENERS[kind][1], start, end) and \
            xml.find(_PREFIXED[kind], start, end) < 0:
        seen = _SEEN.get((kind, len(found), rows))  # what the shape is worked out from
        if seen is not None and seen[0] == found:
            return seen[1]
        keys = list(map(_KEYS.__getitem__, found))
        # strictly ascending: rows and cells in order, each once; and with a row element for
        # every cell's row, each cell is inside its own row (rows ascend, so none lies between)
        if all(map(operator.lt, keys, islice(keys, 1, None))) and \
                len(set(map(operator.floordiv, keys, repeat(_ROW)))) == rows:
            if len(_SEEN) > 64:
                _SEEN.clear()
            shape = Shape(bound=_bound(keys))
            _SEEN[kind, len(found), rows] = (found, shape)
            return shape
    return _walk(xml, start, end)


def _bound(keys: list[int]) -> tuple[int, int]:
    """The last row and column of any cell (``grid.check_extent``'s cheap bound), from the
    ascending keys of a sheet's rows and cells."""
    last_cell = next((k for k in reversed(keys) if k % _ROW), None)
    if last_cell is None:
        return 0, 0
    return last_cell // _ROW, max(map(operator.mod, keys, repeat(_ROW)))


def _walk(xml: str | bytes, start: int, end: int) -> Shape:
    """``sheet_shape`` element by element: a row or cell without ``r`` comes next after the one
    before it (as calamine, Excel and the patcher place it)."""
    kind = type(xml)
    row_tag = "row" if kind is str else b"row"
    rows_seen: set[int] = set()
    cells_seen: set[tuple[int, int]] = set()
    unsorted: set[int] = set()
    rows_sorted, row_twice, cell_twice, astray = True, None, None, None
    row = col = 0
    for m in _TAGS[kind].finditer(xml, start, end):
        tag, attrs = m.groups()
        ref = _R[kind].search(attrs)
        if tag == row_tag:
            number = int(ref.group(2)) if ref and ref.group(2) else row + 1
            rows_sorted &= number > row
            if number in rows_seen and row_twice is None:
                row_twice = number
            rows_seen.add(number)
            row, col = number, 0
            continue
        if ref and ref.group(1) and ref.group(2):
            new_col = column_number(ref.group(1))
            if new_col <= col:
                unsorted.add(row)
            col = new_col
            key = (int(ref.group(2)), col)
            if key[0] != row and astray is None:
                astray = (*key, row)
        else:
            col += 1
            key = (row, col)
        if key in cells_seen and cell_twice is None:
            cell_twice = key
        cells_seen.add(key)
    return Shape(rows_sorted, frozenset(unsorted), row_twice, cell_twice, astray)


def check_unique(shape: Shape, path: str | Path, sheet: str | None) -> Shape:
    """``shape`` (from ``sheet_shape``); InputError naming file, sheet and row or cell when a
    row number or a cell is there twice."""
    if shape.row_twice is not None:
        raise InputError(Problem(MSG_ROW_TWICE.format(row=shape.row_twice), file=str(path), sheet=sheet))
    if shape.cell_twice is not None:
        row, col = shape.cell_twice
        raise InputError(Problem(MSG_CELL_TWICE, file=str(path), sheet=sheet,
                                 cell=cell_ref(row - 1, col - 1)))
    if shape.cell_astray is not None:
        row, col, inside = shape.cell_astray
        raise InputError(Problem(MSG_CELL_ASTRAY.format(row=inside), file=str(path), sheet=sheet,
                                 cell=cell_ref(row - 1, col - 1)))
    return shape


def in_order(text: str, elements: list[tuple[object, int, int]]) -> str:
    """``text`` with its elements ((key, start, end), in text order, not overlapping) sorted by
    key (stably); the text between and around them stays where it was."""
    if not elements:
        return text
    ordered = sorted(elements, key=lambda e: e[0])
    parts = [text[:elements[0][1]]]
    for i, (_key, start, end) in enumerate(ordered):
        parts.append(text[start:end])
        after = elements[i][2]
        parts.append(text[after:elements[i + 1][1]] if i + 1 < len(elements) else text[after:])
    return "".join(parts)
