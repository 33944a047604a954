"""`excelkort syklus`: the month's machine steps on a work folder, in order, with one summary;
a second run changes no file; errors in the extract stop it before `fyll`."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from excelkort.cli import main
from excelkort.inputs.catalogue import default_catalogue
from excelkort.inputs.extract import write_extract_csv
from excelkort.inputs.register import load_register
from excelkort.steps.synth import generate_year
from excelkort.steps.synth_forms import extract_rows
from test_consolidate import PERIOD, make_work_folder

CATALOGUE = default_catalogue()


def make_cycle_folder(folder: Path, counties: int = 2, per: int = 3, *, corrected: bool = False) -> Path:
    """A work folder for the month: register, catalogue, targets, the offices' målekort and
    tiltaksplaner (``make_work_folder``), and the month's extract in uttrekk/. With
    ``corrected`` the extract has one less in each of the month's tellere, so ``fyll`` has a
    change to write into every office's målekort."""
    make_work_folder(folder, counties, per)
    offices = load_register(folder / "enheter.csv").tree(PERIOD).offices()
    rows = extract_rows(generate_year(CATALOGUE, offices, 2026), CATALOGUE, PERIOD)
    if corrected:
        rows = [{**r, "teller": r["teller"] - 1} if r["periode"] == PERIOD and r["teller"] >= 1 else r
                for r in rows]
    write_extract_csv(rows, folder / "uttrekk" / f"uttrekk_{PERIOD}.csv")
    return folder


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return make_cycle_folder(tmp_path_factory.mktemp("syklus") / "arbeidsmappe")


@pytest.fixture
def work(pristine, tmp_path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "arbeidsmappe"))


def _run(folder: Path, *args):
    return CliRunner().invoke(main, ["syklus", str(folder), "--periode", PERIOD, *args])


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".excelkort" not in p.parts}


def test_runs_every_step_and_a_second_run_changes_no_file(work):
    first = _run(work, "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert summary["kommando"] == "syklus"
    assert [s["navn"] for s in summary["steg"]] == ["kontroll", "fyll", "konsolider", "tiltak", "rapport"]
    assert all(s["avslutningskode"] == 0 for s in summary["steg"])
    assert (work / "kontroll" / f"kontroll_{PERIOD}.xlsx").is_file()
    for unit in ("F1", "F2", "NO"):
        assert (work / "konsolidert" / unit / f"målekort_{unit}_2026.xlsx").is_file()
        assert (work / "konsolidert" / unit / f"tiltaksplan_{unit}_2026.xlsx").is_file()
        assert (work / "rapporter" / f"statusrapport_{unit}_{PERIOD}.pptx").is_file()
    assert (work / "rapporter" / f"statusrapport_0101_{PERIOD}.pptx").is_file()
    assert (work / "historikk" / "målekort_2026.parquet").is_file()
    before = _hashes(work)
    second = _run(work, "--json")
    assert second.exit_code == 0, second.output
    again = json.loads(second.output)
    assert again["filer_skrevet"] == 0 and all(s["filer_skrevet"] == [] for s in again["steg"])
    assert _hashes(work) == before


def test_the_text_summary_names_each_step_and_where_to_look(work):
    result = _run(work)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()  # the progress bars go to stderr
    assert lines[0] == f"Syklus for {PERIOD} i {work}:"
    for i, name in enumerate(("kontroll", "fyll", "konsolider", "tiltak", "rapport"), 1):
        assert any(line.startswith(f"  {i}. {name} (") for line in lines), name
    assert "Se kontroll/, konsolidert/ (arket Innlevering), kontor/*/tiltaksplan_*.xlsx og rapporter/." in lines
    assert lines[-1].startswith("Oppsummering: ")


def test_errors_in_the_extract_stop_it_before_fyll_unless_fortsett(work):
    extract = work / "uttrekk" / f"uttrekk_{PERIOD}.csv"
    extract.write_text(extract.read_text(encoding="utf-8-sig") + f"101;{PERIOD};P1;5;10;\n",
                       encoding="utf-8")
    stopped = _run(work, "--json")
    assert stopped.exit_code == 3
    summary = json.loads(stopped.output)
    assert [s["navn"] for s in summary["steg"]] == ["kontroll"]
    assert summary["stoppet"].startswith("Kontrollen fant 1 feil i uttrekket, så fyll og de neste "
                                         "stegene ble ikke kjørt.")
    assert not (work / "konsolidert").exists()
    going_on = _run(work, "--fortsett", "--json")
    assert [s["navn"] for s in json.loads(going_on.output)["steg"]] == [
        "kontroll", "fyll", "konsolider", "tiltak", "rapport"]


def test_without_the_months_extract_nothing_is_done(work):
    (work / "uttrekk" / f"uttrekk_{PERIOD}.csv").unlink()
    before = _hashes(work)
    result = _run(work)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Feil: arbeidsmappe: Fant ikke månedens uttrekk: {work}/uttrekk/uttrekk_{PERIOD}.csv (eller "
        ".xlsx, .parquet). Legg uttrekket der, eller sjekk perioden.", "Ingenting ble endret."]
    assert _hashes(work) == before
