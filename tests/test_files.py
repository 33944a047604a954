"""The shared file checks: one wording per problem, whichever reader meets it."""
from __future__ import annotations

import io
import zipfile

import pytest

from excelkort import files
from excelkort.errors import InputError
from excelkort.xlsx.package import open_package


def message(func, *args, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        func(*args, **kwargs)
    [problem] = info.value.problems
    return str(problem)


def check(path, max_size=files.MAX_FILE_SIZE):
    files.check_file(path, kind=files.TABLE_FILE, what="en tabell", max_size=max_size)


def test_missing_folder_lock_file_and_size(tmp_path):
    assert message(check, tmp_path / "borte.csv") == (
        "borte.csv: Filen finnes ikke. Sjekk navnet og mappen.")
    (tmp_path / "mappe").mkdir()
    assert message(check, tmp_path / "mappe") == (
        "mappe: Dette er en mappe, ikke en fil. Oppgi en CSV- eller .xlsx-fil.")
    (tmp_path / "~$bok.xlsx").write_bytes(b"\x05ola")
    assert message(check, tmp_path / "~$bok.xlsx") == (
        "~$bok.xlsx: Dette er Excels låsefil for en åpen arbeidsbok, ikke en fil med data. Bruk "
        "selve arbeidsboken («bok.xlsx»).")
    (tmp_path / "stor.csv").write_bytes(b"x" * (2**20 + 1))
    assert message(check, tmp_path / "stor.csv", max_size=2**20) == (
        "stor.csv: Filen er større enn 1 MB og er for stor for en tabell; den kan være skadet "
        "eller laget for å skade. Kontroller filen.")
    (tmp_path / "ok.csv").write_bytes(b"x")
    check(tmp_path / "ok.csv")


def test_unpacked_size_and_member_count(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.bin", b"\0" * 3000)
    infos = zipfile.ZipFile(buf).infolist()
    files.check_unpacked(infos, tmp_path / "b.xlsx", what="et målekort", limit=3000)
    assert message(files.check_unpacked, infos, tmp_path / "b.xlsx", what="et målekort",
                   limit=2999) == (
        "b.xlsx: Filen er større enn 0 MB (utpakket) og er for stor for et målekort; den kan "
        "være skadet eller laget for å skade. Kontroller filen.")
    # 20 000 empty members are many, not large (once called «større enn 200 MB»)
    many = infos * 20_000
    assert message(files.check_unpacked, many, "b.xlsx", what="et målekort",
                   limit=files.MAX_UNPACKED) == (
        "b.xlsx: Filen har 20\u00a0000 deler i zip-arkivet, flere enn 10\u00a0000 som noen ekte "
        "arbeidsbok har; den kan være skadet eller laget for å skade. Kontroller filen.")


def test_the_xlsx_opener_uses_the_same_checks(tmp_path):
    (tmp_path / "~$bok.xlsx").write_bytes(b"\x05ola")
    assert message(open_package, tmp_path / "~$bok.xlsx") == (
        "~$bok.xlsx: Dette er Excels låsefil for en åpen arbeidsbok, ikke en fil med data. Bruk "
        "selve arbeidsboken («bok.xlsx»).")
    assert message(open_package, tmp_path / "borte.xlsx") == (
        "borte.xlsx: Filen finnes ikke. Sjekk navnet og mappen.")
