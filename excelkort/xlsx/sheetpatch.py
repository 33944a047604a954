"""Surgical edits of a user's workbook (SPEC §5 "Writing into a user's workbook", §9).

A user's workbook is never loaded and re-saved by a library: ``patch_workbook`` edits the few
cells excelkort owns by splicing text into the sheet XML, and copies every other zip member's
compressed bytes unchanged. Only the patched sheets and ``xl/workbook.xml`` (the
``fullCalcOnLoad`` flag) change, and the calculation chain when it must go (below). Splicing text is ~10× faster than parsing and re-serialising
the sheet with lxml (0.3 ms against 2.7 ms for a 186 KB sheet) and leaves every byte we do not
own as it was.

Rules, so Excel, LibreOffice, openpyxl and calamine all read the result:
- an existing cell keeps its style (``s``) and other attributes; a new cell takes its row's or
  column's style as Excel would; rows and cells are inserted in sorted position;
- strings are inline strings (``t="inlineStr"``), formula text results ``t="str"``: the shared
  string table is never touched. Text starting with ``=`` is text, never a formula;
- numbers are written with ``repr`` (round-trip precision), ints as ints;
- ``<dimension>`` and a row's ``spans`` grow when needed;
- ``xl/calcChain.xml`` is removed (with its relationship and content type) when a patch adds or
  removes a formula, because Excel repairs a file whose chain names a cell without a formula;
  with ``fullCalcOnLoad`` Excel rebuilds the chain on open. A patch that only changes values
  or cached results keeps the chain byte-identical;
- overwriting the first cell of a shared formula turns the other cells of that group into
  ordinary formulas (translated with openpyxl's Translator), keeping their cached values.
"""
from __future__ import annotations

import bisect
import html
import io
import math
import numbers
import os
import re
import shutil
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple
from zipfile import ZIP_DEFLATED

from ..atomic import write_bytes_atomic
from ..errors import InputError, Problem
from .refs import MAX_COLS, cell_ref, parse_ref, range_ref
from .package import (MSG_BAD_MEMBER, MSG_BAD_XML, Package, locked_message,
                       check_xml, lock_file_for, open_package, string_item_text,
                       unescape_ooxml)

try:  # ISA-L's deflate: ~10× faster than zlib at a ~20 % larger member (SPEC §10's fill target)
    from isal.isal_zlib import compress as _isal_compress

    def deflate(content: bytes) -> bytes:
        """Raw deflate data for a zip member."""
        return _isal_compress(content, 2, -15)
except ImportError:  # a platform without an isal wheel: zlib, a little slower
    def deflate(content: bytes) -> bytes:
        """Raw deflate data for a zip member."""
        return zlib.compress(content, 1, -15)
BACKUP_DIR = Path(".excelkort") / "backup"
MSG_ENCODING = ("Delen «{member}» bruker en annen tegnkoding enn UTF-8, og excelkort kan ikke endre "
                "den. Åpne filen i Excel og lagre den på nytt.")

class ErrorValue(str):
    """An Excel error value (``#DIV/0!``, ``#N/A`` …), as opposed to text that looks like one."""

    CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                       "#GETTING_DATA"})

    def __new__(cls, code: str):
        if code not in cls.CODES:
            raise ValueError(f"unknown Excel error value {code!r}")
        return super().__new__(cls, code)


class EditError(Exception):
    """An edit excelkort's own code got wrong (value type, NaN, bad formula, a cell given twice)."""


class _KeepFormula:
    def __repr__(self) -> str:
        return "KEEP_FORMULA"


KEEP_FORMULA = _KeepFormula()


@dataclass(frozen=True)
class CellEdit:
    """What to put in one cell.

    ``formula`` is Excel formula text without the leading ``=`` (a leading ``=`` is dropped), in
    Excel's English syntax; ``value`` is then its cached result. Without a formula, ``value`` is
    the cell's constant: int/float, str (always text, even ``=…``), bool, ``ErrorValue``, or
    None (clear the value, keep the style). ``formula=KEEP_FORMULA`` (see ``cached``) keeps the
    cell's existing formula, shared or not, and updates only its cached value.
    """

    value: object = None
    formula: str | _KeepFormula | None = None

    @classmethod
    def cached(cls, value: object) -> "CellEdit":
        """Update the cached value of the cell's existing formula (a plain value if it has none)."""
        return cls(value, KEEP_FORMULA)


@dataclass
class PatchResult:
    """What ``patch_workbook`` did."""

    path: Path
    written: bool  # False: the destination already held exactly these bytes
    changed_members: list[str] = field(default_factory=list)  # members that differ from src
    appended_rows: dict[str, list[int]] = field(default_factory=dict)  # sheet → 1-based rows
    backup: Path | None = None  # where the old file was copied (patch_workbook(backup=True))

    @property
    def unchanged(self) -> bool:
        return not self.written


# -- cell references ---------------------------------------------------------------------------
# The sheet XML numbers rows (``r="7"``, ``spans``) and columns (``<col min max>``) from 1, so the
# splicing code does too; A1 text goes through ``xlsx.refs`` (from 0) at these two functions.
@lru_cache(maxsize=65536)
def _ref(row: int, col: int) -> str:
    """A1 text of a cell numbered as in the sheet XML (row and column from 1)."""
    return cell_ref(row - 1, col - 1)


@lru_cache(maxsize=65536)
def _key(ref: str) -> tuple[int, int]:
    """(row, column) of A1 text, numbered as in the sheet XML (from 1); ValueError if not a ref."""
    row, col = parse_ref(ref)
    return row + 1, col + 1


# -- XML text ------------------------------------------------------------------------------------
_XSTRING_SPECIAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]|_x[0-9A-Fa-f]{4}_")
_NOT_CHARACTER = re.compile("[\ud800-\udfff\ufffe\uffff]")
_FORMULA_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_xstring(text: str) -> str:
    """Text for a cell, as Excel stores it: control characters (illegal in XML) as ``_xHHHH_``,
    a literal ``_xHHHH_`` protected as ``_x005F_xHHHH_``, CR as ``&#13;`` (so no parser folds
    it), lone surrogates and U+FFFE/U+FFFF as U+FFFD, then the XML escapes."""
    text = _NOT_CHARACTER.sub("\ufffd", text)
    text = _XSTRING_SPECIAL.sub(
        lambda m: "_x005F" + m.group() if len(m.group()) > 1 else f"_x{ord(m.group()):04X}_", text)
    return _escape(text).replace("\r", "&#13;")


def _number(value, ref: str) -> str:
    """Number text for ``<v>``: ints as ints, floats with ``repr`` (shortest round-trip form)."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    number = float(value)
    if not math.isfinite(number):
        raise EditError(f"cannot write {value!r} to cell {ref}")
    return repr(number)


# -- regexes, per namespace prefix ----------------------------------------------------------------
_ROW_R = re.compile(r"""\sr\s*=\s*["']([0-9]+)["']""")
_CELL_R = re.compile(r"""\sr\s*=\s*["'](\$?[A-Za-z]{1,3}\$?[0-9]+)["']""")
_DROP_ATTRS = re.compile(r"""\s(?:t|vm|cm)\s*=\s*(?:"[^"]*"|'[^']*')""")
_DROP_ATTRS_KEEP = re.compile(r"""\s(?:t|vm)\s*=\s*(?:"[^"]*"|'[^']*')""")
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*')""")


_ATTRS = r"""(?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*"""  # a start tag's attributes; values may hold ">"


@lru_cache(maxsize=8)
def _patterns(p: str) -> dict[str, re.Pattern]:
    e = re.escape(p)
    return {
        "sheetData": re.compile(rf"<{e}sheetData(\s[^>]*?)?\s*(/?)>"),
        "row": re.compile(rf"<{e}row({_ATTRS})\s*(/?)>"),
        "c": re.compile(rf"<{e}c({_ATTRS})\s*(/?)>"),
        "f": re.compile(rf"<{e}f(\s[^>]*?)?\s*(/?)>"),
        "v": re.compile(rf"<{e}v(?:\s[^>]*)?>(.*?)</{e}v>", re.S),
        "is": re.compile(rf"<{e}is(?:\s[^>]*)?>.*?</{e}is>", re.S),
        "used": re.compile(rf"<{e}(?:v|f|is)[\s/>]"),
        "dimension": re.compile(rf"<{e}dimension\s+ref=\"([^\"]*)\""),
        "col": re.compile(rf"<{e}col(\s[^>]*?)\s*/?>"),
        "calcPr": re.compile(rf"<{e}calcPr(\s[^>]*?)?\s*(/?)>"),
        # a formula cell as Excel, XlsxWriter and LibreOffice write it: attributes, <f>, <v>
        "formula_cell": re.compile(
            rf'<{e}c(\s+r="[^"]*"{_ATTRS})\s*>'
            rf'(<{e}f(?:\s[^>]*?)?(?:/>|>[^<]*</{e}f>))(?:<{e}v>[^<]*</{e}v>|<{e}v\s*/>)?</{e}c>'),
    }


def _attrs(text: str | None) -> dict[str, str]:
    """Attributes of a start tag (raw, still escaped, without quotes), in document order."""
    return {k: v[1:-1] for k, v in _ATTR.findall(text or "")}


def _elements(pattern: re.Pattern, close: str, text: str, start: int, end: int):
    """(start-tag match, element end) for each non-nested element between start and end."""
    pos = start
    while True:
        m = pattern.search(text, pos, end)
        if m is None:
            return
        if m.group(2) == "/":
            elem_end = m.end()
        else:
            elem_end = text.find(close, m.end(), end)
            if elem_end < 0:
                raise ValueError("unclosed element")
            elem_end += len(close)
        yield m, elem_end
        pos = elem_end


# -- one sheet -----------------------------------------------------------------------------------
class _Row(NamedTuple):
    number: int
    start: int
    tag_end: int  # just after the start tag
    end: int  # just after the element
    attrs: str  # raw attribute text of the start tag
    closed: bool  # <row …/>


class _Cell(NamedTuple):
    col: int
    start: int
    tag_end: int
    end: int
    attrs: str
    closed: bool  # <c …/>
    named: bool  # has an r attribute


class _SheetPatch:
    """Splices cell edits into one worksheet's XML text."""

    def __init__(self, xml: str, package: Package, member: str, sheet: str):
        self.xml, self.package, self.member, self.sheet = xml, package, member, sheet
        root = re.search(r"<(\w+:)?worksheet[\s>]", xml)
        self.p = p = (root.group(1) or "") if root else ""
        self.pat = _patterns(p)
        self.c_close, self.row_close, self.f_close = f"</{p}c>", f"</{p}row>", f"</{p}f>"
        self.c_open, self.f_open = f"<{p}c", f"<{p}f"
        self.formulas_changed = False
        self.bbox: tuple[int, int, int, int] | None = None  # rows and columns written
        self._scanned: dict[int, list[_Cell]] = {}

    def fail(self):
        raise InputError(Problem(MSG_BAD_XML.format(member=self.member), file=str(self.package.path),
                                 sheet=self.sheet))

    def apply(self, edits: dict[tuple[int, int], CellEdit], append: list[list] | None) -> tuple[str, list[int]]:
        """The sheet's new XML text, and the numbers of the appended rows."""
        xml, p = self.xml, self.p
        m = self.pat["sheetData"].search(xml)
        if m is None:
            self.fail()
        if m.group(2) == "/":  # <sheetData/>
            head = xml[:m.start()] + f"<{p}sheetData{m.group(1) or ''}>"
            body, tail = "", f"</{p}sheetData>" + xml[m.end():]
        else:
            end = xml.find(f"</{p}sheetData>", m.end())
            if end < 0:
                self.fail()
            head, body, tail = xml[:m.end()], xml[m.end():end], xml[end:]
        try:
            rows = self._rows(body)
            if any(_ROW_R.search(r.attrs) is None for r in rows):
                body = self._number_rows(body, rows)
                rows = self._rows(body)
            appended = self._append(rows, body, edits, append or [])
            self._unshare(rows, body, edits)
            written = [key for key, edit in edits.items() if _has_content(edit)]
            if written:
                self.bbox = (min(r for r, _c in written), min(c for _r, c in written),
                             max(r for r, _c in written), max(c for _r, c in written))
            body = self._splice_rows(body, rows, edits, self._col_styles(head))
        except ValueError:
            self.fail()
        return self._grow_dimension(head) + body + tail, appended

    # rows
    def _rows(self, body: str) -> list[_Row]:
        out, prev = [], 0
        for m, end in _elements(self.pat["row"], self.row_close, body, 0, len(body)):
            attrs = m.group(1) or ""
            r = _ROW_R.search(attrs)
            prev = int(r.group(1)) if r else prev + 1
            out.append(_Row(prev, m.start(), m.end(), end, attrs, m.group(2) == "/"))
        return out

    def _number_rows(self, body: str, rows: list[_Row]) -> str:
        """Give every row an explicit ``r`` (rows may omit it), so inserted rows cannot shift them."""
        parts, pos = [], 0
        for row in rows:
            if _ROW_R.search(row.attrs) is None:
                close = "/>" if row.closed else ">"
                parts += [body[pos:row.start], f'<{self.p}row r="{row.number}"{row.attrs}{close}']
                pos = row.tag_end
        return "".join(parts) + body[pos:]

    def _inner(self, row: _Row) -> tuple[int, int]:
        """Start and end of a row's content."""
        return (row.end, row.end) if row.closed else (row.tag_end, row.end - len(self.row_close))

    def _append(self, rows, body, edits, append) -> list[int]:
        """Turn rows to append into edits after the last row holding a value or formula."""
        if not append:
            return []
        used = [r.number for r in rows if self.pat["used"].search(body, *self._inner(r))]
        used += [r for (r, _c), e in edits.items() if _has_content(e)]
        first = max(used, default=0) + 1
        for i, values in enumerate(append):
            for j, value in enumerate(values):
                if value is not None:
                    edits[(first + i, j + 1)] = value if isinstance(value, CellEdit) else CellEdit(value)
        return list(range(first, first + len(append)))

    # cells
    def _locate(self, body: str, row: _Row, col: int, hint: int, inner=None) -> _Cell | None:
        """An existing cell found by its ``r`` (searching from ``hint``), or None."""
        s, e = inner or self._inner(row)
        needle = f' r="{_ref(row.number, col)}"'
        i = body.find(needle, hint, e)
        if i < 0 and hint > s:
            i = body.find(needle, s, e)
        tag = self.c_open
        after_tag = len(tag)
        while i >= 0:
            lt = body.rfind("<", s, i)
            if lt >= 0 and body.startswith(tag, lt) and body[lt + after_tag].isspace():
                m = self.pat["c"].match(body, lt, e)
                if m is None or m.end() <= i:
                    raise ValueError("malformed cell")
                attrs, gt_end = m.group(1), m.end()
                if m.group(2) == "/":
                    return _Cell(col, lt, gt_end, gt_end, attrs, True, True)
                end = body.index(self.c_close, gt_end, e) + len(self.c_close)
                return _Cell(col, lt, gt_end, end, attrs, False, True)
            i = body.find(needle, i + 1, e)  # the needle was text, not an attribute
        return None

    def _scan(self, body: str, row: _Row) -> list[_Cell]:
        """Every cell of a row, in order (columns of cells without ``r`` counted on)."""
        if row.start not in self._scanned:
            out, prev = [], 0
            for m, end in _elements(self.pat["c"], self.c_close, body, *self._inner(row)):
                attrs = m.group(1) or ""
                r = _CELL_R.search(attrs)
                prev = _key(r.group(1))[1] if r else prev + 1
                out.append(_Cell(prev, m.start(), m.end(), end, attrs, m.group(2) == "/", r is not None))
            self._scanned[row.start] = out
        return self._scanned[row.start]

    def _find(self, body: str, row: _Row, col: int) -> _Cell | None:
        return self._locate(body, row, col, row.tag_end) or next(
            (c for c in self._scan(body, row) if c.col == col), None)

    def _splice_rows(self, body: str, rows: list[_Row], edits: dict, col_styles: dict[int, str]) -> str:
        by_row: dict[int, dict[int, CellEdit]] = {}
        for (r, c), edit in edits.items():
            by_row.setdefault(r, {})[c] = edit
        by_number = {r.number: r for r in rows}
        numbers_ = [r.number for r in rows]
        parts, pos = [], 0
        for number in sorted(by_row):
            cells = by_row[number]
            if number in by_number:
                row = by_number[number]
                parts += [body[pos:row.start], self._patch_row(body, row, cells, col_styles)]
                pos = row.end
                continue
            cells_xml = "".join(self._cell(number, c, None, body, cells[c], col_styles.get(c))
                                for c in sorted(cells) if _has_content(cells[c]))
            if cells_xml:  # a new row goes before the first row with a larger number
                i = bisect.bisect_right(numbers_, number)
                at = max(rows[i].start if i < len(rows) else (rows[-1].end if rows else len(body)), pos)
                parts += [body[pos:at], f'<{self.p}row r="{number}">', cells_xml, self.row_close]
                pos = at
        return "".join(parts) + body[pos:]

    def _patch_row(self, body: str, row: _Row, edits: dict[int, CellEdit], col_styles: dict[int, str]) -> str:
        p = self.p
        segments = []  # (start, end, replacement), in body coordinates
        pending = edits
        inner_start, inner_end = self._inner(row)
        if not row.closed:  # fast path: find cells by their r (replacing one shifts no other)
            pending, hint, inner = {}, inner_start, (inner_start, inner_end)
            for col in sorted(edits):
                edit = edits[col]
                if edit.formula is KEEP_FORMULA:
                    fast = self._cached_fast(body, row.number, col, hint, inner_end, edit.value)
                    if fast is not None:
                        segments.append(fast)
                        hint = fast[1]
                        continue
                cell = self._locate(body, row, col, hint, inner)
                if cell is not None:
                    segments.append((cell.start, cell.end, self._cell(row.number, col, cell, body, edits[col], None)))
                    hint = cell.end
                elif _has_content(edits[col]):
                    pending[col] = edits[col]
        new_cols = []
        if pending:
            cells = self._scan(body, row)
            existing = {c.col: c for c in cells}
            for c in cells:  # inserting must not shift cells that have no r
                if not c.named and c.col not in pending:
                    close = "/>" if c.closed else ">"
                    segments.append((c.start, c.tag_end, f'<{p}c r="{_ref(row.number, c.col)}"{c.attrs}{close}'))
            row_attrs = _attrs(row.attrs)
            row_style = row_attrs.get("s") if row_attrs.get("customFormat") in ("1", "true") else None
            for col in sorted(pending):
                if col in existing:
                    cell = existing[col]
                    segments.append((cell.start, cell.end, self._cell(row.number, col, cell, body, pending[col], None)))
                elif _has_content(pending[col]):
                    at = next((c.start for c in cells if c.col > col), cells[-1].end if cells else inner_start)
                    style = row_style or col_styles.get(col)
                    segments.append((at, at, self._cell(row.number, col, None, body, pending[col], style)))
                    new_cols.append(col)
        segments.sort(key=lambda seg: (seg[0], seg[1]))  # stable: insertions keep column order
        out, pos = [], inner_start
        for start, end, text in segments:
            out += [body[pos:start], text]
            pos = end
        inner = "".join(out) + body[pos:inner_end]
        tag = body[row.start:row.tag_end]
        if new_cols:
            spans = [int(x) for x in re.findall(r"\d+", _attrs(row.attrs).get("spans", ""))]
            if spans and (min(new_cols) < min(spans) or max(new_cols) > max(spans)):
                new = f'spans="{min(spans + new_cols)}:{max(spans + new_cols)}"'
                tag = re.sub(r"""spans\s*=\s*("[^"]*"|'[^']*')""", new, tag, count=1)
        if row.closed:
            if not inner:
                return tag
            tag = tag[:-2].rstrip() + ">"
        return tag + inner + self.row_close

    def _cell(self, row: int, col: int, cell: _Cell | None, body: str, edit: CellEdit, style: str | None) -> str:
        """One cell's XML. An existing cell keeps its attributes except ``t`` and ``vm`` (and
        ``cm`` unless its formula is kept); a new one gets ``style``."""
        p = self.p
        formula = edit.formula
        keep = formula is KEEP_FORMULA
        formula_el = None
        if cell is not None:
            attrs = cell.attrs
            if "t=" in attrs or "vm=" in attrs or "cm=" in attrs:
                attrs = (_DROP_ATTRS_KEEP if keep else _DROP_ATTRS).sub("", attrs)
            if not cell.named:
                attrs = f' r="{_ref(row, col)}"' + attrs
            if not cell.closed:
                inner_end = cell.end - len(self.c_close)
                f_at = body.find(self.f_open, cell.tag_end, inner_end)
                if f_at >= 0:
                    f = self.pat["f"].match(body, f_at)
                    if f:
                        f_end = f.end() if f.group(2) == "/" else body.index(self.f_close, f.end(), inner_end) + len(self.f_close)
                        formula_el = body[f_at:f_end]
        else:
            attrs = f' r="{_ref(row, col)}"' + (f' s="{style}"' if style and style != "0" else "")
        if keep:
            body_f = formula_el
        elif formula is not None:
            text = formula[1:] if formula.startswith("=") else formula
            if not text or _FORMULA_ILLEGAL.search(text):
                raise EditError(f"invalid formula for {_ref(row, col)}: {formula!r}")
            body_f = f"<{p}f>{_to_raw(_escape(text))}</{p}f>"
        else:
            body_f = None
        if (formula_el is None) != (body_f is None):
            self.formulas_changed = True
        t, content = self._content(edit.value, body_f is not None, row, col)
        if body_f is None and not content:
            return f"<{p}c{attrs}/>"
        return f"<{p}c{attrs}{t}>{body_f or ''}{content}</{p}c>"

    def _content(self, value, has_formula: bool, row: int, col: int) -> tuple[str, str]:
        """A cell's ``t`` attribute text and its value element(s) for ``value``."""
        p = self.p
        kind = type(value)
        if kind is float:
            if value - value != 0:  # inf or nan
                raise EditError(f"cannot write {value!r} to cell {_ref(row, col)}")
            return "", f"<{p}v>{value!r}</{p}v>"
        if kind is int:
            return "", f"<{p}v>{value}</{p}v>"
        if value is None:
            return "", ""
        if kind is bool:
            return ' t="b"', f"<{p}v>{int(value)}</{p}v>"
        if isinstance(value, ErrorValue):
            return ' t="e"', f"<{p}v>{value}</{p}v>"
        if isinstance(value, str):
            text = _to_raw(escape_xstring(value))
            if has_formula:
                return ' t="str"', f"<{p}v>{text}</{p}v>"
            space = ' xml:space="preserve"' if value != value.strip() or "\n" in value or "\t" in value else ""
            return ' t="inlineStr"', f"<{p}is><{p}t{space}>{text}</{p}t></{p}is>"
        if isinstance(value, numbers.Real):
            return "", f"<{p}v>{_number(value, _ref(row, col))}</{p}v>"
        raise EditError(f"cannot write {type(value).__name__} to cell {_ref(row, col)}: {value!r}")

    def _cached_fast(self, body: str, row: int, col: int, hint: int, end: int, value):
        """(start, end, new text) for the common edit: a new cached value for an existing formula
        cell written the plain way (``r`` first, double quotes, ``<f>`` then ``<v>``); None for
        anything else, which the general path handles."""
        needle = f' r="{_ref(row, col)}"'
        i = body.find(needle, hint, end)
        start = i - len(self.c_open)
        if i < 0 or not body.startswith(self.c_open, start):
            return None
        m = self.pat["formula_cell"].match(body, start, end)
        if m is None:
            return None
        attrs, formula_el = m.group(1), m.group(2)
        if "t=" in attrs or "vm=" in attrs:
            attrs = _DROP_ATTRS_KEEP.sub("", attrs)
        t, content = self._content(value, True, row, col)
        return start, m.end(), f"{self.c_open}{attrs}{t}>{formula_el}{content}{self.c_close}"

    # shared formulas
    def _unshare(self, rows: list[_Row], body: str, edits: dict) -> None:
        """Before a shared formula's master cell is overwritten, give its group explicit formulas."""
        if "si=" not in body:
            return
        by_number = {r.number: r for r in rows}
        for (r, c), edit in list(edits.items()):
            if edit.formula is KEEP_FORMULA or r not in by_number:
                continue
            cell = self._find(body, by_number[r], c)
            if cell is None or cell.closed:
                continue
            f = self.pat["f"].search(body, cell.tag_end, cell.end)
            fattrs = _attrs(f.group(1)) if f else {}
            if f is None or f.group(2) == "/" or fattrs.get("t") != "shared" or "ref" not in fattrs:
                continue
            master = _unescape_xml(_from_raw(body[f.end():body.index(self.f_close, f.end(), cell.end)]))
            self._translate_group(body, fattrs.get("si", ""), _ref(r, c), master, edits)

    def _translate_group(self, body: str, si: str, master_ref: str, formula: str, edits: dict) -> None:
        from openpyxl.formula.translate import Translator

        dependent = re.compile(rf"<{re.escape(self.p)}f\s[^>]*\bsi=\"{re.escape(si)}\"[^>]*>")
        for m in dependent.finditer(body):
            if "ref=" in m.group(0):
                continue
            start = body.rfind(f"<{self.p}c", 0, m.start())
            c = self.pat["c"].match(body, start)
            r = _CELL_R.search(c.group(1) or "") if c else None
            if r is None:
                continue
            key = _key(r.group(1))
            if key in edits and edits[key].formula is not KEEP_FORMULA:
                continue  # the cell gets a formula or value of its own
            text = Translator("=" + formula, origin=master_ref).translate_formula(_ref(*key))[1:]
            if key in edits:  # its cached value is being updated
                edits[key] = CellEdit(edits[key].value, text)
            else:
                end = body.index(self.c_close, m.end()) + len(self.c_close)
                edits[key] = CellEdit(self._cached(_attrs(c.group(1)), body[c.end():end]), text)

    def _cached(self, cattrs: dict, cell_text: str):
        v = self.pat["v"].search(cell_text)
        if v is None:
            return None
        text = _unescape_xml(_from_raw(v.group(1)))
        t = cattrs.get("t", "n")
        if t == "b":
            return text == "1"
        if t == "e":
            return ErrorValue(text) if text in ErrorValue.CODES else text
        if t == "str":
            return unescape_ooxml(text)
        return _to_number(text)

    # styles and dimension
    def _col_styles(self, head: str) -> dict[int, str]:
        out = {}
        for m in self.pat["col"].finditer(head):
            a = _attrs(m.group(1))
            if a.get("style", "0") != "0" and "min" in a and "max" in a:
                for c in range(int(a["min"]), min(int(a["max"]), MAX_COLS) + 1):
                    out[c] = a["style"]
        return out

    def _grow_dimension(self, head: str) -> str:
        m = self.pat["dimension"].search(head)
        if m is None or self.bbox is None:
            return head
        try:
            corners = [_key(x) for x in m.group(1).split(":")]
        except ValueError:
            return head
        (r1, c1), (r2, c2) = corners[0], corners[-1]
        b = self.bbox
        new = (min(r1, b[0]), min(c1, b[1]), max(r2, b[2]), max(c2, b[3]))
        if new == (r1, c1, r2, c2):
            return head
        ref = range_ref(*(n - 1 for n in new))
        return head[:m.start(1)] + ref + head[m.end(1):]


def _has_content(edit: CellEdit) -> bool:
    return edit.value is not None or edit.formula is not None


def _unescape_xml(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def _to_number(text: str):
    text = text.strip()
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else float(text)


# -- the workbook --------------------------------------------------------------------------------
def _fail(path: Path, message: str, **where):
    raise InputError(Problem(message, file=str(path), **where))


def _decode(member: str, data: bytes, path: Path) -> str:
    """A UTF-8 part (what Excel and LibreOffice write) as *raw text* for splicing: one character
    per byte (Latin-1), so the markup is searched as fast as bytes and every byte we do not
    touch goes back as it was (``_encode``). Text put in goes through ``_to_raw``."""
    check_xml(member, data, path)
    decl = re.match(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=[\"']([^\"']+)", data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (decl and decl.group(1).lower() not in (b"utf-8", b"utf8")):
        _fail(path, MSG_ENCODING.format(member=member))
    if not data.isascii():
        try:
            data.decode("utf-8")  # refuse a broken part rather than pass its bytes on
        except UnicodeDecodeError:
            _fail(path, MSG_BAD_XML.format(member=member))
    return data.decode("latin-1")


def _encode(raw: str) -> bytes:
    """The bytes of raw text made by ``_decode``."""
    return raw.encode("latin-1")


def _to_raw(text: str) -> str:
    """Text (already XML-escaped) as raw text: its UTF-8 bytes, one character each."""
    return text if text.isascii() else text.encode("utf-8").decode("latin-1")


def _from_raw(raw: str) -> str:
    """Raw text back to text."""
    return raw if raw.isascii() else raw.encode("latin-1").decode("utf-8")


def _normalize(edits: dict) -> dict[str, dict[tuple[int, int], CellEdit]]:
    out = {}
    for sheet, cells in edits.items():
        norm: dict[tuple[int, int], CellEdit] = {}
        for ref, edit in cells.items():
            key = _key(ref)
            if key in norm:
                raise EditError(f"cell {ref} of {sheet!r} is edited twice")
            norm[key] = edit if isinstance(edit, CellEdit) else CellEdit(edit)
        out[sheet] = norm
    return out


_CALCPR_SUCCESSORS = ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                      "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")


def _full_calc_on_load(xml: str) -> str:
    """Set ``<calcPr fullCalcOnLoad="1"/>``, keeping calcPr's other attributes."""
    root = re.search(r"<(\w+:)?workbook[\s>]", xml)
    p = (root.group(1) or "") if root else ""
    m = _patterns(p)["calcPr"].search(xml)
    if m is None:
        names = "|".join(_CALCPR_SUCCESSORS)
        after = re.search(rf"<{re.escape(p)}(?:{names})[\s/>]|</{re.escape(p)}workbook>", xml)
        if after is None:
            return xml
        return xml[:after.start()] + f'<{p}calcPr fullCalcOnLoad="1"/>' + xml[after.start():]
    attrs = _attrs(m.group(1))
    if attrs.get("fullCalcOnLoad") in ("1", "true"):
        return xml
    if "fullCalcOnLoad" in attrs:
        tag = re.sub(r"""(\sfullCalcOnLoad\s*=\s*)("[^"]*"|'[^']*')""", r'\1"1"', m.group(0))
        return xml[:m.start()] + tag + xml[m.end():]
    at = m.end(1) if m.group(1) is not None else m.start() + len(f"<{p}calcPr")
    return xml[:at] + ' fullCalcOnLoad="1"' + xml[at:]


def _drop_calc_chain(package: Package, replaced: dict[str, bytes], removed: set[str]) -> None:
    """Remove xl/calcChain.xml, its relationship and its content-type override."""
    chain = package.member_of("/calcChain")
    if chain is None:
        return
    removed.add(chain)
    folder, name = package.workbook_member.rsplit("/", 1) if "/" in package.workbook_member else ("", package.workbook_member)
    rels = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    for member, pattern in (
            (rels, r"<(?:\w+:)?Relationship\s[^>]*?Type=\"[^\"]*/calcChain\"[^>]*?/>"),
            ("[Content_Types].xml", rf"<(?:\w+:)?Override\s[^>]*?PartName=\"/{re.escape(chain)}\"[^>]*?/>")):
        if member in package:
            text = replaced.get(member, package.read(member)).decode("utf-8")
            new = re.sub(pattern, "", text)
            if new != text:
                replaced[member] = new.encode("utf-8")


def patch_workbook(src: str | Path | Package, dst: str | Path | None = None,
                   edits: dict[str, dict[str, CellEdit | object]] | None = None, *,
                   append_rows: dict[str, list[list]] | None = None, full_calc_on_load: bool = True,
                   backup: bool = False) -> PatchResult:
    """Write ``edits`` (sheet → {``"C7"``: CellEdit or plain value}) into a copy of ``src`` at
    ``dst`` (default: ``src`` itself, in place), changing nothing else.

    ``append_rows`` (sheet → rows of values, from column A) adds rows after the sheet's last row
    that holds a value or formula (a log). With ``full_calc_on_load`` the workbook asks Excel and
    LibreOffice to recalculate on open. With ``backup`` a copy of the old ``dst`` goes to
    ``.excelkort/backup/`` first, but only when ``dst`` is really rewritten.

    The file is written atomically and only when its bytes change: re-running the same patch
    reports ``unchanged``. Any failure leaves ``src`` and ``dst`` as they were. Raises
    ``InputError`` for a file or sheet the user must fix, ``EditError`` for a bad edit.
    """
    src_path = src.path if isinstance(src, Package) else Path(src)
    dst = Path(dst) if dst is not None else src_path
    in_place = dst.resolve() == src_path.resolve()
    # reading a file that is open in Excel is harmless; writing one is not
    package = src if isinstance(src, Package) else open_package(src, allow_locked=not in_place)
    if (lock := lock_file_for(dst)) is not None:
        _fail(dst, locked_message(lock))
    normalized = _normalize(edits or {})
    append_rows = append_rows or {}
    replaced: dict[str, bytes] = {}
    removed: set[str] = set()
    appended: dict[str, list[int]] = {}
    formulas_changed = False
    for sheet in dict.fromkeys([*normalized, *append_rows]):
        member = package.sheet_member(sheet)
        data = package.read(member)
        patch = _SheetPatch(_decode(member, data, package.path), package, member, sheet)
        xml, rows = patch.apply(normalized.get(sheet, {}), append_rows.get(sheet))
        if sheet in append_rows:
            appended[sheet] = rows
        new = _encode(xml)
        if new != data:
            replaced[member] = new
        formulas_changed |= patch.formulas_changed
    if replaced:
        if full_calc_on_load:
            wb = package.workbook_member
            old = package.read(wb)
            new = _encode(_full_calc_on_load(_decode(wb, old, package.path)))
            if new != old:
                replaced[wb] = new
        if formulas_changed:
            _drop_calc_chain(package, replaced, removed)
    output = build_zip(package, replaced, removed) if replaced or removed else package.data
    changed = [m for m in package.members() if m in replaced or m in removed]
    current = dst.read_bytes() if dst.exists() else None
    if current == output:
        return PatchResult(dst, False, changed, appended)
    if in_place and current != package.data:
        _fail(dst, "Filen ble endret mens excelkort arbeidet med den. Prøv igjen.")
    # the old file is kept as a hard link: the write below renames a new file over ``dst``
    backup_path = backup_file(dst, link=True) if backup and current is not None else None
    try:
        write_bytes_atomic(dst, output, current=current)
    except BaseException:
        if backup_path is not None:  # nothing changed; the link must not outlive a failed write
            backup_path.unlink(missing_ok=True)
        raise
    return PatchResult(dst, True, changed, appended, backup_path)


# -- the zip ---------------------------------------------------------------------------------------
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s4B4H3L5H2L")
_END = struct.Struct("<4s4H2LH")


def _dos_time(date_time) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return h << 11 | mi << 5 | s // 2, (y - 1980) << 9 | mo << 5 | d


def _extra_fields(extra: bytes):
    """(header id, raw field) of each field of a zip extra block."""
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, i)
        yield tag, extra[i:i + 4 + size]
        i += 4 + size


def _strip_zip64(extra: bytes) -> bytes:
    return b"".join(field_ for tag, field_ in _extra_fields(extra) if tag != 0x0001)


def _raw_record(package: Package, info) -> bytes:
    """A member's local header, compressed data and data descriptor, exactly as in the source."""
    data, off = package.data, info.header_offset
    try:
        sig, *_x, name_len, extra_len = _LOCAL.unpack_from(data, off)
    except struct.error:
        sig = None
    if sig != b"PK\x03\x04":
        _fail(package.path, MSG_BAD_MEMBER.format(member=info.filename))
    extra_at = off + _LOCAL.size + name_len
    end = extra_at + extra_len + info.compress_size
    if info.flag_bits & 0x08:  # a data descriptor follows: [signature] crc, sizes (8 bytes each in zip64)
        zip64 = any(tag == 0x0001 for tag, _f in _extra_fields(data[extra_at:extra_at + extra_len]))
        end += (4 if data[end:end + 4] == b"PK\x07\x08" else 0) + (20 if zip64 else 12)
    return data[off:end]


def build_zip(package: Package, replaced: dict[str, bytes], removed: set[str] = frozenset()) -> bytes:
    """The package with some members' contents replaced (deflated) and some removed.

    Every other member's compressed bytes are copied as they are; order, names, dates, flags and
    attributes are kept, so the same inputs always give the same bytes.
    """
    out = io.BytesIO()
    central = []
    for info in package.infos():
        if info.filename in removed:
            continue
        offset = out.tell()
        name = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        dostime, dosdate = _dos_time(info.date_time)
        if info.filename in replaced:
            content = replaced[info.filename]
            compressed = deflate(content)
            crc, csize, usize = zlib.crc32(content), len(compressed), len(content)
            flags, method, needed = info.flag_bits & 0x800, ZIP_DEFLATED, 20
            out.write(_LOCAL.pack(b"PK\x03\x04", needed, flags, method, dostime, dosdate, crc, csize, usize,
                                  len(name), 0) + name + compressed)
        else:
            out.write(_raw_record(package, info))
            crc, csize, usize = info.CRC, info.compress_size, info.file_size
            flags, method, needed = info.flag_bits, info.compress_type, info.extract_version
        extra = _strip_zip64(info.extra)
        central.append(_CENTRAL.pack(
            b"PK\x01\x02", info.create_version, info.create_system, needed, info.reserved, flags,
            method, dostime, dosdate, crc, csize, usize, len(name), len(extra), len(info.comment),
            0, info.internal_attr, info.external_attr, offset) + name + extra + info.comment)
    start = out.tell()
    for record in central:
        out.write(record)
    comment = package.zip.comment
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start,
                        len(comment)) + comment)
    return out.getvalue()


# -- backups ---------------------------------------------------------------------------------------
def backup_file(path: str | Path, *, link: bool = False) -> Path:
    """Keep ``path`` as ``.excelkort/backup/<stem>.<YYYYmmdd-HHMMSS-ffffff><suffix>`` beside it.

    A copy, or with ``link`` a hard link where the file system allows (~0.5 ms faster). A link
    is only for a caller that surely renames a new file over ``path`` next (``patch_workbook``:
    its content differs, and a failed write removes the link), so that afterwards the old bytes
    live on only under the backup's name and later edits of the file cannot reach them.
    """
    path = Path(path)
    if not path.is_file():
        _fail(path, "Filen finnes ikke. Sjekk navnet og mappen.")
    folder = path.parent / BACKUP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now()
    while True:
        target = folder / f"{path.stem}.{stamp:%Y%m%d-%H%M%S-%f}{path.suffix}"
        if not target.exists():
            break
        stamp += timedelta(microseconds=1)
    tmp = folder / f".~{target.name}"
    linked = False
    if link:
        try:
            os.link(path, tmp)
            linked = True
        except OSError:  # a file system without hard links (some network shares): copy
            pass
    if not linked:
        shutil.copy2(path, tmp)
    os.replace(tmp, target)
    return target


def newest_backup(path: str | Path) -> Path | None:
    """The newest backup of ``path`` made by ``backup_file``, or None."""
    path = Path(path)
    folder = path.parent / BACKUP_DIR
    if not folder.is_dir():
        return None
    pattern = re.compile(re.escape(path.stem) + r"\.\d{8}-\d{6}-\d{6}" + re.escape(path.suffix))
    found = sorted(p.name for p in folder.iterdir() if pattern.fullmatch(p.name))
    return folder / found[-1] if found else None


# -- reading back ------------------------------------------------------------------------------------
def read_cells(source: str | Path | Package, sheet: str, refs=None) -> dict[str, object]:
    """Cell values of one sheet straight from its XML: ``{"C7": value}``.

    Numbers come back as int when written as integers, else float; text (shared or inline) as
    str; booleans as bool; errors as ``ErrorValue``; formula cells as their cached value. Without
    ``refs`` only cells holding a value are returned; with ``refs`` every asked ref is a key
    (None when empty).
    """
    from lxml import etree

    package = source if isinstance(source, Package) else open_package(source, allow_locked=True)
    root = package.xml(package.sheet_member(sheet))
    ns = etree.QName(root).namespace
    q = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)
    out: dict[str, object] = {}
    row_index = -1
    for row in root.iter(q("row")):
        r = row.get("r")
        row_index = int(r) - 1 if r else row_index + 1
        col = -1
        for c in row.iter(q("c")):
            r = c.get("r")
            col = parse_ref(r)[1] if r else col + 1
            value = _cell_value(c, q, package)
            if value is not None:
                out[cell_ref(row_index, col)] = value
    if refs is None:
        return out
    return {cell_ref(*parse_ref(r)): out.get(cell_ref(*parse_ref(r))) for r in refs}


def _cell_value(c, q, package: Package):
    t = c.get("t", "n")
    if t == "inlineStr":
        el = c.find(q("is"))
        return string_item_text(el) if el is not None else None
    v = c.find(q("v"))
    if v is None or v.text is None:
        return "" if v is not None and t == "str" else None
    text = v.text
    if t == "s":
        return package.shared_strings()[int(text)]
    if t == "b":
        return text.strip() == "1"
    if t == "e":
        return ErrorValue(text) if text in ErrorValue.CODES else text
    if t in ("str", "d"):
        return unescape_ooxml(text)
    return _to_number(text)
