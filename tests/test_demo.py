"""`excelkort demo`: the main job on built-in data, end to end, as a user runs it."""
from __future__ import annotations

import re

import openpyxl
import pytest
from click.testing import CliRunner

from excelkort.cli import main
from excelkort.scorecard.reader import read_scorecard

#: functions Excel 2016 and LibreOffice 7.4 both have; no LET, LAMBDA, XLOOKUP, dynamic arrays
CLASSIC_FUNCTIONS = {"IF", "AND", "OR", "ROUND", "ABS", "ISNUMBER", "VALUE", "RIGHT", "COUNT",
                     "MAX", "MIN", "SUM", "INDEX", "LARGE", "CHOOSE"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "arbeidsmappe"
    result = CliRunner().invoke(main, ["demo", str(folder)])
    assert result.exit_code == 0, result.output
    return folder, result.output


def test_demo_writes_the_work_folder(demo):
    folder, output = demo
    for name in ("enheter.csv", "indikatorer.csv", "mål.csv", "uttrekk/uttrekk_2026-10.csv",
                 "kontroll/kontroll_2026-10.xlsx"):
        assert (folder / name).is_file(), name
    offices = sorted((folder / "kontor").iterdir())
    assert len(offices) == 255
    assert (folder / "kontor" / "0101" / "målekort_0101_2026.xlsx").is_file()
    assert (folder / "kontor" / "0101" / "tiltaksplan_0101_2026.xlsx").is_file()
    assert "255 målekort oppdatert med 2026-10" in output
    counties = sorted(p.name for p in (folder / "konsolidert").iterdir())
    assert counties == [f"F{i:02d}" for i in range(1, 13)] + ["NO"]
    assert (folder / "konsolidert" / "NO" / "målekort_NO_2026.xlsx").is_file()
    assert (folder / "historikk" / "målekort_2026.parquet").is_file()
    assert output.splitlines()[-1] == (
        f"Åpne først: {folder}/kontor/0101/målekort_0101_2026.xlsx, "
        f"{folder}/konsolidert/NO/målekort_NO_2026.xlsx, {folder}/kontroll/kontroll_2026-10.xlsx")
    assert re.search(r"Oppsummering: \d+ filer skrevet, \d+ advarsler \(de fleste fra kontrollen av uttrekket\), 0 feil\.", output)


def test_demo_workbooks_are_filled_for_the_month(demo):
    folder, _ = demo
    sc = read_scorecard(folder / "kontor" / "0101" / "målekort_0101_2026.xlsx")
    assert sc.unit_id == "0101" and sc.unit_name == "Nav Halden-Aremark"
    assert sc.period == "2026-10"
    assert sc.rows["P1"].teller[9] is not None  # October's automatic value arrived
    assert any(v is not None for v in sc.rows["B7"].bare)  # the office's typed local values


def test_demo_is_reproducible(demo, tmp_path):
    """Same seed, same files: the demo's workbooks are byte-identical run to run."""
    folder, _ = demo
    again = tmp_path / "igjen"
    assert CliRunner().invoke(main, ["demo", str(again)]).exit_code == 0
    for rel in ("enheter.csv", "uttrekk/uttrekk_2026-10.csv", "kontroll/kontroll_2026-10.xlsx",
                "kontor/0101/tiltaksplan_0101_2026.xlsx"):
        assert (folder / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_formulas_use_only_classic_functions(demo):
    folder, _ = demo
    wb = openpyxl.load_workbook(folder / "kontor" / "0101" / "målekort_0101_2026.xlsx")
    used = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    used |= set(re.findall(r"([A-Z][A-Z0-9.]*)\(", cell.value))
    assert used and used <= CLASSIC_FUNCTIONS, used - CLASSIC_FUNCTIONS


@pytest.mark.libreoffice
def test_demo_workbooks_recalculate_with_zero_mismatches(demo, tmp_path):
    from recalc_compare import formula_mismatches
    folder, _ = demo
    offices = sorted((folder / "kontor").iterdir())[::50]  # a spread across the country
    books = [next(o.glob("målekort_*.xlsx")) for o in offices]
    compared, problems = formula_mismatches(books, tmp_path)
    assert compared > 5 * 1000
    assert problems == []


def test_help_is_norwegian():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "målekort" in result.output and "Lag en hel syntetisk måned" in result.output
    for command in ("demo", "ny", "fyll", "kontroll", "sjekk", "gjenopprett"):
        assert command in result.output


def test_clicks_own_words_are_norwegian(tmp_path):
    runner = CliRunner()
    help_text = runner.invoke(main, ["fyll", "--help"], prog_name="excelkort").output
    assert help_text.startswith("Bruk: excelkort fyll [VALG] UTTREKK ARBEIDSBOKER...")
    assert "Valg:" in help_text and "Vis denne hjelpen og avslutt." in help_text
    assert "Usage" not in help_text and "Options" not in help_text
    missing = runner.invoke(main, ["ny", "--periode", "2026-10"])
    assert missing.exit_code == 2
    assert "Feil: Mangler valget '--enhet'." in missing.output
    nofile = runner.invoke(main, ["fyll", str(tmp_path / "borte.csv"), str(tmp_path / "x.xlsx")])
    assert f"Feil: Ugyldig verdi for 'UTTREKK': Fil '{tmp_path / 'borte.csv'}' finnes ikke." in nofile.output


def test_demo_leaders_have_typed_comments_and_risk(demo):
    folder, _ = demo
    sc = read_scorecard(folder / "kontor" / "0101" / "målekort_0101_2026.xlsx")
    assert sc.month_comment.startswith("Høsten preges av mange nye brukere")
    assert sc.rows["P1"].risk_assessed == "Middels"
    assert sc.rows["P1"].comment == "Ekstra oppfølgingsdager i november"


def test_readme_python_examples_run_in_the_demo_folder(demo, monkeypatch):
    """Every ```python block of the README runs as written inside a demo work folder."""
    from pathlib import Path

    folder, _ = demo
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks
    monkeypatch.chdir(folder)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_sjekk_names_every_file_excelkort_writes(demo):
    """A tiltaksplan or a kontroll workbook is never taken for an extract."""
    folder, _output = demo
    files = ["kontor/0101/målekort_0101_2026.xlsx", "kontor/0101/tiltaksplan_0101_2026.xlsx",
             "konsolidert/NO/målekort_NO_2026.xlsx", "kontroll/kontroll_2026-10.xlsx",
             "historikk/målekort_2026.parquet", "uttrekk/uttrekk_2026-10.csv",
             "enheter.csv", "indikatorer.csv", "mål.csv"]
    pptx = sorted((folder / "rapporter").glob("*.pptx"))[0]
    result = CliRunner().invoke(main, ["sjekk", *(str(folder / f) for f in files), str(pptx)])
    assert result.exit_code == 0, result.output
    named = [line for line in result.output.splitlines() if line.startswith(str(folder))]
    assert [line[len(str(folder)) + 1:] for line in named] == [
        "kontor/0101/målekort_0101_2026.xlsx (målekort): ok",
        "kontor/0101/tiltaksplan_0101_2026.xlsx (tiltaksplan): ok",
        "konsolidert/NO/målekort_NO_2026.xlsx (konsolidert målekort): ok",
        "kontroll/kontroll_2026-10.xlsx (kontrollarbeidsbok): skrevet av excelkort, ikke noe å sjekke",
        "historikk/målekort_2026.parquet (historikk (konsolider)): skrevet av excelkort, ikke noe å sjekke",
        "uttrekk/uttrekk_2026-10.csv (uttrekk): ok",
        "enheter.csv (enhetsregister): ok",
        "indikatorer.csv (indikatorkatalog): ok",
        "mål.csv (mål per enhet): ok",
        f"rapporter/{pptx.name} (statusrapport (PowerPoint)): skrevet av excelkort, ikke noe å sjekke",
    ]
