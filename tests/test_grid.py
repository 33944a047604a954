"""The bound on a sheet's extent (xlsx/grid.py): the one-scan fast path never lets through a
sheet that the exact walk refuses, whatever the cell tags look like."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from excelkort.errors import InputError
from excelkort.xlsx import grid
from excelkort.xlsx.refs import cell_ref
from excelkort.xlsx.sheetshape import sheet_shape

TAGS = ('<c r="{ref}"><v>1</v></c>', '<c r="{ref}" s="2"><v>1</v></c>', '<c r="{ref}" s="2"/>',
        '<c s="2" r="{ref}"><v>1</v></c>', '<x:c r="{ref}"><x:v>1</x:v></x:c>', '<c><v>1</v></c>',
        '<c\nr="{ref}"><v>1</v></c>', '<c r="{ref}" t="s"><v>0</v></c>')


def _sheet(cells) -> bytes:
    body = "".join(TAGS[tag].format(ref=cell_ref(row, col)) for row, col, tag in cells)
    return f'<worksheet><cols><col min="1" max="3"/></cols><sheetData><row r="1">{body}</row></sheetData></worksheet>'.encode()


def _refused(xml: bytes, limits) -> bool:
    try:
        grid.check_extent(xml, "x.xlsx", "Data", limits)
    except InputError:
        return True
    return False


cells = st.lists(st.tuples(st.integers(0, 1_100_000), st.integers(0, 16_383), st.integers(0, len(TAGS) - 1)),
                 max_size=6)


@settings(max_examples=300, deadline=None)
@given(cells=cells, limits=st.sampled_from([grid.WORKBOOK, grid.TABLE, grid.EXTRACT]))
def test_the_fast_check_refuses_exactly_what_the_walk_refuses(cells, limits):
    xml = _sheet(cells)
    rows, cols = grid.extent(xml)
    assert _refused(xml, limits) == (rows > limits.rows or cols > limits.cols)


@settings(max_examples=300, deadline=None)
@given(cells=cells)
def test_the_bound_a_sheet_shape_gives_holds_every_cell(cells):
    """``sheetshape``'s fast path hands ``check_extent`` its bound: it must cover every cell
    calamine would place, whatever the tags look like."""
    xml = _sheet(sorted(cells))
    bound = sheet_shape(xml).bound
    if bound is not None:
        rows, cols = grid.extent(xml)
        assert bound[0] >= rows and bound[1] >= cols


@pytest.mark.parametrize("ref, refused", [("KN5000", False), ("KO1", True), ("A5001", True),
                                          ("AAA1", True), ("XFD1048576", True), ("Z999", False)])
def test_the_limits_of_a_workbook_sheet_are_inclusive(ref, refused):
    xml = f'<sheetData><row r="1"><c r="{ref}"><v>1</v></c></row></sheetData>'.encode()
    assert _refused(xml, grid.WORKBOOK) == refused
