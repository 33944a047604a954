"""Row heights for rows excelkort writes text into: estimated from the columns' widths, set in
the row's ``ht`` without touching a height a person set (``xlsx/rowheight.py``)."""
from __future__ import annotations

import pytest

from excelkort.xlsx.rowheight import LINE_HEIGHT, set_row_heights, wrapped_height

SHEET = ('<worksheet xmlns="main"><sheetData>{rows}</sheetData></worksheet>')


@pytest.mark.parametrize("texts, lines", [
    ({}, 1),
    ({2: "Hittil i år 90"}, 1),
    ({2: "Hittil i år 79,7 % mot mål 80 %; Risiko høy"}, 2),  # 43 characters in width 28
    ({1: "x" * 50, 2: "y" * 71}, 3),  # the cell that needs most lines decides
    ({2: "første linje\nandre\ntredje"}, 3),  # line breaks typed in the cell
    ({9: "a column without a width is not counted " * 5}, 1),
])
def test_the_height_is_the_most_lines_any_cell_needs(texts, lines):
    assert wrapped_height(texts, {1: 40, 2: 28}) == LINE_HEIGHT * lines


@pytest.mark.parametrize("row, expected", [
    ('<row r="5"><c r="A5"/></row>', '<row r="5" ht="30"><c r="A5"/></row>'),  # no height yet
    ('<row r="5" spans="1:13" ht="20"><c r="A5"/></row>',
     '<row r="5" spans="1:13" ht="30"><c r="A5"/></row>'),  # too low: raised
    ('<row r="5" ht="45"><c r="A5"/></row>', '<row r="5" ht="45"><c r="A5"/></row>'),  # higher: kept
    ('<row r="5" ht="12" customHeight="1"><c r="A5"/></row>',
     '<row r="5" ht="12" customHeight="1"><c r="A5"/></row>'),  # a person's own height: kept
    ('<row r="6"><c r="A6"/></row>', '<row r="6"><c r="A6"/></row>'),  # not asked for
    ('<row r="55"><c r="A55"/></row>', '<row r="55"><c r="A55"/></row>'),  # 5 is not 55
])
def test_a_row_is_made_high_enough_and_nothing_else_changes(row, expected):
    assert set_row_heights(SHEET.format(rows=row), {5: 30.0}) == SHEET.format(rows=expected)


def test_one_line_asks_for_nothing_and_a_prefixed_sheet_is_followed():
    xml = '<x:worksheet xmlns:x="main"><x:sheetData><x:row r="2"/></x:sheetData></x:worksheet>'
    assert set_row_heights(xml, {2: LINE_HEIGHT}) == xml
    assert '<x:row r="2" ht="45"/>' in set_row_heights(xml, {2: 45.0})
