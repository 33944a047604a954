"""``excelkort tiltak``: proposals exactly for the rød/høy indicators without an open measure (by
the målekort's own Status and Risiko cells), the effect cells, overdue measures, and a person's
rows and parts never rewritten — also after Excel-like tools and LibreOffice have saved the plan."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from python_calamine import CalamineWorkbook

from excelkort import api
from excelkort.actionplan.layout import (ACTION_HEADER_ROW, ACTION_LABELS, ACTION_SHEET,
                                         KEPT_BY_EXCELKORT, PROPOSAL_COMMENT)
from excelkort.actionplan.reader import date_serial, read_action_plan
from excelkort.actionplan.writer import write_action_plan
from excelkort.cli import main
from excelkort.numbers.rules import HIGH, RED, effective_risk, evaluate, round_shown
from excelkort.scorecard import layout as L
from excelkort.scorecard.reader import read_scorecard
from excelkort.steps.demo import demo_measures, demo_today, type_measures
from excelkort.model import Series
from excelkort.xlsx.package import MSG_LOCKED
from scorecard_files import CATALOGUE, NEVNER, TELLER, UNIT, UNIT_NAME, PERIOD, full_scorecard

TODAY = dt.date(2026, 11, 5)
PLAN_NAME = f"tiltaksplan_{UNIT}_2026.xlsx"
FIRST = ACTION_HEADER_ROW + 1  # 0-based row of the table's first measure


@pytest.fixture
def scorecard(tmp_path):
    return full_scorecard(tmp_path / "kontor")


def _plan_with(scorecard: Path, rows: list[dict]) -> Path:
    plan = scorecard.parent / PLAN_NAME
    write_action_plan(plan, UNIT, UNIT_NAME, PERIOD)
    type_measures(plan, rows)
    return plan


def _sheet(path: Path) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(ACTION_SHEET).to_python(
        skip_empty_area=False)


def _person_cells(path: Path) -> dict[tuple[int, int], object]:
    """Every non-empty cell of the plan's sheet except the two effect columns excelkort keeps."""
    kept = {ACTION_LABELS.index(label) for label in KEPT_BY_EXCELKORT}
    return {(r, c): v for r, row in enumerate(_sheet(path)) for c, v in enumerate(row)
            if v not in (None, "") and c not in kept}


def _needing_measure(scorecard: Path) -> list[str]:
    """From the målekort's own cells: rød Status, or Risiko (vurdering), else (forslag), Høy."""
    sc = read_scorecard(scorecard)
    out = []
    for ind_id, item in sc.rows.items():
        risk = effective_risk(item.risk_assessed, item.cached[L.COL_RISK_SUGGESTED] or None)
        if item.cached[L.COL_STATUS] == RED or risk == HIGH:
            out.append(ind_id)
    return out


OWN_ROWS = [
    # an open measure for M2: no proposal for it
    {"Nr": 1, "Indikator": "M2 Andel gjennomførte medarbeidersamtaler", "Tiltak": "Samtaler i november",
     "Ansvarlig": "Kari", "Start": "15.03.2026", "Frist": date_serial(dt.date(2026, 12, 1)), "Status": "Pågår"},
    # a cancelled measure for B7: B7 is proposed again
    {"Nr": 2, "Indikator": "B7 Andel serviceklager besvart innen 3 uker", "Tiltak": "Ny rutine",
     "Status": "Avbrutt"},
    # an overdue one for P1 (grønn; a person's own measure all the same)
    {"Nr": 3, "Indikator": "P1", "Tiltak": "Oppfølgingsdager", "Ansvarlig": "Ola",
     "Start": date_serial(dt.date(2026, 5, 1)), "Frist": "30.09.2026", "Status": "Pågår"},
]


def test_proposals_exactly_for_the_red_and_high_indicators_without_an_open_measure(scorecard):
    needing = _needing_measure(scorecard)
    assert needing == ["B7", "M2", "M4", "Ø3"]  # the fixture covers rød, vurdering and forslag
    plan = _plan_with(scorecard, OWN_ROWS)
    result = api.plan_measures(scorecard, today=TODAY)
    proposed = [p.indicator.id for _row, p in result.proposals]
    assert proposed == [i for i in needing if i != "M2"]
    read = read_action_plan(plan)
    assert [m.indicator_id for m in read.measures if m.is_proposal] == proposed
    assert [row for row, _p in result.proposals] == [FIRST + 3, FIRST + 4, FIRST + 5]
    assert [m.nr for m in read.measures] == ["1", "2", "3", "4", "5", "6"]


def test_a_proposal_row(scorecard):
    api.plan_measures(scorecard, today=TODAY)
    values = _sheet(scorecard.parent / PLAN_NAME)
    row = dict(zip(ACTION_LABELS, values[FIRST]))
    assert row["Nr"] == 1 and row["Indikator"] == "B7 Andel serviceklager besvart innen 3 uker"
    assert row["Avvik"] == "Hittil i år 79,1 % mot mål 90 %"
    assert (row["Status"], row["Kommentar"]) == ("Ikke startet", PROPOSAL_COMMENT)
    assert row["Sist oppdatert"] in (dt.datetime(2026, 11, 5), dt.date(2026, 11, 5))
    assert row["Start"] in (None, "") and row["Tiltak"] in (None, "")
    assert row["Verdi ved start"] == row["Verdi nå"] == 79.1
    avvik = [dict(zip(ACTION_LABELS, values[r]))["Avvik"] for r in range(FIRST + 1, FIRST + 4)]
    assert avvik == ["Hittil i år 90,6 % mot mål 100 %; Risiko høy",
                     "Hittil i år 85,7 % mot mål 90 %; Risiko høy",
                     "Hittil i år 45 mot mål 25"]


def test_a_proposal_row_is_high_enough_for_its_text(scorecard):
    """An Avvik that wraps over two lines gets a row of two lines' height (Excel and LibreOffice
    do not fit it on open: the text would run into the row below); one line needs nothing."""
    import re

    api.plan_measures(scorecard, today=TODAY)
    xml = zipfile.ZipFile(scorecard.parent / PLAN_NAME).read("xl/worksheets/sheet1.xml").decode()
    heights = dict(re.findall(r'<row r="(\d+)"[^>]*? ht="([^"]+)"', xml))
    first = FIRST + 1  # the first proposal's row number, from 1
    assert str(first) not in heights  # «Hittil i år 79,1 % mot mål 90 %»: one line
    assert heights[str(first + 1)] == "30"  # «Hittil i år 90,6 % mot mål 100 %; Risiko høy»


def test_a_second_run_changes_nothing(scorecard):
    first = api.plan_measures(scorecard, today=TODAY)
    assert first.created and first.written and first.backup is None
    plan = scorecard.parent / PLAN_NAME
    before = plan.read_bytes()
    second = api.plan_measures(scorecard, today=TODAY + dt.timedelta(days=3))
    assert not second.written and not second.proposals and second.effect_cells == 0
    assert second.backup is None and plan.read_bytes() == before
    assert not (plan.parent / ".excelkort").exists()


def test_a_plan_made_for_the_run_is_written_whole_or_not_at_all(scorecard, monkeypatch):
    """A run stopped between making the plan from the template and writing its proposals
    (killed: ``syklus``'s kill test found the template-only plan on disk) leaves no plan, and
    no temp file once the next run has cleaned up."""
    from excelkort.steps import plan_measures

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt  # as a kill, the proposals are never written
    monkeypatch.setattr(plan_measures, "patch_workbook", stopped)
    with pytest.raises(KeyboardInterrupt):
        api.plan_measures(scorecard, today=TODAY)
    assert sorted(p.name for p in scorecard.parent.iterdir()) == [scorecard.name]
    monkeypatch.undo()
    made = api.plan_measures(scorecard, today=TODAY)
    assert made.created and [p.indicator.id for _r, p in made.proposals] == ["B7", "M2", "M4", "Ø3"]


def test_an_in_place_change_is_backed_up(scorecard):
    plan = _plan_with(scorecard, OWN_ROWS)
    before = plan.read_bytes()
    result = api.plan_measures(scorecard, today=TODAY)
    assert result.written and result.backup is not None and result.backup.read_bytes() == before


def test_verdi_ved_start_is_set_once_and_verdi_na_kept_current(scorecard):
    plan = _plan_with(scorecard, OWN_ROWS)
    api.plan_measures(scorecard, today=TODAY)
    p1 = CATALOGUE["P1"]

    def ytd(teller, month):
        series = Series([float(v) if v is not None else None for v in teller],
                        [float(v) if v is not None else None for v in NEVNER["P1"]])
        return round_shown(evaluate(p1, series, month).ytd, p1.decimals)

    rows = {m.indicator_id: m for m in read_action_plan(plan).measures}
    assert rows["P1"].value_at_start == ytd(TELLER["P1"], 5) == 83.2  # Start 01.05.2026
    assert rows["P1"].value_now == ytd(TELLER["P1"], 10) == 84.4
    # M2 reports per tertial: in March (Start typed as text) its Hittil i år was «ikke klar»
    assert rows["M2"].value_at_start is None and rows["M2"].value_now == 90.6
    # the numbers change (a corrected delivery): Verdi nå follows, Verdi ved start stays
    changed = dict(TELLER, P1=[100] * 10 + [None, None])
    remade = api.new_scorecard(UNIT, PERIOD, outdir=scorecard.parent / "ny", teller=changed,
                               nevner=NEVNER).scorecard
    shutil.copyfile(remade, scorecard)
    result = api.plan_measures(scorecard, today=TODAY)
    rows = {m.indicator_id: m for m in read_action_plan(plan).measures}
    assert rows["P1"].value_at_start == 83.2 and rows["P1"].value_now == 100.0
    assert result.effect_cells >= 1


def test_overdue_measures_are_listed_and_flagged_live(scorecard):
    plan = _plan_with(scorecard, OWN_ROWS)
    result = api.plan_measures(scorecard, today=TODAY)
    assert [(m.indicator_id, m.row) for m in result.overdue] == [("P1", FIRST + 2)]
    assert "  Forfalt rad 7: P1 – Oppfølgingsdager (frist 30.09.2026, Pågår)" in result.summary_lines()
    ws = openpyxl.load_workbook(plan)[ACTION_SHEET]
    rules = [(str(cf.sqref), rule.formula) for cf in ws.conditional_formatting for rule in cf.rules]
    assert rules == [("A5:M204", ['AND(ISNUMBER($G5),$G5<TODAY(),$H5<>"Fullført",$H5<>"Avbrutt")'])]


def test_validation_problems_are_listed_with_sheet_and_cell(scorecard):
    _plan_with(scorecard, [
        {"Nr": 1, "Indikator": "B7", "Tiltak": "Rutine", "Frist": "31.2.2026", "Status": "Ferdig"},
        {"Nr": 2, "Indikator": "Ø3", "Tiltak": "Tilsetting", "Status": "Pågår"},
    ])
    result = CliRunner().invoke(main, ["tiltak", str(scorecard)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"{PLAN_NAME}, ark «Tiltak», celle G5: Advarsel: «31.2.2026» i Frist er ikke en dato. "
        "Skriv datoen som 15.03.2026.",
        f"{PLAN_NAME}, ark «Tiltak», celle H5: Advarsel: Status «Ferdig» er ukjent. Velg Ikke startet, "
        "Pågår, Fullført eller Avbrutt.",
        f"{PLAN_NAME}, ark «Tiltak», celle E6: Advarsel: Tiltaket pågår, men Ansvarlig er tom. Skriv "
        "hvem som har ansvaret.",
    ]
    # «Ferdig» is no open status: B7 is proposed; Ø3 has its open measure
    assert result.stdout.splitlines()[0] == (
        f"{PLAN_NAME} (målekort_{UNIT}_2026.xlsx, {PERIOD}): 3 forslag, 0 forfalte tiltak, "
        "4 effektceller oppdatert – skrevet")
    assert result.stdout.splitlines()[-1] == (
        "Oppsummering: 3 forslag, 0 forfalte tiltak, 4 effektceller oppdatert; 1 fil skrevet, "
        "3 advarsler, 0 feil.")


def test_a_plan_open_in_excel_is_refused(scorecard):
    plan = _plan_with(scorecard, [])
    before = plan.read_bytes()
    (plan.parent / f"~${plan.name}").write_bytes(b"lock")
    result = CliRunner().invoke(main, ["tiltak", str(scorecard), str(plan)])
    assert result.exit_code == 2
    assert "er åpen i" in result.stderr and plan.read_bytes() == before
    assert MSG_LOCKED.split("{")[0].strip() in result.stderr


def _png() -> bytes:
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_a_hand_edited_plan_with_a_picture_and_a_note_keeps_every_part(scorecard):
    api.plan_measures(scorecard, today=TODAY)
    plan = scorecard.parent / PLAN_NAME
    wb = openpyxl.load_workbook(plan)  # the person's Excel: edits a proposal, adds rows, a picture, a note
    ws = wb[ACTION_SHEET]
    ws["D5"], ws["E5"], ws["H5"], ws["F5"] = "Ny rutine for klager", "Kari", "Pågår", dt.datetime(2026, 11, 1)
    ws["B12"], ws["D12"], ws["H12"] = "P8 Saksbehandlingstid", "Egen rad langt nede", "Ikke startet"
    ws["J6"].comment = Comment("Se referat fra ledermøtet", "Kontorleder")
    ws.add_image(Image(io.BytesIO(_png())), "O2")
    wb.save(plan)
    before, person = _members(plan), _person_cells(plan)
    result = api.plan_measures(scorecard, today=TODAY)
    after = _members(plan)
    sheet = next(m for m in before if m.startswith("xl/worksheets/sheet"))
    assert set(after) == set(before)
    assert {m for m in before if before[m] != after[m]} <= {sheet, "xl/workbook.xml"}
    new = _person_cells(plan)
    assert {k: v for k, v in new.items() if k in person} == person  # every person's cell as it was
    assert [row for row, _p in result.proposals] == []  # P8 has an open measure; B7 is Pågår
    assert result.effect_cells == 2  # P8's row: Verdi ved start (no Start: the period's), Verdi nå


@pytest.mark.libreoffice
def test_a_libreoffice_round_trip_keeps_the_persons_cells(scorecard, tmp_path):
    from libreoffice import convert
    from recalc_compare import formula_mismatches

    plan = _plan_with(scorecard, OWN_ROWS)
    api.plan_measures(scorecard, today=TODAY)
    compared, problems = formula_mismatches([plan], tmp_path / "recalc")
    assert problems == []
    saved = convert([plan], "xlsx", tmp_path / "lo")[0]  # the person saves it in LibreOffice …
    shutil.copyfile(saved, plan)
    wb = openpyxl.load_workbook(plan)  # … after editing a row
    wb[ACTION_SHEET]["E5"] = "Kari Nordmann"
    wb[ACTION_SHEET]["D8"] = "Rydde i rutinene"
    wb.save(plan)
    person = _person_cells(plan)
    result = api.plan_measures(scorecard, today=TODAY)
    assert result.proposals == [] and result.effect_cells == 0
    assert _person_cells(plan) == person
    data = plan.read_bytes()
    assert not api.plan_measures(scorecard, today=TODAY).written and plan.read_bytes() == data
    lo_rules = [rule.formula for cf in openpyxl.load_workbook(plan)[ACTION_SHEET].conditional_formatting
                for rule in cf.rules]
    assert any("TODAY()" in f for formula in lo_rules for f in formula)


def test_every_plan_under_a_folder_one_bad_file_rejected(scorecard, tmp_path):
    other = tmp_path / "kontor" / "0102"
    other.mkdir()
    (other / "målekort_0102_2026.xlsx").write_bytes(b"not a zip")
    result = CliRunner().invoke(main, ["tiltak", str(tmp_path / "kontor")])
    assert result.exit_code == 3
    assert "Avvist: målekort_0102_2026.xlsx:" in result.stderr
    assert (scorecard.parent / PLAN_NAME).exists() and not (other / "tiltaksplan_0102_2026.xlsx").exists()
    assert result.stdout.splitlines()[-1].endswith("1 fil skrevet, 0 advarsler, 1 feil.")


def test_demo_measures_are_typed_like_a_person(scorecard):
    rows = demo_measures(PERIOD, CATALOGUE, 3)
    assert demo_measures(PERIOD, CATALOGUE, 4) == [] and rows == demo_measures(PERIOD, CATALOGUE, 3)
    plan = _plan_with(scorecard, rows)
    result = api.plan_measures(scorecard, today=demo_today(PERIOD))
    read = {m.nr: m for m in read_action_plan(plan).measures}
    assert [m.indicator_id for m in result.overdue] == [read["2"].indicator_id]
    assert read["3"].status == "Fullført" and read["1"].status == "Pågår"
    fullfort = read["3"]  # P1, which the målekort has numbers for; started in February
    assert fullfort.indicator_id == "P1" and fullfort.start == dt.date(2026, 2, 15)
    assert (fullfort.value_at_start, fullfort.value_now) == (81.0, 84.4)
