"""«Mente du …?»: the guesses and the one phrasing every message uses."""
from __future__ import annotations

from excelkort.inputs.catalogue import default_catalogue
from excelkort.inputs.hints import (did_you_mean, indicator_advice, suggest_indicator,
                                    suggest_unit, unit_advice, unit_guesses)

IDS = {"0101", "00101", "0312", "F01", "NAV01"}


def test_the_phrase():
    assert did_you_mean(["0101"]) == "Mente du «0101»?"
    assert did_you_mean(["0101", "00101"]) == "Mente du «0101» eller «00101»?"
    assert did_you_mean(["0101"], capital=False) == "mente du «0101»?"


def test_indicator_hint_repairs_mangled_letters():
    ids = default_catalogue().ids()
    assert suggest_indicator("Ã˜1", ids) == "Ø1"  # UTF-8 read as Windows-1252
    assert suggest_indicator("O1", ids) == "Ø1"
    assert suggest_indicator("b 3", ids) == "B3"
    assert suggest_indicator("P01", ids) == "P1"
    assert suggest_indicator("Q7", ids) is None
    assert indicator_advice("B3") == "Mente du «B3»? Rett ID-en i uttrekket."
    assert indicator_advice(None) == "Rett ID-en, eller legg indikatoren inn i katalogen."


def test_unit_guesses_lost_zeros_then_case_and_spaces():
    assert unit_guesses("101", IDS) == (["00101", "0101"], True)
    assert unit_guesses("101.0", IDS) == (["00101", "0101"], True)
    assert unit_guesses(312.0, IDS) == (["0312"], True)
    assert unit_guesses("nav 01", IDS) == (["NAV01"], False)
    assert unit_guesses("f01", IDS) == (["F01"], False)
    assert unit_guesses("9999", IDS) == ([], False)


def test_suggest_unit_needs_one_guess():
    assert suggest_unit(" 0312 ", IDS) == "0312"
    assert suggest_unit("312", IDS) == "0312"
    assert suggest_unit("101", IDS) is None  # 0101 or 00101: no single guess
    assert suggest_unit("f01", IDS) == "F01"
    assert suggest_unit("12", IDS) is None


def test_unit_advice():
    assert unit_advice("312", IDS) == (
        "Mente du «0312»? Enhetsnummer er tekst, og ledende null kan ha falt bort i Excel: rett "
        "enhetsnummeret i uttrekket.")
    assert unit_advice("nav 01", IDS) == "Mente du «NAV01»? Rett enhetsnummeret i uttrekket."
    assert unit_advice("X", IDS) == unit_advice("X", None) == (
        "Rett enhetsnummeret i uttrekket, eller legg enheten inn i registeret.")
