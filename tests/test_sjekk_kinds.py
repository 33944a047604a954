"""``excelkort sjekk`` says what a file is (steps/kinds.detect_kind): every file excelkort
writes, and a CSV's header decoded as the extract reader decodes it."""
from __future__ import annotations

from pathlib import Path

from excelkort.steps.kinds import detect_kind

HEADER = "enhet;periode;indikator;teller;nevner;merknad\n"


def test_a_multibyte_letter_across_the_first_4096_bytes_is_still_utf8(tmp_path):
    """An «ø» split at byte 4 096 once made the head undecodable as UTF-8 (then read as
    Windows-1252); the head is now cut at a line end."""
    path = tmp_path / "katalog.csv"
    header = "id;navn;måletype\n"
    row = "B1;" + "ø" * 3000 + ";andel\n"
    path.write_bytes((header + row * 40).encode("utf-8"))
    assert detect_kind(path) == "katalog"


def test_a_utf16_extract_with_bom_is_an_extract(tmp_path):
    path = tmp_path / "uttrekk.csv"
    path.write_bytes((HEADER + "0101;2026-10;B1;1;2;\n" * 20000).encode("utf-16"))
    assert detect_kind(path) == "uttrekk"


def test_a_sep_line_before_the_header(tmp_path):
    path = tmp_path / "enheter.csv"
    path.write_text('"sep=;"\nid;navn;nivå;overordnet\n', encoding="cp1252")
    assert detect_kind(path) == "register"


def test_pptx_is_a_statusrapport(tmp_path):
    assert detect_kind(Path(tmp_path / "statusrapport_0101_2026-10.pptx")) == "statusrapport"
