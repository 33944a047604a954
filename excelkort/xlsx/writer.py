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
- ``ClassicFormulaWorksheet`` for sheets full of formulas (below).

Users' own files are never written with XlsxWriter; they are patched (``workbookpatch``).
"""
from __future__ import annotations

import datetime as dt

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import Worksheet

from .xmltext import looks_like_formula

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
        if not looks_like_formula(text):
            return fmt
        key = id(fmt)
        if key not in self._quoted:
            props = self._props[key] if fmt is not None else self.base
            self._quoted[key] = self.wb.add_format({**props, "quote_prefix": True})
        return self._quoted[key]


class ClassicFormulaWorksheet(Worksheet):
    """The worksheet of the målekort's and consolidated workbooks' sheets: its formulas use only
    classic functions (Excel 2016 / LibreOffice 7.4; see
    ``test_formulas_use_only_classic_functions``): ``wb.add_worksheet(name,
    worksheet_class=ClassicFormulaWorksheet)``.

    XlsxWriter runs some thirty regex rewrites over every formula for dynamic-array functions
    (``FILTER`` → ``_xlfn._xlws.FILTER``); for our formulas they change nothing and cost half
    the time of writing a målekort (87 against 191 ms a workbook in ``benchmarks``). XlsxWriter
    has no public switch for them (``use_future_functions`` only adds rewrites), so this
    overrides its private ``_prepare_formula(formula, expand_future_functions=False)``, which
    also sees conditional-format formulas. pyproject.toml therefore pins XlsxWriter to the
    versions tested (3.3.1; ``test_committed_templates_are_up_to_date`` fails on any version
    that writes other bytes, and is the check before widening the pin).
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        return formula[1:] if formula.startswith("=") else formula

    def _write_cell(self, row: int, col: int, cell) -> None:
        """XlsxWriter's innermost loop, for the common cells of our tables (a number, a shared
        string or a blank, each with its format) written straight, without its generic
        attribute escaping (a reference and a style index need none); the same bytes."""
        kind, fmt = cell.__class__.__name__, cell.format
        if fmt is None or kind not in _PLAIN_CELLS:
            super()._write_cell(row, col, cell)
            return
        head = f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{fmt._get_xf_index()}"'
        if kind == "Number":
            self.fh.write(f"{head}><v>{cell.number:.16G}</v></c>")
        elif kind == "String":
            self.fh.write(f'{head} t="s"><v>{cell.string}</v></c>')
        else:
            self.fh.write(f"{head}/>")


_PLAIN_CELLS = frozenset(("Number", "String", "Blank"))
