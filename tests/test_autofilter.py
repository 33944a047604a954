"""Setting a sheet's autofilter range surgically (``xlsx/autofilter.py``): the sheet's
``<autoFilter>`` and the workbook's hidden ``_xlnm._FilterDatabase`` name, as XlsxWriter writes
them for a table of that size, and nothing else changed (SPEC §5)."""
from __future__ import annotations

import zipfile
from pathlib import Path

import xlsxwriter

from excelkort.xlsx.autofilter import autofilter_ref, set_autofilter, set_filter_database
from excelkort.xlsx.workbookpatch import patch_workbook

SHEET = ('<worksheet xmlns="main"><dimension ref="A1:C5"/><sheetData><row r="1"/></sheetData>'
         '{filter}<customSheetViews><customSheetView guid="g"><autoFilter ref="A1:A2"/>'
         '</customSheetView></customSheetViews><pageMargins left="0.7"/></worksheet>')


def _table(path: Path, rows: int, *, user_sheet_first: bool = False) -> Path:
    """A workbook with a table «Liste» of ``rows`` rows under its header, filtered as
    ``consolidate_sheets.write_table`` filters one (none without rows)."""
    wb = xlsxwriter.Workbook(path)
    if user_sheet_first:
        wb.add_worksheet("Fylkets ark")
    ws = wb.add_worksheet("Liste")
    wb.add_worksheet("Kilder")
    ws.write_row(0, 0, ["Enhet", "Navn", "Tekst"])
    for r in range(1, rows + 1):
        ws.write_row(r, 0, [f"{r:04d}", f"Nav {r}", "tekst"])
    if rows:
        ws.autofilter(0, 0, rows, 2)
    ws.repeat_rows(0)
    wb.close()
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_a_patched_range_is_what_xlsxwriter_writes_for_that_many_rows(tmp_path):
    for before, after in ((3, 5), (5, 3), (0, 2), (2, 0)):
        for user_sheet_first in (False, True):
            sheet = f"xl/worksheets/sheet{2 if user_sheet_first else 1}.xml"
            old = _table(tmp_path / "gammel.xlsx", before, user_sheet_first=user_sheet_first)
            new = _table(tmp_path / "ny.xlsx", after, user_sheet_first=user_sheet_first)
            was, want = _parts(old), _parts(new)
            ref = autofilter_ref(want[sheet].decode())
            patch_workbook(old, edits={}, autofilters={"Liste": ref}, full_calc_on_load=False)
            got = _parts(old)
            assert got["xl/workbook.xml"] == want["xl/workbook.xml"], (before, after)
            assert autofilter_ref(got[sheet].decode()) == ref
            assert {m for m in got if got[m] != was[m]} == {sheet, "xl/workbook.xml"}


def test_a_persons_filter_criteria_and_a_custom_views_filter_stay():
    criteria = '<filterColumn colId="1"><filters><filter val="Nav 2"/></filters></filterColumn>'
    xml = SHEET.format(filter=f'<autoFilter ref="A1:C4">{criteria}</autoFilter>')
    new = set_autofilter(xml, "A1:C9")
    assert new == xml.replace('ref="A1:C4"', 'ref="A1:C9"', 1)
    assert set_autofilter(xml, None) == SHEET.format(filter="")
    assert set_autofilter(SHEET.format(filter=""), None) == SHEET.format(filter="")
    # a sheet without one gets it before what follows it; the custom view's is not the sheet's
    assert autofilter_ref(SHEET.format(filter="")) is None
    assert set_autofilter(SHEET.format(filter=""), "A1:C2") == SHEET.format(filter='<autoFilter ref="A1:C2"/>')


def test_a_prefixed_workbook_and_a_workbook_without_names():
    book = ('<x:workbook xmlns:x="main"><x:sheets><x:sheet name="Ark 1" sheetId="1"/>'
            '<x:sheet name="Liste" sheetId="2"/></x:sheets><x:calcPr/></x:workbook>')
    named = set_filter_database(book, "Liste", "A1:C3")
    assert named == book.replace("<x:calcPr/>", (
        '<x:definedNames><x:definedName name="_xlnm._FilterDatabase" localSheetId="1" hidden="1">'
        "Liste!$A$1:$C$3</x:definedName></x:definedNames><x:calcPr/>"))
    assert set_filter_database(named, "Liste", None) == book
    quoted = set_filter_database(book, "Ark 1", "A1:B2")
    assert "'Ark 1'!$A$1:$B$2</x:definedName>" in quoted and 'localSheetId="0"' in quoted
