"""``sjekk`` and ``fyll`` agree (issue 14, point 5): sjekk runs the checks fyll runs before it
writes (the extract reader; for a målekort ``fill.read_for_fill``), so sjekk reports an error
exactly when fyll rejects the file, with the same message; and a file fyll accepts, sjekk
passes. Each case here once disagreed."""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from excelkort.cli import main
from excelkort.scorecard.reader import read_scorecard
from excelkort.xlsx.celledit import CellEdit
from excelkort.xlsx.workbookpatch import patch_workbook
from scorecard_files import CATALOGUE, office_files

LOGG = "xl/worksheets/sheet4.xml"  # the Logg sheet's part in a new målekort


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> dict:
    files = office_files(tmp_path_factory.mktemp("kontor"))
    with zipfile.ZipFile(files["workbook"]) as z:
        assert re.search(r'<sheet name="Logg" sheetId="4" r:id="rId4"/>', z.read("xl/workbook.xml").decode())
        assert b'<sheet name="Logg"' not in z.read(LOGG)  # the part exists
    return files


def _copy(office: dict, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    workbook = Path(shutil.copy(office["workbook"], folder))
    extract = Path(shutil.copy(office["extracts"]["2026-10"], folder))
    return workbook, extract


def _rezip(path: Path, member: str, change) -> Path:
    """``path`` with one member's bytes changed by ``change(bytes)``, in place."""
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info, change(data) if info.filename == member else data)
    return path


def _sjekk(path: Path):
    return CliRunner().invoke(main, ["sjekk", str(path)])


def _fyll(extract: Path, workbook: Path):
    return CliRunner().invoke(main, ["fyll", str(extract), str(workbook)])


def _both_reject(workbook: Path, extract: Path, message: str) -> None:
    """sjekk fails the workbook and fyll rejects it, both with ``message``; nothing is written."""
    before = workbook.read_bytes()
    checked = _sjekk(workbook)
    assert checked.exit_code == 2, checked.output
    assert f"  Feil: {workbook.name}{message}" in checked.stdout.splitlines()
    filled = _fyll(extract, workbook)
    assert filled.exit_code == 3, filled.output
    assert f"Avvist: {workbook.name}{message}" in filled.stderr.splitlines()
    assert workbook.read_bytes() == before


def test_a_doctype_in_the_logg_sheet(office, tmp_path):
    workbook, extract = _copy(office, tmp_path)
    _rezip(workbook, LOGG, lambda d: d.replace(b"?>", b"?><!DOCTYPE worksheet>", 1))
    _both_reject(workbook, extract, (
        ": Delen «xl/worksheets/sheet4.xml» inneholder en DOCTYPE- eller ENTITY-erklæring, som "
        "Excel aldri skriver. Filen kan være laget for å angripe og leses ikke; lag den på nytt "
        "eller lagre den på nytt i Excel."))


def test_a_missing_logg_sheet(office, tmp_path):
    workbook, extract = _copy(office, tmp_path)
    _rezip(workbook, "xl/workbook.xml", lambda d: re.sub(rb'<sheet name="Logg"[^>]*/>', b"", d))
    _both_reject(workbook, extract, (
        ", ark «Logg»: Arket «Logg» mangler (arkene i filen er «Målekort», «Data», «Indikatorer»). "
        "Gi arket tilbake navnet «Logg»."))


def test_a_part_in_another_encoding_than_utf8(office, tmp_path):
    workbook, extract = _copy(office, tmp_path)
    _rezip(workbook, LOGG, lambda d: d.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'))
    _both_reject(workbook, extract, (
        ": Delen «xl/worksheets/sheet4.xml» bruker en annen tegnkoding enn UTF-8, og excelkort kan "
        "ikke endre den. Åpne filen i Excel og lagre den på nytt."))


def test_a_part_with_bytes_that_are_not_utf8(office, tmp_path):
    workbook, extract = _copy(office, tmp_path)
    _rezip(workbook, LOGG, lambda d: d.replace(b"</sheetData>", b"</sheetData>\xe5", 1))
    _both_reject(workbook, extract, (
        ": Filen er skadet (delen «xl/worksheets/sheet4.xml» er ikke gyldig XML). Åpne den i Excel "
        "og lagre den på nytt, eller hent en sikkerhetskopi."))


def test_a_målekort_with_a_sheet_named_tiltak_is_not_skipped_as_a_tiltaksplan(office, tmp_path):
    """The fuzzer found it: fyll skipped (exit 0) a målekort whose Logg sheet was renamed
    «Tiltak», as if it were a tiltaksplan; sjekk said the Logg sheet is missing."""
    workbook, extract = _copy(office, tmp_path)
    _rezip(workbook, "xl/workbook.xml", lambda d: d.replace(b'<sheet name="Logg"', b'<sheet name="Tiltak"'))
    _both_reject(workbook, extract, (
        ", ark «Logg»: Arket «Logg» mangler (arkene i filen er «Målekort», «Data», «Indikatorer», "
        "«Tiltak»). Gi arket tilbake navnet «Logg»."))


def test_a_number_too_large_to_compute_with_in_data(office, tmp_path):
    """The fuzzer found it: 1e24 in a Data cell passed sjekk, and fyll rejected the workbook with
    «Intern feil ved fylling (InvalidOperation …)»."""
    workbook, extract = _copy(office, tmp_path)
    sc = read_scorecard(workbook, CATALOGUE)
    ind_id, item = next((i, r) for i, r in sc.rows.items() if r.data_row is not None)
    ref = f"C{item.data_row + 1}"
    assert sc.data_cols["Jan teller"] == 2
    patch_workbook(workbook, edits={"Data": {ref: CellEdit(1e24)}})
    _both_reject(workbook, extract, (
        f", ark «Data», celle {ref}: Tallet 1e+24 er utenfor det excelkort kan regne med (høyst 15 "
        "sifre). Rett tallet i cellen og lagre filen."))


def _both_accept(extract: Path, workbook: Path) -> None:
    checked = _sjekk(extract)
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith(f"{extract} (uttrekk): ok"), checked.output
    filled = _fyll(extract, workbook)
    assert filled.exit_code == 0, filled.output
    assert "1 målekort oppdatert" in filled.stdout


def test_a_utf16_extract_with_bom(office, tmp_path):
    workbook, extract = _copy(office, tmp_path)
    extract.write_bytes(extract.read_bytes().decode("utf-8-sig").encode("utf-16"))
    _both_accept(extract, workbook)


def test_a_title_line_longer_than_what_sjekk_reads_to_tell_the_kind(office, tmp_path):
    """sjekk reads the first 64 KB to tell a file's kind; a title line longer than that (with an
    «ø» split at byte 65 536) hid the header, and sjekk said «ukjent filtype» where fyll reads
    the extract. A text file of no other kind is now checked as an extract."""
    workbook, extract = _copy(office, tmp_path)
    title = ("Uttrekk: " + "ø" * 40_000 + "\n").encode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        title[:65_536].decode("utf-8")  # the cut splits an «ø»
    extract.write_bytes(title + extract.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    _both_accept(extract, workbook)


@pytest.mark.parametrize("content, message", [
    (b"hei;verden\n1;2\n",
     ", linje 1: mangler kolonnene «enhet», «periode», «indikator», «teller» og «nevner». Fant "
     "«hei» og «verden». Uttrekket skal ha en overskriftsrad med kolonnene enhet, periode, "
     "indikator, teller, nevner (og eventuelt merknad), i valgfri rekkefølge."),
    (b"enhet;periode\x00;indikator\n",
     ", linje 1: filen inneholder binære data (NUL-tegn) og er ikke en tekstfil. Lagre uttrekket "
     "som CSV, .xlsx eller Parquet."),
])
def test_an_extract_sjekk_cannot_name_gets_the_extract_readers_message(office, tmp_path, content, message):
    """Once «Kjenner ikke igjen filen» from sjekk, and the reader's own message from fyll."""
    workbook, extract = _copy(office, tmp_path)
    extract.write_bytes(content)
    checked = _sjekk(extract)
    assert checked.exit_code == 2, checked.output
    assert checked.stdout.splitlines()[:2] == [f"{extract} (uttrekk): feil",
                                               f"  Feil: {extract.name}{message}"]
    filled = _fyll(extract, workbook)
    assert filled.exit_code == 2, filled.output
    assert f"Feil: {extract.name}{message}" in filled.stderr.splitlines()


def test_a_tolerance_too_large_in_the_indikatorer_sheet(office, tmp_path):
    """The fuzzer found it: Toleranse 1e24 in the workbook's own catalogue made fyll reject it
    with «Intern feil ved fylling (InvalidOperation …)» while sjekk said ok. The catalogue reader
    now refuses the number, so the sheet does not read cleanly and the run's catalogue is used
    (as for any other fault in that sheet): both accept."""
    workbook, extract = _copy(office, tmp_path)
    _rezip(workbook, "xl/worksheets/sheet3.xml",
           lambda d: re.sub(rb'(<c r="H2" s="\d+"><v>)[^<]*(</v>)', rb"\g<1>1e24\g<2>", d, count=1))
    with zipfile.ZipFile(workbook) as z:
        assert b"<v>1e24</v>" in z.read("xl/worksheets/sheet3.xml")
    checked = _sjekk(workbook)
    assert checked.exit_code == 0, checked.output
    filled = _fyll(extract, workbook)
    assert filled.exit_code == 0, filled.output
    assert "1 målekort oppdatert" in filled.stdout


def test_a_zip_of_an_unknown_version(office, tmp_path):
    """The fuzzer found it (a flipped byte): Python's zipfile raises NotImplementedError for a
    zip version it does not know, which escaped as «Intern feil» (exit 1) from sjekk."""
    workbook, extract = _copy(office, tmp_path)
    data = bytearray(workbook.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 6:central + 8] = (130).to_bytes(2, "little")  # «version needed to extract» 13.0
    workbook.write_bytes(bytes(data))
    _both_reject(workbook, extract, (
        ": Filen er ikke en Excel-arbeidsbok (.xlsx), eller den er skadet. Åpne den i Excel og "
        "lagre den på nytt som .xlsx."))


def test_a_member_fyll_copies_whose_record_is_damaged(office, tmp_path):
    """The fuzzer found it (a flipped byte in a local header): fyll, which copies the comments
    part byte for byte, rejected the workbook, while sjekk, which never reads that part, said ok."""
    workbook, extract = _copy(office, tmp_path)
    with zipfile.ZipFile(workbook) as z:
        offset = z.getinfo("xl/comments1.xml").header_offset
    data = bytearray(workbook.read_bytes())
    data[offset + 2] ^= 0xFF  # «PK\x03\x04» no more
    workbook.write_bytes(bytes(data))
    _both_reject(workbook, extract, (
        ": Filen er skadet (delen «xl/comments1.xml» kan ikke leses). Åpne den i Excel og lagre "
        "den på nytt, eller hent en sikkerhetskopi."))


def test_a_far_cell_in_a_sheet_with_a_namespace_prefix(office, tmp_path):
    """The fuzzer found it: the cheap bound over a sheet's cells counted only ``<c …>``, so a
    sheet written ``<x:c r="XFD1048576">`` passed it and calamine asked for 512 GB (the process
    died). The Indikatorer sheet is optional, so the run's catalogue is used; both accept."""
    workbook, extract = _copy(office, tmp_path)

    def far_and_prefixed(data: bytes) -> bytes:
        data = re.sub(rb'<c r="H2"', b'<c r="XFD1048576"', data, count=1)
        data = data.replace(b'<worksheet xmlns="', b'<worksheet xmlns:x="', 1)
        return re.sub(rb"<(/?)(?!\?)([A-Za-z]\w*)([\s/>])", rb"<\1x:\2\3", data)
    _rezip(workbook, "xl/worksheets/sheet3.xml", far_and_prefixed)
    checked = _sjekk(workbook)
    assert checked.exit_code == 0, checked.output
    filled = _fyll(extract, workbook)
    assert filled.exit_code == 0, filled.output


def test_a_cell_reference_past_column_xfd(office, tmp_path):
    """The fuzzer found it: the bound over a sheet's cells read references of at most three
    letters, while calamine reads r="AAAA1" too (column 18 279), so the Data header moved there
    and fyll failed with «Intern feil … not a cell reference: 'AAAA4'»; at row 1 048 576 such a
    cell would have taken the process down."""
    workbook, extract = _copy(office, tmp_path)
    _rezip(workbook, "xl/worksheets/sheet2.xml", lambda d: d.replace(b'<c r="C1"', b'<c r="AAAA1"', 1))
    _both_reject(workbook, extract, (
        ", ark «Data», celle AAAA25: Arket har innhold langt utenfor det en arbeidsbok fra excelkort "
        "kan ha (høyst 5 000 rader og 300 kolonner). Slett radene og kolonnene utenfor tabellen og "
        "lagre filen på nytt."))


def test_a_shared_string_table_that_claims_too_many_strings(office, tmp_path):
    """The fuzzer found it: uniqueCount="99999999999" in sharedStrings.xml made calamine reserve
    2.4 TB at open, and the process died; now both refuse the part."""
    workbook, extract = _copy(office, tmp_path)
    _rezip(workbook, "xl/sharedStrings.xml",
           lambda d: re.sub(rb'uniqueCount="\d+"', b'uniqueCount="99999999999"', d, count=1))
    _both_reject(workbook, extract, (
        ": Filen er skadet (delen «xl/sharedStrings.xml» kan ikke leses). Åpne den i Excel og "
        "lagre den på nytt, eller hent en sikkerhetskopi."))
