"""Reading a tiltaksplan as people fill it in: dates typed as text, unknown statuses, Pågår
without Ansvarlig, a table a person moved; the one reader the tiltak step and the deck share."""
from __future__ import annotations

import datetime as dt

import pytest

from excelkort.actionplan.layout import ACTION_HEADER_ROW
from excelkort.actionplan.reader import parse_date, read_action_plan
from excelkort.actionplan.writer import write_action_plan
from excelkort.steps.demo import type_measures as _typed


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "tiltaksplan_0101_2026.xlsx"
    write_action_plan(path, "0101", "Nav Halden-Aremark", "2026-10")
    return path


def test_an_empty_plan_has_no_measures(plan):
    read = read_action_plan(plan)
    assert read.measures == [] and read.problems == []
    assert read.header_row == ACTION_HEADER_ROW
    assert read.next_free_row() == ACTION_HEADER_ROW + 1


def test_rows_as_people_type_them(plan):
    _typed(plan, [
        {"Nr": 1, "Indikator": "B1 Andel brukere i arbeid", "Tiltak": "Flere møter", "Ansvarlig": "Kari",
         "Start": 46023.0, "Frist": "15.03.2026", "Status": "pågår"},
        {"Nr": 2, "Indikator": "P3 Saksbehandlingstid", "Tiltak": "Rydde restanser", "Frist": "31.2.2026",
         "Status": "Ferdig"},
        {"Nr": 3, "Indikator": "M1 Sykefravær", "Tiltak": "Dialogmøter", "Status": "Pågår"},
    ])
    read = read_action_plan(plan)
    first, second, third = read.measures
    assert (first.indicator_id, first.status, first.owner) == ("B1", "Pågår", "Kari")
    assert first.start == dt.date(2026, 1, 1) and first.deadline == dt.date(2026, 3, 15)
    assert first.is_open and first.is_overdue(dt.date(2026, 3, 16)) and not first.is_overdue(dt.date(2026, 3, 15))
    assert not second.is_open and second.deadline is None
    assert [str(p) for p in read.problems] == [
        "tiltaksplan_0101_2026.xlsx, ark «Tiltak», celle G6: Advarsel: «31.2.2026» i Frist er ikke en dato. "
        "Skriv datoen som 15.03.2026.",
        "tiltaksplan_0101_2026.xlsx, ark «Tiltak», celle H6: Advarsel: Status «Ferdig» er ukjent. Velg "
        "Ikke startet, Pågår, Fullført eller Avbrutt.",
        "tiltaksplan_0101_2026.xlsx, ark «Tiltak», celle E7: Advarsel: Tiltaket pågår, men Ansvarlig er "
        "tom. Skriv hvem som har ansvaret.",
    ]
    assert read.next_free_row() == ACTION_HEADER_ROW + 4


@pytest.mark.parametrize("value, expected", [
    ("15.03.2026", dt.date(2026, 3, 15)), ("1.3.26", dt.date(2026, 3, 1)),
    ("2026-03-15", dt.date(2026, 3, 15)), (46096.0, dt.date(2026, 3, 15)),
    (dt.datetime(2026, 3, 15, 8, 0), dt.date(2026, 3, 15)), (None, None), ("", None),
])
def test_dates_in_the_forms_people_type(value, expected):
    assert parse_date(value) == (expected, True)


@pytest.mark.parametrize("value", ["i morgen", "32.01.2026", "15/03/2026", -3.0])
def test_not_a_date(value):
    assert parse_date(value) == (None, False)
