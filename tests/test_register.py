"""The unit register: loading, validation messages, the tree in force, the demo register."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from excelkort.errors import WARNING, InputError
from excelkort.model import Unit
from excelkort.inputs.register import (COUNTY_IDS, Register, check_register, demo_register,
                                is_safe_unit_id, load_register, resolve_register,
                                unit_id_problem, write_register_csv)

BAD = Path(__file__).parent / "bad_inputs" / "register"
HEADER = "enhet;navn;nivå;overordnet;type;gyldig_fra;gyldig_til"

EXPECTED = {
    "dobbel_enhet.csv":
        "dobbel_enhet.csv, linje 5, kolonne «enhet»: Enhet «0312» finnes også på linje 4 med "
        "overlappende gyldighet. En enhet kan bare ha én rad per periode; juster "
        "gyldig_fra/gyldig_til eller fjern den ene raden.",
    "ukjent_overordnet.csv":
        "ukjent_overordnet.csv, linje 4, kolonne «overordnet»: Ukjent overordnet enhet «F99». "
        "Den må stå i kolonnen «enhet».",
    "sloyfe.csv":
        "sloyfe.csv, linje 3, kolonne «overordnet»: Enhetene danner en sløyfe av overordnede "
        "enheter (F01 → F02 → F01). Rett kolonnen «overordnet» så hver enhet ligger under en "
        "enhet på nivået over.",
    "feil_niva.csv":
        "feil_niva.csv, linje 4, kolonne «nivå»: Ukjent nivå «kommune». Bruk kontor, fylke "
        "eller nasjonal.",
    "overordnet_feil_niva.csv":
        "overordnet_feil_niva.csv, linje 5, kolonne «overordnet»: Overordnet enhet «0312» har "
        "nivå kontor, men et kontor skal ligge under en fylkesenhet (nivå fylke).",
    "kontor_uten_overordnet.csv":
        "kontor_uten_overordnet.csv, linje 4, kolonne «overordnet»: Overordnet enhet mangler. "
        "Et kontor må ligge under en fylkesenhet; skriv dens id i kolonnen «overordnet».",
    "fylke_uten_overordnet.csv":
        "fylke_uten_overordnet.csv, linje 4, kolonne «overordnet»: Overordnet enhet mangler. "
        "En fylkesenhet må ligge under den nasjonale enheten; skriv dens id i kolonnen "
        "«overordnet».",
    "nasjonal_med_overordnet.csv":
        "nasjonal_med_overordnet.csv, linje 2, kolonne «overordnet»: Den nasjonale enheten skal "
        "ikke ha noen overordnet enhet. Tøm kolonnen «overordnet».",
    "to_nasjonale.csv":
        "to_nasjonale.csv, linje 5, kolonne «nivå»: Det finnes allerede en nasjonal enhet («NO» "
        "på linje 2) i samme periode. Bruk bare én.",
    "id_med_skraastrek.csv":
        "id_med_skraastrek.csv, linje 4, kolonne «enhet»: Enhet «03/12» inneholder «/» og kan "
        "ikke brukes i et filnavn. Bruk bare bokstaver, sifre, «-» og «_».",
    "id_med_punktum.csv":
        "id_med_punktum.csv, linje 4, kolonne «enhet»: Enhet «..» inneholder «.» og kan ikke "
        "brukes i et filnavn. Bruk bare bokstaver, sifre, «-» og «_».",
    "id_med_mellomrom.csv":
        "id_med_mellomrom.csv, linje 4, kolonne «enhet»: Enhet «0312 » har mellomrom først "
        "eller sist. Fjern mellomrommene.",
    "id_reservert.csv":
        "id_reservert.csv, linje 4, kolonne «enhet»: Enhet «CON» er et reservert navn i Windows "
        "og kan ikke brukes i et filnavn. Velg en annen id.",
    "id_kontrolltegn.csv":
        "id_kontrolltegn.csv, linje 4, kolonne «enhet»: Enhet «03?12» inneholder kontrolltegnet "
        "U+0001 og kan ikke brukes i et filnavn. Bruk bare bokstaver, sifre, «-» og «_».",
    "id_store_sma.csv":
        "id_store_sma.csv, linje 5, kolonne «enhet»: Enhet «frogner» skiller seg bare i "
        "store/små bokstaver fra «Frogner» på linje 4, og filnavnene ville kollidert i Windows. "
        "Velg en annen id.",
    "ugyldig_dato.csv":
        "ugyldig_dato.csv, linje 4, kolonne «gyldig_fra»: Ugyldig gyldig_fra «2025-13». Skriv "
        "perioden som ÅÅÅÅ-MM, f.eks. 2026-10.",
    "fra_etter_til.csv":
        "fra_etter_til.csv, linje 4, kolonne «gyldig_til»: gyldig_fra (2025-08) er etter "
        "gyldig_til (2025-07). Rett datoene.",
    "overordnet_gjelder_ikke.csv":
        "overordnet_gjelder_ikke.csv, linje 4, kolonne «overordnet»: Overordnet enhet «F01» "
        "gjelder ikke i 2025-01, men det gjør denne enheten. Juster gyldig_fra/gyldig_til.",
    "mangler_kolonne_niva.csv":
        "mangler_kolonne_niva.csv, linje 1: Mangler kolonnen «nivå». Legg den til i "
        "overskriftsraden.",
    "mangler_navn.csv":
        "mangler_navn.csv, linje 4, kolonne «navn»: Navn mangler. Skriv enhetens navn, f.eks. "
        "Nav Moss.",
}


def test_corpus_is_complete():
    assert {p.name for p in BAD.iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_register_gives_one_exact_message(name):
    assert [str(p) for p in check_register(BAD / name)] == [EXPECTED[name]]
    with pytest.raises(InputError) as info:
        load_register(BAD / name)
    assert str(info.value) == EXPECTED[name]


def test_all_problems_are_collected(tmp_path):
    f = tmp_path / "enheter.csv"
    f.write_text(HEADER + "\nNO;Nav Norge;nasjonal;;;;\nF01;Nav Øst;fylke;NO;;;\n"
                 "0101;Nav Halden;kontor;F09;;;\n0104;Nav Moss;kommune;F01;;;\n"
                 "0105;Nav Sarpsborg;kontor;F01;;2025-7;\n", encoding="utf-8")
    assert [p.message.split(".")[0] for p in check_register(f)] == [
        "Ukjent nivå «kommune»", "Ugyldig gyldig_fra «2025-7»", "Ukjent overordnet enhet «F09»"]


def test_child_of_a_broken_row_is_not_reported_again(tmp_path):
    f = tmp_path / "enheter.csv"
    f.write_text(HEADER + "\nNO;Nav Norge;nasjonal;;;;\nF01;Nav Øst;fylke;NO;;2025-13;\n"
                 "0101;Nav Halden;kontor;F01;;;\n", encoding="utf-8")
    assert [p.line for p in check_register(f)] == [3]


# --- a valid register, its tree, effective dating ---------------------------------------------

MERGER = HEADER + """
NO;Nav Norge;nasjonal;;;;
F01;Nav Øst-Viken;fylke;NO;;;
F02;Nav Oslo;fylke;NO;;;
0101;Nav Halden;kontor;F01;NAV-kontor;;2025-06
0104;Nav Moss;kontor;F01;NAV-kontor;;2025-06
0199;Nav Halden-Moss;kontor;F01;NAV-kontor;2025-07;
0312;Nav Frogner;kontor;F02;NAV-kontor;;
4810;Nav Arbeid og ytelser Oslo;kontor;F02;forvaltningsenhet;2024-01;
"""


@pytest.fixture
def merger(tmp_path):
    f = tmp_path / "enheter.csv"
    f.write_text(MERGER, encoding="utf-8")
    return load_register(f)


def test_leaves_stop_at_units_already_done(merger):
    """The nation's sums are its counties' (``konsolider``): a done unit stands for its offices,
    and offices under no done unit still count one by one."""
    tree = merger.tree("2025-07")
    assert [u.id for u in tree.leaves("NO")] == ["0199", "0312", "4810"]
    assert [u.id for u in tree.leaves("NO", done={"F01"})] == ["F01", "0312", "4810"]
    assert [u.id for u in tree.leaves("F01", done={"F01"})] == ["0199"]  # never itself


def test_effective_dating(merger):
    before, after = merger.tree("2025-06"), merger.tree("2025-07")
    assert [u.id for u in before.leaves("F01")] == ["0101", "0104"]
    assert [u.id for u in after.leaves("F01")] == ["0199"]
    assert "0101" in before and "0101" not in after
    assert "0199" not in before
    assert [u.id for u in merger.tree("2023-12").leaves("F02")] == ["0312"]
    assert [u.id for u in after.leaves("F02")] == ["0312", "4810"]
    assert after.unit("4810").type == "forvaltningsenhet"
    with pytest.raises(KeyError):
        after.unit("0101")


def test_tree_navigation(merger):
    t = merger.tree("2025-07")
    assert t.nation().id == "NO"
    assert [u.id for u in t.counties()] == ["F01", "F02"]
    assert [u.id for u in t.offices()] == ["0199", "0312", "4810"]
    assert [u.id for u in t.children("NO")] == ["F01", "F02"]
    assert [u.id for u in t.children("0312")] == []
    assert t.parent("0312").id == "F02"
    assert t.parent("NO") is None
    assert [u.id for u in t.ancestors("0312")] == ["F02", "NO"]
    assert [u.id for u in t.leaves("NO")] == ["0199", "0312", "4810"]
    assert [u.id for u in t.leaves("0312")] == ["0312"]


def test_bad_period_is_a_user_error(merger):
    with pytest.raises(InputError) as info:
        merger.tree("2025-7")
    assert str(info.value) == ("Ugyldig periode «2025-7». Skriv perioden som ÅÅÅÅ-MM, "
                               "f.eks. 2026-10.")
    assert merger.tree("202507") is merger.tree("2025-07")  # one rule: period.check_period


def test_find_unit_and_suggest(merger):
    assert merger.find_unit("0101").name == "Nav Halden"
    assert merger.find_unit("0101", "2025-07") is None
    assert merger.find_unit("101") is None
    assert merger.suggest("101") == "0101"
    assert merger.suggest(101.0) == "0101"
    assert merger.suggest("101.0") == "0101"
    assert merger.suggest(" 0312 ") == "0312"
    assert merger.suggest("f01") == "F01"
    assert merger.suggest("0312") == "0312"
    assert merger.suggest("9999") is None
    assert merger.suggest("12") is None


def test_ids_stay_text(tmp_path, merger):
    assert merger.ids()[:4] == ["NO", "F01", "F02", "0101"]
    assert all(isinstance(u.id, str) for u in merger)


def test_moving_an_office_between_counties(tmp_path):
    f = tmp_path / "enheter.csv"
    f.write_text(HEADER + "\nNO;Nav Norge;nasjonal;;;;\nF01;A;fylke;NO;;;\nF02;B;fylke;NO;;;\n"
                 "0219;Nav Bærum;kontor;F01;;;2024-12\n0219;Nav Bærum;kontor;F02;;2025-01;\n",
                 encoding="utf-8")
    reg = load_register(f)
    assert reg.tree("2024-12").parent("0219").id == "F01"
    assert reg.tree("2025-01").parent("0219").id == "F02"
    assert reg.find_unit("0219").parent == "F02"
    assert reg.find_unit("0219", "2024-06").parent == "F01"


@pytest.mark.parametrize("make", [demo_register, None], ids=["demo", "merger"])
def test_write_csv_round_trips(tmp_path, make):
    if make is None:
        (tmp_path / "inn.csv").write_text(MERGER, encoding="utf-8")
        reg = load_register(tmp_path / "inn.csv")
    else:
        reg = make()
    f = tmp_path / "enheter.csv"
    write_register_csv(reg, f)
    assert f.read_bytes().startswith(b"\xef\xbb\xbfenhet;navn;niv\xc3\xa5;overordnet;")
    assert load_register(f) == reg


def test_resolve_register(tmp_path):
    assert resolve_register(None, tmp_path) is None
    assert resolve_register(None, None) is None
    (tmp_path / "enheter.csv").write_text(MERGER, encoding="utf-8")
    assert resolve_register(None, tmp_path).find_unit("0199").name == "Nav Halden-Moss"
    other = tmp_path / "annet.csv"
    write_register_csv(demo_register(), other)
    assert len(resolve_register(other, tmp_path)) == 268


def test_xlsx_register(tmp_path):
    f = tmp_path / "enheter.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Forside"
    ws = wb.create_sheet("Enheter")
    ws.append(["Enhetsregister"])
    ws.append([])
    ws.append(["Enhet", "Navn", "Nivå", "Overordnet", "Gyldig_fra"])
    ws.append(["NO", "Nav Norge", "nasjonal", None, None])
    ws.append(["F01", "Nav Øst", "Fylke", "NO", dt.datetime(2024, 1, 1)])
    ws.append(["0101", "Nav Halden", "kontor", "F01", "2024-01"])
    ws.append([104, "Nav Moss", "kontor", "F01", "2024-01"])
    wb.save(f)
    warnings = []
    reg = load_register(f, warnings=warnings)
    assert reg.ids() == ["NO", "F01", "0101", "104"]
    assert reg.find_unit("F01").valid_from == "2024-01"
    assert reg.find_unit("F01").level == "fylke"
    assert [str(w) for w in warnings] == [
        "enheter.xlsx, ark «Enheter», celle A7, kolonne «enhet»: Advarsel: Enhet 104 er lagret "
        "som et tall i Excel, så en ledende null kan ha falt bort. Formater kolonnen «enhet» som "
        "tekst."]
    assert warnings[0].severity == WARNING


def test_code_built_register_validates():
    reg = Register([Unit("NO", "Nav Norge", "nasjonal"), Unit("0101", "Nav Halden", "kontor",
                                                              "NO")])
    assert [str(p) for p in reg.validate()] == [
        "kolonne «overordnet»: Enhet «0101»: Overordnet enhet «NO» har nivå nasjonal, men et "
        "kontor skal ligge under en fylkesenhet (nivå fylke)."]


# --- unit ids ---------------------------------------------------------------------------------

@pytest.mark.parametrize("uid", ["0101", "F01", "NO", "Øst-Viken", "enhet_1", "Tromsø", "COM10x"])
def test_safe_ids(uid):
    assert is_safe_unit_id(uid)


@pytest.mark.parametrize("uid", ["", "a/b", "a\\b", "..", ".", " 0101", "0101 ", "a\tb", "a\x00b",
                                 "CON", "con", "Nul", "COM1", "lpt9", "PRN", "AUX", "-rf", "a:b",
                                 "a*b", "a?b", "a<b", "a|b", 'a"b', "x" * 65, "a b"])
def test_unsafe_ids(uid):
    assert not is_safe_unit_id(uid)
    assert unit_id_problem(uid)


# --- the demo register ------------------------------------------------------------------------

def test_demo_register():
    reg = demo_register()
    assert reg.validate() == []
    tree = reg.tree("2025-06")
    counties = tree.counties()
    assert [(u.id, u.name) for u in counties] == [
        ("F01", "Nav Oslo"), ("F02", "Nav Øst-Viken"), ("F03", "Nav Vest-Viken"),
        ("F04", "Nav Innlandet"), ("F05", "Nav Vestfold og Telemark"), ("F06", "Nav Agder"),
        ("F07", "Nav Rogaland"), ("F08", "Nav Vestland"), ("F09", "Nav Møre og Romsdal"),
        ("F10", "Nav Trøndelag"), ("F11", "Nav Nordland"), ("F12", "Nav Troms og Finnmark")]
    assert len(COUNTY_IDS) == 12 and sorted(COUNTY_IDS.values()) == [f"F{i:02d}" for i in
                                                                       range(1, 13)]
    nation = tree.nation()
    assert (nation.id, nation.name, nation.level) == ("NO", "Nav Norge", "nasjonal")
    assert all(u.parent == "NO" for u in counties)
    offices = tree.offices()
    assert len(offices) == 255
    assert all(tree.parent(u.id).level == "fylke" for u in offices)
    assert all(u.type == "NAV-kontor" for u in offices)
    assert all(is_safe_unit_id(u.id) for u in reg)
    assert len(tree.leaves("NO")) == 255
    assert sum(len(tree.leaves(c.id)) for c in counties) == 255
    assert len(tree.leaves("F08")) == 39  # Nav Vestland
    assert len(tree.leaves("F01")) == 15  # Oslo's districts


def test_demo_register_data_details():
    reg = demo_register()
    assert reg.find_unit("0101").name == "Nav Halden-Aremark"
    assert reg.find_unit("1640").name == "Nav Røros, Os og Holtålen"  # quoted, with a comma
    # Akershus is split: Asker and Bærum belong to Nav Vest-Viken
    assert reg.find_unit("0219").parent == "F03"
    assert reg.find_unit("0220").parent == "F03"
    assert reg.suggest("101") == "0101"
    assert reg.suggest("f05") == "F05"
