"""Bad målekort files (SPEC §9): one clear Norwegian message naming file, sheet and cell, and
``excelkort sjekk`` exits 2 without a traceback. Every file is built here, in tmp_path."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from excelkort.scorecard import layout as L
from excelkort.steps.validate import check_file
from excelkort.cli import main
from excelkort.errors import InputError
from excelkort.scorecard.reader import read_scorecard
from excelkort.xlsx.refs import cell_ref
from scorecard_files import CATALOGUE, copied, edited, full_scorecard

NAME = "målekort_0101_2026.xlsx"
OLE = bytes.fromhex("D0CF11E0A1B11AE1")


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """A good målekort (B1 on row 9, B2 on row 10; Hittil i år in R7; Data header on row 1)."""
    path = full_scorecard(tmp_path_factory.mktemp("good"))
    sc = read_scorecard(path, CATALOGUE)
    assert (sc.rows["B1"].row, sc.rows["B2"].row) == (8, 9)
    assert cell_ref(sc.header_row, sc.cols[L.COL_YTD]) == "R7"
    assert cell_ref(sc.header_row, sc.cols["Jan"]) == "F7"
    assert cell_ref(sc.data_header_row, sc.data_cols["Jan teller"]) == "C1"
    return path


def _ole(*streams: str) -> bytes:
    """An OLE2 compound file's first bytes: the signature, padding, directory entry names."""
    names = b"".join(s.encode("utf-16-le").ljust(64, b"\0") for s in streams)
    return OLE + b"\0" * 504 + names.ljust(512, b"\0")


def _zip_with(src: Path, dst: Path, member: str, data: bytes) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr(member, data)
    return dst


def _set(sheet: str, cell: str, value):
    def change(wb):
        wb[sheet][cell] = value
    return change


def _rename(old: str, new: str):
    def change(wb):
        wb[old].title = new
    return change


def _merge(sheet: str, rng: str):
    def change(wb):
        wb[sheet].merge_cells(rng)
    return change


def _build(case: str, good: Path, folder: Path) -> Path:
    if case == "data_sheet_renamed":
        return edited(good, folder / NAME, _rename(L.DATA_SHEET, "Tall"))
    if case == "scorecard_sheet_renamed":
        return edited(good, folder / NAME, _rename(L.SCORECARD_SHEET, "Målekort 2026"))
    if case == "header_renamed":
        return edited(good, folder / NAME, _set(L.SCORECARD_SHEET, "R7", "Hittil"))
    if case == "data_header_renamed":
        return edited(good, folder / NAME, _set(L.DATA_SHEET, "C1", "Jan T"))
    if case == "merged_in_row":
        return edited(good, folder / NAME, _merge(L.SCORECARD_SHEET, "F9:G9"))
    if case == "merged_down_ids":
        return edited(good, folder / NAME, _merge(L.SCORECARD_SHEET, "A12:A13"))
    if case == "merged_in_data":
        return edited(good, folder / NAME, _merge(L.DATA_SHEET, "C2:D2"))
    if case == "duplicate_id":
        return edited(good, folder / NAME, _set(L.SCORECARD_SHEET, "A10", "B1"))
    if case == "duplicate_id_in_data":
        return edited(good, folder / NAME, _set(L.DATA_SHEET, "A4", "B2"))
    if case == "encrypted":
        (folder / NAME).write_bytes(_ole("Root Entry", "EncryptionInfo", "EncryptedPackage"))
        return folder / NAME
    if case == "encrypted_bare":
        (folder / NAME).write_bytes(OLE + b"\0" * 1024)
        return folder / NAME
    if case == "xls":
        (folder / "målekort_0101_2026.xls").write_bytes(_ole("Root Entry", "Workbook"))
        return folder / "målekort_0101_2026.xls"
    if case == "xls_renamed_xlsx":
        (folder / NAME).write_bytes(_ole("Root Entry", "Workbook"))
        return folder / NAME
    if case == "xlsm":
        return _zip_with(good, folder / "målekort_0101_2026.xlsm", "xl/vbaProject.bin", b"\0" * 512)
    if case == "xlsm_renamed_xlsx":
        return _zip_with(good, folder / NAME, "xl/vbaProject.bin", b"\0" * 512)
    if case == "not_zip":
        (folder / NAME).write_text("Enhet;Indikator;Jan\n0101;B1;65\n", encoding="utf-8")
        return folder / NAME
    if case == "truncated":
        data = good.read_bytes()
        (folder / NAME).write_bytes(data[: len(data) // 2])
        return folder / NAME
    if case == "zip_without_workbook":
        with zipfile.ZipFile(folder / NAME, "w") as z:
            z.writestr("notat.txt", "hei")
        return folder / NAME
    raise AssertionError(case)


FILE_MESSAGES = {
    "encrypted": "Filen er passordbeskyttet (kryptert). Åpne den i Excel, fjern passordet "
                 "(Fil → Info → Beskytt arbeidsbok → Krypter med passord) og lagre den.",
    "xls": "Filen er i det gamle .xls-formatet. Åpne den i Excel og lagre den som .xlsx "
           "(Fil → Lagre som → Excel-arbeidsbok).",
    "xlsm": "Filen inneholder makroer (.xlsm). excelkort kjører og endrer aldri makroer. Lagre en "
            "kopi uten makroer som .xlsx (Fil → Lagre som → Excel-arbeidsbok) og bruk den.",
    "not_zip": "Filen er ikke en Excel-arbeidsbok (.xlsx), eller den er skadet. Åpne den i Excel "
               "og lagre den på nytt som .xlsx.",
}
MERGED = ("Sammenslåtte celler ({rng}) ligger inne i tabellen. Del opp cellene "
          "(Hjem → Slå sammen og midtstill → Del celler) og prøv igjen.")

#: case → the exact message a user sees (``str(problem)``: file, sheet, cell, message)
CASES = {
    "data_sheet_renamed":
        f"{NAME}, ark «Data»: Arket «Data» mangler (arkene i filen er «Målekort», «Tall», "
        "«Indikatorer», «Logg»). Gi arket tilbake navnet «Data».",
    "scorecard_sheet_renamed":
        f"{NAME}, ark «Målekort»: Arket «Målekort» mangler (arkene i filen er «Målekort 2026», "
        "«Data», «Indikatorer», «Logg»). Gi arket tilbake navnet «Målekort».",
    "header_renamed":
        f"{NAME}, ark «Målekort»: Overskriften «Hittil i år» mangler i rad 7. Gi kolonnen tilbake "
        "navnet «Hittil i år».",
    "data_header_renamed":
        f"{NAME}, ark «Data»: Overskriften «Jan teller» mangler i rad 1. Gi kolonnen tilbake navnet "
        "«Jan teller».",
    "merged_in_row": f"{NAME}, ark «Målekort», celle F9: " + MERGED.format(rng="F9:G9"),
    "merged_down_ids": f"{NAME}, ark «Målekort», celle A12: " + MERGED.format(rng="A12:A13"),
    "merged_in_data": f"{NAME}, ark «Data», celle C2: " + MERGED.format(rng="C2:D2"),
    "duplicate_id":
        f"{NAME}, ark «Målekort», celle A10: Indikatoren B1 står to ganger (rad 9 og 10). Slett den "
        "ene raden.",
    "duplicate_id_in_data":
        f"{NAME}, ark «Data», celle A4: Indikatoren B2 står to ganger (rad 3 og 4). Slett den ene "
        "raden.",
    "encrypted": f"{NAME}: " + FILE_MESSAGES["encrypted"],
    "encrypted_bare": f"{NAME}: " + FILE_MESSAGES["encrypted"],
    "xls": "målekort_0101_2026.xls: " + FILE_MESSAGES["xls"],
    "xls_renamed_xlsx": f"{NAME}: " + FILE_MESSAGES["xls"],
    "xlsm": "målekort_0101_2026.xlsm: " + FILE_MESSAGES["xlsm"],
    "xlsm_renamed_xlsx": f"{NAME}: " + FILE_MESSAGES["xlsm"],
    "not_zip": f"{NAME}: " + FILE_MESSAGES["not_zip"],
    "truncated": f"{NAME}: " + FILE_MESSAGES["not_zip"],
    "zip_without_workbook":
        f"{NAME}: Filen er en zip-fil, men ikke en Excel-arbeidsbok (arbeidsbokdelen mangler). "
        "Åpne den i Excel og lagre den som .xlsx.",
}


def _sjekk(tmp_path: Path, monkeypatch, *files: Path):
    monkeypatch.chdir(tmp_path)  # no indikatorer.csv here: the standard catalogue
    return CliRunner().invoke(main, ["sjekk", *map(str, files)])


@pytest.mark.parametrize("case", list(CASES))
def test_reader_refuses_with_one_located_message(case, good, tmp_path):
    path = _build(case, good, tmp_path)
    before = path.read_bytes()
    with pytest.raises(InputError) as caught:
        read_scorecard(path, CATALOGUE)
    assert [str(p) for p in caught.value.problems] == [CASES[case]]
    assert all(p.is_error and p.file == str(path) for p in caught.value.problems)
    assert path.read_bytes() == before  # reading never changes a file


@pytest.mark.parametrize("case", list(CASES))
def test_sjekk_exits_2_with_the_message_and_no_traceback(case, good, tmp_path, monkeypatch):
    path = _build(case, good, tmp_path)
    result = check_file(path, CATALOGUE)
    assert result.kind == "målekort"
    assert [str(p) for p in result.problems] == [CASES[case]]
    cli = _sjekk(tmp_path, monkeypatch, path)
    assert cli.exit_code == 2, cli.output
    assert cli.output.splitlines() == [
        f"{path} (målekort): feil",
        f"  Feil: {CASES[case]}",
        "Brukte katalog standardkatalogen (excelkort/data/indikatorer.csv); uten enhetsregister (uttrekkets enheter sjekkes ikke mot et register).",
        "Oppsummering: 1 fil sjekket, 0 advarsler, 1 feil."]
    assert "Traceback" not in cli.output and "Intern feil" not in cli.output


def test_sjekk_as_a_process_exits_2_without_a_traceback(good, tmp_path):
    path = _build("duplicate_id", good, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "excelkort.cli", "sjekk", str(path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"  Feil: {CASES['duplicate_id']}" in proc.stdout.splitlines()
    assert "Traceback" not in proc.stdout + proc.stderr


def test_one_bad_file_among_good_ones(good, tmp_path, monkeypatch):
    ok = copied(good, tmp_path / "målekort_0102_2026.xlsx")
    bad = _build("merged_in_row", good, tmp_path)
    cli = _sjekk(tmp_path, monkeypatch, ok, bad)
    assert cli.exit_code == 2
    assert cli.output.splitlines() == [
        f"{ok} (målekort): ok",
        f"{bad} (målekort): feil",
        f"  Feil: {CASES['merged_in_row']}",
        "Brukte katalog standardkatalogen (excelkort/data/indikatorer.csv); uten enhetsregister (uttrekkets enheter sjekkes ikke mot et register).",
        "Oppsummering: 2 filer sjekket, 0 advarsler, 1 feil."]


def test_a_missing_file(tmp_path, monkeypatch):
    cli = _sjekk(tmp_path, monkeypatch, tmp_path / NAME)
    assert cli.exit_code == 2
    assert f"  Feil: {NAME}: Filen finnes ikke. Sjekk navnet og mappen." in cli.output.splitlines()


# --- merges that are the user's own business ---------------------------------------------------------

@pytest.mark.parametrize("rng", ["B8:Z8", "A1:E1", "B40:Z42"])
def test_merges_outside_the_indicator_rows_are_fine(rng, good, tmp_path, monkeypatch):
    """A merged perspective heading (row 8), title or note below the table reads as before."""
    path = edited(good, tmp_path / NAME, _merge(L.SCORECARD_SHEET, rng))
    sc = read_scorecard(path, CATALOGUE)
    assert sc.warnings == []
    assert sc.rows["B7"].bare == read_scorecard(good, CATALOGUE).rows["B7"].bare
    cli = _sjekk(tmp_path, monkeypatch, path)
    assert cli.exit_code == 0, cli.output


# --- a file open in Excel or LibreOffice ----------------------------------------------------------------

@pytest.mark.parametrize("lock_name, app", [("~${}", "Excel"), (".~lock.{}#", "LibreOffice")])
def test_a_file_open_in_excel_is_checked_as_last_saved(lock_name, app, good, tmp_path, monkeypatch):
    """Reading is harmless, so ``sjekk`` reads a file someone has open (the version last saved)
    and says so; ``fyll`` refuses to write it (see test_fill)."""
    path = copied(good, tmp_path / NAME)
    lock = tmp_path / lock_name.format(NAME)
    lock.write_bytes(b"\x05Kari Nordmann")
    sc = read_scorecard(path, CATALOGUE)
    assert sc.unit_id == "0101" and sc.warnings == []
    message = (f"{NAME}: Advarsel: Filen er åpen i {app} (låsefilen «{lock.name}» finnes). Sjekken "
               f"gjelder filen slik den sist ble lagret; lagre i {app} for å sjekke endringene dine. "
               "«fyll» hopper over filen til den er lukket.")
    result = check_file(path, CATALOGUE)
    assert [str(p) for p in result.problems] == [message]
    assert result.errors == []
    cli = _sjekk(tmp_path, monkeypatch, path)
    assert cli.exit_code == 0, cli.output
    assert cli.output.splitlines() == [
        f"{path} (målekort): advarsler",
        f"  {message}",
        "Brukte katalog standardkatalogen (excelkort/data/indikatorer.csv); uten enhetsregister (uttrekkets enheter sjekkes ikke mot et register).",
        "Oppsummering: 1 fil sjekket, 1 advarsel, 0 feil."]
    assert lock.exists()  # never touched
