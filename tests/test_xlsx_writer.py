"""The XlsxWriter base: the formula short-cut, the row writer and the sheet-data writer of
``ClassicFormulaWorksheet`` write what XlsxWriter itself writes."""
from __future__ import annotations

import datetime as dt
import gc
import io
import weakref
import zipfile

import pytest

from hypothesis import given, settings, strategies as st

from excelkort.scorecard.rowmodel import Positions, compute_row
from excelkort.xlsx.writer import (ClassicFormulaWorksheet, Formats, new_workbook, print_setup,
                                   without_cyclic_gc)
from scorecard_files import CATALOGUE


def _scorecard_formulas() -> list[str]:
    """Every formula of a målekort row, for each kind of indicator in the default catalogue."""
    from excelkort.scorecard import layout as L
    from excelkort.scorecard.writer import ScorecardContent

    content = ScorecardContent("0101", "NAV Test", "2026-10", CATALOGUE)
    cols = {label: i for i, label in enumerate(L.SCORECARD_LABELS)}
    cols.update({label: L.FIRST_HELPER_COL + i for i, label in enumerate(L.HELPER_LABELS)})
    data_cols = {label: i for i, label in enumerate(L.DATA_LABELS)}
    out = []
    for i, ind in enumerate(CATALOGUE):
        cells, _ = compute_row(content.row_inputs(ind), Positions(cols, data_cols, 7 + i, 1 + i), 10)
        out += ["=" + c.formula for c in cells.values() if c.formula is not None]
    return out


def _sheet_xml(path, worksheet_class=None) -> bytes:
    wb = new_workbook(str(path), "Prøve", "2026-10")
    ws = wb.add_worksheet("Ark", worksheet_class=worksheet_class)
    for row, formula in enumerate(_scorecard_formulas()):
        ws.write_formula(row, 0, formula, None, 0)
    ws.write_formula(0, 9, "{=SUM(B1:B2*C1:C2)}", None, 3)  # an array formula: XlsxWriter's own
    fmt = Formats(wb)
    ws.conditional_format(0, 1, 9, 1, {"type": "formula", "criteria": '=$A1="grønn"',
                                       "format": fmt.add(bold=True)})
    # the plain cells the fast path writes, beside formats from a row, a column or none
    ws.set_row(3, None, fmt.add(italic=True))
    ws.set_column(4, 4, 12, fmt.add(bold=True))
    for row, value in enumerate((1, 2.5, 1e-20, -0.1 + 0.3, "tekst & <mer>", "", None, True)):
        for col in (1, 4):
            cell_format = fmt.header if row % 2 else None
            if value is None or value == "":
                ws.write_blank(row, col, value, cell_format)
            elif isinstance(value, bool):
                ws.write_boolean(row, col, value, cell_format)
            elif isinstance(value, str):
                ws.write_string(row, col, value, cell_format)
            else:
                ws.write_number(row, col, value, cell_format)
    print_setup(ws, 0, narrow_margins=True)
    wb.close()
    return zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")


def test_classic_formula_worksheet_writes_what_xlsxwriter_writes(tmp_path):
    assert len(_scorecard_formulas()) > 100
    plain = _sheet_xml(tmp_path / "vanlig.xlsx")
    assert _sheet_xml(tmp_path / "rask.xlsx", ClassicFormulaWorksheet) == plain
    assert b'<pageSetup paperSize="9" fitToHeight="0" orientation="landscape"/>' in plain
    assert b'<pageMargins left="0.4" right="0.4" top="0.4" bottom="0.4"' in plain


def test_a_wide_table_prints_at_a_readable_scale_over_pages(tmp_path):
    """With repeated columns: a fixed scale (not fit to one page), across then down, the key
    columns on every page and a page break where asked."""
    path = tmp_path / "bred.xlsx"
    wb = new_workbook(str(path), "Prøve", "2026-10")
    ws = wb.add_worksheet("Ark")
    ws.write_string(0, 0, "ID")
    print_setup(ws, 0, repeat_columns=(0, 1), column_breaks=(17,), scale=75)
    wb.close()
    with zipfile.ZipFile(path) as z:
        sheet, book = z.read("xl/worksheets/sheet1.xml"), z.read("xl/workbook.xml")
    assert b'<pageSetup paperSize="9" scale="75" pageOrder="overThenDown" orientation="landscape"/>' in sheet
    assert b"fitToPage" not in sheet
    assert b'<colBreaks count="1" manualBreakCount="1"><brk id="17" max="1048575" man="1"/></colBreaks>' in sheet
    assert b"Ark!$A:$B,Ark!$1:$1</definedName>" in book


#: a cell value of a table row: every kind ``write_values`` stores, text Excel would take for
#: a formula, text over XlsxWriter's short-text limit, XML's special characters
VALUES = st.one_of(st.none(), st.just(""), st.booleans(), st.integers(-10**15, 10**15),
                   st.floats(allow_nan=False, allow_infinity=False),
                   st.text("ab=+-@ &<>\"_x0\n", max_size=6), st.just("x" * 20000))
ROWS = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 20),
                          st.lists(st.tuples(VALUES, st.integers(0, 3)), max_size=8)), max_size=12)


def _table_book(rows, fast: bool, row_height: float | None = None) -> dict[str, bytes]:
    """A workbook of ``rows`` (row, first column, (value, format number) pairs) written with
    ``write_values`` (``fast``) or cell by cell with XlsxWriter's own methods, beside formulas,
    a comment, a date, row and column formats and a row with only a height (and every row
    ``row_height`` tall, when given); its parts."""
    buffer = io.BytesIO()
    wb = new_workbook(buffer, "Prøve", "2026-10")
    ws = wb.add_worksheet("Ark", worksheet_class=ClassicFormulaWorksheet if fast else None)
    fm = Formats(wb)
    formats = [None, fm.header, fm.add(italic=True), fm.add(num_format="0.0")]
    if row_height is not None:
        ws.set_default_row(row_height)
    ws.set_row(5, None, fm.add(bold=True))
    ws.set_row(33, 30)
    ws.set_column(3, 3, 12, fm.add(font_color="#FF0000"))
    for row, col, cells in rows:
        values, fmts = [v for v, _ in cells], [formats[f] for _, f in cells]
        if fast:
            ws.write_values(row, col, values, fmts, fm.quoted)
            continue
        for c, (value, fmt) in enumerate(zip(values, fmts), start=col):
            if value is None or value == "":
                ws.write_blank(row, c, None, fmt)
            elif isinstance(value, bool):
                ws.write_boolean(row, c, value, fmt)
            elif isinstance(value, (int, float)):
                ws.write_number(row, c, value, fmt)
            else:
                fm.write_text(ws, row, c, value, fmt)
    ws.write_formula(50, 1, "=A1+1", None, 2)
    ws.write_formula(50, 2, "=A1>1", fm.header, True)
    ws.write_formula(50, 3, '=IF(A1<0,"<0","")', None, "<0")
    ws.write_formula(50, 4, "=1/0", None, "#DIV/0!")
    ws.write_comment(52, 6, "Merknad")
    ws.write_datetime(53, 0, dt.datetime(2026, 10, 1), fm.add(num_format="yyyy-mm-dd"))
    wb.close()
    with zipfile.ZipFile(buffer) as z:
        return {name: z.read(name) for name in z.namelist()}


@settings(max_examples=60, deadline=None)
@given(ROWS, st.sampled_from([None, 15, 24]))
def test_write_values_and_the_sheet_data_are_what_xlsxwriter_writes(rows, row_height):
    """A table written row by row with ``write_values`` into a ``ClassicFormulaWorksheet``
    gives the bytes of the same cells written one by one into XlsxWriter's own worksheet."""
    assert _table_book(rows, True, row_height) == _table_book(rows, False, row_height)


def test_the_garbage_collector_is_back_as_it_was_after_writing():
    """Paused while a workbook is written, also when the writing fails; left off if it was."""
    with pytest.raises(OSError), without_cyclic_gc():
        assert not gc.isenabled()
        raise OSError("disken er full")
    assert gc.isenabled()
    gc.disable()
    try:
        with without_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_closed_workbook_is_freed_without_the_garbage_collector():
    """Its sheets let go of it once written: no reference cycle leaves its cells to the
    garbage collector."""
    with without_cyclic_gc():
        wb = new_workbook(io.BytesIO(), "Prøve", "2026-10")
        ws = wb.add_worksheet("Ark", worksheet_class=ClassicFormulaWorksheet)
        ws.write_values(0, 0, [1, "tekst"], [None, None])
        wb.close()
        gone = weakref.ref(wb)
        del wb, ws
        assert gone() is None
