"""The målekort explains itself (issue 13, point 10): a legend above Hittil i år–Kommentar and
a note on the column headers, saying that Krav is a ceiling for a `lavere` indicator and why a
gul indicator can show «umulig», 0 % and Risiko Høy."""
from __future__ import annotations

import zipfile
from html import unescape

from excelkort.inputs.catalogue import default_catalogue
from excelkort.scorecard import layout as L
from excelkort.scorecard.reader import read_scorecard
from excelkort.scorecard.writer import ScorecardContent, write_scorecard


def _book(tmp_path):
    path = tmp_path / "målekort.xlsx"
    write_scorecard(ScorecardContent("0101", "Nav Test", "2026-10", default_catalogue()), path)
    with zipfile.ZipFile(path) as z:
        texts = {n: unescape(z.read(n).decode("utf-8")) for n in z.namelist() if n.endswith(".xml")}
    return path, texts


def test_legend_sits_over_the_second_printed_page(tmp_path):
    _, texts = _book(tmp_path)
    assert L.LEGEND_TITLE in texts["xl/sharedStrings.xml"]
    assert "der lavere er bedre (f.eks. sykefravær) er kravet et tak – høyst så mye" in L.LEGEND
    assert "en gul indikator kan stå med 0 % og Risiko Høy" in L.LEGEND
    assert '<mergeCell ref="R1:Z5"/>' in texts["xl/worksheets/sheet1.xml"]


def test_column_headers_have_notes(tmp_path):
    _, texts = _book(tmp_path)
    comments = texts["xl/comments1.xml"]
    for label, note in L.HEADER_NOTES.items():
        assert note in comments, label
    assert '<comment ref="V7"' in comments  # Krav resten av året
    assert "er kravet et tak: høyst så mye, ikke et tall å nå opp til" in comments


def test_reader_reads_a_målekort_with_legend_and_notes(tmp_path):
    path, _ = _book(tmp_path)
    sc = read_scorecard(path)
    assert sc.unit_id == "0101" and sc.period == "2026-10"
