"""Reporting periods: one parser for every module (extract, register, reader, CLI)."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from excelkort.errors import InputError
from excelkort.period import check_period, index, parse_period, shift


@pytest.mark.parametrize("text, expected", [
    ("2026-10", "2026-10"), ("202610", "2026-10"), (" 2026-01 ", "2026-01"),
    ("2026-13", None), ("2026-00", None), ("2026-7", None), ("20261", None), ("okt 2026", None),
    ("1899-12", None),
])
def test_parse_period(text, expected):
    assert parse_period(text) == expected


def test_check_period_message():
    with pytest.raises(InputError) as info:
        check_period("2026-13")
    assert str(info.value) == "Ugyldig periode «2026-13». Skriv perioden som ÅÅÅÅ-MM, f.eks. 2026-10."


@given(st.integers(1900, 2150), st.integers(1, 12), st.integers(-30, 30))
def test_shift_is_month_arithmetic(year, month, months):
    p = f"{year:04d}-{month:02d}"
    assert index(shift(p, months)) - index(p) == months
    assert shift(shift(p, months), -months) == p
    assert shift("2026-12", 1) == "2027-01" and shift("2026-01", -1) == "2025-12"


def test_a_workbook_with_an_impossible_period_is_refused(tmp_path):
    import zipfile

    from excelkort import api
    from excelkort.scorecard.reader import read_scorecard

    files = api.new_scorecard("0101", "2026-10", outdir=tmp_path / "a")
    bad = tmp_path / files.scorecard.name
    with zipfile.ZipFile(files.scorecard) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/sharedStrings.xml":
                assert b">2026-10<" in data
                data = data.replace(b">2026-10<", b">2026-13<")
            zout.writestr(info, data)
    with pytest.raises(InputError) as info:
        read_scorecard(bad)
    assert "Fant ikke enhet og periode" in str(info.value)
