"""Odd structure in a user's workbook (issue 14, point 10): rows or cells out of order are put in
order by the first ``fyll`` (as Excel does on save) and a second run finds nothing to change; a
row or cell twice, or two sheets stored in one part, refuse the workbook with one message that
every command gives. Each workbook is an office's målekort with one member's XML edited."""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from excelkort.cli import main
from excelkort.scorecard import layout as L
from excelkort.xlsx.backup import backups
from excelkort.xlsx.package import open_package
from scorecard_files import office_files

PERIOD = "2026-10"
UNCHANGED = ("0 målekort oppdatert (0 dataceller endret), 1 uendret, 0 ikke fylt (ingen rader for "
             "enheten og året), 0 hoppet over, 0 avvist.")
BROKEN = "Filen er skadet: åpne den i Excel og lagre den på nytt, eller hent en sikkerhetskopi."
CELL_TWICE = ("ark «Data», celle K11: Cellen står to ganger i arket (to celler med samme adresse i "
              f"filens XML), så det er uklart hvilken verdi som gjelder. {BROKEN}")
ROW_TWICE = ("ark «Data»: Rad 11 står to ganger i arket (to rader med samme nummer i filens XML), så "
             f"det er uklart hva raden inneholder. {BROKEN}")
LOG_CELL_TWICE = ("ark «Logg», celle A1: Cellen står to ganger i arket (to celler med samme adresse i "
                  f"filens XML), så det er uklart hvilken verdi som gjelder. {BROKEN}")
CELL_ASTRAY = ("ark «Data», celle K12: Cellen ligger inne i rad 11 i filens XML, ikke i sin egen rad, "
               f"så den kan ikke endres trygt. {BROKEN}")
SHARED_PART = ("Arkene «Data» og «Logg» er lagret i samme del av filen («xl/worksheets/sheet2.xml»), "
               "så det som skrives i det ene arket, havner i det andre. Filen er skadet og brukes "
               "ikke: legg tilbake en sikkerhetskopi (excelkort gjenopprett) eller lag filen på nytt.")


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    files = office_files(tmp_path_factory.mktemp("office"))
    return {"workbook": files["workbook"], "extract": files["extracts"][PERIOD],
            "september": files["extracts"]["2026-09"]}


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def _rewritten(src: Path, folder: Path, member: str, change) -> Path:
    """A copy of ``src`` in ``folder`` whose ``member`` is ``change(text)``."""
    folder.mkdir(parents=True, exist_ok=True)
    members = _members(src)
    members[member] = change(members[member].decode()).encode()
    dst = folder / src.name
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return dst


def _sheet_member(path: Path, sheet: str) -> str:
    return open_package(path).sheet_member(sheet)


def _row(xml: str, number: int) -> str:
    return re.search(rf'<row r="{number}"[ >].*?</row>', xml).group(0)


def _cell(xml: str, ref: str) -> str:
    return re.search(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml).group(0)


def _swap(xml: str, first: str, second: str) -> str:
    return xml.replace(first, "\0").replace(second, first).replace("\0", second)


def _rows_12_before_11(xml: str) -> str:
    return _swap(xml, _row(xml, 11), _row(xml, 12))


def _k11_after_l11(xml: str) -> str:
    return _swap(xml, _cell(xml, "K11"), _cell(xml, "L11"))


def _row_reversed(xml: str) -> str:
    row = _row(xml, 11)
    tag, inner = re.match(r"(<row[^>]*>)(.*)</row>", row).groups()
    cells = re.findall(r'<c r="[A-Z]+11"[^>]*?(?:/>|>.*?</c>)', inner)
    return xml.replace(row, tag + "".join(reversed(cells)) + "</row>")


def _k11_twice(xml: str) -> str:
    k11 = _cell(xml, "K11")
    return xml.replace(k11, k11 + '<c r="K11" s="27"><v>9</v></c>')


def _row_11_twice(xml: str) -> str:
    row = _row(xml, 11)
    return xml.replace(row, row + '<row r="11"><c r="AA11"><v>1</v></c></row>')


def _k12_inside_row_11(xml: str) -> str:
    k12, row11 = _cell(xml, "K12"), _row(xml, 11)
    return xml.replace(k12, "").replace(row11, row11.replace("</row>", k12 + "</row>"))


def _refs(xml: str) -> list[tuple[int, int]]:
    """(row, column) of each cell in document order, columns as in A1 (letters compared by length)."""
    return [(int(r), len(c), c) for c, r in re.findall(r'<c r="([A-Z]+)([0-9]+)"', xml)]


def _fyll(office, path: Path):
    return CliRunner().invoke(main, ["fyll", str(office["extract"]), str(path)])


# -- out of order: put in order, and one run settles ------------------------------------------------
ORDER_CASES = {
    "row 12 before row 11 in Data": (L.DATA_SHEET, _rows_12_before_11),
    "row 12 before row 11 in Målekort": (L.SCORECARD_SHEET, _rows_12_before_11),
    "K11 after L11 in Data": (L.DATA_SHEET, _k11_after_l11),
    "row 11 of Data written backwards": (L.DATA_SHEET, _row_reversed),
}


@pytest.mark.parametrize("case", list(ORDER_CASES))
def test_rows_and_cells_out_of_order_settle_in_one_run(case, office, tmp_path):
    sheet, change = ORDER_CASES[case]
    member = _sheet_member(office["workbook"], sheet)
    odd = _rewritten(office["workbook"], tmp_path / "odd", member, change)
    (tmp_path / "plain").mkdir()
    plain = Path(shutil.copy2(office["workbook"], tmp_path / "plain"))
    original, before = (_members(path)[member].decode() for path in (office["workbook"], odd))
    check = CliRunner().invoke(main, ["sjekk", str(odd)])
    assert check.exit_code == 0, check.output  # the same verdict as fyll: the workbook is usable
    for path in (odd, plain):
        first = _fyll(office, path)
        assert first.exit_code == 0, first.output
    after = _members(odd)[member].decode()
    rows = [int(r) for r in re.findall(r'<row r="([0-9]+)"', after)]
    assert rows == sorted(set(rows))  # in order, each once
    assert _refs(after) == sorted(set(_refs(after)))
    filled_plain = _members(plain)[member].decode()
    assert after == filled_plain  # as if it had been in order
    untouched = [ref for ref in re.findall(r'<c r="([A-Z]+[0-9]+)"', original)
                 if _cell(original, ref) == _cell(filled_plain, ref)]
    assert untouched and all(_cell(after, ref) == _cell(before, ref) for ref in untouched)
    filled, backed_up = odd.read_bytes(), len(backups(odd))
    second = _fyll(office, odd)
    assert second.exit_code == 0, second.output
    assert UNCHANGED in second.output.splitlines()
    assert odd.read_bytes() == filled and len(backups(odd)) == backed_up == 1


def test_logg_rows_out_of_order_settle_in_one_run(office, tmp_path):
    """A Logg whose last two rows swapped places: October's rows go after the last, in order."""
    (tmp_path / "a").mkdir()
    workbook = Path(shutil.copy2(office["workbook"], tmp_path / "a"))
    assert CliRunner().invoke(main, ["fyll", str(office["september"]), str(workbook)]).exit_code == 0
    member = _sheet_member(workbook, L.LOG_SHEET)
    rows = [int(r) for r in re.findall(r'<row r="([0-9]+)"', _members(workbook)[member].decode())]
    assert len(rows) >= 2
    odd = _rewritten(workbook, tmp_path / "b", member, lambda xml: _swap(xml, _row(xml, rows[-2]),
                                                                           _row(xml, rows[-1])))
    before = _members(odd)[member].decode()
    first = _fyll(office, odd)
    assert first.exit_code == 0, first.output
    after = _members(odd)[member].decode()
    numbers = [int(r) for r in re.findall(r'<row r="([0-9]+)"', after)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) > len(rows)
    assert all(_row(after, r) == _row(before, r) for r in rows)  # the old rows, each as it was
    filled, backed_up = odd.read_bytes(), len(backups(odd))
    second = _fyll(office, odd)
    assert UNCHANGED in second.output.splitlines()
    assert odd.read_bytes() == filled and len(backups(odd)) == backed_up == 1


# -- twice, or a cell inside another row: refused by every command -----------------------------------------------------------------
TWICE_CASES = {
    "K11 twice in Data": (L.DATA_SHEET, _k11_twice, CELL_TWICE),
    "row 11 twice in Data": (L.DATA_SHEET, _row_11_twice, ROW_TWICE),
    "K12 inside row 11 of Data": (L.DATA_SHEET, _k12_inside_row_11, CELL_ASTRAY),
    "A1 twice in Logg": (L.LOG_SHEET, lambda xml: xml.replace(_cell(xml, "A1"), _cell(xml, "A1") * 2),
                         LOG_CELL_TWICE),
}


@pytest.mark.parametrize("case", list(TWICE_CASES))
def test_a_row_or_cell_twice_or_astray_is_refused_by_sjekk_and_fyll_alike(case, office, tmp_path):
    sheet, change, message = TWICE_CASES[case]
    odd = _rewritten(office["workbook"], tmp_path, _sheet_member(office["workbook"], sheet), change)
    before = odd.read_bytes()
    check = CliRunner().invoke(main, ["sjekk", str(odd)])
    assert check.exit_code == 2, check.output
    assert f"  Feil: {odd.name}, {message}" in check.output.splitlines()
    for _run in range(2):
        result = _fyll(office, odd)
        assert result.exit_code == 3, result.output
        assert f"Avvist: {odd.name}, {message}" in result.output
        assert odd.read_bytes() == before and not backups(odd)


def _logg_in_data_part(rels: str) -> str:
    return rels.replace('Target="worksheets/sheet4.xml"', 'Target="worksheets/sheet2.xml"')


@pytest.fixture
def shared_part(office, tmp_path):
    """The office's målekort and tiltaksplan whose Logg sheet is stored in the Data sheet's part."""
    folder = tmp_path / "kontor"
    plan = next(office["workbook"].parent.glob("tiltaksplan_*.xlsx"))
    shutil.copy2(plan, (folder.mkdir() or folder) / plan.name)
    path = _rewritten(office["workbook"], folder, "xl/_rels/workbook.xml.rels", _logg_in_data_part)
    assert open_package(office["workbook"]).sheets[L.LOG_SHEET] == "xl/worksheets/sheet4.xml"
    return path


@pytest.mark.parametrize("command, exit_code", [
    (["sjekk"], 2), (["fyll", "EXTRACT"], 3), (["tiltak"], 2), (["rapport"], 2),
    (["konsolider", "--register", "REGISTER", "--periode", PERIOD, "-o", "OUT"], 3)],
    ids=["sjekk", "fyll", "tiltak", "rapport", "konsolider"])
def test_two_sheets_in_one_part_are_refused_by_every_command(command, exit_code, shared_part, office,
                                                             tmp_path):
    from excelkort.inputs.register import demo_register, write_register_csv

    write_register_csv(demo_register(), tmp_path / "enheter.csv")
    args = [{"EXTRACT": str(office["extract"]), "REGISTER": str(tmp_path / "enheter.csv"),
             "OUT": str(tmp_path / "ut")}.get(a, a) for a in command]
    target = shared_part.parent if command[0] == "konsolider" else shared_part
    before = shared_part.read_bytes()
    result = CliRunner().invoke(main, [*args, str(target)])
    assert result.exit_code == exit_code, result.output
    assert f"{shared_part.name}: {SHARED_PART}" in result.output
    assert "Traceback" not in result.output
    assert shared_part.read_bytes() == before and not backups(shared_part)


def test_two_sheets_of_one_name_are_refused_by_sjekk_and_fyll(office, tmp_path):
    """Excel never writes two sheets of one name; which one a reader takes is no answer."""
    odd = _rewritten(office["workbook"], tmp_path / "kontor", "xl/workbook.xml",
                     lambda xml: xml.replace('name="Indikatorer"', 'name="data"'))
    before = odd.read_bytes()
    message = ("To ark heter «data» (navnet står to ganger i filen), så det er uklart hvilket som "
               "menes. Filen er skadet og brukes ikke: legg tilbake en sikkerhetskopi (excelkort "
               "gjenopprett) eller lag filen på nytt.")
    for args, code in ((["sjekk", str(odd)], 2), (["fyll", str(office["extract"]), str(odd)], 3)):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == code, result.output
        assert f"{odd.name}: {message}" in result.output
    assert odd.read_bytes() == before and not backups(odd)
