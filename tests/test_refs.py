"""A1 references: one convention (rows and columns from 0), as XlsxWriter's utility.py."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

from excelkort.xlsx.refs import MAX_COLS, MAX_ROWS, cell_ref, column_letter, parse_ref, range_ref


@pytest.mark.parametrize("col, letters", [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA"),
                                          (MAX_COLS - 1, "XFD")])
def test_column_letters(col, letters):
    assert column_letter(col) == letters


def test_cell_and_range_refs():
    assert cell_ref(6, 2) == "C7"
    assert cell_ref(6, 2, abs_col=True) == "$C7"
    assert cell_ref(6, 2, abs_row=True, abs_col=True) == "$C$7"
    assert range_ref(1, 5, 4, 16) == "F2:Q5"
    assert range_ref(3, 3, 3, 3) == "D4"


@pytest.mark.parametrize("text, expected", [("C7", (6, 2)), ("$C$7", (6, 2)), (" c7 ", (6, 2)),
                                            ("XFD1048576", (MAX_ROWS - 1, MAX_COLS - 1))])
def test_parse_ref(text, expected):
    assert parse_ref(text) == expected


@pytest.mark.parametrize("text", ["", "7C", "C0", "XFE1", "A1048577", "A1:B2", "#REF!", "C-7"])
def test_parse_ref_refuses_what_is_not_one_cell(text):
    with pytest.raises(ValueError):
        parse_ref(text)


@given(st.integers(0, MAX_ROWS - 1), st.integers(0, MAX_COLS - 1))
def test_round_trip_and_agreement_with_xlsxwriter(row, col):
    assert parse_ref(cell_ref(row, col)) == (row, col)
    assert cell_ref(row, col) == xl_rowcol_to_cell(row, col)
    assert xl_cell_to_rowcol(cell_ref(row, col)) == (row, col)
