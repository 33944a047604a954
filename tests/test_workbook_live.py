"""The målekort is live: LibreOffice's recalculation equals the cached values excelkort wrote,
and every worked example of SPEC §4 shows its expected result in the workbook."""
from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import openpyxl
import pytest

from excelkort.scorecard import layout as L
from excelkort.model import Catalogue
from excelkort.scorecard.writer import ScorecardContent, write_scorecard
from libreoffice import convert
from recalc_compare import formula_mismatches
from test_rules_examples import _same
from worked_examples import load_examples

pytestmark = pytest.mark.libreoffice
EXAMPLES = load_examples()


@pytest.fixture(scope="module")
def example_books(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("examples")
    books = {}
    for ex in EXAMPLES:
        ind = dataclasses.replace(ex.indicator, id=ex.id)
        content = ScorecardContent("0101", "Nav Test", f"2026-{ex.period_month:02d}",
                                   Catalogue((ind,)), teller={ex.id: ex.series.teller},
                                   nevner={ex.id: ex.series.nevner})
        books[ex.id] = out / f"{ex.id}.xlsx"
        write_scorecard(content, books[ex.id])
    return books


@pytest.fixture(scope="module")
def recalculated(example_books, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("recalc")
    files = list(example_books.values())
    return dict(zip(example_books, convert(files, "xlsx", out)))


def test_cached_values_equal_libreoffice_recalculation(example_books, tmp_path):
    compared, problems = formula_mismatches(list(example_books.values()), tmp_path)
    assert compared > 1500
    assert problems == []


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_worked_example_shows_in_workbook(ex, recalculated):
    ws = openpyxl.load_workbook(recalculated[ex.id], data_only=True)[L.SCORECARD_SHEET]
    header = L.SCORECARD_HEADER_ROW + 1
    labels = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)}
    row = header + 2  # the perspective heading, then the indicator
    assert ws.cell(row, labels["ID"]).value == ex.id
    for column in ("Hittil i år", "Status", "Trend", "Prognose", "Krav resten av året",
                   "Sannsynlighet", "Risiko (forslag)"):
        got = ws.cell(row, labels[column]).value
        got = None if got == "" else (float(got) if isinstance(got, int) else got)
        assert _same(got, ex.expected[column]), (column, got, ex.expected[column])
    colour = ws.cell(row, labels[L.helper_label("farge")]).value or None
    assert _same(colour, ex.expected["Trendfarge"])


def test_libreoffice_does_not_trust_cached_values(example_books, tmp_path):
    """Guard for the harness: a wrong cached value is replaced by LibreOffice's own."""
    src = example_books["E01"]
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v>60.5</v>", b"<v>999</v>", 1)
                assert b"<v>999</v>" in data
            zout.writestr(info, data)
    out = convert([bad], "xlsx", tmp_path / "out")[0]
    ws = openpyxl.load_workbook(out, data_only=True)[L.SCORECARD_SHEET]
    values = [c.value for row in ws.iter_rows() for c in row]
    assert 999 not in values and 60.5 in values
