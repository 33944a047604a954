"""The sheet patcher's edge cases, XML in and XML out (in the style of python-pptx's compact
XML fixtures): a tiny worksheet goes into ``patch_sheet_xml``, the exact text expected comes out.

Only ``<sheetData>``'s content is written out in each case; ``ws()`` wraps it in a worksheet.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from excelkort.errors import InputError
from excelkort.xlsx.cells import ErrorValue
from excelkort.xlsx.refs import cell_ref
from excelkort.xlsx.celledit import CellEdit, EditError, sheet_edits
from excelkort.xlsx.sheetpatch import check_sheet_xml, patch_sheet_xml

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def ws(data: str | None, head: str = "", p: str = "") -> str:
    """A worksheet: ``head`` (e.g. ``<dimension/>``, ``<cols>``) and sheetData holding ``data``
    (``<sheetData/>`` when None), in the default namespace or with prefix ``p`` (``x:``)."""
    xmlns = f'xmlns:{p[:-1]}="{MAIN}"' if p else f'xmlns="{MAIN}"'
    sheet_data = f"<{p}sheetData/>" if data is None else f"<{p}sheetData>{data}</{p}sheetData>"
    return f"<{p}worksheet {xmlns}>{head}{sheet_data}</{p}worksheet>"


def patched(xml: str, edits: dict, append_rows=None):
    return patch_sheet_xml(xml, sheet_edits("Ark", edits), append_rows, path="bok.xlsx",
                           member="xl/worksheets/sheet1.xml", sheet="Ark")


def row(r: int, *cells: str, attrs: str = "") -> str:
    return f'<row r="{r}"{attrs}>{"".join(cells)}</row>'


def v(ref: str, value, attrs: str = "") -> str:
    return f'<c r="{ref}"{attrs}><v>{value}</v></c>'


# -- values, and where new cells and rows go -------------------------------------------------------
CASES = {
    "overwrite a value": (
        row(1, v("A1", 1)), {"A1": 5}, row(1, v("A1", 5))),
    "a cell inserted between cells": (
        row(1, v("A1", 1), v("C1", 3)), {"B1": 2}, row(1, v("A1", 1), v("B1", 2), v("C1", 3))),
    "a row inserted between rows": (
        row(1, v("A1", 1)) + row(3, v("A3", 3)), {"A2": 2},
        row(1, v("A1", 1)) + row(2, v("A2", 2)) + row(3, v("A3", 3))),
    "rows and cells in sorted order whatever the edits' order": (
        row(2, v("B2", 1)), {"C3": 3, "A1": 1, "A2": 2},
        row(1, v("A1", 1)) + row(2, v("A2", 2), v("B2", 1)) + row(3, v("C3", 3))),
    "a style is kept, the type goes": (
        row(1, '<c r="A1" s="4" t="s"><v>0</v></c>'), {"A1": 7.5}, row(1, '<c r="A1" s="4"><v>7.5</v></c>')),
    "None clears the value and keeps the style": (
        row(1, '<c r="A1" s="4"><v>1</v></c>'), {"A1": None}, row(1, '<c r="A1" s="4"/>')),
    "a new cell takes a formatted row's style": (
        row(1, v("A1", 1), attrs=' s="3" customFormat="1"'), {"B1": 2},
        row(1, v("A1", 1), v("B1", 2, ' s="3"'), attrs=' s="3" customFormat="1"')),
    "booleans, errors and text starting with =": (
        "", {"A1": True, "B1": ErrorValue("#N/A"), "C1": "=SUM(A1)"},
        row(1, v("A1", 1, ' t="b"'), v("B1", "#N/A", ' t="e"'),
            '<c r="C1" t="inlineStr"><is><t>=SUM(A1)</t></is></c>')),
}


@pytest.mark.parametrize("data, edits, expected", CASES.values(), ids=CASES)
def test_cells(data, edits, expected):
    assert patched(ws(data), edits).xml == ws(expected)


def test_empty_sheet_data():
    assert patched(ws(None), {"B2": "x"}).xml == ws(row(2, '<c r="B2" t="inlineStr"><is><t>x</t></is></c>'))


def test_empty_sheet_data_stays_empty_without_edits():
    assert patched(ws(None), {}).xml == ws(None)


def test_dimension_and_spans_grow():
    head = '<dimension ref="A1:C3"/>'
    data = row(1, v("A1", 1), v("C1", 3), attrs=' spans="1:3"') + row(3, v("A3", 3))
    out = patched(ws(data, head), {"E1": 5, "B4": 4})
    assert out.xml == ws(row(1, v("A1", 1), v("C1", 3), v("E1", 5), attrs=' spans="1:5"')
                         + row(3, v("A3", 3)) + row(4, v("B4", 4)), '<dimension ref="A1:E4"/>')


def test_a_new_cell_takes_its_columns_style():
    head = '<cols><col min="2" max="3" width="9" style="7" customWidth="1"/></cols>'
    assert patched(ws("", head), {"C1": 1}).xml == ws(row(1, v("C1", 1, ' s="7"')), head)


def test_appended_rows_follow_the_last_row_with_a_value():
    data = row(1, v("A1", 1)) + row(2, '<c r="A2" s="5"/>')  # a styled, empty row is not "used"
    out = patched(ws(data), {}, [["a", 1], [None, "b"]])
    assert out.appended_rows == [2, 3]
    assert out.xml == ws(row(1, v("A1", 1)) + row(2, '<c r="A2" s="5" t="inlineStr"><is><t>a</t></is></c>',
                                                   v("B2", 1))
                         + row(3, '<c r="B3" t="inlineStr"><is><t>b</t></is></c>'))


# -- inline strings -------------------------------------------------------------------------------------
INLINE = row(1, '<c r="A1" t="inlineStr"><is><t>gammel</t></is></c>')


@pytest.mark.parametrize("value, expected", [
    (5, v("A1", 5)),
    ("ny", '<c r="A1" t="inlineStr"><is><t>ny</t></is></c>'),
    (" ny ", '<c r="A1" t="inlineStr"><is><t xml:space="preserve"> ny </t></is></c>'),
    ("a<b & c\r\x01", '<c r="A1" t="inlineStr"><is><t>a&lt;b &amp; c&#13;_x0001_</t></is></c>'),
    (None, '<c r="A1"/>'),
], ids=["number", "text", "spaces", "escapes", "cleared"])
def test_inline_strings(value, expected):
    assert patched(ws(INLINE), {"A1": value}).xml == ws(row(1, expected))


def test_inline_string_with_rich_text_runs_is_replaced_whole():
    data = row(1, '<c r="A1" t="inlineStr"><is><r><rPr><b/></rPr><t>fet</t></r><r><t> tekst</t></r></is></c>')
    assert patched(ws(data), {"A1": "ny"}).xml == ws(row(1, '<c r="A1" t="inlineStr"><is><t>ny</t></is></c>'))


def test_text_of_a_formula_is_a_str_result():
    data = row(1, '<c r="A1"><f>B1&amp;"x"</f><v>0</v></c>')
    assert patched(ws(data), {"A1": CellEdit.cached("1x")}).xml == ws(
        row(1, '<c r="A1" t="str"><f>B1&amp;"x"</f><v>1x</v></c>'))


# -- rows and cells without r ----------------------------------------------------------------------------
def test_rows_without_r_are_numbered_before_a_row_is_inserted():
    data = '<row><c r="A1"><v>1</v></c></row><row><c r="A2"><v>2</v></c></row>'
    out = patched(ws(data), {"A4": 4, "A2": 5})
    assert out.xml == ws(row(1, v("A1", 1)) + row(2, v("A2", 5)) + row(4, v("A4", 4)))


def test_cells_without_r_are_numbered_before_a_cell_is_inserted():
    data = '<row r="1"><c><v>1</v></c><c s="2"><v>2</v></c></row>'
    assert patched(ws(data), {"D1": 4}).xml == ws(row(1, v("A1", 1), v("B1", 2, ' s="2"'), v("D1", 4)))


def test_a_cell_without_r_is_found_by_counting():
    data = '<row r="1"><c><v>1</v></c><c s="2"><v>2</v></c></row>'
    assert patched(ws(data), {"B1": 9}).xml == ws(row(1, v("A1", 1), '<c r="B1" s="2"><v>9</v></c>'))


def test_a_closed_row_without_r_gets_cells():
    data = '<row/><row customHeight="1" ht="30"/>'
    assert patched(ws(data), {"B2": 1}).xml == ws(
        '<row r="1"/>' + '<row r="2" customHeight="1" ht="30">' + v("B2", 1) + "</row>")


# -- namespace prefix ------------------------------------------------------------------------------------
def test_prefixed_namespace():
    data = '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
    out = patched(ws(data, p="x:"), {"B1": "tekst", "A3": 2, "A1": CellEdit(3, "1+2")})
    assert out.xml == ws('<x:row r="1"><x:c r="A1"><x:f>1+2</x:f><x:v>3</x:v></x:c>'
                         '<x:c r="B1" t="inlineStr"><x:is><x:t>tekst</x:t></x:is></x:c></x:row>'
                         '<x:row r="3"><x:c r="A3"><x:v>2</x:v></x:c></x:row>', p="x:")
    assert out.formulas_changed


def test_prefixed_empty_sheet_data():
    assert patched(ws(None, p="x:"), {"A1": 1}).xml == ws(
        '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>', p="x:")


# -- shared formulas -------------------------------------------------------------------------------------
def shared(r_attrs: bool = True) -> str:
    """B1:B3 = A*2 as one shared formula: B1 is its master, B2 and B3 refer to it."""
    def c(ref, inner):
        return f'<c r="{ref}">{inner}</c>' if r_attrs else f"<c>{inner}</c>"
    return (row(1, c("A1", "<v>1</v>"), c("B1", '<f t="shared" ref="B1:B3" si="0">A1*2</f><v>2</v>'))
            + row(2, c("A2", "<v>2</v>"), c("B2", '<f t="shared" si="0"/><v>4</v>'))
            + row(3, c("A3", "<v>3</v>"), c("B3", '<f t="shared" si="0"/><v>6</v>')))


UNSHARED = (row(2, v("A2", 2), '<c r="B2"><f>A2*2</f><v>4</v></c>')
            + row(3, v("A3", 3), '<c r="B3"><f>A3*2</f><v>6</v></c>'))


def test_overwriting_the_master_gives_the_group_its_own_formulas():
    out = patched(ws(shared()), {"B1": 100})
    assert out.xml == ws(row(1, v("A1", 1), v("B1", 100)) + UNSHARED)
    assert out.formulas_changed


def test_a_new_formula_in_the_master_keeps_the_groups_formulas():
    out = patched(ws(shared()), {"B1": CellEdit(5, "A1+4")})
    assert out.xml == ws(row(1, v("A1", 1), '<c r="B1"><f>A1+4</f><v>5</v></c>') + UNSHARED)
    assert not out.formulas_changed  # every cell that had a formula still has one


def test_a_new_cached_value_in_the_master_keeps_the_group():
    out = patched(ws(shared()), {"B1": CellEdit.cached(7)})
    assert out.xml == ws(shared().replace("A1*2</f><v>2</v>", "A1*2</f><v>7</v>"))


def test_a_cell_inside_the_group_keeps_its_shared_formula():
    out = patched(ws(shared()), {"B2": CellEdit.cached(14)})
    assert out.xml == ws(shared().replace('si="0"/><v>4</v>', 'si="0"/><v>14</v>'))
    assert not out.formulas_changed


def test_a_cell_inside_the_group_overwritten_leaves_the_others_shared():
    out = patched(ws(shared()), {"B2": 9})
    assert out.xml == ws(shared().replace('<c r="B2"><f t="shared" si="0"/><v>4</v></c>', v("B2", 9)))
    assert out.formulas_changed


def test_overwriting_the_master_and_a_cached_value_in_the_group():
    out = patched(ws(shared()), {"B1": 100, "B3": CellEdit.cached(60)})
    assert out.xml == ws(row(1, v("A1", 1), v("B1", 100)) + UNSHARED.replace("<v>6</v>", "<v>60</v>"))


def test_overwriting_the_master_of_a_group_whose_cells_have_no_r():
    out = patched(ws(shared(r_attrs=False)), {"B1": 100})
    assert out.xml == ws(row(1, v("A1", 1), v("B1", 100)) + UNSHARED)


# -- refused ------------------------------------------------------------------------------------------
BROKEN = "bok.xlsx, ark «Ark»: Filen er skadet (delen «xl/worksheets/sheet1.xml» er ikke gyldig XML). " \
         "Åpne den i Excel og lagre den på nytt, eller hent en sikkerhetskopi."


@pytest.mark.parametrize("xml", [
    f'<worksheet xmlns="{MAIN}"></worksheet>',
    ws(None).replace("<sheetData/>", "<sheetData>"),
    ws('<row r="1"><c r="A1"><v>1</v></c>'),
    ws('<row r="1"><c r="A1"><v>1</v></row>'),
], ids=["no sheetData", "unclosed sheetData", "unclosed row", "unclosed cell"])
def test_xml_the_patcher_cannot_follow_is_refused(xml):
    with pytest.raises(InputError) as exc:
        patched(xml, {"A1": 2})
    assert str(exc.value) == BROKEN


@pytest.mark.parametrize("edits, message", [
    ({"A1": float("nan")}, "cannot write nan to cell A1"),
    ({"A1": object()}, "cannot write object to cell A1"),
    ({"A1": CellEdit(1, "=")}, "invalid formula for A1: '='"),
])
def test_bad_edits_are_excelkorts_own_errors(edits, message):
    with pytest.raises(EditError, match=message):
        patched(ws(""), edits)


def test_a_cell_given_twice_or_a_bad_ref_is_refused_before_any_xml():
    with pytest.raises(EditError, match="edited twice"):
        sheet_edits("Ark", {"C3": 1, "$c$3": 2})
    with pytest.raises(ValueError, match="not a cell reference"):
        sheet_edits("Ark", {"C": 1})


# -- rows and cells out of order, or twice (issue 14, point 10) -----------------------------------------
ORDER = {
    "rows out of order are put in order, each row's text as it was": (
        row(12, v("A12", 12)) + row(11, v("A11", 11), attrs=' ht="20" customHeight="1"'), {"B11": 5},
        row(11, v("A11", 11), v("B11", 5), attrs=' ht="20" customHeight="1"') + row(12, v("A12", 12))),
    "a new row among rows out of order": (
        row(3, v("A3", 3)) + row(1, v("A1", 1)), {"A2": 2},
        row(1, v("A1", 1)) + row(2, v("A2", 2)) + row(3, v("A3", 3))),
    "text between rows stays where it was": (
        "\n  " + row(2, v("A2", 2)) + "\n  " + row(1, v("A1", 1)) + "\n", {"A1": 5},
        "\n  " + row(1, v("A1", 5)) + "\n  " + row(2, v("A2", 2)) + "\n"),
    "cells out of order are put in order": (
        row(1, v("C1", 3), v("A1", 1, ' s="4"')), {"B1": 2},
        row(1, v("A1", 1, ' s="4"'), v("B1", 2), v("C1", 3))),
    "only the rows with cells out of order change": (
        row(1, v("B1", 2), v("A1", 1)) + row(2, v("A2", 1), v("B2", 2)), {"B2": 7},
        row(1, v("A1", 1), v("B1", 2)) + row(2, v("A2", 1), v("B2", 7))),
    "a cell without r keeps its column when its row is sorted": (
        row(1, v("C1", 3), v("A1", 1), "<c><v>2</v></c>"), {"D1": 4},
        row(1, v("A1", 1), v("B1", 2), v("C1", 3), v("D1", 4))),  # named, as before an insertion
    "rows without r are numbered, then put in order": (
        row(3, v("A3", 3)) + "<row><c><v>4</v></c></row>" + row(1, v("A1", 1)), {"B1": 2},
        row(1, v("A1", 1), v("B1", 2)) + row(3, v("A3", 3)) + '<row r="4"><c><v>4</v></c></row>'),
}


@pytest.mark.parametrize("data, edits, expected", ORDER.values(), ids=ORDER)
def test_rows_and_cells_out_of_order(data, edits, expected):
    out = patched(ws(data), edits)
    assert out.xml == ws(expected)
    assert patched(out.xml, edits).xml == out.xml  # one patch settles it


def test_a_sheet_is_put_in_order_only_when_it_is_out_of_order():
    data = row(1, v("A1", 1), v("B1", 2)) + row(2, v("A2", 1))
    assert patched(ws(data), {}).xml == ws(data)
    assert patched(ws(row(2, v("A2", 1)) + row(1, v("B1", 2), v("A1", 1))), {}).xml == ws(data)


TWICE = "Filen er skadet: åpne den i Excel og lagre den på nytt, eller hent en sikkerhetskopi."


@pytest.mark.parametrize("data, message", [
    (row(11, v("J11", 1), v("K11", 2), v("K11", 3)),
     "bok.xlsx, ark «Ark», celle K11: Cellen står to ganger i arket (to celler med samme adresse i "
     f"filens XML), så det er uklart hvilken verdi som gjelder. {TWICE}"),
    (row(11, v("K11", 2)) + row(12, v("A12", 1)) + row(11, v("L11", 2)),
     "bok.xlsx, ark «Ark»: Rad 11 står to ganger i arket (to rader med samme nummer i filens XML), så "
     f"det er uklart hva raden inneholder. {TWICE}"),
    (row(1, v("A1", 1), "<c><v>2</v></c>", v("B1", 3)),
     "bok.xlsx, ark «Ark», celle B1: Cellen står to ganger i arket (to celler med samme adresse i "
     f"filens XML), så det er uklart hvilken verdi som gjelder. {TWICE}"),
    (row(11, v("J11", 1), v("K12", 2)) + row(12, v("A12", 1)),  # K11 would have been written to K12
     "bok.xlsx, ark «Ark», celle K12: Cellen ligger inne i rad 11 i filens XML, ikke i sin egen rad, "
     f"så den kan ikke endres trygt. {TWICE}"),
    (row(11, v("J11", 1), v("K12", 2)) + row(13, v("A13", 1)),  # in order, but row 12 is missing
     "bok.xlsx, ark «Ark», celle K12: Cellen ligger inne i rad 11 i filens XML, ikke i sin egen rad, "
     f"så den kan ikke endres trygt. {TWICE}"),
], ids=["a cell twice", "a row twice", "a cell without r that lands on another", "a cell in another row",
        "a cell in another row, all in order"])
def test_a_row_or_cell_twice_is_refused(data, message):
    with pytest.raises(InputError) as exc:
        patched(ws(data), {"A1": 5})
    assert str(exc.value) == message


KEYS = st.tuples(st.integers(1, 12), st.integers(1, 8))


@st.composite
def shuffled_sheets(draw):
    """(cells {(row, col): value}, sheetData text with its rows and each row's cells in a random
    order, and empty rows among them)."""
    cells = draw(st.dictionaries(KEYS, st.integers(-99, 99), max_size=40))
    by_row: dict[int, list[int]] = {}
    for r, c in sorted(cells):
        by_row.setdefault(r, []).append(c)
    empty = draw(st.sets(st.integers(1, 14).filter(lambda r: r not in by_row), max_size=3))
    parts = []
    for r in draw(st.permutations(sorted([*by_row, *empty]))):
        cols = draw(st.permutations(by_row.get(r, [])))
        parts.append(row(r, *(v(cell_ref(r - 1, c - 1), cells[r, c]) for c in cols)) if cols
                     else f'<row r="{r}"/>')
    return cells, "".join(parts)


@settings(max_examples=300, deadline=None)
@given(sheet=shuffled_sheets(),
       edits=st.dictionaries(st.tuples(st.integers(1, 14), st.integers(1, 10)),
                             st.one_of(st.none(), st.integers(-99, 99)), max_size=15))
def test_patching_a_shuffled_sheet_twice_is_a_fixed_point(sheet, edits):
    cells, data = sheet
    by_ref = {cell_ref(r - 1, c - 1): value for (r, c), value in edits.items()}
    once = patched(ws(data), by_ref).xml
    assert patched(once, by_ref).xml == once
    root = etree.fromstring(once.encode())
    numbers = [int(r.get("r")) for r in root.iter(f"{{{MAIN}}}row")]
    assert numbers == sorted(set(numbers))  # in order, each row once
    for r in root.iter(f"{{{MAIN}}}row"):
        keys = [(len(c.get("r")), c.get("r")) for c in r.iter(f"{{{MAIN}}}c")]
        assert keys == sorted(set(keys))  # in column order, each cell once
    expected = {**cells, **edits}
    got = {}
    for c in root.iter(f"{{{MAIN}}}c"):
        value = c.find(f"{{{MAIN}}}v")
        if value is not None:
            got[c.get("r")] = int(value.text)
    assert got == {cell_ref(r - 1, c - 1): value for (r, c), value in expected.items() if value is not None}
    for (r, c), value in cells.items():  # what was not edited is there byte for byte
        if (r, c) not in edits:
            assert v(cell_ref(r - 1, c - 1), value) in once


def _moved_into_another_row(data: str) -> str:
    """The first cell moved into the first row element of another number (when there is one);
    the row it leaves goes too when that leaves it empty."""
    import re

    cell = re.search(r'<c r="[A-Z]+([0-9]+)"><v>[^<]*</v></c>', data)
    if cell is None:
        return data
    rest = (data[:cell.start()] + data[cell.end():]).replace(f'<row r="{cell.group(1)}"></row>', "")
    to = next((m for m in re.finditer(r'<row r="([0-9]+)">', rest) if m.group(1) != cell.group(1)), None)
    return data if to is None else rest[:to.end()] + cell.group(0) + rest[to.end():]


@settings(max_examples=300, deadline=None)
@given(sheet=shuffled_sheets(), twice=st.booleans(), astray=st.booleans())
def test_the_shape_check_takes_the_fast_path_only_when_the_walk_agrees(sheet, twice, astray):
    from dataclasses import replace

    from excelkort.xlsx.grid import extent
    from excelkort.xlsx.sheetshape import _sheet_data, _walk, sheet_shape

    cells, data = sheet
    if twice and cells:  # the first row written again
        data += data[:data.index("</row>") + len("</row>")] if "</row>" in data else ""
    if astray:
        data = _moved_into_another_row(data)
    for xml in (ws(data), ws(data).encode()):
        shape = sheet_shape(xml)
        assert replace(shape, bound=None) == _walk(xml, *_sheet_data(xml))
        if shape.bound is not None:  # the fast path: grid's cheap bound, worked out on the way
            rows, cols = extent(ws(data).encode())
            assert shape.bound[0] >= rows and shape.bound[1] >= cols


# -- check_sheet_xml: what fyll and sjekk check before any edit is planned -------------------------
@pytest.mark.parametrize("data, p", [
    (row(1, v("A1", 1), '<c r="B1" s="2"/>') + row(2, "<c><v>3</v></c>"), ""),
    ('<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>', "x:"),
    (None, ""),
])
def test_a_sheet_the_patcher_can_follow_passes_the_check(data, p):
    check_sheet_xml(ws(data, p=p), path="bok.xlsx", member="xl/worksheets/sheet1.xml", sheet="Ark")


@pytest.mark.parametrize("data", [
    row(1, v("A1", 1), '<c r="B1" s=2><v>2</v></c>'),  # an attribute without quotes
    row(1, v("A1", 1), '<c r="B1"><v>2</v>'),  # a cell not closed
    '<row r="1">' + v("A1", 1),  # a row not closed
    row(1, '<c r="A1"><f>"a</row>b"</f><v>1</v></c>') + row(2, v("A2", 1)),  # a row ended early
    row(1, v("A1", 1)) + "text after the rows",
])
def test_a_cell_anywhere_the_patcher_cannot_follow_fails_the_check(data):
    """Whatever cell an extract would edit: the check sees every cell, not only the edited ones."""
    with pytest.raises(InputError) as exc:
        check_sheet_xml(ws(data), path="bok.xlsx", member="xl/worksheets/sheet1.xml", sheet="Ark")
    assert str(exc.value.problems[0]) == (
        "bok.xlsx, ark «Ark»: Filen er skadet (delen «xl/worksheets/sheet1.xml» er ikke gyldig "
        "XML). Åpne den i Excel og lagre den på nytt, eller hent en sikkerhetskopi.")


@settings(max_examples=200, deadline=None)
@given(first=shuffled_sheets(), second=shuffled_sheets(), same_refs=st.booleans())
def test_a_remembered_shape_is_only_ever_the_same_references_shape(first, second, same_refs):
    """``sheet_shape`` remembers shapes by the sheet's references (a batch of one template's
    workbooks has the same ones): a sheet with the same references in the same order gets the
    same shape, and any other sheet its own, as worked out afresh."""
    import re

    from excelkort.xlsx import sheetshape

    if same_refs:  # the same rows and cells in the same order, other values
        second = (None, re.sub(r"<v>-?[0-9]+</v>", "<v>7</v>", first[1]))
    for xml in (ws(first[1]), ws(second[1]), ws(first[1]).encode(), ws(second[1]).encode()):
        remembered = sheetshape.sheet_shape(xml)
        sheetshape._SEEN.clear()
        assert remembered == sheetshape.sheet_shape(xml)
        sheetshape.sheet_shape(ws(first[1]))  # remembered for the next one


def test_a_remembered_shape_needs_the_same_rows_too():
    """The same references, but one more row element (without r, beside an element that is no
    cell): worked out afresh, not taken from the sheet before."""
    from excelkort.xlsx import sheetshape

    first = ws(row(1, v("A1", 1)))
    second = ws('<row r="1"></row><row><x r="A1"/></row>')
    sheetshape._SEEN.clear()
    fresh = sheetshape.sheet_shape(second)
    sheetshape.sheet_shape(first)
    assert sheetshape.sheet_shape(second) == fresh
