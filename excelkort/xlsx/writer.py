"""One base for the new workbooks excelkort writes with XlsxWriter (SPEC §5): the målekort
(``scorecard.writer``), the tiltaksplan (``actionplan.writer``) and the control workbook.

They share the house look and settings, declared once here:
- ``new_workbook``: text stays text (XlsxWriter guesses no numbers, formulas or links in
  strings), and the document date comes from the period, not the clock, so a re-run writes
  the same bytes;
- ``Formats``: the house font, the title and header-row formats, and cached variants; the
  colours (header blue, input yellow, the status fills and fonts) and the light cell grid;
- ``print_setup``: landscape, the header row repeated on every page; one page wide, or for a
  wide table at a readable scale over several pages with its key columns repeated;
- ``ClassicFormulaWorksheet`` for sheets full of formulas (below);
- ``without_cyclic_gc`` around the writing of a big workbook.

Users' own files are never written with XlsxWriter; they are patched (``workbookpatch``).
"""
from __future__ import annotations

import datetime as dt
import gc
from contextlib import contextmanager
from functools import lru_cache
from itertools import count

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (CellBlankTuple, CellBooleanTuple, CellFormulaTuple, CellNumberTuple,
                                  CellStringTuple, Worksheet)

from .xmltext import escape_text, looks_like_formula

HEADER_FILL = "#1F4E79"
INPUT_FILL = "#FFF2CC"
GREEN_FILL, YELLOW_FILL, RED_FILL, GREY_FILL = "#C6EFCE", "#FFEB9C", "#FFC7CE", "#D9D9D9"
GREEN_FONT, YELLOW_FONT, RED_FONT, GREY_FONT = "#006100", "#7F6000", "#9C0006", "#404040"

FONT = {"font_name": "Calibri", "font_size": 10}
TITLE = {"bold": True, "font_size": 16, "font_color": HEADER_FILL}
HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_FILL, "text_wrap": True, "border": 1}
GRID = {"border": 1, "border_color": "#BFBFBF"}  # the light border of table cells
INPUT = {"locked": False, "bg_color": INPUT_FILL}  # a cell the user types in (unlocked, yellow)

#: text stays text; the parts are assembled in memory (XlsxWriter's default writes each part to
#: a temp file and removes it: a fifth of the time of a consolidated workbook)
WORKBOOK_OPTIONS = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
                    "in_memory": True}
A4, A3 = 9, 8  # XlsxWriter's paper codes
#: the print scale of a table too wide for one page: 10 pt text prints at 8 pt
READABLE_SCALE = 80


def period_datetime(period: str) -> dt.datetime:
    """Document dates come from the period (``YYYY-MM``), not the clock (re-runs are byte-identical)."""
    return dt.datetime(int(period[:4]), int(period[5:7]), 1, 12, 0, 0)


def new_workbook(filename, title: str, period: str) -> xlsxwriter.Workbook:
    """An XlsxWriter workbook with excelkort's options, titled ``title``, authored «excelkort»
    and dated by ``period``; ``filename`` is a path or a binary file object (``io.BytesIO``)."""
    wb = xlsxwriter.Workbook(filename, WORKBOOK_OPTIONS)
    wb.set_properties({"title": title, "author": "excelkort", "created": period_datetime(period)})
    return wb


@contextmanager
def without_cyclic_gc():
    """Python's cyclic garbage collector paused meanwhile: a workbook being written piles up
    some 10⁵ cell tuples that are never cyclic garbage, and the collections they set off cost
    an eighth of the time of writing a consolidated målekort."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def print_setup(ws, repeat_row: int | None = None, *, narrow_margins: bool = False,
                paper: int = A4, repeat_columns: tuple[int, int] | None = None,
                column_breaks: tuple[int, ...] = (), scale: int = READABLE_SCALE) -> None:
    """Landscape on ``paper``; ``repeat_row`` (0-based) printed on top of every page; with
    ``narrow_margins`` 0.4″ all round.

    A table is printed one page wide, unless ``repeat_columns`` (first, last) is given: then it
    prints at ``scale`` per cent over as many pages as it needs, across before down, those
    columns on every page and a new page before each of ``column_breaks``. Fitting a wide table
    to one page shrinks its text below what a reader can read (a målekort to 4.7 pt on A4).
    """
    ws.set_landscape()
    ws.set_paper(paper)
    if repeat_columns is None:
        ws.fit_to_pages(1, 0)
    else:
        ws.set_print_scale(scale)
        ws.repeat_columns(*repeat_columns)
        ws.print_across()
        if column_breaks:
            ws.set_v_pagebreaks(list(column_breaks))
    if repeat_row is not None:
        ws.repeat_rows(repeat_row)
    if narrow_margins:
        ws.set_margins(left=0.4, right=0.4, top=0.4, bottom=0.4)


class Formats:
    """A workbook's cell formats on the house font: ``title``, ``header`` and what a writer adds.

    ``valign`` is the vertical alignment of every format (``vcenter`` for tables of numbers,
    ``top`` for tables of text); ``header`` is added to the header-row format (e.g. centred).
    A subclass makes its variants once each with ``add`` and keeps them in ``self._cache``.
    """

    def __init__(self, wb: xlsxwriter.Workbook, *, valign: str = "vcenter", header: dict | None = None):
        self.wb = wb
        self.base = {**FONT, "valign": valign}
        self._cache: dict = {}
        self._props: dict[int, dict] = {}  # id(format) → its properties, for its quoted twin
        self._quoted: dict[int, object] = {}
        self.title = self.add(**TITLE)
        self.header = self.add(**{**HEADER, **(header or {})})

    def add(self, **spec):
        """A new format: the base (font, alignment) with ``spec`` on top."""
        props = {**self.base, **spec}
        fmt = self.wb.add_format(props)
        self._props[id(fmt)] = props
        return fmt

    def write_text(self, ws, row: int, col: int, text: str, fmt=None) -> None:
        """Text that stays text (see ``for_text``)."""
        ws.write_string(row, col, text, self.for_text(text, fmt))

    def for_text(self, text: str, fmt=None):
        """The format for writing ``text``: ``fmt``, or for text Excel would make a formula when
        the cell is edited (``=``, ``+``, ``-``, ``@``) its twin with Excel's quote prefix (the
        mark Excel itself sets for «'=abc»; it is not part of the value)."""
        return self.quoted(fmt) if looks_like_formula(text) else fmt

    def quoted(self, fmt):
        """``fmt``'s twin with Excel's quote prefix (made once)."""
        key = id(fmt)
        if key not in self._quoted:
            props = self._props[key] if fmt is not None else self.base
            self._quoted[key] = self.wb.add_format({**props, "quote_prefix": True})
        return self._quoted[key]


class ClassicFormulaWorksheet(Worksheet):
    """The worksheet of the målekort's and consolidated workbooks' sheets: its formulas use only
    classic functions (Excel 2016 / LibreOffice 7.4; see
    ``test_formulas_use_only_classic_functions``): ``wb.add_worksheet(name,
    worksheet_class=ClassicFormulaWorksheet)``. It writes the bytes XlsxWriter writes, faster:

    - XlsxWriter runs some thirty regex rewrites over every formula for dynamic-array functions
      (``FILTER`` → ``_xlfn._xlws.FILTER``); for our formulas they change nothing and cost half
      the time of writing a målekort (87 against 191 ms a workbook in ``benchmarks``). XlsxWriter
      has no public switch for them (``use_future_functions`` only adds rewrites), so this
      overrides its private ``_prepare_formula(formula, expand_future_functions=False)``, which
      also sees conditional-format formulas; nor does it search each formula for them
      (``_write_formula``);
    - ``write_values`` stores a table row's cells in one call;
    - ``_write_rows`` (the sheet's cells as XML) visits only the rows and cells that exist, and
      writes the common cells straight, without XlsxWriter's generic attribute escaping;
    - once its XML is written, the sheet no longer holds on to its workbook (below).

    These override private methods, so pyproject.toml pins XlsxWriter to the versions tested
    (3.3.1; ``test_committed_templates_are_up_to_date`` and ``tests/test_xlsx_writer.py`` fail on
    any version that writes other bytes, and are the check before widening the pin).
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        """XlsxWriter's, without the rewrites: an array formula's braces and the = taken off."""
        if formula.startswith("{"):
            formula = formula[1:]
        if formula.startswith("="):
            formula = formula[1:]
        return formula[:-1] if formula.endswith("}") else formula

    def _write_formula(self, row: int, col: int, formula: str, cell_format=None, value=0):
        """XlsxWriter's ``write_formula`` without its search for dynamic-array functions (a
        regex of some fifty names, 5 µs a formula: a tenth of writing a consolidated målekort),
        which classic formulas never hold; an empty or array formula goes to XlsxWriter's."""
        if not formula or formula[0] == "{" or self.constant_memory:
            return super()._write_formula(row, col, formula, cell_format, value)
        if self._check_dimensions(row, col):
            return -1
        self.table[row][col] = _new(CellFormulaTuple, (self._prepare_formula(formula), cell_format, value))
        return 0

    def _assemble_xml_file(self) -> None:
        """The sheet's XML, as the workbook is closed; then the sheet lets go of the workbook's
        ``add_format`` (it makes no more formats), the one reference cycle between a workbook and
        its sheets: the closed workbook and its cells are freed as soon as the caller drops it,
        not left to the garbage collector, which would walk every cell."""
        super()._assemble_xml_file()
        self.workbook_add_format = None

    def write_values(self, row: int, col: int, values, formats, quoted=None) -> None:
        """``values`` from (row, col) rightwards, each with its format in ``formats``: what
        ``write_blank`` (None or ""), ``write_boolean``, ``write_number`` (int, float) and
        ``write_string`` (any other value, as its text) store, in one call instead of one per
        cell. Text that Excel would make a formula when the cell is edited takes the format
        ``quoted(format)`` (``Formats.quoted``) where ``quoted`` is given."""
        last = col + len(values) - 1
        if self.constant_memory or min(row, col) < 0 or row >= self.xls_rowmax or last >= self.xls_colmax:
            for c, value, fmt in zip(count(col), values, formats):  # XlsxWriter's checks
                self.write_value(row, c, value, fmt, quoted)
            return
        cells, longest = self.table[row], self.xls_strmax // 2
        shared = self.str_table._get_shared_string_index
        written = []
        for c, value, fmt in zip(count(col), values, formats):
            kind = value.__class__
            if kind is str and 0 < len(value) <= longest:
                if quoted is not None and looks_like_formula(value):
                    fmt = quoted(fmt)
                cells[c] = _new(CellStringTuple, (shared(value), fmt))
            elif kind is int or (kind is float and value - value == 0):  # not NaN, ±inf
                cells[c] = _new(CellNumberTuple, (value, fmt))
            elif (value is None or value == "") and fmt is not None:
                cells[c] = _new(CellBlankTuple, (fmt,))
            else:  # the rest (a bool, long text, …) as XlsxWriter's write_* methods store it
                self.write_value(row, c, value, fmt, quoted)
                continue
            written.append(c)
        if written:
            self._check_dimensions(row, written[0])
            self._check_dimensions(row, written[-1])

    def write_value(self, row: int, col: int, value, fmt, quoted=None) -> None:
        """One cell as ``write_values`` stores it, through XlsxWriter's own methods."""
        if value is None or value == "":
            self.write_blank(row, col, None, fmt)
        elif isinstance(value, bool):
            self.write_boolean(row, col, value, fmt)
        elif isinstance(value, (int, float)):
            self.write_number(row, col, value, fmt)
        else:
            text = str(value)
            self.write_string(row, col, text, quoted(fmt) if quoted and looks_like_formula(text) else fmt)

    def _write_rows(self) -> None:
        """XlsxWriter's <row> and <c> elements of the sheet (spans, row attributes, cell styles
        from the cell, its row or its column), over the rows and cells that exist rather than
        every row and column of the sheet's extent (every cell, comment and row set lies within
        it: XlsxWriter's ``_check_dimensions`` stretched it over each)."""
        self.row_spans = self._spans()
        rows = {r for r, cells in self.table.items() if cells}.union(self.row_info, self.comments)
        column_formats = {c: info.column_format for c, info in self.col_info.items()
                          if info.column_format is not None}
        styles: dict = {}
        letters = _column_letters(self.dim_colmax)
        # a row with nothing set (height, format …) is <row r=… spans=…>, unless every row has
        # a height of its own or Excel 2010's attribute
        plain = self.default_row_height == self.original_row_height and self.excel_version != 2010
        for row in sorted(rows):
            info, span = self.row_info.get(row), self.row_spans.get(row // 16)
            cells = self.table.get(row)
            if not cells:
                self._write_empty_row(row, span, info)
                continue
            number = str(row + 1)
            if info is None and plain:
                out = [f'<row r="{number}" spans="{span}">' if span else f'<row r="{number}">']
            else:
                self._write_row(row, span, info)
                out = []
            row_format = info.row_format if info is not None else None
            for col in sorted(cells):
                cell = cells[col]
                fmt = cell.format or row_format or column_formats.get(col)
                style = styles.get(fmt)
                if style is None:
                    style = styles[fmt] = "" if fmt is None else f' s="{fmt._get_xf_index()}"'
                kind = cell.__class__
                if kind is CellStringTuple:
                    out.append(f'<c r="{letters[col]}{number}"{style} t="s"><v>{cell[0]}</v></c>')
                elif kind is CellNumberTuple:
                    out.append(f'<c r="{letters[col]}{number}"{style}><v>{cell[0]:.16G}</v></c>')
                elif kind is CellBlankTuple:
                    out.append(f'<c r="{letters[col]}{number}"{style}/>')
                elif kind is CellFormulaTuple:
                    out.append(self._formula_xml(letters[col] + number, style, cell))
                elif kind is CellBooleanTuple:
                    out.append(f'<c r="{letters[col]}{number}"{style} t="b"><v>{cell[0]}</v></c>')
                else:  # a kind of cell XlsxWriter writes itself
                    self.fh.write("".join(out))
                    out.clear()
                    super()._write_cell(row, col, cell)
            out.append("</row>")
            self.fh.write("".join(out))

    @staticmethod
    def _formula_xml(ref: str, style: str, cell) -> str:
        """A formula cell with its cached value, as XlsxWriter writes it."""
        value, kind = cell.value, ""
        if isinstance(value, bool):
            value, kind = int(value), ' t="b"'
        elif isinstance(value, str):
            if value:
                kind = ' t="e"' if value in _ERROR_CODES else ' t="str"'
            value = escape_text(value)
        return f'<c r="{ref}"{style}{kind}><f>{_formula_text(cell.formula)}</f><v>{value}</v></c>'

    def _spans(self) -> dict[int, str]:
        """XlsxWriter's ``spans`` attribute of the rows, per block of 16 rows: the first and last
        column (1-based) with a cell or a comment in the block."""
        bounds: dict[int, tuple[int, int]] = {}
        for source in (self.table, self.comments):
            for row, cells in source.items():
                if cells:
                    low, high = min(cells), max(cells)
                    known = bounds.get(row // 16)
                    if known is not None:
                        low, high = min(low, known[0]), max(high, known[1])
                    bounds[row // 16] = (low, high)
        return {block: f"{low + 1}:{high + 1}" for block, (low, high) in bounds.items()}


_new = tuple.__new__  # a cell's named tuple without its Python-level constructor
#: a formula's text in the XML, remembered: the same formulas come in every workbook of a run
_formula_text = lru_cache(maxsize=8192)(escape_text)
_ERROR_CODES = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))
_LETTERS: list[str] = []


def _column_letters(last: int) -> list[str]:
    """The letters of columns 0 … ``last`` (and maybe more), by column: A, B, …"""
    while len(_LETTERS) <= last:
        _LETTERS.append(xl_col_to_name(len(_LETTERS)))
    return _LETTERS
