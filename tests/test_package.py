"""Opening xlsx files safely: every bad file gives one Norwegian message naming the file."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from excelkort.xlsx import package
from excelkort.errors import EXIT_INPUT, InputError
from excelkort.xlsx.package import lock_file_for, open_package

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("good") / "bok.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    pct = wb.add_format({"num_format": "0.0%"})
    quoted = wb.add_format({"num_format": '0,0" %"'})
    ms = wb.add_worksheet("Målekort")
    ms.write("A1", "Tittel")
    ms.write("B2", 0.5, pct)
    ms.write("B3", 50, quoted)
    ms.write("C3", "æøå")
    wb.add_worksheet("Data").write("A1", 1)
    wb.define_name("Enhet", "='Målekort'!$A$1")
    wb.define_name("'Data'!Lokal", "='Data'!$A$1")
    wb.close()
    return path


def copy(src: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, folder / name))


def rewrite(src: Path, dst: Path, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
            compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, (replace or {}).get(info.filename, zin.read(info)))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def message(path: Path, **kwargs) -> str:
    with pytest.raises(InputError) as exc:
        open_package(path, **kwargs)
    assert exc.value.exit_code == EXIT_INPUT
    assert len(exc.value.problems) == 1 and exc.value.problems[0].file == str(path)
    return str(exc.value)


# -- a good file -------------------------------------------------------------------------------------
def test_package_gives_members_sheets_names_and_strings(good):
    with open_package(good) as pkg:
        assert pkg.members()[0] == "[Content_Types].xml"
        assert "xl/workbook.xml" in pkg
        assert pkg.sheets == {"Målekort": "xl/worksheets/sheet1.xml", "Data": "xl/worksheets/sheet2.xml"}
        assert pkg.sheet_names() == ["Målekort", "Data"]
        assert pkg.defined_names() == {"Enhet": "'Målekort'!$A$1"}  # sheet-scoped names left out
        assert pkg.shared_strings() == ["Tittel", "æøå"]
        assert pkg.read("xl/worksheets/sheet2.xml").startswith(b"<?xml")
        assert pkg.percent_style_cells("Målekort") == {"B2"}  # '0,0" %"' is not a percent format
        assert pkg.percent_style_cells("Data") == set()


def test_missing_sheet_is_named(good):
    pkg = open_package(good)
    with pytest.raises(InputError) as exc:
        pkg.sheet_member("Logg")
    assert str(exc.value) == ("bok.xlsx, ark «Logg»: Arket «Logg» mangler (arkene i filen er «Målekort», "
                              "«Data»). Gi arket tilbake navnet «Logg».")


def test_percent_format_detection():
    assert package.is_percent_format("0.0%")
    assert package.is_percent_format('0 %;[Red]-0 %')
    assert not package.is_percent_format('0,0" %"')
    assert not package.is_percent_format("0,0\\%")
    assert not package.is_percent_format("# ##0")


# -- bad files -----------------------------------------------------------------------------------
def test_missing_file(tmp_path):
    assert message(tmp_path / "borte.xlsx") == "borte.xlsx: Filen finnes ikke. Sjekk navnet og mappen."


def test_directory(tmp_path):
    (tmp_path / "mappe.xlsx").mkdir()
    assert message(tmp_path / "mappe.xlsx") == "mappe.xlsx: Dette er en mappe, ikke en fil. Oppgi en .xlsx-fil."


def test_not_a_zip(tmp_path):
    path = tmp_path / "tekst.xlsx"
    path.write_text("ID;Indikator\nB1;Noe\n", encoding="utf-8")
    assert message(path) == ("tekst.xlsx: Filen er ikke en Excel-arbeidsbok (.xlsx), eller den er skadet. "
                             "Åpne den i Excel og lagre den på nytt som .xlsx.")


def test_truncated_zip(tmp_path, good):
    path = tmp_path / "kuttet.xlsx"
    path.write_bytes(good.read_bytes()[:2000])
    assert "Filen er ikke en Excel-arbeidsbok (.xlsx), eller den er skadet." in message(path)


def test_old_xls(tmp_path):
    path = tmp_path / "gammel.xls"
    path.write_bytes(OLE + bytes(504) + "Workbook".encode("utf-16-le") + bytes(100))
    assert message(path) == ("gammel.xls: Filen er i det gamle .xls-formatet. Åpne den i Excel og lagre den "
                             "som .xlsx (Fil → Lagre som → Excel-arbeidsbok).")


def test_xls_renamed_to_xlsx(tmp_path):
    path = tmp_path / "omdøpt.xlsx"
    path.write_bytes(OLE + bytes(504) + "Workbook".encode("utf-16-le") + bytes(100))
    assert "Filen er i det gamle .xls-formatet." in message(path)


ENCRYPTED = ("kryptert.xlsx: Filen er passordbeskyttet (kryptert). Åpne den i Excel, fjern passordet "
             "(Fil → Info → Beskytt arbeidsbok → Krypter med passord) og lagre den.")


def test_password_protected(tmp_path):
    path = tmp_path / "kryptert.xlsx"
    path.write_bytes(OLE + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(8)
                     + "EncryptedPackage".encode("utf-16-le") + bytes(100))
    assert message(path) == ENCRYPTED


def test_bare_ole_container_named_xlsx_is_taken_as_encrypted(tmp_path):
    path = tmp_path / "kryptert.xlsx"
    path.write_bytes(OLE + bytes(1000))
    assert message(path) == ENCRYPTED


MACROS = ("Filen inneholder makroer (.xlsm). excelkort kjører og endrer aldri makroer. Lagre en kopi "
          "uten makroer som .xlsx (Fil → Lagre som → Excel-arbeidsbok) og bruk den.")


def test_xlsm_refused(tmp_path, good):
    path = copy(good, tmp_path, "makro.xlsm")
    assert message(path) == "makro.xlsm: " + MACROS


def test_vba_project_in_xlsx_refused(tmp_path, good):
    path = rewrite(good, tmp_path / "skjult.xlsx", add={"xl/vbaProject.bin": b"\x01" * 64})
    assert message(path) == "skjult.xlsx: " + MACROS


def test_zip_bomb_ratio(tmp_path, good):
    path = rewrite(good, tmp_path / "bombe.xlsx", add={"xl/media/image1.png": bytes(5 * 1024 * 1024)})
    assert message(path) == ("bombe.xlsx: Delen «xl/media/image1.png» i filen er mistenkelig sterkt komprimert "
                             "(over 100:1) og kan være en «zip-bombe». Filen leses ikke; kontroller den.")


def test_zip_bomb_total(tmp_path, good, monkeypatch):
    monkeypatch.setattr(package, "MAX_UNPACKED", 4096)
    assert message(good) == ("bok.xlsx: Filen er større enn 0 MB (utpakket) og er for stor for et målekort; "
                             "den kan være skadet eller laget for å skade. Kontroller filen.")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="&lol3;"/></sheets></workbook>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&xxe;</t></si></sst>"""


def test_entity_expansion_in_workbook(tmp_path, good):
    path = rewrite(good, tmp_path / "latter.xlsx", replace={"xl/workbook.xml": BILLION_LAUGHS})
    assert message(path) == ("latter.xlsx: Delen «xl/workbook.xml» inneholder en DOCTYPE- eller "
                             "ENTITY-erklæring, som Excel aldri skriver. Filen kan være laget for å angripe "
                             "og leses ikke; lag den på nytt eller lagre den på nytt i Excel.")


def test_external_entity_in_shared_strings(tmp_path, good):
    path = rewrite(good, tmp_path / "xxe.xlsx", replace={"xl/sharedStrings.xml": XXE})
    pkg = open_package(path)  # only parsed when used
    with pytest.raises(InputError) as exc:
        pkg.shared_strings()
    assert "Delen «xl/sharedStrings.xml» inneholder en DOCTYPE- eller ENTITY-erklæring" in str(exc.value)


def test_lock_file_of_excel(tmp_path, good):
    path = copy(good, tmp_path, "x.xlsx")
    (tmp_path / "~$x.xlsx").write_bytes(b"\x00" * 165)
    assert lock_file_for(path) == tmp_path / "~$x.xlsx"
    assert message(path) == ("x.xlsx: Filen er åpen i Excel (låsefilen «~$x.xlsx» finnes). Lukk den i Excel "
                             "og prøv igjen. Er filen ikke åpen, kan du slette låsefilen.")
    assert open_package(path, allow_locked=True).sheet_names() == ["Målekort", "Data"]


def test_lock_file_of_libreoffice(tmp_path, good):
    path = copy(good, tmp_path, "x.xlsx")
    (tmp_path / ".~lock.x.xlsx#").write_text("bruker,host,...")
    assert message(path) == ("x.xlsx: Filen er åpen i LibreOffice (låsefilen «.~lock.x.xlsx#» finnes). Lukk den i "
                             "LibreOffice og prøv igjen. Er filen ikke åpen, kan du slette låsefilen.")


def test_no_lock_file(tmp_path, good):
    assert lock_file_for(copy(good, tmp_path, "x.xlsx")) is None


def test_other_extension(tmp_path, good):
    path = copy(good, tmp_path, "bok.zip")
    assert message(path) == ("bok.zip: Filen har endelsen «.zip»; excelkort leser bare Excel-arbeidsbøker "
                             "(.xlsx). Lagre den som .xlsx.")


def test_zip_without_workbook(tmp_path):
    path = tmp_path / "arkiv.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("les_meg.txt", "hei")
    assert message(path) == ("arkiv.xlsx: Filen er en zip-fil, men ikke en Excel-arbeidsbok (arbeidsbokdelen "
                             "mangler). Åpne den i Excel og lagre den som .xlsx.")


def test_corrupt_member_data(tmp_path, good):
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("xl/sharedStrings.xml")
    start = info.header_offset + 30 + len(info.filename.encode())
    data[start + 2:start + 8] = b"\xff" * 6
    path = tmp_path / "skadet.xlsx"
    path.write_bytes(bytes(data))
    pkg = open_package(path)
    with pytest.raises(InputError) as exc:
        pkg.shared_strings()
    assert str(exc.value) == ("skadet.xlsx: Filen er skadet (delen «xl/sharedStrings.xml» kan ikke leses). "
                              "Åpne den i Excel og lagre den på nytt, eller hent en sikkerhetskopi.")


def test_broken_xml(tmp_path, good):
    path = rewrite(good, tmp_path / "ødelagt.xlsx", replace={"xl/workbook.xml": b"<workbook><sheets>"})
    assert message(path) == ("ødelagt.xlsx: Filen er skadet (delen «xl/workbook.xml» er ikke gyldig XML). "
                             "Åpne den i Excel og lagre den på nytt, eller hent en sikkerhetskopi.")
