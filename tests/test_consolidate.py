"""`excelkort konsolider`: offices → county units → Norway (SPEC §7)."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from excelkort import api
from excelkort.cli import main
from excelkort.inputs.catalogue import (default_catalogue, load_unit_targets,
                                        write_catalogue_csv, write_unit_targets_csv)
from excelkort.inputs.register import Register, write_register_csv
from excelkort.model import Unit
from excelkort.numbers.aggregate import aggregate, consolidated_target
from excelkort.scorecard import layout as L
from excelkort.steps.consolidate_read import candidate_files, cut_series, read_office
from excelkort.steps.synth import generate_year
from excelkort.steps.synth_forms import filled_forms, local_values

PERIOD = "2026-10"
CATALOGUE = default_catalogue()


# --- a small work folder: 6 offices in 2 county units ------------------------------------------

def make_work_folder(folder: Path, counties: int = 2, per: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    units = [Unit("NO", "Norge", "nasjonal")]
    for c in range(1, counties + 1):
        units.append(Unit(f"F{c}", f"Nav Fylke {c}", "fylke", "NO"))
        units += [Unit(f"{c:02d}{o:02d}", f"Nav Kontor {c}-{o}", "kontor", f"F{c}")
                  for o in range(1, per + 1)]
    register = Register(units)
    offices = [u for u in units if u.level == "kontor"]
    year = generate_year(CATALOGUE, offices, 2026)
    write_register_csv(register, folder / "enheter.csv")
    write_catalogue_csv(CATALOGUE, folder / "indikatorer.csv")
    write_unit_targets_csv(dict(year.targets), folder / "mål.csv")
    month = int(PERIOD[5:7])
    typed = local_values(year, CATALOGUE, PERIOD)
    for k, u in enumerate(offices):
        teller, nevner, bare = filled_forms(year, typed, CATALOGUE, u.id, month)
        extra = {"month_comment": "Bra måned.", "comments": {"P1": "Ekstra innsats"},
                 "risk_assessed": {"P1": "Høy"}} if k == 0 else {}
        api.new_scorecard(u.id, PERIOD, catalogue=CATALOGUE, register=register,
                          targets=dict(year.targets), outdir=folder / "kontor" / u.id,
                          teller=teller, nevner=nevner, bare=bare, **extra)
    return folder


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return make_work_folder(tmp_path_factory.mktemp("konsolider") / "arbeidsmappe")


@pytest.fixture
def work(pristine, tmp_path) -> Path:
    dst = tmp_path / "arbeidsmappe"
    shutil.copytree(pristine, dst)
    return dst


def _run(folder: Path, *args):
    return CliRunner().invoke(main, ["konsolider", str(folder / "kontor"), *args])


def _sheet(path: Path, name: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def _hashes(folder: Path) -> dict[str, str]:
    out = {}
    for sub in ("konsolidert", "historikk"):
        for p in sorted((folder / sub).rglob("*")):
            if p.is_file() and ".excelkort" not in p.parts:
                out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _by_id(rows: list[list], col_label: str) -> dict[str, object]:
    header = next(i for i, r in enumerate(rows) if r and r[0] == "ID")
    col = rows[header].index(col_label)
    return {r[0]: r[col] for r in rows[header + 1:] if r and r[0]}


def test_writes_each_county_and_the_nation(work):
    result = _run(work)
    assert result.exit_code == 0, result.output
    assert "Brukte katalog " in result.output and " og register " in result.output
    for unit in ("F1", "F2", "NO"):
        path = work / "konsolidert" / unit / f"målekort_{unit}_2026.xlsx"
        assert path.is_file()
        names = CalamineWorkbook.from_path(str(path)).sheet_names
        assert names[:4] == list(L.SHEETS)
        assert names[4:] == ["Enheter", "Rangering", "Innlevering", "Kilder", "Kommentarer"]
    assert (work / "historikk" / "målekort_2026.parquet").is_file()


def _office_data(folder: Path, sub: str = "kontor") -> dict[str, dict[str, tuple[list, list]]]:
    """Every office's (or consolidated unit's) Data sheet, read independently (openpyxl)."""
    out = {}
    for path in sorted((folder / sub).glob("*/målekort_*.xlsx")):
        ws = openpyxl.load_workbook(path, read_only=True, data_only=True)["Data"]
        rows = list(ws.iter_rows(values_only=True))
        unit = path.parent.name
        out[unit] = {r[0]: (list(r[2::2][:12]), list(r[3::2][:12])) for r in rows[1:] if r[0]}
    return out


def _stored(values: list) -> list:
    """Numbers as an xlsx file holds them: 16 significant digits (XlsxWriter, like Excel)."""
    return [None if v is None else float(f"{v:.16G}") for v in values]


MEMBERS = {"F1": ["0101", "0102", "0103"], "F2": ["0201", "0202", "0203"],
           "NO": ["0101", "0102", "0103", "0201", "0202", "0203"]}


def test_consolidated_data_is_the_one_rule_applied_to_the_offices(work):
    """Each consolidated Data sheet holds what ``numbers.aggregate`` makes of its offices'
    series as they are read (extracted, typed with a nevner, typed as bare values: a mix), and
    its targets are ``consolidated_target``'s: the rule of SPEC §4 is applied in one place."""
    assert _run(work).exit_code == 0
    offices = {o.unit_id: o for o in (read_office(p, CATALOGUE)
                                      for p in candidate_files(work / "kontor"))}
    data = _office_data(work, "konsolidert")
    targets = load_unit_targets(work / "mål.csv", CATALOGUE)
    unweighted = 0
    for unit, ids in MEMBERS.items():
        path = work / "konsolidert" / unit / f"målekort_{unit}_2026.xlsx"
        mål = _by_id(_sheet(path, "Målekort"), "Mål")
        for i in CATALOGUE:
            series = aggregate(i, [cut_series(offices[u].series[i.id], 10) for u in ids])
            stored = (_stored(series.teller), _stored(series.nevner))
            assert data[unit][i.id] == stored, (unit, i.id)
            assert mål[i.id] == consolidated_target(i, unit, ids, targets)[0], (unit, i.id)
            unweighted += not series.weighted
    assert unweighted >= 3  # typed bare values among the offices


def test_independent_recomputation_matches_every_hittil_i_aar(work):
    """From the office Data sheets alone: 100·ΣT/ΣN (andel), ΣT/ΣN (snitt), ΣT (antall) over
    the months with data, for the weighted automatic indicators, equals each consolidated
    workbook's cached Hittil i år."""
    assert _run(work).exit_code == 0
    data = _office_data(work)
    checked = 0
    for unit, offices in MEMBERS.items():
        ytd = _by_id(_sheet(work / "konsolidert" / unit / f"målekort_{unit}_2026.xlsx", "Målekort"),
                     "Hittil i år")
        for i in CATALOGUE:
            if not i.is_automatic or i.ytd_mode != "akkumulert":
                continue
            window = [m for m in i.reporting_months if m <= 10 - i.lag]
            sum_t = sum_n = 0.0
            for m in window:
                ts = [data[o][i.id][0][m - 1] for o in offices]
                ns = [data[o][i.id][1][m - 1] for o in offices]
                pairs = [(t, n) for t, n in zip(ts, ns) if t is not None and
                         (i.measure == "antall" or n is not None)]
                if i.measure == "antall":
                    sum_t += sum(t for t, _ in pairs)
                elif pairs and sum(n for _, n in pairs) > 0:
                    sum_t += sum(t for t, _ in pairs)
                    sum_n += sum(n for _, n in pairs)
            expected = sum_t if i.measure == "antall" else (100 if i.measure == "andel" else 1) * sum_t / sum_n
            assert ytd[i.id] == pytest.approx(expected, rel=1e-12), (unit, i.id)
            checked += 1
    assert checked >= 30


def test_rerun_leaves_every_file_byte_identical(work):
    assert _run(work).exit_code == 0
    before = _hashes(work)
    result = _run(work)
    assert result.exit_code == 0
    assert "0 skrevet, 3 uendret" in result.output
    assert _hashes(work) == before
    assert not (work / "konsolidert" / "F1" / ".excelkort").exists()


def test_two_worker_processes_write_the_bytes_of_one(work, tmp_path):
    """The pool (big batches) reads the offices and renders each unit's workbook in workers:
    the files are the same as from one process."""
    other = tmp_path / "to"
    shutil.copytree(work, other)
    api.consolidate(work / "kontor", workers=1)
    api.consolidate(other / "kontor", workers=2)
    assert _hashes(work) == _hashes(other)
    assert len(_hashes(work)) == 4  # F1, F2, NO and the history


def test_history_has_no_duplicates_after_two_runs(work):
    assert _run(work).exit_code == 0
    assert _run(work).exit_code == 0
    df = api.history_frame(work, 2026)
    assert list(df.columns) == ["enhet", "nivå", "periode", "indikator", "teller", "nevner",
                                "verdi", "status", "kilde"]
    assert not df.duplicated(["enhet", "periode", "indikator"]).any()
    assert len(df) == 9 * len(CATALOGUE)
    assert set(df["nivå"]) == {"kontor", "fylke", "nasjonal"}
    # another month is added beside it, never over it
    assert _run(work, "--periode", "2026-09").exit_code == 0
    df = api.history_frame(work)
    assert sorted(set(df["periode"])) == ["2026-09", "2026-10"]
    assert len(df) == 2 * 9 * len(CATALOGUE)


def test_bad_file_among_good_ones_is_listed_and_exits_3(work):
    bad = work / "kontor" / "0102" / "målekort_0102_2026.xlsx"
    bad.write_bytes(b"not a zip at all")
    locked = work / "kontor" / "0103" / "målekort_0103_2026.xlsx"
    (locked.parent / ("~$" + locked.name)).write_bytes(b"x")
    dup = work / "kontor" / "0201" / "kopi.xlsx"
    shutil.copyfile(work / "kontor" / "0201" / "målekort_0201_2026.xlsx", dup)
    renamed = work / "kontor" / "0202" / "målekort_0202_2026.xlsx"
    wb = openpyxl.load_workbook(renamed)
    wb["Data"].title = "Tall"  # wrong layout: the Data sheet renamed
    wb.save(renamed)
    old_year = work / "kontor" / "0203"
    shutil.rmtree(old_year)
    api.new_scorecard("0203", "2025-12", catalogue=CATALOGUE, outdir=old_year,
                      register=Register([Unit("0203", "Nav Kontor 2-3", "kontor")]))
    result = _run(work)
    assert result.exit_code == 3, result.output
    assert "Avvist:" in result.output
    rows = _sheet(work / "konsolidert" / "NO" / "målekort_NO_2026.xlsx", "Innlevering")
    status = {r[0]: (r[4], r[8]) for r in rows[1:] if r[0]}
    assert status["0101"][0] == "levert"
    assert status["0102"][0] == "avvist" or any(s == "avvist" and "0102" in r[3]
                                                 for r in rows[1:] for s in [r[4]])
    assert status["0103"][0] == "avvist" and "Excel" in status["0103"][1]
    assert status["0201"][0] == "avvist" and "flere målekort" in status["0201"][1]
    assert status["0202"][0] == "avvist" and "Data" in status["0202"][1]
    assert status["0203"][0] == "avvist" and "2025" in status["0203"][1]
    assert result.output.count("Avvist:") == 6  # 0102, 0103, 0201 twice, 0202, 0203
    # the good offices are consolidated all the same
    ytd = _by_id(_sheet(work / "konsolidert" / "F1" / "målekort_F1_2026.xlsx", "Målekort"), "Hittil i år")
    assert isinstance(ytd["P1"], float)


def test_unknown_and_missing_offices_are_reported(work):
    shutil.rmtree(work / "kontor" / "0203")
    stray = work / "kontor" / "9999"
    stray.mkdir()
    api.new_scorecard("9999", PERIOD, catalogue=CATALOGUE, outdir=stray,
                      register=Register([Unit("9999", "Nav Ukjent", "kontor")]))
    result = api.consolidate(work / "kontor")
    assert result.missing == ["0203"]
    assert result.unknown_units == ["9999"]
    assert result.delivery["0203"] == "mangler"
    assert result.exit_code == 3
    rows = _sheet(work / "konsolidert" / "NO" / "målekort_NO_2026.xlsx", "Innlevering")
    assert any(r[0] == "9999" and r[4] == "ukjent enhet" for r in rows)


def test_county_input_survives_a_rerun(work):
    assert _run(work).exit_code == 0
    county = work / "konsolidert" / "F1" / "målekort_F1_2026.xlsx"
    wb = openpyxl.load_workbook(county)  # the county types in Excel (simulated)
    ws = wb["Målekort"]
    header = L.SCORECARD_HEADER_ROW + 1
    labels = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)}
    row = next(r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, 1).value == "B2")
    ws.cell(row, labels["Risiko (vurdering)"]).value = "Høy"
    ws.cell(row, labels["Kommentar"]).value = "Fylket følger opp kontorene."
    ws["F2"] = "Fylkets kommentar til oktober."
    wb.save(county)
    result = _run(work)
    assert result.exit_code == 0, result.output
    rows = _sheet(county, "Målekort")
    assert _by_id(rows, "Risiko (vurdering)")["B2"] == "Høy"
    assert _by_id(rows, "Kommentar")["B2"] == "Fylket følger opp kontorene."
    assert rows[1][5] == "Fylkets kommentar til oktober."
    assert list((county.parent / ".excelkort" / "backup").iterdir())  # the old file is kept
    # the national workbook shows the county's judgement beside it, and its comments
    national = work / "konsolidert" / "NO" / "målekort_NO_2026.xlsx"
    units = _sheet(national, "Enheter")
    head = units[2]
    col = next(c for c, v in enumerate(head) if isinstance(v, str) and v.startswith("B2 "))
    f1 = next(r for r in units if r[0] == "F1")
    assert f1[col + 2] == "Høy"
    comments = _sheet(national, "Kommentarer")
    assert ["F1", "Nav Fylke 1", "B2", "Risiko (vurdering)", "Høy"] in comments
    assert any(r[0] == "F1" and r[3] == "Månedskommentar" for r in comments)
    assert any(r[0] == "0101" and r[4] == "Bra måned." for r in comments)
    # and a third run changes nothing
    before = _hashes(work)
    assert _run(work).exit_code == 0
    assert _hashes(work) == before


def test_prikk_hides_small_values_in_published_sheets_only(work):
    assert _run(work).exit_code == 0
    county = work / "konsolidert" / "F1" / "målekort_F1_2026.xlsx"
    plain = _sheet(county, "Målekort")
    assert _run(work, "--prikk", "100000").exit_code == 0
    units = _sheet(county, "Enheter")
    office_rows = [r for r in units if r and r[0] in ("0101", "0102", "0103")]
    assert office_rows and all(":" in r for r in office_rows)
    ranking = _sheet(county, "Rangering")
    assert any(r[3] == ":" for r in ranking if len(r) > 3)
    assert _sheet(county, "Målekort") == plain  # the aggregation itself is unaffected


def test_innlevering_counts_local_values_and_comments(work):
    assert _run(work).exit_code == 0
    rows = _sheet(work / "konsolidert" / "F1" / "målekort_F1_2026.xlsx", "Innlevering")
    assert rows[0] == ["Enhet", "Navn", "Overordnet", "Fil", "Status", "Periode",
                       "Lokale indikatorer med verdi", "Månedskommentar", "Årsak"]
    first = next(r for r in rows if r[0] == "0101")
    assert first[4] == "levert" and first[5] == PERIOD and first[7] == "ja"
    assert " av " in first[6]
    sources = _sheet(work / "konsolidert" / "F1" / "målekort_F1_2026.xlsx", "Kilder")
    digest = hashlib.sha256((work / "kontor" / "0101" / "målekort_0101_2026.xlsx").read_bytes()).hexdigest()
    assert any(r[1] == digest for r in sources)


def test_missing_register_is_a_clear_error(tmp_path):
    (tmp_path / "kontor").mkdir()
    result = CliRunner().invoke(main, ["konsolider", str(tmp_path / "kontor")])
    assert result.exit_code == 2
    assert "enhetsregister" in result.output.lower()


@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_consolidated_workbooks(work, tmp_path):
    from recalc_compare import formula_mismatches

    assert _run(work).exit_code == 0
    files = [work / "konsolidert" / u / f"målekort_{u}_2026.xlsx" for u in ("F1", "NO")]
    compared, problems = formula_mismatches(files, tmp_path)
    assert compared > 1000
    assert problems == []


def test_reading_a_consolidated_workbook_gives_no_false_warnings(work):
    """An uvektet andel row holds (sum of values, number of units): teller > nevner is right
    there, so the reader (and so sjekk and tiltak) must not call it an andel over 100 %."""
    from excelkort.scorecard.reader import read_scorecard

    assert _run(work).exit_code == 0
    sc = read_scorecard(work / "konsolidert" / "NO" / "målekort_NO_2026.xlsx")
    unweighted = [item.name for item in sc.rows.values() if item.name.endswith("(uvektet)")]
    assert unweighted, "the small work folder has typed andel values, so some rows are uvektet"
    assert [str(p) for p in sc.warnings if "større enn nevner" in p.message] == []


def test_candidate_files_skip_backups_locks_plans_and_the_output_folder(tmp_path):
    files = ["a/målekort_0101_2026.xlsx", "a-b/målekort_0102_2026.xlsx", "a/.excelkort/backup/x.xlsx",
             "a/~$målekort_0101_2026.xlsx", "a/.~lock.x.xlsx#", "a/tiltaksplan_0101_2026.xlsx",
             "a/kontroll_2026-10.xlsx", "ut/F1/målekort_F1_2026.xlsx", "a/notat.txt"]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "lenke.xlsx").symlink_to(tmp_path / "ut" / "F1" / "målekort_F1_2026.xlsx")
    (tmp_path / "lenkemappe").symlink_to(tmp_path / "a")  # a linked folder is not walked
    found = candidate_files(tmp_path, tmp_path / "ut")
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a/målekort_0101_2026.xlsx", "a-b/målekort_0102_2026.xlsx"]
    assert len(candidate_files(tmp_path)) == 4  # the output folder and the link count without -o


def test_a_killed_runs_temp_files_beside_the_consolidated_workbooks_are_removed(work):
    """konsolider holds every folder it writes (konsolidert/, historikk/), not only kontor/, so
    the next run cleans what a killed run left there (found by tests/test_kill.py)."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True).stdout.strip()
    left = [work / "konsolidert" / "F1" / f".~excelkort-{ended}-a1b2c3.xlsx",
            work / "historikk" / f".~excelkort-{ended}-d4e5f6.parquet"]
    for tmp in left:
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(b"half a file")
    result = _run(work)
    assert result.exit_code == 0, result.output
    assert [tmp.exists() for tmp in left] == [False, False]
