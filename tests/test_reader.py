"""Reading a målekort (SPEC §5): round trip of what excelkort writes, a layout the user has
rearranged, values typed in the forms people type, and a trip through LibreOffice."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.workbook.defined_name import DefinedName
from python_calamine import CalamineWorkbook

from excelkort.scorecard import layout as L
from excelkort.cli import main
from excelkort.scorecard.reader import read_scorecard
from excelkort.xlsx.refs import cell_ref
from scorecard_files import (CATALOGUE, MONTH_COMMENT, PERIOD, UNIT, UNIT_NAME, edited, expected,
                             full_scorecard, new_scorecard)

LOCAL = [ind.id for ind in CATALOGUE if not ind.is_automatic]


def _assert_rows_as_written(sc, *, risk_and_comments: bool = True):
    assert list(sc.rows) == CATALOGUE.ids()
    for ind in CATALOGUE:
        row, want = sc.rows[ind.id], expected(ind.id)
        assert row.id == ind.id
        assert row.name == ind.name
        assert row.target == want["target"], ind.id
        assert row.teller == want["teller"], ind.id
        assert row.nevner == want["nevner"], ind.id
        assert row.bare == want["bare"], ind.id
        if risk_and_comments:
            assert row.risk_assessed == want["risk"], ind.id
            assert row.comment == want["comment"], ind.id


# --- what excelkort writes reads back -----------------------------------------------------------

def test_new_scorecard_reads_back(tmp_path):
    path = new_scorecard(tmp_path)
    sc = read_scorecard(path, CATALOGUE)
    assert (sc.unit_id, sc.unit_name, sc.period, sc.year, sc.period_month) == (
        UNIT, UNIT_NAME, PERIOD, 2026, 10)
    assert sc.month_comment == ""
    assert sc.warnings == []
    assert sc.header_row == L.SCORECARD_HEADER_ROW and sc.data_header_row == L.DATA_HEADER_ROW
    assert sc.names == L.DEFINED_NAMES
    _assert_rows_as_written(sc, risk_and_comments=False)
    assert all(r.risk_assessed is None and r.comment == "" for r in sc.rows.values())
    # local values: bare in the Målekort month cells, teller/nevner in Data
    assert sc.rows["B7"].bare[:3] == [65.3, 70.0, 72.5]
    assert sc.rows["Ø3"].bare[9] == 45.0
    assert sc.rows["M4"].teller[0] == 8.0 and sc.rows["M4"].nevner[0] == 10.0
    assert sc.rows["M4"].bare == [None] * 12
    # the cached outputs excelkort computed are there to read
    assert sc.rows["P8"].cached[L.COL_STATUS] == "grønn"
    assert sc.rows["B5"].cached[L.COL_STATUS] == "grå"


def test_risk_comments_and_month_comment_round_trip(tmp_path):
    sc = read_scorecard(full_scorecard(tmp_path), CATALOGUE)
    assert sc.month_comment == MONTH_COMMENT
    assert sc.warnings == []
    _assert_rows_as_written(sc)
    assert sc.rows["P1"].comment == '=HYPERLINK("http://x","tekst")'


def test_without_a_catalogue_rows_and_data_still_read(tmp_path):
    sc = read_scorecard(full_scorecard(tmp_path))
    assert list(sc.rows) == CATALOGUE.ids()
    assert sc.rows["M4"].teller == expected("M4")["teller"]
    assert sc.rows["B7"].risk_assessed == "Høy"
    # which rows are local comes from the workbook's own Indikatorer sheet
    assert sc.rows["B7"].bare == read_scorecard(full_scorecard(tmp_path / "b"), CATALOGUE).rows["B7"].bare
    assert any(v is not None for v in sc.rows["B7"].bare)


def test_risk_is_read_whatever_the_case_and_an_unknown_risk_warns(tmp_path):
    src = full_scorecard(tmp_path / "a")
    sc0 = read_scorecard(src, CATALOGUE)
    col = sc0.cols[L.COL_RISK_ASSESSED]

    def change(wb):
        ws = wb[L.SCORECARD_SHEET]
        ws.cell(sc0.rows["B7"].row + 1, col + 1).value = "høy"
        ws.cell(sc0.rows["P8"].row + 1, col + 1).value = "Kanskje"
    path = edited(src, tmp_path / src.name, change)
    sc = read_scorecard(path, CATALOGUE)
    assert sc.rows["B7"].risk_assessed == "Høy"
    assert sc.rows["P8"].risk_assessed is None
    cell = cell_ref(sc0.rows["P8"].row, col)
    assert [str(w) for w in sc.warnings] == [
        f"målekort_0101_2026.xlsx, ark «Målekort», celle {cell}: Advarsel: Ukjent risiko «Kanskje»; "
        "bruk Lav, Middels eller Høy."]


# --- a layout the user has rearranged -------------------------------------------------------------

USER_COL = 4  # the user's own column, between Type (3) and Mål (now 5)


def _rearranged(src: Path, dst: Path) -> Path:
    """The same målekort laid out the way a user might leave it, built from scratch with openpyxl.

    Målekort: a note above the title block, the unit block in column D, the month comment
    elsewhere, merged notes above the table, the header row moved to row 12, a column of the
    user's own between Type and Mål, note rows (one merged) between the perspectives.
    Data: notes above, the header on row 4, and a column of the user's own after Indikator.
    Defined names point to the new cells.
    """
    cal = CalamineWorkbook.from_path(str(src))
    sc = cal.get_sheet_by_name(L.SCORECARD_SHEET).to_python(skip_empty_area=False)
    data = cal.get_sheet_by_name(L.DATA_SHEET).to_python(skip_empty_area=False)
    old = read_scorecard(src, CATALOGUE)

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = L.SCORECARD_SHEET
    ws["A1"] = "Kontorets målekort – se også intranettet"
    ws["A2"] = sc[0][0]  # the title
    info = {"Enhet": UNIT, "Enhetsnavn": UNIT_NAME, "Periode": PERIOD, "År": 2026}
    for i, (name, value) in enumerate(info.items()):
        ws.cell(3 + i, 2, name)
        ws.cell(3 + i, 4, value)  # D3:D6
    ws["H2"] = "Kommentar til måneden"
    ws["H3"] = old.month_comment
    ws.merge_cells("H3:M5")
    ws["A9"] = "Merknad: tallene for P-indikatorene er foreløpige (fra fagsystemet)."
    ws.merge_cells("A9:T9")  # a merged note above the table is harmless
    ws["B10"] = "Husk å oppdatere risiko før ledermøtet."
    header = 11  # 0-based: row 12

    def shifted(c: int) -> int:  # 0-based column in the new sheet
        return c if c < USER_COL else c + 1

    def put_row(r_new: int, values: list) -> None:
        for c, v in enumerate(values):
            if v != "" and v is not None:
                cell = ws.cell(r_new + 1, shifted(c) + 1, v)
                if isinstance(v, str) and v.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text

    put_row(header, sc[old.header_row])
    ws.cell(header + 1, USER_COL + 1, "Vår merknad")
    r_new = header + 1
    first_heading = True
    for r in range(old.header_row + 1, len(sc)):
        line = sc[r]
        is_heading = line[0] == "" and line[1] != ""
        if is_heading and not first_heading:
            ws.cell(r_new + 1, 2, "Notat mellom perspektivene: se egen rapport.")
            ws.merge_cells(start_row=r_new + 1, start_column=2, end_row=r_new + 1, end_column=12)
            r_new += 1
            ws.cell(r_new + 1, 2, "")  # an empty row too
            r_new += 1
        first_heading = first_heading and not is_heading
        put_row(r_new, line)
        if line[0]:
            ws.cell(r_new + 1, USER_COL + 1, f"egen tekst {line[0]}")
        r_new += 1
    ws.cell(r_new + 3, 2, "Fotnote under tabellen.")

    ds = wb.create_sheet(L.DATA_SHEET)
    ds["A1"] = "Tall fra uttrekket og det vi taster selv"
    ds["A2"] = "Ikke endre de automatiske tallene."
    data_header = 3  # 0-based: row 4
    for r in range(old.data_header_row, len(data)):
        for c, v in enumerate(data[r]):
            if v != "" and v is not None:
                ds.cell(data_header + r - old.data_header_row + 1, (c if c < 2 else c + 1) + 1, v)
    ds.cell(data_header + 1, 3, "Kilde")
    for name in (L.CATALOGUE_SHEET, L.LOG_SHEET):
        wb.create_sheet(name)["A1"] = "ID" if name == L.CATALOGUE_SHEET else "Tidspunkt"

    cells = {"Enhet": "$D$3", "Enhetsnavn": "$D$4", "Periode": "$D$5", "År": "$D$6",
             "Månedskommentar": "$H$3"}
    for name, cell in cells.items():
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{L.SCORECARD_SHEET}'!{cell}")
    wb.save(dst)
    return dst


def test_a_rearranged_layout_reads_the_same(tmp_path):
    src = full_scorecard(tmp_path / "orig")
    moved = _rearranged(src, tmp_path / "flyttet.xlsx")
    old, new = read_scorecard(src, CATALOGUE), read_scorecard(moved, CATALOGUE)

    assert new.header_row == 11 and new.data_header_row == 3
    assert new.cols[L.COL_TYPE] == 3 and new.cols[L.COL_TARGET] == 5
    assert new.cols[L.COL_COMMENT] == old.cols[L.COL_COMMENT] + 1
    assert new.data_cols["Jan teller"] == old.data_cols["Jan teller"] + 1
    assert new.names["Enhet"] == "'Målekort'!$D$3"
    assert new.warnings == []

    assert (new.unit_id, new.unit_name, new.period, new.year, new.month_comment) == (
        old.unit_id, old.unit_name, old.period, old.year, old.month_comment)
    assert list(new.rows) == list(old.rows)
    for ind_id, o in old.rows.items():
        n = new.rows[ind_id]
        assert (n.name, n.target, n.teller, n.nevner, n.bare, n.risk_assessed, n.comment, n.cached) == (
            o.name, o.target, o.teller, o.nevner, o.bare, o.risk_assessed, o.comment, o.cached), ind_id
    _assert_rows_as_written(new)
    # the rows are where the user put them: two extra rows before every perspective but the first
    assert new.rows["B1"].row == 13 and old.rows["B1"].row == 8
    assert new.rows["P1"].row == old.rows["P1"].row + 5 + 2
    assert new.rows["Ø3"].row == old.rows["Ø3"].row + 5 + 6
    assert new.rows["B1"].data_row == old.rows["B1"].data_row + 3


def test_a_rearranged_layout_passes_sjekk(tmp_path, monkeypatch):
    moved = _rearranged(full_scorecard(tmp_path / "orig"), tmp_path / "flyttet.xlsx")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["sjekk", str(moved)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{moved} (målekort): ok",
        "Brukte katalog standardkatalogen (excelkort/data/indikatorer.csv); uten enhetsregister (uttrekkets enheter sjekkes ikke mot et register).",
        "Oppsummering: 1 fil sjekket, 0 advarsler, 0 feil."]


# --- values typed in the forms people type ----------------------------------------------------------

def _typed(tmp_path: Path) -> tuple[Path, object]:
    """The standard målekort with B7's Jan–Jul and M4's Jan teller typed by hand."""
    src = full_scorecard(tmp_path / "orig")
    sc0 = read_scorecard(src, CATALOGUE)
    b7 = sc0.rows["B7"].row + 1
    assert b7 == 15  # the messages below name the cells the user sees

    def change(wb):
        ws = wb[L.SCORECARD_SHEET]
        col = {m: sc0.cols[L.MONTHS_BY_NUMBER[m]] + 1 for m in range(1, 13)}
        ws.cell(b7, col[1]).value = "65 %"
        ws.cell(b7, col[2]).value = "65,3"
        cell = ws.cell(b7, col[3])
        cell.value = 0.653  # Excel's result of typing 65,3 % in a cell …
        cell.number_format = "0.0%"  # … that it then formats as percent
        ws.cell(b7, col[4]).value = None
        ws.cell(b7, col[5]).value = "-"
        ws.cell(b7, col[6]).value = "ikke klar"
        ws.cell(b7, col[7]).value = 79.5  # a plain number in the cell's own format: no warning
        ws.cell(b7, col[8]).value = "85,0 %"
        ws.cell(b7, col[9]).value = "vet ikke"
        ds = wb[L.DATA_SHEET]
        ds.cell(sc0.rows["M4"].data_row + 1, sc0.data_cols["Jan teller"] + 1).value = "8"
    return edited(src, tmp_path / src.name, change), sc0


TYPED_WARNINGS = [
    "målekort_0101_2026.xlsx, ark «Målekort», celle F15: Advarsel: Tallet er skrevet som tekst "
    "(«65 %»); leses som 65.",
    "målekort_0101_2026.xlsx, ark «Målekort», celle G15: Advarsel: Tallet er skrevet som tekst "
    "(«65,3»); leses som 65,3.",
    "målekort_0101_2026.xlsx, ark «Målekort», celle H15: Advarsel: Cellen er formatert som prosent "
    "(0,653); leses som 65,3 %. Skriv tallet på nytt som 65,3 uten %-tegn, så regner Excel likt.",
    "målekort_0101_2026.xlsx, ark «Målekort», celle J15: Advarsel: Teksten «-» leses som manglende "
    "verdi.",
    "målekort_0101_2026.xlsx, ark «Målekort», celle K15: Advarsel: Teksten «ikke klar» leses som "
    "manglende verdi.",
    "målekort_0101_2026.xlsx, ark «Målekort», celle M15: Advarsel: Tallet er skrevet som tekst "
    "(«85,0 %»); leses som 85,0.",
    "målekort_0101_2026.xlsx, ark «Målekort», celle N15: Advarsel: Teksten «vet ikke» er ikke et "
    "tall og leses som manglende verdi.",
    "målekort_0101_2026.xlsx, ark «Data», celle C22: Advarsel: Tallet er skrevet som tekst («8»); "
    "leses som 8.",
]


def test_typed_forms_are_read_with_a_warning_each(tmp_path):
    path, sc0 = _typed(tmp_path)
    sc = read_scorecard(path, CATALOGUE)
    assert sc.rows["B7"].bare == [65.0, 65.3, 65.3, None, None, None, 79.5, 85.0, None, 90.0,
                                  None, None]
    assert sc.rows["M4"].teller[0] == 8.0
    assert cell_ref(sc0.rows["M4"].data_row, sc0.data_cols["Jan teller"]) == "C22"
    assert [str(w) for w in sc.warnings] == TYPED_WARNINGS
    assert all(not w.is_error for w in sc.warnings)
    assert all(w.file == str(path) and w.sheet and w.cell for w in sc.warnings)
    # nothing else moved
    for ind_id in sc.rows:
        if ind_id not in ("B7", "M4"):
            assert sc.rows[ind_id].bare == sc0.rows[ind_id].bare
            assert sc.rows[ind_id].teller == sc0.rows[ind_id].teller


def test_a_blank_cell_is_missing_without_a_warning(tmp_path):
    src = full_scorecard(tmp_path / "orig")
    sc0 = read_scorecard(src, CATALOGUE)
    def change(wb):
        wb[L.SCORECARD_SHEET].cell(sc0.rows["P8"].row + 1, sc0.cols["Jan"] + 1).value = None
    path = edited(src, tmp_path / src.name, change)
    sc = read_scorecard(path, CATALOGUE)
    assert sc.rows["P8"].bare[0] is None
    assert sc.warnings == []


def test_a_percent_format_on_a_non_andel_cell_is_left_alone(tmp_path):
    src = full_scorecard(tmp_path / "orig")
    sc0 = read_scorecard(src, CATALOGUE)

    def change(wb):
        cell = wb[L.SCORECARD_SHEET].cell(sc0.rows["P8"].row + 1, sc0.cols["Jan"] + 1)
        cell.value, cell.number_format = 0.5, "0%"
    sc = read_scorecard(edited(src, tmp_path / src.name, change), CATALOGUE)
    assert sc.rows["P8"].bare[0] == 0.5
    assert sc.warnings == []


def test_percent_fractions_read_exactly(tmp_path):
    src = full_scorecard(tmp_path / "orig")
    sc0 = read_scorecard(src, CATALOGUE)

    def change(wb):
        for m, v in ((1, 0.07), (2, 0.583), (3, 1.0)):
            cell = wb[L.SCORECARD_SHEET].cell(sc0.rows["B7"].row + 1, sc0.cols[L.MONTHS_BY_NUMBER[m]] + 1)
            cell.value, cell.number_format = v, "0%"
    sc = read_scorecard(edited(src, tmp_path / src.name, change), CATALOGUE)
    assert sc.rows["B7"].bare[:3] == [7.0, 58.3, 100.0]
    assert [w.message for w in sc.warnings] == [
        "Cellen er formatert som prosent (0,07); leses som 7 %. "
        "Skriv tallet på nytt som 7 uten %-tegn, så regner Excel likt.",
        "Cellen er formatert som prosent (0,583); leses som 58,3 %. "
        "Skriv tallet på nytt som 58,3 uten %-tegn, så regner Excel likt.",
        "Cellen er formatert som prosent (1); leses som 100 %. "
        "Skriv tallet på nytt som 100 uten %-tegn, så regner Excel likt."]


def test_sjekk_shows_the_typed_forms_as_warnings_and_exits_0(tmp_path, monkeypatch):
    path, _ = _typed(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["sjekk", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{path} (målekort): advarsler",
        *(f"  {w}" for w in TYPED_WARNINGS),
        "Brukte katalog standardkatalogen (excelkort/data/indikatorer.csv); uten enhetsregister (uttrekkets enheter sjekkes ikke mot et register).",
        f"Oppsummering: 1 fil sjekket, {len(TYPED_WARNINGS)} advarsler, 0 feil."]


# --- through LibreOffice ------------------------------------------------------------------------------

@pytest.mark.libreoffice
def test_libreoffice_round_trip_reads_the_same(tmp_path):
    from libreoffice import convert

    src = full_scorecard(tmp_path / "orig")
    (out,) = convert([src], "xlsx", tmp_path / "lo")
    old, new = read_scorecard(src, CATALOGUE), read_scorecard(out, CATALOGUE)
    assert (new.unit_id, new.unit_name, new.period, new.year, new.month_comment) == (
        UNIT, UNIT_NAME, PERIOD, 2026, MONTH_COMMENT)
    assert new.warnings == []
    assert list(new.rows) == list(old.rows)
    _assert_rows_as_written(new)
    for ind_id, o in old.rows.items():
        n = new.rows[ind_id]
        # LibreOffice recalculated every formula on load: the colours and arrows agree
        for label in (L.COL_STATUS, L.COL_TREND):
            assert n.cached[label] == o.cached[label], (ind_id, label)


@pytest.mark.libreoffice
def test_libreoffice_round_trip_keeps_the_typed_forms(tmp_path):
    from libreoffice import convert

    path, _ = _typed(tmp_path)
    (out,) = convert([path], "xlsx", tmp_path / "lo")
    sc = read_scorecard(out, CATALOGUE)
    assert sc.rows["B7"].bare[:9] == [65.0, 65.3, 65.3, None, None, None, 79.5, 85.0, None]
    assert [str(w) for w in sc.warnings] == TYPED_WARNINGS


def test_implausible_typed_values_are_warned_about(tmp_path):
    """SPEC §9: andel over 100 %, negative numbers and nevner 0 with a teller, named by cell."""
    from excelkort import api
    from excelkort.inputs.catalogue import default_catalogue
    from excelkort.scorecard.reader import read_scorecard

    cat = default_catalogue()
    files = api.new_scorecard("0101", "2026-03", catalogue=cat, outdir=tmp_path,
                              bare={"B7": [104.0, -2.0, 90.0] + [None] * 9},
                              teller={"M2": [None, None, None, 12.0] + [None] * 8},
                              nevner={"M2": [None, None, None, 0.0] + [None] * 8})
    sc = read_scorecard(files.scorecard, cat)
    texts = [str(p) for p in sc.warnings]
    name = files.scorecard.name
    b7 = sc.rows["B7"].row + 1
    assert (f"{name}, ark «Målekort», celle F{b7}: Advarsel: Andelen 104 % er over 100 %. "
            "Skriv andelen i prosent mellom 0 og 100.") in texts
    assert f"{name}, ark «Målekort», celle G{b7}: Advarsel: Negativ verdi (-2) kan ikke stemme. Rett tallet." in texts
    m2 = sc.rows["M2"].data_row + 1
    assert (f"{name}, ark «Data», celle J{m2}: Advarsel: Nevner er 0, men teller er 12; "
            "måneden regnes ikke med. Rett nevneren.") in texts


def test_header_labels_with_stray_spaces_and_case_still_read(tmp_path):
    src = full_scorecard(tmp_path / "orig")

    def change(wb):
        ws = wb[L.SCORECARD_SHEET]
        for row in ws.iter_rows(min_row=L.SCORECARD_HEADER_ROW + 1, max_row=L.SCORECARD_HEADER_ROW + 1):
            for cell in row:
                if cell.value == "Hittil i år":
                    cell.value = "hittil  i\nÅR "
    sc = read_scorecard(edited(src, tmp_path / src.name, change), CATALOGUE)
    assert L.COL_YTD in sc.cols
