"""`excelkort konsolider` re-run: a consolidated workbook is updated in place, so what the
county typed or added survives (SPEC §5 "Writing into a user's workbook", §7, §9)."""
from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from excelkort import api
from excelkort.inputs.register import Register, load_register, write_register_csv
from excelkort.scorecard import layout as L
from excelkort.scorecard.reader import read_scorecard
from excelkort.steps.consolidate_update import TABLES
from excelkort.xlsx.autofilter import autofilter_ref
from excelkort.xlsx.package import open_package
from excelkort.xlsx.refs import cell_ref
from excelkort.xlsx.workbookpatch import patch_workbook
from test_consolidate import make_work_folder

PICTURE = bytes.fromhex(  # a 1×1 PNG, as a picture the county pasted (its own zip member)
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005fe02fe0dd3a2d10000000049454e44ae426082")
BOOK = "xl/workbook.xml"
OWNED = {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet4.xml",
         *(f"xl/worksheets/sheet{i}.xml" for i in range(5, 10))}  # Målekort, Data, Logg, side sheets


@pytest.fixture(scope="module")
def consolidated(tmp_path_factory) -> Path:
    work = make_work_folder(tmp_path_factory.mktemp("konsolider-igjen") / "arbeidsmappe")
    assert api.consolidate(work / "kontor").exit_code == 0
    return work


@pytest.fixture
def work(consolidated, tmp_path) -> Path:
    dst = tmp_path / "arbeidsmappe"
    shutil.copytree(consolidated, dst)
    return dst


def _county(work: Path, unit: str = "F1") -> Path:
    return work / "konsolidert" / unit / f"målekort_{unit}_2026.xlsx"


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _sheet(path: Path, name: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((folder / "konsolidert").rglob("*.xlsx")) if ".excelkort" not in p.parts}


def _without_filter_names(book: bytes) -> bytes:
    return re.sub(rb'<definedName name="_xlnm._FilterDatabase"[^>]*>[^<]*</definedName>', b"", book)


def _filters(path: Path) -> dict[str, tuple[str | None, str | None]]:
    """Per table sheet, its autofilter range and the text of its hidden _FilterDatabase name."""
    with open_package(path) as package:
        book = package.read(package.workbook_member).decode()
        sheets = re.findall(r'<sheet name="([^"]+)"', book)
        names = dict(re.findall(r'<definedName name="_xlnm._FilterDatabase" localSheetId="(\d+)" '
                                r'hidden="1">([^<]*)<', book))
        return {sheet: (autofilter_ref(package.read(package.sheet_member(sheet)).decode()),
                        names.get(str(sheets.index(sheet)))) for sheet in TABLES}


def _filter_on_first_column(path: Path, sheet_member: str) -> bytes:
    """What a county does in Excel: filters a table on its first column (a criterion inside the
    sheet's autoFilter). Returns the criterion's XML."""
    criterion = b'<filterColumn colId="0"><filters><filter val="0101"/></filters></filterColumn>'
    members = _members(path)
    members[sheet_member] = re.sub(rb"(<autoFilter [^>]*?)/>", rb"\1>" + criterion + b"</autoFilter>",
                                   members[sheet_member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return criterion


def _as_the_county(path: Path) -> None:
    """What a county does in Excel: types a risk judgement, comments, a note of its own in a
    side sheet, and pastes a picture (a zip member excelkort knows nothing about)."""
    sc = read_scorecard(path)
    row = sc.rows["B2"].row
    patch_workbook(path, edits={
        L.SCORECARD_SHEET: {cell_ref(row, sc.cols[L.COL_RISK_ASSESSED]): "Høy",
                            cell_ref(row, sc.cols[L.COL_COMMENT]): "Fylket følger opp kontorene.",
                            "F2": "Fylkets kommentar til oktober."},
        "Enheter": {"Z1": "Fylkets eget notat"}})
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/media/fylket.png", PICTURE)


def _change_an_office(work: Path) -> tuple[str, str, float]:
    """Office 0101 corrects one Data teller for October; 0102 writes a month comment.
    Returns (indicator, Data cell, the new teller)."""
    office = work / "kontor" / "0101" / "målekort_0101_2026.xlsx"
    sc = read_scorecard(office)
    ind_id, item = next((i, r) for i, r in sc.rows.items()
                        if r.data_row is not None and isinstance(r.teller[9], float) and r.teller[9] >= 1)
    ref = cell_ref(item.data_row, sc.data_cols[L.data_label(10, "teller")])
    new = item.teller[9] - 1
    patch_workbook(office, edits={L.DATA_SHEET: {ref: new}})
    other = work / "kontor" / "0102" / "målekort_0102_2026.xlsx"
    month_comment = read_scorecard(other).names["Månedskommentar"].split("!")[1].replace("$", "")
    patch_workbook(other, edits={L.SCORECARD_SHEET: {month_comment: "Travel måned hos oss."}})
    return ind_id, ref, new


def test_a_rerun_updates_the_county_workbook_in_place(work):
    county = _county(work)
    _as_the_county(county)
    before = _members(county)
    f2_before = _county(work, "F2").read_bytes()
    ind_id, ref, _new = _change_an_office(work)

    result = api.consolidate(work / "kontor")
    assert result.exit_code == 0
    assert not [w for w in result.warnings if "på nytt" in w.message]
    assert county in result.written and result.backups
    after = _members(county)
    # every part but the owned sheets is byte-identical: the picture, styles, the other sheets;
    # the workbook part changes only where Kommentarer's grown autofilter is named
    assert set(after) == set(before)
    changed = {m for m in after if after[m] != before[m]}
    assert changed and changed <= OWNED | {BOOK}
    assert _without_filter_names(after[BOOK]) == _without_filter_names(before[BOOK])
    assert after["xl/media/fylket.png"] == PICTURE
    assert _county(work, "F2").read_bytes() == f2_before  # its offices did not change
    # what the county typed is there, untouched
    sc = read_scorecard(county)
    assert sc.rows["B2"].risk_assessed == "Høy"
    assert sc.rows["B2"].comment == "Fylket følger opp kontorene."
    assert sc.month_comment == "Fylkets kommentar til oktober."
    assert _sheet(county, "Enheter")[0][25] == "Fylkets eget notat"
    # the numbers follow the offices: the county's Data is the sum of its offices'
    offices = [read_scorecard(work / "kontor" / u / f"målekort_{u}_2026.xlsx") for u in ("0101", "0102", "0103")]
    assert sc.rows[ind_id].teller[9] == pytest.approx(sum(o.rows[ind_id].teller[9] or 0 for o in offices))
    log = _sheet(county, L.LOG_SHEET)
    assert any(r[2] == ref and r[3] == ind_id and r[6] == "konsolider" for r in log[1:])
    # the new month comment is a new row of Kommentarer, styled like the rows above it
    comments = _sheet(county, "Kommentarer")
    assert ["0102", "Nav Kontor 1-2", "", "Månedskommentar", "Travel måned hos oss."] in comments
    ws = openpyxl.load_workbook(county)["Kommentarer"]
    last = len(comments)
    assert ws.cell(last, 1).border.left.style == ws.cell(last - 1, 1).border.left.style == "thin"
    assert ws.cell(last, 5).alignment.wrap_text
    # the national workbook carries the county's judgement, and the run converges
    national = _sheet(_county(work, "NO"), "Kommentarer")
    assert ["F1", "Nav Fylke 1", "B2", "Risiko (vurdering)", "Høy"] in national
    hashes = _hashes(work)
    again = api.consolidate(work / "kontor")
    assert not again.written and _hashes(work) == hashes


def test_a_rerun_with_the_same_inputs_rewrites_nothing_after_an_update(work):
    _as_the_county(_county(work))
    api.consolidate(work / "kontor")  # the county's typing reaches the national workbook
    hashes = _hashes(work)
    result = api.consolidate(work / "kontor")
    assert result.written == [] and not result.backups
    assert _hashes(work) == hashes


def test_changed_units_make_the_workbook_anew_and_say_where_the_old_one_is(work):
    county = _county(work)
    _as_the_county(county)
    register = load_register(work / "enheter.csv")
    units = [u for u in register if u.id != "0103"]  # the office closed
    write_register_csv(Register(units), work / "enheter.csv")
    shutil.rmtree(work / "kontor" / "0103")
    result = api.consolidate(work / "kontor")
    warning = next(w for w in result.warnings if w.file == str(county))
    assert "laget på nytt fordi enhetene er endret" in warning.message
    backup = next(b for b in result.backups if b.parent.parent.parent == county.parent)
    assert str(backup) in warning.message and "xl/media/fylket.png" in _members(backup)
    sc = read_scorecard(county)
    assert sc.rows["B2"].risk_assessed == "Høy"  # what the county typed is carried over
    assert "xl/media/fylket.png" not in _members(county)


def _month_comment(work: Path, unit: str, text: str) -> None:
    office = work / "kontor" / unit / f"målekort_{unit}_2026.xlsx"
    ref = read_scorecard(office).names["Månedskommentar"].split("!")[1].replace("$", "")
    patch_workbook(office, edits={L.SCORECARD_SHEET: {ref: text}})


def test_a_rerun_sets_each_tables_autofilter_to_its_new_rows(work, tmp_path):
    """More rows (a new month comment), fewer (an office's file gone), a first and a last row:
    each table's autofilter and its hidden name are what a freshly made workbook has, and a
    county's own filter and picture stay as they were."""
    county = _county(work)
    _as_the_county(county)
    criterion = _filter_on_first_column(county, "xl/worksheets/sheet9.xml")  # Kommentarer
    before = _filters(county)
    _month_comment(work, "0102", "Travel måned hos oss.")  # F1's Kommentarer: one more row
    (work / "kontor" / "0103" / "målekort_0103_2026.xlsx").unlink()  # F1's Kilder: one fewer
    _month_comment(work, "0202", "Rolig måned.")  # F2's Kommentarer: its first row
    assert _filters(_county(work, "F2"))["Kommentarer"] == (None, None)

    result = api.consolidate(work / "kontor")
    assert not [w for w in result.warnings if "på nytt" in w.message]
    fresh = api.consolidate(work / "kontor", outdir=tmp_path / "ny")
    for unit in ("F1", "F2"):  # (the fresh NO lacks what the county typed in F1)
        made = tmp_path / "ny" / unit / f"målekort_{unit}_2026.xlsx"
        assert _filters(_county(work, unit)) == _filters(made), unit
    national = _county(work, "NO")
    rows = sum(1 for r in _sheet(national, "Kommentarer") if any(r))
    assert _filters(national)["Kommentarer"] == (f"A1:E{rows}", f"Kommentarer!$A$1:$E${rows}")
    after = _filters(county)
    assert after["Kommentarer"][0] != before["Kommentarer"][0]  # A1:E5 → A1:E6
    assert after["Kilder"] == ("A1:D3", "Kilder!$A$1:$D$3") != before["Kilder"]
    assert _filters(_county(work, "F2"))["Kommentarer"] == ("A1:E2", "Kommentarer!$A$1:$E$2")
    members = _members(county)
    assert criterion in members["xl/worksheets/sheet9.xml"]
    assert members["xl/media/fylket.png"] == PICTURE
    assert fresh.exit_code == result.exit_code

    _month_comment(work, "0202", None)  # F2's Kommentarer: empty again, so no filter
    api.consolidate(work / "kontor")
    assert _filters(_county(work, "F2"))["Kommentarer"] == (None, None)


def test_status_colours_are_conditional_formats(work):
    ws = openpyxl.load_workbook(_county(work, "NO"))["Enheter"]
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    words = {f.split('="')[1].rstrip('")') for r in rules for f in r.formula}
    assert words == {"grønn", "gul", "rød", "grå"}
    fills = {ws.cell(row, 3).fill.fgColor.rgb for row in range(5, 8)}
    assert fills <= {"00000000", None}  # no static colour: the rules give it


@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_updated_workbook(work, tmp_path):
    from recalc_compare import formula_mismatches

    _as_the_county(_county(work))
    _change_an_office(work)
    assert _county(work) in api.consolidate(work / "kontor").written
    compared, problems = formula_mismatches([_county(work), _county(work, "NO")], tmp_path)
    assert compared > 1000
    assert problems == []
