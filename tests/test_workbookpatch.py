"""Surgical writes into a user's workbook: only owned cells change, everything else survives.

The user's workbook is made with XlsxWriter, then given a picture, a chart, a note, data
validation and conditional formatting with openpyxl (a different tool, as a user's Excel would),
and in one variant round-tripped through LibreOffice. Patched files are read back with our own
reader, openpyxl and python-calamine, and opened by LibreOffice.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from excelkort import atomic

from excelkort.errors import InputError
from excelkort.xlsx import sheetpatch, workbookpatch
from excelkort.xlsx.backup import newest_backup
from excelkort.xlsx.cells import ErrorValue, read_cells
from excelkort.xlsx.package import unescape_ooxml
from excelkort.xlsx.celledit import CellEdit, EditError
from excelkort.xlsx.workbookpatch import patch_workbook
from libreoffice import convert, run_soffice

ROWS = range(3, 13)  # indicator rows, the same in Målekort and Data
TEMPLATE = Path(__file__).parent.parent / "excelkort" / "templates" / "målekort.xlsx"


def teller(r: int) -> int:
    return 10 + r


def nevner(r: int) -> int:
    return 20 + r


def andel(t, n):
    return "" if not n else (t or 0) / n


def status(a):
    return "grønn" if isinstance(a, float) and a >= 0.5 else "rød"


# -- workbooks ---------------------------------------------------------------------------------------
def make_base(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True})
    money = wb.add_format({"num_format": "# ##0", "bg_color": "#FFFF00"})
    pct = wb.add_format({"num_format": "0.0%"})
    ms = wb.add_worksheet("Målekort")
    data = wb.add_worksheet("Data")
    logg = wb.add_worksheet("Logg")
    wb.add_worksheet("Tom")
    ms.write("A1", "Målekort for NAV Testby", bold)
    ms.write_row("A2", ["ID", "Indikator", "Andel", "Status"], bold)
    data.write_row("A2", ["ID", "Indikator", "Jan teller", "Jan nevner"], bold)
    for r in ROWS:
        name = f"Indikator {r} æøå"
        data.write_row(r - 1, 0, [f"B{r}", name])
        data.write_row(r - 1, 2, [teller(r), nevner(r)], money)
        ms.write_row(r - 1, 0, [f"B{r}", name])
        a = andel(teller(r), nevner(r))
        ms.write_formula(r - 1, 2, f'=IF(Data!D{r}=0,"",Data!C{r}/Data!D{r})', pct, a)
        ms.write_formula(r - 1, 3, f'=IF(AND(ISNUMBER(C{r}),C{r}>=0.5),"grønn","rød")', None, status(a))
    logg.write_row("A1", ["Tidspunkt", "Hva", "Celle", "Verdi"], bold)
    logg.set_row(3, None, bold)  # a formatted, empty row: <row r="4" … customFormat="1"/>
    logg.set_column("D:D", 12, money)
    wb.define_name("Enhet", "='Målekort'!$A$1")
    wb.close()
    return path


def png_bytes() -> bytes:
    try:
        from PIL import Image
    except ImportError:  # a 1×1 red PNG
        return bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c"
                             "4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082")
    buf = io.BytesIO()
    Image.new("RGB", (24, 16), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def add_user_content(src: Path, dst: Path) -> Path:
    """What a user adds in their own tool: a picture, a chart, a note, validation, colours."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.load_workbook(src)
    ms, data = wb["Målekort"], wb["Data"]
    ms.add_image(Image(io.BytesIO(png_bytes())), "G2")
    chart = BarChart()
    chart.add_data(Reference(data, min_col=3, min_row=2, max_row=12), titles_from_data=True)
    ms.add_chart(chart, "G8")
    ms["B3"].comment = Comment("Sjekk tallet med Per", "Leder")
    dv = DataValidation(type="list", formula1='"Lav,Middels,Høy"', allow_blank=True)
    ms.add_data_validation(dv)
    dv.add("E3:E12")
    ms.conditional_formatting.add("C3:C12", CellIsRule(operator="greaterThan", formula=["0.5"],
                                                      fill=PatternFill("solid", bgColor="C6EFCE")))
    notes = wb.create_sheet("Notater")
    notes["A1"] = "Brukerens egne notater"
    wb.save(dst)
    return dst


@pytest.fixture(scope="session")
def books(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("books")
    base = make_base(folder / "base.xlsx")
    return {"xlsxwriter": base, "openpyxl": add_user_content(base, folder / "bruker.xlsx")}


@pytest.fixture(scope="session")
def libreoffice_book(books, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lo")
    return convert([books["openpyxl"]], "xlsx", out)[0]


@pytest.fixture(params=["xlsxwriter", "openpyxl", pytest.param("libreoffice", marks=pytest.mark.libreoffice)])
def book(request, books, tmp_path) -> Path:
    """A fresh copy of one variant of the user's workbook."""
    src = request.getfixturevalue("libreoffice_book") if request.param == "libreoffice" else books[request.param]
    return Path(shutil.copy(src, tmp_path / "målekort_0101_2024.xlsx"))


# -- the edits ---------------------------------------------------------------------------------------
HYPERLINK = '=HYPERLINK("http://evil.example","klikk")'
TRICKY = "linje 1\nlinje 2\t«sitat» & <tag> _x0041_ \x01 slutt"
LOG = [["2024-03-05 10:00:00", "fyll", "Data!C3", 123.456],
       ["2024-03-05 10:00:00", "fyll", "Data!D3", 200]]


def edits() -> dict:
    a3 = 123.456 / 200
    return {
        "Data": {
            "C3": 123.456, "D3": 200,  # existing numbers
            "C4": None,  # cleared, style kept
            "B5": True,
            "Z3": 1e-07,  # a new column: dimension and spans grow
            "B30": "Ny rad æøå ÆØÅ",  # a new row
            "A40": HYPERLINK,  # formula-like text stays text
            "A41": TRICKY,
        },
        "Målekort": {
            "C3": CellEdit.cached(a3), "D3": CellEdit.cached(status(a3)),
            "C4": CellEdit(0.0, 'IF(Data!D4=0,"",Data!C4/Data!D4)'),  # formula rewritten, same text
            "D4": CellEdit.cached("rød"),
            "E5": CellEdit(ErrorValue("#DIV/0!"), "1/0"),  # a new formula cell
            "B14": "Totalt",
            "C14": CellEdit(None, "SUM(C3:C12)"),  # a new formula, no cached value
        },
    }


EXPECTED = {
    "Data": {"C3": 123.456, "D3": 200, "C4": None, "B5": True, "Z3": 1e-07, "B30": "Ny rad æøå ÆØÅ",
             "A40": HYPERLINK, "A41": TRICKY, "D4": nevner(4), "B4": "Indikator 4 æøå"},
    "Målekort": {"C3": 123.456 / 200, "D3": "grønn", "C4": 0, "D4": "rød", "E5": ErrorValue("#DIV/0!"),
                 "B14": "Totalt", "C14": None, "A1": "Målekort for NAV Testby"},
    "Logg": {"A2": "2024-03-05 10:00:00", "B2": "fyll", "C2": "Data!C3", "D2": 123.456,
             "A3": "2024-03-05 10:00:00", "D3": 200, "A4": None},
}


def patch(src: Path, dst: Path, **kw):
    return patch_workbook(src, dst, edits(), append_rows={"Logg": LOG}, **kw)


def members(path: Path) -> dict[str, tuple[zipfile.ZipInfo, bytes, bytes]]:
    """name → (info, uncompressed bytes, raw compressed bytes)."""
    data = path.read_bytes()
    out = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            start = info.header_offset + 30 + int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little") \
                + int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
            out[info.filename] = (info, z.read(info), data[start:start + info.compress_size])
    return out


def sheet_members(path: Path) -> dict[str, str]:
    from excelkort.xlsx.package import open_package
    return open_package(path).sheets


# -- the main test --------------------------------------------------------------------------------------
def test_patch_changes_only_owned_cells(book, tmp_path):
    before_bytes = book.read_bytes()
    before_styles = _styles(book)
    out = tmp_path / "ut.xlsx"
    result = patch(book, out)
    assert result.written and not result.unchanged
    assert result.appended_rows == {"Logg": [2, 3]}
    assert book.read_bytes() == before_bytes  # the source is untouched

    sheets = sheet_members(book)
    patched = {sheets["Data"], sheets["Målekort"], sheets["Logg"]}
    old, new = members(book), members(out)
    assert list(new) == list(old)  # same members, same order
    for name, (info, content, raw) in old.items():
        new_info, new_content, new_raw = new[name]
        assert (new_info.date_time, new_info.external_attr, new_info.create_system) == \
            (info.date_time, info.external_attr, info.create_system), name
        if name in patched or name == "xl/workbook.xml":
            continue
        assert new_content == content, f"{name} changed"
        assert new_raw == raw, f"{name} was recompressed"
    assert set(result.changed_members) <= patched | {"xl/workbook.xml"}
    assert patched <= set(result.changed_members)
    wb_xml = new["xl/workbook.xml"][1].decode()
    assert re.search(r'<calcPr[^>]*fullCalcOnLoad="1"', wb_xml)

    # our reader
    for sheet, cells in EXPECTED.items():
        got = read_cells(out, sheet, list(cells))
        assert got == cells, sheet
    assert isinstance(read_cells(out, "Målekort", ["E5"])["E5"], ErrorValue)

    # openpyxl: cached values, formulas, styles kept
    values = openpyxl.load_workbook(out, data_only=True)
    formulas = openpyxl.load_workbook(out)
    for sheet, cells in EXPECTED.items():
        for ref, value in cells.items():
            got = values[sheet][ref].value
            if ref == "A41":
                assert unescape_ooxml(got) == value  # openpyxl leaves Excel's _xHHHH_ escapes as they are
            else:
                assert got == value, (sheet, ref)
    assert formulas["Data"]["A40"].data_type == "s" and formulas["Data"]["A40"].value == HYPERLINK
    assert formulas["Målekort"]["C3"].value == '=IF(Data!D3=0,"",Data!C3/Data!D3)'
    assert formulas["Målekort"]["E5"].value == "=1/0"
    assert formulas["Målekort"]["C14"].value == "=SUM(C3:C12)"
    after_styles = _styles(out)
    for key, style in before_styles.items():
        assert after_styles[key] == style, key
    # a new cell takes its column's style (Logg's D is formatted like Data's numbers)
    assert formulas["Logg"]["D2"].number_format == formulas["Data"]["C5"].number_format != "General"

    # python-calamine
    cal = CalamineWorkbook.from_path(str(out))
    data = cal.get_sheet_by_name("Data").to_python(skip_empty_area=False)
    assert data[2][2] == 123.456 and data[2][3] == 200 and data[2][25] == 1e-07
    assert data[3][2] == "" and data[4][1] is True
    assert data[29][1] == "Ny rad æøå ÆØÅ" and data[39][0] == HYPERLINK and data[40][0] == TRICKY
    ms = cal.get_sheet_by_name("Målekort").to_python(skip_empty_area=False)
    assert ms[2][2] == pytest.approx(0.61728) and ms[2][3] == "grønn" and ms[13][1] == "Totalt"
    logg = cal.get_sheet_by_name("Logg").to_python(skip_empty_area=False)
    assert logg[1][:4] == ["2024-03-05 10:00:00", "fyll", "Data!C3", 123.456]
    assert logg[2][3] == 200


def _styles(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    out = {}
    for sheet, refs in {"Data": ["C3", "D3", "C4", "A2"], "Målekort": ["C3", "C4", "A1"]}.items():
        for ref in refs:
            cell = wb[sheet][ref]
            out[(sheet, ref)] = (cell.number_format, cell.font.b, cell.fill.fgColor.rgb)
    return out


def test_user_content_survives(books, tmp_path):
    out = tmp_path / "ut.xlsx"
    patch(books["openpyxl"], out)
    names = zipfile.ZipFile(out).namelist()
    assert any(n.startswith("xl/media/") for n in names)
    assert any(n.startswith("xl/charts/") for n in names)
    assert any("comments" in n for n in names)
    wb = openpyxl.load_workbook(out)
    ms = wb["Målekort"]
    assert ms["B3"].comment.text.startswith("Sjekk tallet")
    assert ms.data_validations.dataValidation[0].formula1 == '"Lav,Middels,Høy"'
    assert len(ms.conditional_formatting) == 1
    assert wb["Notater"]["A1"].value == "Brukerens egne notater"


def test_rerun_is_byte_identical(book, tmp_path):
    out = tmp_path / "ut.xlsx"
    assert patch(book, out).written
    first = out.read_bytes()
    mtime = out.stat().st_mtime_ns
    again = patch(book, out)
    assert again.unchanged and out.read_bytes() == first and out.stat().st_mtime_ns == mtime
    # re-filling the filled file with the same values changes nothing either
    refill = patch_workbook(out, None, edits())
    assert refill.unchanged and refill.changed_members == [] and out.read_bytes() == first


def test_in_place_with_backup(book):
    original = book.read_bytes()
    result = patch(book, None, backup=True)
    assert result.written and result.backup is not None
    assert result.backup.read_bytes() == original
    assert result.backup.parent == book.parent / ".excelkort" / "backup"
    assert re.fullmatch(r"målekort_0101_2024\.\d{8}-\d{6}-\d{6}\.xlsx", result.backup.name)
    assert newest_backup(book) == result.backup
    again = patch_workbook(book, None, edits(), backup=True)
    assert again.unchanged and again.backup is None  # no backup when nothing is written
    assert len(list(result.backup.parent.iterdir())) == 1


def test_backup_survives_later_edits_of_the_file(book):
    """The backup is a hard link to the old file, never to the file the user goes on editing."""
    original = book.read_bytes()
    result = patch(book, None, backup=True)
    assert not os.path.samefile(result.backup, book)
    with open(book, "r+b") as fh:  # a program that writes the live file in place
        fh.write(b"XXXX")
    assert result.backup.read_bytes() == original


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".~")]


def test_bad_edit_midway_leaves_source_intact(book):
    original = book.read_bytes()
    bad = edits()
    bad["Logg"] = {"A9": object()}
    with pytest.raises(EditError):
        patch_workbook(book, None, bad)
    with pytest.raises(EditError):
        patch_workbook(book, None, {"Data": {"C3": float("nan")}})
    with pytest.raises(EditError):
        patch_workbook(book, None, {"Data": {"C3": CellEdit(1, "A1\x00")}})
    with pytest.raises(EditError):
        patch_workbook(book, None, {"Data": {"C3": 1, "c3": 2}})
    assert book.read_bytes() == original and _no_temp_files(book.parent)


def test_failure_while_writing_leaves_source_intact(book, monkeypatch):
    original = book.read_bytes()

    def broken_replace(*_a):
        raise OSError("disken er full")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(InputError, match="Kunne ikke skrive filen .*disken er full"):
        patch(book, None)
    assert book.read_bytes() == original and _no_temp_files(book.parent)


def test_a_failed_write_leaves_no_backup_linked_to_the_file(book, monkeypatch):
    """A backup is a hard link only until the rename; when the write fails it must not stay."""
    original = book.read_bytes()

    def disk_full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", disk_full)
    with pytest.raises(InputError, match="Disken er full"):
        patch(book, None, backup=True)
    assert book.read_bytes() == original
    folder = book.parent / ".excelkort" / "backup"
    assert not folder.exists() or not [p for p in folder.iterdir() if os.path.samefile(p, book)]


def test_invalid_utf8_in_a_sheet_is_refused(tmp_path):
    src = _simple(tmp_path / "a.xlsx")
    bad = _rewrite(src, tmp_path / "b.xlsx", {})
    members = {}
    with zipfile.ZipFile(bad) as z:
        for info in z.infolist():
            members[info.filename] = z.read(info)
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", b'<row r="9"><c r="A9" t="inlineStr"><is><t>\xfe</t></is></c></row></sheetData>')
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    before = bad.read_bytes()
    with pytest.raises(InputError) as exc:
        patch_workbook(bad, None, {"Ark": {"A1": 5}})
    assert str(exc.value.problems[0]).endswith(
        "Filen er skadet (delen «xl/worksheets/sheet1.xml» er ikke gyldig XML). Åpne den i Excel og "
        "lagre den på nytt, eller hent en sikkerhetskopi.")
    assert bad.read_bytes() == before


def test_a_cell_attribute_holding_a_greater_than_sign(tmp_path):
    """``>`` is legal in an attribute value; the cell's tag must still be read whole."""
    src = _simple(tmp_path / "a.xlsx")
    odd = _rewrite(src, tmp_path / "b.xlsx", {"xl/worksheets/sheet1.xml": lambda x: x.replace(
        '<c r="A2">', '<c r="A2" x:note="a>b" xmlns:x="urn:x">').replace(
        '<c r="B2">', '<c s="0" r="B2" x:note="c>d" xmlns:x="urn:x">')})
    out = patch_workbook(odd, tmp_path / "c.xlsx", {"Ark": {"A2": 7, "B2": CellEdit.cached(14)}})
    assert out.written
    xml = members(tmp_path / "c.xlsx")["xl/worksheets/sheet1.xml"][1].decode()
    assert '<c r="A2" x:note="a>b" xmlns:x="urn:x"><v>7</v></c>' in xml
    assert '<c s="0" r="B2" x:note="c>d" xmlns:x="urn:x"><f>A2*2</f><v>14</v></c>' in xml
    assert read_cells(tmp_path / "c.xlsx", "Ark", ["A2", "B2"]) == {"A2": 7, "B2": 14}


def test_failure_while_zipping_leaves_source_intact(book, monkeypatch):
    original = book.read_bytes()

    def broken(*_a, **_k):
        raise RuntimeError("midt i")

    monkeypatch.setattr(workbookpatch, "build_zip", broken)
    with pytest.raises(RuntimeError):
        patch(book, None)
    assert book.read_bytes() == original and _no_temp_files(book.parent)


def test_missing_sheet_and_locked_file(book):
    with pytest.raises(InputError) as exc:
        patch_workbook(book, None, {"Borte": {"A1": 1}})
    assert exc.value.problems[0].sheet == "Borte"
    lock = book.with_name("~$" + book.name)
    lock.write_bytes(b"x")
    original = book.read_bytes()
    with pytest.raises(InputError) as exc:
        patch(book, None)
    assert "Lukk den i Excel og prøv igjen" in str(exc.value)
    assert book.read_bytes() == original


def test_dimension_and_spans_grow(books, tmp_path):
    out = tmp_path / "ut.xlsx"
    patch(books["xlsxwriter"], out)
    xml = zipfile.ZipFile(out).read(sheet_members(out)["Data"]).decode()
    assert '<dimension ref="A2:Z41"/>' in xml
    assert '<row r="3" spans="1:26">' in xml
    assert xml.index('<row r="12"') < xml.index('<row r="30">') < xml.index('<row r="40">')
    assert '<c r="A40" t="inlineStr"><is><t>=HYPERLINK("http://evil.example","klikk")</t></is></c>' in xml
    assert '<c r="C4" s="3"/>' in xml  # value cleared, style kept
    ms = zipfile.ZipFile(out).read(sheet_members(out)["Målekort"]).decode()
    assert '<c r="E5" t="e"><f>1/0</f><v>#DIV/0!</v></c>' in ms
    assert '<c r="D3" t="str"><f>IF(AND(ISNUMBER(C3),C3&gt;=0.5),"grønn","rød")</f><v>grønn</v></c>' in ms
    logg = zipfile.ZipFile(out).read(sheet_members(out)["Logg"]).decode()
    # a new cell in a formatted row takes the row's style; in a styled column the column's
    assert re.search(r'<row r="4"[^>]*customFormat="1"/>', logg)  # row 4 untouched (2 log rows)
    assert re.search(r'<c r="D2" s="\d+"><v>123.456</v></c>', logg)
    third = tmp_path / "tredje.xlsx"
    patch_workbook(out, third, {}, append_rows={"Logg": [["2024-03-06", "fyll"]]})
    logg = zipfile.ZipFile(third).read(sheet_members(out)["Logg"]).decode()
    assert re.search(r'<row r="4" spans="1:4" s="1" customFormat="1"><c r="A4" s="1" t="inlineStr">'
                     r'<is><t>2024-03-06</t></is></c><c r="B4" s="1" t="inlineStr">', logg)


def test_shared_strings_untouched_and_numbers_exact(books, tmp_path):
    out = tmp_path / "ut.xlsx"
    values = {"Data": {"C3": 0.1 + 0.2, "C5": 2**53 + 1, "C6": -0.0, "C7": 1.7976931348623157e308}}
    patch_workbook(books["xlsxwriter"], out, values)
    assert zipfile.ZipFile(out).read("xl/sharedStrings.xml") == zipfile.ZipFile(books["xlsxwriter"]).read(
        "xl/sharedStrings.xml")
    got = read_cells(out, "Data", ["C3", "C5", "C6", "C7"])
    assert got == {"C3": 0.30000000000000004, "C5": 2**53 + 1, "C6": 0.0, "C7": 1.7976931348623157e308}


def test_full_calc_on_load_added_to_existing_calcpr(tmp_path, books):
    src = _rewrite(books["xlsxwriter"], tmp_path / "a.xlsx", {
        "xl/workbook.xml": lambda x: re.sub(r"<calcPr[^>]*/>", '<calcPr calcId="191029" fullCalcOnLoad="0"/>', x)})
    patch_workbook(src, tmp_path / "b.xlsx", {"Data": {"C3": 1}})
    assert '<calcPr calcId="191029" fullCalcOnLoad="1"/>' in zipfile.ZipFile(tmp_path / "b.xlsx").read(
        "xl/workbook.xml").decode()
    src2 = _rewrite(books["xlsxwriter"], tmp_path / "c.xlsx", {
        "xl/workbook.xml": lambda x: re.sub(r"<calcPr[^>]*/>", "", x)})
    patch_workbook(src2, tmp_path / "d.xlsx", {"Data": {"C3": 1}})
    wb = zipfile.ZipFile(tmp_path / "d.xlsx").read("xl/workbook.xml").decode()
    assert '</definedNames><calcPr fullCalcOnLoad="1"/></workbook>' in wb
    patch_workbook(src2, tmp_path / "e.xlsx", {"Data": {"C3": 1}}, full_calc_on_load=False)
    assert zipfile.ZipFile(tmp_path / "e.xlsx").read("xl/workbook.xml") == zipfile.ZipFile(src2).read("xl/workbook.xml")


# -- unusual sheet XML ---------------------------------------------------------------------------------
def _rewrite(src: Path, dst: Path, changes: dict, add: dict | None = None) -> Path:
    """Copy a package, transforming some members' text (as another producer might write them)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in changes:
                data = changes[info.filename](data.decode()).encode()
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def _simple(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Ark")
    for r in range(4):
        ws.write_number(r, 0, r + 1)
        ws.write_formula(r, 1, f"=A{r + 1}*2", None, (r + 1) * 2)
    wb.close()
    return path


def _shared_formulas(xml: str) -> str:
    xml = xml.replace("<f>A1*2</f>", '<f t="shared" ref="B1:B4" si="0">A1*2</f>')
    for r in (2, 3, 4):
        xml = xml.replace(f"<f>A{r}*2</f>", '<f t="shared" si="0"/>')
    return xml


def test_overwriting_a_shared_formula_master_keeps_the_group(tmp_path):
    src = _rewrite(_simple(tmp_path / "s.xlsx"), tmp_path / "delt.xlsx", {"xl/worksheets/sheet1.xml": _shared_formulas})
    out = tmp_path / "ut.xlsx"
    patch_workbook(src, out, {"Ark": {"B1": 100, "A3": 10, "B3": CellEdit.cached(20)}})
    wb = openpyxl.load_workbook(out)["Ark"]
    assert [wb[f"B{r}"].value for r in range(1, 5)] == [100, "=A2*2", "=A3*2", "=A4*2"]
    assert read_cells(out, "Ark") == {"A1": 1, "B1": 100, "A2": 2, "B2": 4, "A3": 10, "B3": 20, "A4": 4, "B4": 8}
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>A2*2</f>" in xml and "<f>A4*2</f>" in xml and 'si="0"' not in xml.split('r="B3"')[0]


def test_keep_formula_in_shared_group(tmp_path):
    src = _rewrite(_simple(tmp_path / "s.xlsx"), tmp_path / "delt.xlsx", {"xl/worksheets/sheet1.xml": _shared_formulas})
    out = tmp_path / "ut.xlsx"
    patch_workbook(src, out, {"Ark": {"A2": 7, "B2": CellEdit.cached(14)}})
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="B2"><f t="shared" si="0"/><v>14</v></c>' in xml
    assert openpyxl.load_workbook(out)["Ark"]["B2"].value == "=A2*2"


CALC_CHAIN = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="http://schemas.'
              'openxmlformats.org/spreadsheetml/2006/main"><c r="B1" i="1"/><c r="B2"/><c r="B3"/><c r="B4"/></calcChain>')


def _with_calc_chain(tmp_path) -> Path:
    rel = ('<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           'relationships/calcChain" Target="calcChain.xml"/>')
    override = ('<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
                'officedocument.spreadsheetml.calcChain+xml"/>')
    return _rewrite(_simple(tmp_path / "s.xlsx"), tmp_path / "kjede.xlsx", {
        "xl/_rels/workbook.xml.rels": lambda x: x.replace("</Relationships>", rel + "</Relationships>"),
        "[Content_Types].xml": lambda x: x.replace("</Types>", override + "</Types>"),
    }, add={"xl/calcChain.xml": CALC_CHAIN})


def test_calc_chain_kept_when_only_values_change(tmp_path):
    src = _with_calc_chain(tmp_path)
    out = tmp_path / "ut.xlsx"
    result = patch_workbook(src, out, {"Ark": {"A1": 5, "B1": CellEdit.cached(10)}})
    assert "xl/calcChain.xml" not in result.changed_members
    assert zipfile.ZipFile(out).read("xl/calcChain.xml").decode() == CALC_CHAIN


def test_calc_chain_dropped_when_formulas_change(tmp_path):
    src = _with_calc_chain(tmp_path)
    out = tmp_path / "ut.xlsx"
    result = patch_workbook(src, out, {"Ark": {"B2": 99, "C1": CellEdit(3, "A1+2")}})
    z = zipfile.ZipFile(out)
    assert "xl/calcChain.xml" not in z.namelist() and "xl/calcChain.xml" in result.changed_members
    assert "calcChain" not in z.read("xl/_rels/workbook.xml.rels").decode()
    assert "calcChain" not in z.read("[Content_Types].xml").decode()
    assert z.testzip() is None
    assert openpyxl.load_workbook(out)["Ark"]["C1"].value == "=A1+2"


def test_rows_and_cells_without_r(tmp_path):
    def strip_r(xml: str) -> str:
        return re.sub(r' r="[A-Z]*[0-9]+"', "", re.sub(r' spans="[^"]*"', "", xml))
    src = _rewrite(_simple(tmp_path / "s.xlsx"), tmp_path / "uten_r.xlsx", {"xl/worksheets/sheet1.xml": strip_r})
    assert ' r="' not in zipfile.ZipFile(src).read("xl/worksheets/sheet1.xml").decode().split("<sheetData>")[1].split("</sheetData>")[0]
    out = tmp_path / "ut.xlsx"
    patch_workbook(src, out, {"Ark": {"A2": 7, "D1": "ny", "A6": 5}})
    expected = {"A1": 1, "B1": 2, "D1": "ny", "A2": 7, "B2": 4, "A3": 3, "B3": 6, "A4": 4, "B4": 8, "A6": 5}
    assert read_cells(out, "Ark") == expected
    ws = openpyxl.load_workbook(out)["Ark"]
    assert {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None} == {
        **expected, "B1": "=A1*2", "B2": "=A2*2", "B3": "=A3*2", "B4": "=A4*2"}


def test_namespace_prefix(tmp_path):
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    def prefixed(xml: str) -> str:
        xml = re.sub(r"<(/?)([A-Za-z]+)([\s>/])", r"<\1x:\2\3", xml)
        return xml.replace(f'xmlns="{main}"', f'xmlns:x="{main}"')
    src = _rewrite(_simple(tmp_path / "s.xlsx"), tmp_path / "prefiks.xlsx", {"xl/worksheets/sheet1.xml": prefixed})
    out = tmp_path / "ut.xlsx"
    patch_workbook(src, out, {"Ark": {"A1": 3, "C2": "tekst", "A9": True, "B2": CellEdit.cached(9)}})
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert '<x:c r="C2" t="inlineStr"><x:is><x:t>tekst</x:t></x:is></x:c>' in xml
    assert read_cells(out, "Ark", ["A1", "C2", "A9", "B2"]) == {"A1": 3, "C2": "tekst", "A9": True, "B2": 9}
    assert openpyxl.load_workbook(out)["Ark"]["C2"].value == "tekst"


def test_empty_sheet_gets_rows(books, tmp_path):
    out = tmp_path / "ut.xlsx"
    result = patch_workbook(books["xlsxwriter"], out, {}, append_rows={"Tom": [["a", 1], ["b", None, 2]]})
    assert result.appended_rows == {"Tom": [1, 2]}
    assert read_cells(out, "Tom") == {"A1": "a", "B1": 1, "A2": "b", "C2": 2}


def test_text_in_doctype_sheet_refused(books, tmp_path):
    src = _rewrite(books["xlsxwriter"], tmp_path / "dtd.xlsx", {
        "xl/worksheets/sheet2.xml": lambda x: x.replace("<worksheet", '<!DOCTYPE w [<!ENTITY e "x">]><worksheet', 1)})
    original = src.read_bytes()
    with pytest.raises(InputError) as exc:
        patch_workbook(src, None, {"Data": {"A1": 1}})
    assert "inneholder en DOCTYPE- eller ENTITY-erklæring" in str(exc.value)
    assert src.read_bytes() == original


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-2**53, 2**53),
                       st.text(max_size=40), st.booleans()))
def test_any_value_round_trips(books, tmp_path, value):
    out = tmp_path / "ut.xlsx"
    patch_workbook(books["xlsxwriter"], out, {"Data": {"C3": value, "AA50": value}})
    got = read_cells(out, "Data", ["C3", "AA50"])
    expected = value.replace("\ufffe", "\ufffd").replace("\uffff", "\ufffd") if isinstance(value, str) else value
    assert got == {"C3": expected, "AA50": expected}
    assert type(got["C3"]) is type(value)
    row = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Data").to_python(skip_empty_area=False)[2]
    if isinstance(value, (bool, str)):
        assert row[2] == expected
    else:
        assert row[2] == pytest.approx(float(value))


def _cached_edits(path: Path) -> dict:
    """A new cached value for every formula cell of the Målekort sheet, of every kind."""
    from excelkort.xlsx.package import open_package
    package = open_package(path)
    xml = package.read(package.sheet_member("Målekort")).decode()
    formula_refs = re.findall(r'<c r="([A-Z]+[0-9]+)"[^>]*>(?:<f[ >/])', xml)
    values = [0.25, 7, "gul", "", None, True, ErrorValue("#N/A"), 'a<b & "c"']
    return {"Målekort": {ref: CellEdit.cached(values[i % len(values)]) for i, ref in enumerate(formula_refs)}}


def test_fast_cached_value_path_writes_what_the_general_path_writes(book, tmp_path, monkeypatch):
    """Updating a formula's cached value has a fast path; it must give the very same bytes."""
    cells = _cached_edits(book)
    assert len(cells["Målekort"]) >= 10
    hits = []
    original = sheetpatch._SheetPatch._cached_fast

    def counting(*args):
        hits.append(original(*args) is not None)
        return None if hits[-1] is False else original(*args)
    monkeypatch.setattr(sheetpatch._SheetPatch, "_cached_fast", counting)
    fast = patch_workbook(book, tmp_path / "fast.xlsx", cells)
    assert sum(hits) >= len(cells["Målekort"]) // 2  # the fast path is really taken
    monkeypatch.setattr(sheetpatch._SheetPatch, "_cached_fast", lambda *args: None)
    general = patch_workbook(book, tmp_path / "general.xlsx", cells)
    assert fast.written and general.written
    assert (tmp_path / "fast.xlsx").read_bytes() == (tmp_path / "general.xlsx").read_bytes()
    got = read_cells(tmp_path / "fast.xlsx", "Målekort", list(cells["Målekort"]))
    assert got == {ref: edit.value for ref, edit in cells["Målekort"].items()}


# -- LibreOffice -------------------------------------------------------------------------------------------
def lo_csv(path: Path, outdir: Path) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook as CSV rows, through LibreOffice headless (recalculating)."""
    proc = run_soffice(
        [path], "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", outdir)
    out = {}
    for f in outdir.glob(f"{path.stem}-*.csv"):
        out[f.stem[len(path.stem) + 1:]] = list(csv.reader(f.read_text(encoding="utf-8").splitlines()))
    assert out, proc.stdout + proc.stderr
    return out


def number(text: str) -> float:
    """A number as LibreOffice's CSV shows it (percent formats keep their %)."""
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


@pytest.mark.libreoffice
def test_libreoffice_opens_patched_file(book, tmp_path):
    out = tmp_path / "ut.xlsx"
    patch(book, out)
    sheets = lo_csv(out, tmp_path / "csv")
    data, ms, logg = sheets["Data"], sheets["Målekort"], sheets["Logg"]
    assert data[2][2] == "123.456" and data[2][3] == "200" and float(data[2][25]) == 1e-07
    assert data[39][0] == HYPERLINK  # text, not a formula
    assert data[29][1] == "Ny rad æøå ÆØÅ"
    # LibreOffice recalculates: its values are those the cached values claimed
    assert number(ms[2][2]) == pytest.approx(123.456 / 200) and ms[2][3] == "grønn"
    assert number(ms[3][2]) == 0 and ms[3][3] == "rød"
    assert ms[4][4] == "#DIV/0!"
    total = sum(andel(teller(r), nevner(r)) for r in ROWS if r not in (3, 4)) + 123.456 / 200
    assert number(ms[13][2]) == pytest.approx(total)
    assert logg[1][:4] == ["2024-03-05 10:00:00", "fyll", "Data!C3", "123.456"]
    pdf = convert([out], "pdf", tmp_path / "pdf")[0]
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 1000


@pytest.mark.libreoffice
def test_libreoffice_reads_unshared_formulas_and_dropped_calc_chain(tmp_path):
    src = _rewrite(_simple(tmp_path / "s.xlsx"), tmp_path / "delt.xlsx", {"xl/worksheets/sheet1.xml": _shared_formulas})
    out = tmp_path / "ut.xlsx"
    patch_workbook(src, out, {"Ark": {"B1": 100, "A3": 10, "B3": CellEdit.cached(20)}})
    rows = lo_csv(out, tmp_path / "a")["Ark"]
    assert [r[:2] for r in rows] == [["1", "100"], ["2", "4"], ["10", "20"], ["4", "8"]]
    chain = _with_calc_chain(tmp_path)
    out2 = tmp_path / "ut2.xlsx"
    patch_workbook(chain, out2, {"Ark": {"B2": 99, "C1": CellEdit(3, "A1+2")}})
    rows = lo_csv(out2, tmp_path / "b")["Ark"]
    assert rows[0] == ["1", "2", "3"] and rows[1][:2] == ["2", "99"]
