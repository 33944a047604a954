"""``ny``: re-making a workbook (``--erstatt``) carries everything people typed, and lists what
the catalogue had no place for; next year's workbook takes the unit's own targets."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from excelkort import api
from excelkort.actionplan.reader import date_serial, read_action_plan
from excelkort.cli import main
from excelkort.inputs.register import demo_register, write_register_csv
from excelkort.model import Catalogue
from excelkort.scorecard import layout as L
from excelkort.scorecard.reader import read_log, read_scorecard
from excelkort.xlsx.refs import cell_ref
from excelkort.xlsx.workbookpatch import patch_workbook

from scorecard_files import BARE, CATALOGUE, COMMENTS, MONTH_COMMENT, NEVNER, PERIOD, RISK, TELLER, UNIT

LOG_ROW = ["2026-10-05 08:00:00", "Data", "C2", "B1", "", "60", "uttrekk_2026-09.csv"]
DAY = dt.date(2026, 11, 1)


def _typed(folder: Path) -> api.NewFiles:
    """A new målekort and tiltaksplan with every kind of input cell typed as a person would
    (cells patched into the files), and a Logg row as ``fyll`` leaves it."""
    files = api.new_scorecard(UNIT, PERIOD, outdir=folder)
    sc = read_scorecard(files.scorecard)
    målekort, data = {}, {}
    for ind_id, values in BARE.items():
        for m, v in enumerate(values, start=1):
            if v is not None:
                målekort[cell_ref(sc.rows[ind_id].row, sc.cols[L.MONTHS_BY_NUMBER[m]])] = v
    for part, table in (("teller", TELLER), ("nevner", NEVNER)):
        for ind_id, values in table.items():
            for m, v in enumerate(values, start=1):
                if v is not None:
                    data[cell_ref(sc.rows[ind_id].data_row, sc.data_cols[L.data_label(m, part)])] = v
    for ind_id, risk in RISK.items():
        målekort[cell_ref(sc.rows[ind_id].row, sc.cols[L.COL_RISK_ASSESSED])] = risk
    for ind_id, text in COMMENTS.items():
        målekort[cell_ref(sc.rows[ind_id].row, sc.cols[L.COL_COMMENT])] = text
    målekort["F2"] = MONTH_COMMENT
    patch_workbook(files.scorecard, edits={L.SCORECARD_SHEET: målekort, L.DATA_SHEET: data},
                   append_rows={L.LOG_SHEET: [LOG_ROW]})
    patch_workbook(files.action_plan, edits={"Tiltak": {
        "A5": 1, "B5": "B7 Andel klager behandlet", "C5": "80 % mot mål 90 %", "D5": "Ukentlig gjennomgang",
        "E5": "Kari", "F5": date_serial(DAY), "G5": date_serial(dt.date(2026, 12, 15)), "H5": "Pågår",
        "I5": "+5 poeng", "J5": "Startet i november", "K5": date_serial(DAY), "L5": 80, "M5": 82.5,
        "A6": 2, "B6": "Ø3", "D6": "Rekruttere", "G6": "15.12.2026", "H6": "Ikke startet"}})
    return files


def _snapshot(files: api.NewFiles) -> dict:
    """Everything typed in the files, as read back."""
    sc = read_scorecard(files.scorecard)
    return {"month_comment": sc.month_comment,
            "rows": {i: (r.bare, r.teller, r.nevner, r.risk_assessed, r.comment)
                     for i, r in sc.rows.items()},
            "plan": read_action_plan(files.action_plan).typed_rows()}


def test_remaking_carries_every_typed_cell(tmp_path):
    files = _typed(tmp_path)
    before, log_before = _snapshot(files), read_log(files.scorecard)
    assert before["month_comment"] == MONTH_COMMENT and len(before["plan"]) == 2
    remade = api.new_scorecard(UNIT, PERIOD, outdir=tmp_path, replace=True)
    assert _snapshot(remade) == before
    backup = remade.backups[0]
    assert read_log(remade.scorecard)[:-1] == log_before == [LOG_ROW]
    assert read_log(remade.scorecard)[-1][5:] == [
        f"Laget på nytt; forrige versjon: .excelkort/backup/{backup.name}", "ny --erstatt"]
    assert remade.carried == [
        "Tatt med fra målekortet: 28 verdier på Målekort, 68 celler i Data, månedskommentaren, "
        "3 risikovurderinger, 3 kommentarer og 1 rad i Logg.",
        "Tatt med fra tiltaksplanen: 2 rader."]
    assert remade.not_placed == []
    assert _snapshot(api.new_scorecard(UNIT, PERIOD, outdir=tmp_path, replace=True)) == before


def test_what_the_catalogue_has_no_place_for_is_listed(tmp_path):
    files = _typed(tmp_path)
    patch_workbook(files.action_plan, edits={"Tiltak": {"N4": "Notat", "N5": "husk budsjett"}})
    b7 = dataclasses.replace(CATALOGUE["B7"], source="automatisk")
    p8 = dataclasses.replace(CATALOGUE["P8"], frequency="tertial")
    catalogue = Catalogue(tuple({"B7": b7, "P8": p8}.get(i.id, i) for i in CATALOGUE
                                if i.id != "Ø3"))
    remade = api.new_scorecard(UNIT, PERIOD, outdir=tmp_path, catalogue=catalogue, replace=True)
    sc_backup, plan_backup = (f".excelkort/backup/{p.name}" for p in remade.backups)
    assert [(p.message, p.file) for p in remade.not_placed] == [
        ("B7 hentes nå fra uttrekket: 9 tastede verdier på Målekort ble ikke tatt med "
         f"(se sikkerhetskopien {sc_backup}).", str(files.scorecard)),
        ("P8 rapporteres ikke lenger for Jan, Feb, Mai, Jun, Jul, Sep og Okt: 7 tastede "
         f"verdier ble ikke tatt med (se sikkerhetskopien {sc_backup}).", str(files.scorecard)),
        ("Ø3 finnes ikke lenger i katalogen: 10 tastede verdier og en kommentar ble ikke tatt med "
         f"(se sikkerhetskopien {sc_backup}).", str(files.scorecard)),
        ("Kolonnen «Notat» er ikke en av tiltaksplanens kolonner og ble ikke tatt med "
         f"(se sikkerhetskopien {plan_backup}).", str(files.action_plan))]
    sc = read_scorecard(remade.scorecard)
    assert "Ø3" not in sc.rows and sc.rows["B7"].risk_assessed == "Høy"
    assert sc.rows["P8"].bare == [None, None, None, 10.0, None, None, None, 10.0] + [None] * 4


def test_ny_erstatt_says_what_it_carried(tmp_path):
    _typed(tmp_path)
    write_register_csv(demo_register(), tmp_path / "enheter.csv")
    result = CliRunner().invoke(main, ["ny", "--enhet", UNIT, "--periode", PERIOD, "-o", str(tmp_path),
                                       "--register", str(tmp_path / "enheter.csv"), "--erstatt"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Sikkerhetskopi: {tmp_path}/.excelkort/backup/målekort_{UNIT}_2026.")
    assert ("Tatt med fra målekortet: 28 verdier på Målekort, 68 celler i Data, månedskommentaren, "
            "3 risikovurderinger, 3 kommentarer og 1 rad i Logg.") in lines
    assert "Tatt med fra tiltaksplanen: 2 rader." in lines
    assert lines[-1] == "Oppsummering: 2 filer skrevet, 0 advarsler, 0 feil."


def test_next_year_takes_the_units_own_targets_and_says_what_changed(tmp_path):
    _typed(tmp_path)
    api.new_scorecard(UNIT, PERIOD, outdir=tmp_path, replace=True,
                      targets={(UNIT, "B1"): 70.0, (UNIT, "P1"): 85.0, (UNIT, "B3"): 35.0})
    b3 = dataclasses.replace(CATALOGUE["B3"], ytd_mode="siste")
    p9 = dataclasses.replace(CATALOGUE["P9"], target=24.0)
    extra = dataclasses.replace(CATALOGUE["B7"], id="B8", name="Ny indikator")
    catalogue = Catalogue(tuple({"B3": b3, "P9": p9}.get(i.id, i) for i in CATALOGUE
                                if i.id != "Ø3") + (extra,))
    new = api.new_scorecard(UNIT, "2027-01", outdir=tmp_path, catalogue=catalogue,
                            targets={(UNIT, "P1"): 88.0})
    assert new.carried == [
        f"Fra målekort_{UNIT}_2026.xlsx: ingen verdier, kommentarer eller risikovurderinger "
        "(et nytt år starter tomt).",
        "Enhetens egne mål tatt med: B1 70.",
        "Egne mål ikke tatt med fordi katalogen måler indikatoren på en ny måte: B3.",
        "Nye indikatorer i katalogen: B8.",
        "Ikke lenger i katalogen: Ø3.",
        "Katalogen har nye mål: P9 20 → 24.",
        f"Fra tiltaksplan_{UNIT}_2026.xlsx: 2 åpne tiltak tatt med (alle som ikke er Fullført "
        "eller Avbrutt)."]
    assert new.not_placed == [] and new.backups == []
    sc = read_scorecard(new.scorecard)
    assert {i: sc.rows[i].target for i in ("B1", "P1", "B3", "P9")} == {
        "B1": 70.0, "P1": 88.0, "B3": 39.0, "P9": 24.0}
    assert sc.month_comment == "" and sc.rows["B7"].bare == [None] * 12
    assert read_log(new.scorecard) == []
    old_plan = read_action_plan(tmp_path / f"tiltaksplan_{UNIT}_2026.xlsx").typed_rows()
    assert read_action_plan(new.action_plan).typed_rows() == old_plan  # both still open


def test_next_years_plan_takes_the_open_measures_only(tmp_path):
    """A measure runs until it is done, whatever the year; what is done, cancelled or an
    excelkort proposal nobody took on stays in last year's plan."""
    files = api.new_scorecard(UNIT, PERIOD, outdir=tmp_path)
    rows = [(1, "B1", "Ringe alle nye", "Kari", "Pågår", ""),
            (2, "B2", "Ny rutine", "Ola", "Fullført", ""),
            (3, "B3", "Kurs", "", "Avbrutt", ""),
            (4, "P1", "Se på saksflyten", "", "Ikke startet", "Forslag fra excelkort"),
            (5, "P2", "Se på fristene", "Per", "Ikke startet", "Forslag fra excelkort"),
            (6, "M1", "Medarbeidersamtaler", "", "Ikke startet", ""),
            (7, "M2", "Ryddedag", "Lise", "", ""),  # no Status: not done either
            (8, "M3", "Ny turnus", "Lise", "Pågående", "")]  # mistyped: not done either
    edits = {}
    for i, (nr, ind, action, owner, status, comment) in enumerate(rows, start=5):
        edits.update({f"A{i}": nr, f"B{i}": ind, f"D{i}": action, f"E{i}": owner, f"H{i}": status,
                      f"J{i}": comment, f"G{i}": "15.03.2027"})
    patch_workbook(files.action_plan, edits={"Tiltak": edits})
    new = api.new_scorecard(UNIT, "2027-01", outdir=tmp_path)
    assert new.carried[-1] == (
        f"Fra tiltaksplan_{UNIT}_2026.xlsx: 5 åpne tiltak tatt med (alle som ikke er Fullført "
        "eller Avbrutt). 3 tiltak ble igjen i fjorårets plan (fullført, avbrutt, eller et forslag "
        "fra excelkort uten Ansvarlig).")
    carried = read_action_plan(new.action_plan).measures
    assert [(m.nr, m.indicator, m.action, m.owner, m.status, m.deadline) for m in carried] == [
        ("1", "B1", "Ringe alle nye", "Kari", "Pågår", dt.date(2027, 3, 15)),
        ("5", "P2", "Se på fristene", "Per", "Ikke startet", dt.date(2027, 3, 15)),
        ("6", "M1", "Medarbeidersamtaler", "", "Ikke startet", dt.date(2027, 3, 15)),
        ("7", "M2", "Ryddedag", "Lise", "", dt.date(2027, 3, 15)),
        ("8", "M3", "Ny turnus", "Lise", "Pågående", dt.date(2027, 3, 15))]
    assert len(read_action_plan(files.action_plan).measures) == 8  # last year's plan as it was


@pytest.mark.parametrize("broken", ["målekort", "tiltaksplan"])
def test_an_unreadable_old_file_is_said_and_kept(tmp_path, broken):
    files = _typed(tmp_path)
    path = files.scorecard if broken == "målekort" else files.action_plan
    path.write_bytes(b"not a zip")
    remade = api.new_scorecard(UNIT, PERIOD, outdir=tmp_path, replace=True)
    (problem,) = remade.not_placed
    what = "Målekortet" if broken == "målekort" else "Tiltaksplanen"
    backup = next(p for p in remade.backups if p.name.startswith(broken))
    assert problem.message.startswith(f"{what} kunne ikke leses (")
    assert problem.message.endswith(f"); ingenting fra filen ble tatt med (se sikkerhetskopien "
                                    f".excelkort/backup/{backup.name}).")
    assert backup.read_bytes() == b"not a zip"


def test_a_remade_workbook_keeps_a_later_periode(tmp_path):
    files = _typed(tmp_path)
    patch_workbook(files.scorecard, edits={L.SCORECARD_SHEET: {"C4": "2026-11"}})
    remade = api.new_scorecard(UNIT, PERIOD, outdir=tmp_path, replace=True)
    assert remade.carried[-1] == ("Periode 2026-11 beholdes fra det gamle målekortet (ikke "
                                  "2026-10): excelkort flytter aldri Periode bakover.")
    assert read_scorecard(remade.scorecard).period == "2026-11"


def test_an_unreadable_plan_of_last_year_is_said_and_next_years_starts_empty(tmp_path):
    files = api.new_scorecard(UNIT, PERIOD, outdir=tmp_path)
    files.action_plan.write_bytes(b"not a zip")
    new = api.new_scorecard(UNIT, "2027-01", outdir=tmp_path)
    (problem,) = new.not_placed
    assert problem.file == str(files.action_plan)
    assert problem.message.startswith("Fjorårets tiltaksplan kunne ikke leses (")
    assert problem.message.endswith("); ingenting fra filen ble tatt med.")
    assert read_action_plan(new.action_plan).measures == []
    assert files.action_plan.read_bytes() == b"not a zip"


def test_a_years_plan_never_made_takes_last_years_open_measures_on_a_remake(tmp_path):
    """``ny`` stopped between the year's målekort and its tiltaksplan: ``ny --erstatt`` makes
    the plan with last year's open measures all the same."""
    _typed(tmp_path)
    first = api.new_scorecard(UNIT, "2027-01", outdir=tmp_path)
    first.action_plan.unlink()  # as if the run had stopped before the plan was written
    again = api.new_scorecard(UNIT, "2027-01", outdir=tmp_path, replace=True)
    old_plan = read_action_plan(tmp_path / f"tiltaksplan_{UNIT}_2026.xlsx").typed_rows()
    assert read_action_plan(again.action_plan).typed_rows() == old_plan
    assert f"Fra tiltaksplan_{UNIT}_2026.xlsx: 2 åpne tiltak tatt med (alle som ikke er Fullført " \
           "eller Avbrutt)." in again.carried
