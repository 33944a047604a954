"""The målekort and the tiltaksplan print readable: rendered by LibreOffice to PDF, no text is
smaller than 7 pt and no indicator name is cut at its cell's edge (issue 13, point 5)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from excelkort.actionplan.writer import write_action_plan
from excelkort.inputs.catalogue import default_catalogue
from excelkort.scorecard.writer import ScorecardContent, write_scorecard
from libreoffice import convert

pytestmark = pytest.mark.libreoffice

#: a word's box height over its font size for Carlito (LibreOffice's Calibri): 10 pt → 13.0 pt
BOX_PER_POINT = 1.3008
MIN_POINTS = 7.0
WORD = re.compile(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>')


def _words(pdf: Path) -> list[tuple[float, str]]:
    """Every word of the PDF with its printed font size in points."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return [((float(y1) - float(y0)) / BOX_PER_POINT, text) for y0, y1, text in WORD.findall(xml)]


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("print")
    catalogue = default_catalogue()
    months = [100.0] * 10 + [None, None]
    content = ScorecardContent(
        "0101", "Nav Halden-Aremark", "2026-10", catalogue,
        teller={ind.id: [80.0] * 10 + [None, None] for ind in catalogue.indicators},
        nevner={ind.id: months for ind in catalogue.indicators},
        month_comment="Sykefraværet er lavere enn i fjor.")
    write_scorecard(content, out / "målekort.xlsx")
    write_action_plan(out / "tiltaksplan.xlsx", "0101", "Nav Halden-Aremark", "2026-10")
    pdfs = convert([out / "målekort.xlsx", out / "tiltaksplan.xlsx"], "pdf", out)
    return {"målekort": pdfs[0], "tiltaksplan": pdfs[1]}


@pytest.mark.parametrize("name", ["målekort", "tiltaksplan"])
def test_printed_text_is_at_least_7_points(rendered, name):
    words = _words(rendered[name])
    smallest = min(size for size, _ in words)
    assert smallest >= MIN_POINTS, f"{name}: minste tekst {smallest:.1f} pt"


def test_indicator_names_are_printed_whole(rendered):
    """Text cut at a cell's edge is clipped out of the PDF: every word of every name is there."""
    printed = {text for _, text in _words(rendered["målekort"])}
    for ind in default_catalogue().indicators:
        missing = [w for w in ind.name.split() if w not in printed]
        assert not missing, f"{ind.id} «{ind.name}»: mangler {missing}"


def test_målekort_prints_on_few_pages(rendered):
    """Målekort (two pages wide), Data, Indikatorer and Logg: a handful of A4 pages."""
    assert _pages(rendered["målekort"]) <= 10
