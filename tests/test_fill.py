"""`excelkort fyll`: lossless, atomic, idempotent filling of users' own workbooks (SPEC §5, §6)."""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.chart import LineChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from python_calamine import CalamineWorkbook

from scorecard_files import office_files
from excelkort.scorecard import layout as L
from excelkort.inputs.catalogue import default_catalogue
from excelkort.cli import main
from excelkort.inputs.extract import write_extract_csv
from excelkort.steps.fill import fill_workbooks
from excelkort.scorecard.reader import read_scorecard
from excelkort.inputs.register import demo_register
from excelkort.xlsx.refs import cell_ref
from excelkort.steps.synth_forms import extract_rows

PERIOD = "2026-10"
NOW = dt.datetime(2026, 11, 5, 8, 30, 0)
CATALOGUE = default_catalogue()
OWNED_MEMBERS = {"xl/workbook.xml", "xl/calcChain.xml"}
SPARKLINES = (
    b'<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" '
    b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    b'<x14:sparklineGroups xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    b'<x14:sparklineGroup displayEmptyCellsAs="gap"><x14:colorSeries rgb="FF376092"/>'
    b'<x14:sparklines><x14:sparkline><xm:f>M\xc3\xa5lekort!F9:Q9</xm:f><xm:sqref>AA9</xm:sqref>'
    b'</x14:sparkline></x14:sparklines></x14:sparklineGroup></x14:sparklineGroups></ext></extLst>'
)


def _png() -> bytes:
    raw = b"\x00\xff\x00\x00" * 4
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + raw[:12] for _ in range(4))))
            + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """One office's målekort with its typed local values, and two months' extracts."""
    return office_files(tmp_path_factory.mktemp("office"))


def _copy(src: Path, folder: Path) -> Path:
    dst = folder / src.name
    shutil.copy2(src, dst)
    return dst


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def _sheet_member(path: Path, sheet: str) -> str:
    from excelkort.xlsx.package import open_package
    return open_package(path, allow_locked=True).sheet_member(sheet)


def _add_user_content(path: Path) -> None:
    """What an office leader adds in Excel, made with other tools than the one that wrote it."""
    wb = openpyxl.load_workbook(path)
    ws = wb[L.SCORECARD_SHEET]
    img = Image(io.BytesIO(_png()))
    ws.add_image(img, "S2")
    ws["B9"].comment = Comment("Husk å sjekke dette tallet", "Kontorleder")
    notes = wb.create_sheet("Mine notater")
    notes["A1"] = "Egne notater"
    for i in range(1, 7):
        notes.cell(i + 1, 1, i)
        notes.cell(i + 1, 2, i * i)
    chart = LineChart()
    chart.add_data(Reference(notes, min_col=2, min_row=1, max_row=7), titles_from_data=True)
    notes.add_chart(chart, "D2")
    wb.defined_names["MittNavn"] = openpyxl.workbook.defined_name.DefinedName(
        "MittNavn", attr_text="'Mine notater'!$A$1")
    wb.save(path)
    # a sparkline group (openpyxl cannot write one): added to the Målekort sheet's XML
    member = _sheet_member(path, L.SCORECARD_SHEET)
    members = _members(path)
    xml = members[member]
    assert b"<extLst>" not in xml
    members[member] = xml.replace(b"</worksheet>", SPARKLINES + b"</worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _fill(extract: Path, *workbooks: Path):
    return fill_workbooks(extract, list(workbooks), CATALOGUE, now=NOW)


def test_fill_changes_only_the_cells_excelkort_owns(office, tmp_path):
    wb = _copy(office["workbook"], tmp_path)
    _add_user_content(wb)
    before = _members(wb)
    report = _fill(office["extracts"]["2026-10"], wb)
    assert report.changed == [wb] and not report.rejected
    after = _members(wb)
    owned = OWNED_MEMBERS | {_sheet_member(wb, s) for s in (L.SCORECARD_SHEET, L.DATA_SHEET, L.LOG_SHEET)}
    assert set(after) <= set(before)
    for name, data in before.items():
        if name not in owned:
            assert after.get(name) == data, f"{name} endret seg"
    # the user's additions are all still there
    assert any(n.startswith("xl/media/") for n in after)
    assert any(n.startswith("xl/charts/") for n in after)
    assert any("comments" in n for n in after)
    assert SPARKLINES in after[_sheet_member(wb, L.SCORECARD_SHEET)]
    assert b"MittNavn" in after["xl/workbook.xml"]
    assert b'fullCalcOnLoad="1"' in after["xl/workbook.xml"]
    # and the numbers arrived
    sc = read_scorecard(wb, CATALOGUE)
    assert sc.period == "2026-10"
    series = office["year"].series[(office["unit"].id, "P1")]
    assert sc.rows["P1"].teller[9] == series.teller[9]
    assert sc.rows["P1"].nevner[9] == series.nevner[9]


def test_filling_twice_leaves_the_file_byte_identical(office, tmp_path):
    wb = _copy(office["workbook"], tmp_path)
    _fill(office["extracts"]["2026-10"], wb)
    first = wb.read_bytes()
    report = _fill(office["extracts"]["2026-10"], wb)
    assert report.unchanged == [wb] and not report.changed
    assert wb.read_bytes() == first


def test_a_month_later_fills_forward_and_keeps_a_backup(office, tmp_path):
    wb = _copy(office["workbook"], tmp_path)
    _fill(office["extracts"]["2026-09"], wb)
    september = wb.read_bytes()
    report = _fill(office["extracts"]["2026-10"], wb)
    assert report.changed == [wb]
    assert read_scorecard(wb, CATALOGUE).period == "2026-10"
    backup = report.backups[0]
    assert backup.parent == tmp_path / ".excelkort" / "backup"
    assert backup.read_bytes() == september
    # an older extract never moves Periode back
    _fill(office["extracts"]["2026-09"], wb)
    assert read_scorecard(wb, CATALOGUE).period == "2026-10"
    # the log: one summary row for a fill's first values, one row for Periode
    log = CalamineWorkbook.from_path(str(wb)).get_sheet_by_name(L.LOG_SHEET).to_python()
    october = [row for row in log[1:] if row[6] == "uttrekk_2026-10.csv"]
    assert len(october) == 2
    first, period = october
    assert first[1] == "Data" and re.fullmatch(r"[A-Z]+\d+…[A-Z]+\d+", first[2]) and first[4] == ""
    assert first[3].startswith("B1, B2, B3") and re.fullmatch(r"\d+ nye verdier \(2026-04–2026-10\)", first[5])  # Etterslep months too
    assert period[3:6] == ["Periode", "2026-09", "2026-10"]


def test_corrected_extract_updates_the_cell_and_logs_it(office, tmp_path):
    wb = _copy(office["workbook"], tmp_path)
    _fill(office["extracts"]["2026-10"], wb)
    rows = extract_rows(office["year"], CATALOGUE, PERIOD)
    unit = office["unit"].id
    target = next(r for r in rows if r["enhet"] == unit and r["indikator"] == "P1"
                  and r["periode"] == "2026-10")
    old = target["teller"]
    target["teller"] = old - 3
    corrected = tmp_path / "uttrekk_2026-10_rettet.csv"
    write_extract_csv(rows, corrected)
    report = _fill(corrected, wb)
    assert report.data_changes == 1
    sc = read_scorecard(wb, CATALOGUE)
    assert sc.rows["P1"].teller[9] == old - 3
    log = CalamineWorkbook.from_path(str(wb)).get_sheet_by_name(L.LOG_SHEET).to_python()
    assert list(log[0]) == list(L.LOG_LABELS)
    ref = cell_ref(sc.rows["P1"].data_row, sc.data_cols["Okt teller"])
    last = log[-1]
    assert last[:7] == ["2026-11-05 08:30:00", "Data", ref, "P1", str(int(old)), str(int(old - 3)),
                        "uttrekk_2026-10_rettet.csv"]


def test_workbook_open_in_excel_is_skipped(office, tmp_path):
    wb = _copy(office["workbook"], tmp_path)
    (tmp_path / f"~${wb.name}").write_bytes(b"lock")
    before = wb.read_bytes()
    report = _fill(office["extracts"]["2026-10"], wb)
    assert wb.read_bytes() == before
    assert len(report.rejected) == 1
    assert report.rejected[0][1] == (
        f"{wb.name}: Filen er åpen i Excel (låsefilen «~${wb.name}» finnes). Lukk den i Excel og kjør "
        "fyll på nytt. Er filen ikke åpen, kan du slette låsefilen.")
    result = CliRunner().invoke(main, ["fyll", str(office["extracts"]["2026-10"]), str(wb)])
    assert result.exit_code == 3
    assert "Traceback" not in result.output


def test_a_failing_fill_leaves_the_workbook_byte_identical(office, tmp_path, monkeypatch):
    wb = _copy(office["workbook"], tmp_path)
    before = wb.read_bytes()
    import excelkort.xlsx.workbookpatch as xp

    def boom(*args, **kwargs):
        raise OSError("disken er full")
    monkeypatch.setattr(xp, "build_zip", boom)
    report = _fill(office["extracts"]["2026-10"], wb)  # rejected and listed; the run goes on
    assert report.rejected == [(wb, f"{wb.name}: Intern feil ved fylling (OSError: disken er full); "
                                    "filen er ikke endret. Meld fra til den som drifter excelkort.")]
    assert wb.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~")] == []


def test_only_automatic_indicators_are_filled(office, tmp_path):
    wb = _copy(office["workbook"], tmp_path)
    before = read_scorecard(wb, CATALOGUE)
    _fill(office["extracts"]["2026-10"], wb)
    after = read_scorecard(wb, CATALOGUE)
    for ind in CATALOGUE:
        if not ind.is_automatic:
            assert after.rows[ind.id].teller == before.rows[ind.id].teller
            assert after.rows[ind.id].bare == before.rows[ind.id].bare


@pytest.mark.libreoffice
def test_filled_workbook_recalculates_to_the_cached_values(office, tmp_path):
    from recalc_compare import formula_mismatches
    wb = _copy(office["workbook"], tmp_path)
    _add_user_content(wb)
    _fill(office["extracts"]["2026-10"], wb)
    compared, problems = formula_mismatches([wb], tmp_path / "lo")
    assert compared > 1000
    assert problems == []


@pytest.mark.libreoffice
def test_fill_after_a_libreoffice_round_trip(office, tmp_path):
    """A workbook last saved by LibreOffice fills losslessly and still recalculates right."""
    from libreoffice import convert
    from recalc_compare import formula_mismatches
    (tmp_path / "src").mkdir()
    src = _copy(office["workbook"], tmp_path / "src")
    saved = convert([src], "xlsx", tmp_path / "lo")[0]
    before = _members(saved)
    report = _fill(office["extracts"]["2026-10"], saved)
    assert report.changed == [saved], report.rejected
    after = _members(saved)
    owned = OWNED_MEMBERS | {_sheet_member(saved, s) for s in (L.SCORECARD_SHEET, L.DATA_SHEET, L.LOG_SHEET)}
    for name, data in before.items():
        if name not in owned:
            assert after.get(name) == data, f"{name} endret seg"
    sc = read_scorecard(saved, CATALOGUE)
    assert sc.period == "2026-10"
    compared, problems = formula_mismatches([saved], tmp_path / "lo2")
    assert compared > 1000
    assert problems == []


def test_an_odd_workbook_is_rejected_and_the_run_goes_on(office, tmp_path):
    """A workbook whose Periode name is a range (not a cell) is listed; the next one is filled."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    odd = _copy(office["workbook"], tmp_path / "a")
    good = _copy(office["workbook"], tmp_path / "b")
    members = _members(odd)
    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(b"$C$4<", b"$C$4:$D$4<")
    with zipfile.ZipFile(odd, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    report = _fill(office["extracts"]["2026-10"], odd, good)
    assert report.changed == [good] or report.changed == [odd, good]
    assert good in report.changed


def test_ny_never_overwrites_a_users_workbook(office, tmp_path):
    """`ny` refuses an existing file (exit 2); with --erstatt the old one is backed up first."""
    wb = _copy(office["workbook"], tmp_path)
    before = wb.read_bytes()
    runner = CliRunner()
    from excelkort.inputs.register import demo_register, write_register_csv

    write_register_csv(demo_register(), tmp_path / "enheter.csv")
    args = ["ny", "--enhet", office["unit"].id, "--periode", "2026-09", "-o", str(tmp_path),
            "--register", str(tmp_path / "enheter.csv")]
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert ("Filen finnes allerede og blir ikke overskrevet. Lag den på nytt med --erstatt (fra "
            "Python: replace=True); den gamle tas vare på i .excelkort/backup/.") in result.output
    assert wb.read_bytes() == before
    result = runner.invoke(main, args + ["--erstatt"])
    assert result.exit_code == 0, result.output
    backups = list((tmp_path / ".excelkort" / "backup").glob("målekort_*.xlsx"))
    assert [b.read_bytes() for b in backups] == [before]


def test_a_workbook_that_gets_no_rows_is_named_with_a_hint(office, tmp_path):
    """An extract where the unit lost its leading zero (0101 → 101) never fills silently."""
    wb = _copy(office["workbook"], tmp_path)
    rows = extract_rows(office["year"], CATALOGUE, PERIOD)
    for r in rows:
        r["enhet"] = r["enhet"].lstrip("0")
    broken = tmp_path / "uttrekk_uten_null.csv"
    write_extract_csv(rows, broken)
    report = _fill(broken, wb)
    assert report.not_filled == [wb] and report.unchanged == []
    result = CliRunner().invoke(main, ["fyll", str(broken), str(wb)])
    assert result.exit_code == 3  # a script notices: some workbooks were not filled
    assert "0 uendret, 1 ikke fylt (ingen rader for enheten og året)" in result.output
    texts = [str(p) for p in report.warnings]
    unit = office["unit"].id
    assert (f"{wb.name}: Advarsel: Uttrekket uttrekk_uten_null.csv har ingen rader for enheten «{unit}»; "
            f"målekortet ble ikke fylt. Uttrekket har enheten «{unit.lstrip('0')}»: mente du «{unit}»? "
            "Enhetsnummer er tekst, og ledende null kan ha falt bort i Excel.") in texts


def test_sjekk_checks_an_extracts_units_against_the_register(office, tmp_path):
    """A lost leading zero is caught before the fill, by sjekk with the work folder's register."""
    from excelkort.inputs.register import write_register_csv

    rows = extract_rows(office["year"], CATALOGUE, PERIOD)
    for r in rows:
        r["enhet"] = r["enhet"].lstrip("0")
    broken = tmp_path / "uttrekk_uten_null.csv"
    write_extract_csv(rows, broken)
    register = tmp_path / "enheter.csv"
    write_register_csv(demo_register(), register)
    unit = office["unit"].id
    without = CliRunner().invoke(main, ["sjekk", str(broken)])
    assert without.exit_code == 0 and "enhetsregisteret" not in without.output  # cannot check units
    result = CliRunner().invoke(main, ["sjekk", "--register", str(register), str(broken)])
    assert result.exit_code == 2  # an error, as in kontroll: the office would go unfilled
    assert (f"enheten «{unit.lstrip('0')}» finnes ikke i enhetsregisteret; 149 rader (linje ") \
        in result.output
    assert f"Mente du «{unit}»? Enhetsnummer er tekst" in result.output


def test_a_tiltaksplan_given_to_fyll_is_skipped_not_rejected(office, tmp_path):
    wb = _copy(office["workbook"], tmp_path)
    plan = _copy(office["workbook"].parent / office["workbook"].name.replace("målekort", "tiltaksplan"), tmp_path)
    report = _fill(office["extracts"]["2026-10"], wb, plan)
    assert report.changed == [wb] and not report.rejected
    assert report.skipped == [(plan, f"{plan.name} er en tiltaksplan, ikke et målekort, og ble hoppet over.")]


def test_an_indicator_row_the_user_deleted_is_reported_not_dropped_silently(office, tmp_path):
    wb = _copy(office["workbook"], tmp_path)
    sc = read_scorecard(wb, CATALOGUE)
    row = sc.rows["P1"].data_row + 1
    member = _sheet_member(wb, L.DATA_SHEET)
    members = _members(wb)
    xml = members[member].decode()
    start = xml.index(f'<row r="{row}"')
    end = xml.index("</row>", start) + len("</row>")
    members[member] = (xml[:start] + xml[end:]).encode()  # the Data row of P1 is gone
    with zipfile.ZipFile(wb, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    report = _fill(office["extracts"]["2026-10"], wb)
    texts = [str(p) for p in report.warnings]
    assert any(t.startswith(f"{wb.name}, ark «Data»: Advarsel: Indikatoren P1 har ingen rad i arket «Data»; ")
               and "fra uttrekket ble ikke fylt inn. Lag raden på nytt (se malen) og kjør fyll igjen." in t
               for t in texts), texts


def test_a_catalogue_changed_mid_year_is_logged_not_applied(office, tmp_path):
    """SPEC §3: a target or definition changed mid-year never touches the months reported."""
    import dataclasses

    from excelkort.model import Catalogue

    changed = Catalogue(tuple(
        dataclasses.replace(ind, target=70.0, tolerance=3.0) if ind.id == "P1"
        else dataclasses.replace(ind, decimals_given=2, direction="nær") if ind.id == "B6" else ind
        for ind in CATALOGUE))
    same, new = tmp_path / "same", tmp_path / "new"
    same.mkdir(), new.mkdir()
    a, b = _copy(office["workbook"], same), _copy(office["workbook"], new)
    extract = office["extracts"]["2026-10"]
    fill_workbooks(extract, [a], CATALOGUE, now=NOW)
    report = fill_workbooks(extract, [b], changed, now=NOW)
    # the workbook is computed with its own catalogue: Data and Målekort as with the old one
    for sheet in (L.DATA_SHEET, L.SCORECARD_SHEET):
        member = _sheet_member(a, sheet)
        assert _members(a)[member] == _members(b)[member], sheet
    assert [str(w) for w in report.warnings if "Katalogen" in str(w)] == [
        f"{b.name}: Advarsel: Katalogen fyll brukte endrer indikatorer som {b.name} ble laget med: "
        "B6 Retning lavere → nær, Desimaler 1 → 2; P1 Mål 80 → 70, Toleranse tom → 3. Målekortet "
        "regnes videre "
        "med sin egen katalog (arket «Indikatorer»), så måneder som er rapportert endres ikke; "
        "endringen er ført i Logg. Den gjelder fra neste års målekort, eller lag målekortet på nytt "
        "med «excelkort ny --erstatt»."]
    log = CalamineWorkbook.from_path(str(b)).get_sheet_by_name(L.LOG_SHEET).to_python()
    logged = [row for row in log if row[1] == L.CATALOGUE_SHEET]
    assert [(row[3], row[5]) for row in logged] == [
        ("B6", "Katalogen endrer Retning lavere → nær, Desimaler 1 → 2; ikke brukt i 2026"),
        ("P1", "Katalogen endrer Mål 80 → 70, Toleranse tom → 3; ikke brukt i 2026")]
    before = b.read_bytes()  # filling again changes nothing, and logs nothing twice
    again = fill_workbooks(extract, [b], changed, now=NOW)
    assert b.read_bytes() == before and again.unchanged == [b]


def _month_and_helper_cells(wb: Path) -> list[tuple[object, object]]:
    """(month cell, hj:v cell) cached values of every filled (automatic) row and month."""
    sc = read_scorecard(wb, CATALOGUE)
    rows = sc.values[L.SCORECARD_SHEET]
    out = []
    for ind_id, item in sc.rows.items():
        if CATALOGUE[ind_id].is_automatic:
            for m in range(1, 13):
                out.append((rows[item.row][sc.cols[L.MONTHS_BY_NUMBER[m]]],
                            rows[item.row][sc.cols[L.helper_label("v", m)]]))
    return out


def test_filled_rows_keep_their_month_values_in_the_month_cells(office, tmp_path):
    wb = _copy(office["workbook"], tmp_path)
    _fill(office["extracts"]["2026-10"], wb)
    pairs = _month_and_helper_cells(wb)
    assert any(isinstance(month, float) for month, _v in pairs)
    assert all(v in (None, "") for _month, v in pairs)  # the hidden hj:v cells stay empty


def test_a_workbook_of_the_older_shape_gets_its_helper_month_values_filled_too(office, tmp_path):
    """Workbooks made before November 2026 compute a filled row's month value in hj:v."""
    from excelkort.xlsx.celledit import CellEdit
    from excelkort.xlsx.workbookpatch import patch_workbook

    wb = _copy(office["workbook"], tmp_path)
    _fill(office["extracts"]["2026-09"], wb)
    sc = read_scorecard(wb, CATALOGUE)
    rows = sc.values[L.SCORECARD_SHEET]
    older = {}
    for ind_id, item in sc.rows.items():
        if CATALOGUE[ind_id].is_automatic:
            for m in range(1, 13):
                month_ref = cell_ref(item.row, sc.cols[L.MONTHS_BY_NUMBER[m]])
                value = rows[item.row][sc.cols[L.MONTHS_BY_NUMBER[m]]]
                older[cell_ref(item.row, sc.cols[L.helper_label("v", m)])] = CellEdit(
                    value if isinstance(value, float) else "", f'IF(ISNUMBER({month_ref}),{month_ref},"")')
    patch_workbook(wb, None, {L.SCORECARD_SHEET: older})
    _fill(office["extracts"]["2026-10"], wb)
    pairs = _month_and_helper_cells(wb)
    numbers = [(month, v) for month, v in pairs if isinstance(month, float)]
    assert len(numbers) > 100
    assert all(v == month for month, v in numbers)  # October's values reached hj:v as well
