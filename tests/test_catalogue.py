"""The indicator catalogue and per-unit targets: loading, validation messages, writing."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest

from excelkort.inputs.catalogue import (COLUMNS, catalogue_to_rows, check_catalogue,
                                        check_unit_targets, default_catalogue, load_catalogue,
                                        load_unit_targets, resolve_catalogue,
                                        resolve_unit_targets, write_catalogue_csv,
                                        write_unit_targets_csv)
from excelkort.inputs.tables import parse_number
from excelkort.numtext import format_number
from excelkort.errors import WARNING, InputError
from excelkort.model import Catalogue, Indicator, Unit
from excelkort.numbers.rules import tolerance_for
from excelkort.inputs.register import Register

BAD = Path(__file__).parent / "bad_inputs" / "catalogue"
PACKAGED = Path(__file__).parent.parent / "excelkort" / "data" / "indikatorer.csv"

HEADER = "ID;Indikator;Perspektiv;Type;Måletype;Retning;Mål;Toleranse;Hittil;Kilde;Frekvens"

# Each file of the corpus holds one problem; this is exactly what the user reads.
EXPECTED = {
    "tom_id.csv":
        "tom_id.csv, linje 3, kolonne «ID»: ID mangler. Gi indikatoren en kort, unik ID, "
        "f.eks. B1.",
    "dobbel_id.csv":
        "dobbel_id.csv, linje 4, kolonne «ID»: ID «B1» finnes også på linje 2. Gi hver "
        "indikator sin egen ID.",
    "dobbel_id_store_sma.csv":
        "dobbel_id_store_sma.csv, linje 3, kolonne «ID»: ID «b1» er lik «B1» på linje 2 (Excel "
        "skiller ikke mellom store og små bokstaver). Gi hver indikator sin egen ID.",
    "ugyldig_id.csv":
        "ugyldig_id.csv, linje 3, kolonne «ID»: Ugyldig ID «P 1». Bruk bare bokstaver, sifre, "
        "«-», «_» og «.» (høyst 20 tegn), f.eks. B1.",
    "mangler_indikator.csv":
        "mangler_indikator.csv, linje 3, kolonne «Indikator»: Indikator mangler. Skriv navnet "
        "brukerne skal se.",
    "ukjent_perspektiv.csv":
        "ukjent_perspektiv.csv, linje 3, kolonne «Perspektiv»: Ukjent perspektiv «Brukere». "
        "Bruk Bruker, Produksjon, Medarbeider eller Økonomi.",
    "mangler_perspektiv.csv":
        "mangler_perspektiv.csv, linje 3, kolonne «Perspektiv»: Perspektiv mangler. Bruk "
        "Bruker, Produksjon, Medarbeider eller Økonomi.",
    "ukjent_type.csv":
        "ukjent_type.csv, linje 3, kolonne «Type»: Ukjent type «Resultat». Bruk Effekt eller "
        "Måle.",
    "ukjent_maletype.csv":
        "ukjent_maletype.csv, linje 3, kolonne «Måletype»: Ukjent måletype «prosent». Bruk "
        "andel, snitt eller antall.",
    "ukjent_retning.csv":
        "ukjent_retning.csv, linje 3, kolonne «Retning»: Ukjent retning «opp». Bruk høyere, "
        "lavere eller nær.",
    "ukjent_hittil.csv":
        "ukjent_hittil.csv, linje 3, kolonne «Hittil»: Ukjent verdi for Hittil «sum». Bruk "
        "akkumulert eller siste.",
    "ukjent_kilde.csv":
        "ukjent_kilde.csv, linje 3, kolonne «Kilde»: Ukjent kilde «manuell». Bruk automatisk "
        "eller lokal.",
    "ukjent_frekvens.csv":
        "ukjent_frekvens.csv, linje 3, kolonne «Frekvens»: Ukjent frekvens «uke». Bruk måned, "
        "kvartal, tertial eller år.",
    "ukjent_styringslinje.csv":
        "ukjent_styringslinje.csv, linje 3, kolonne «Styringslinje»: Ukjent styringslinje "
        "«stat». Bruk statlig, kommunal eller felles.",
    "mangler_mal.csv":
        "mangler_mal.csv, linje 3, kolonne «Mål»: Mål mangler. Skriv et tall, f.eks. 65 eller "
        "4,5.",
    "mal_med_prosent.csv":
        "mal_med_prosent.csv, linje 3, kolonne «Mål»: Mål «80 %» er ikke et tall. Skriv tallet "
        "uten «%»: 65 betyr 65 %.",
    "mal_tekst.csv":
        "mal_tekst.csv, linje 3, kolonne «Mål»: Mål «høyt» er ikke et tall. Skriv et tall, "
        "f.eks. 65 eller 4,5.",
    "toleranse_for_stor.csv":  # the fuzzer found it in a målekort's Indikatorer sheet
        "toleranse_for_stor.csv, linje 3, kolonne «Toleranse»: Toleranse «1e24» er utenfor det "
        "excelkort kan regne med (høyst 15 sifre). Skriv et mindre tall.",
    "negativ_toleranse.csv":
        "negativ_toleranse.csv, linje 3, kolonne «Toleranse»: Toleranse kan ikke være negativ "
        "(-2). Skriv et tall fra 0 og oppover, eller la feltet stå tomt for 5 % av målet.",
    "toleranse_tom_mal_null.csv":
        "toleranse_tom_mal_null.csv, linje 3, kolonne «Toleranse»: Toleranse må fylles ut når "
        "Mål er 0 (5 % av 0 gir ikke noe gult bånd). Skriv bredden på det gule båndet, f.eks. 1.",
    "desimaler_ikke_helt.csv":
        "desimaler_ikke_helt.csv, linje 3, kolonne «Desimaler»: Desimaler «1,5» må være et helt "
        "tall fra 0 til 6, eller la feltet stå tomt for standardverdien.",
    "desimaler_negativ.csv":
        "desimaler_negativ.csv, linje 3, kolonne «Desimaler»: Desimaler «-1» må være et helt "
        "tall fra 0 til 6, eller la feltet stå tomt for standardverdien.",
    "etterslep_for_stort.csv":
        "etterslep_for_stort.csv, linje 3, kolonne «Etterslep»: Etterslep «12» må være et helt "
        "tall fra 0 til 11, eller la feltet stå tomt for 0.",
    "etterslep_tekst.csv":
        "etterslep_tekst.csv, linje 3, kolonne «Etterslep»: Etterslep «seks» må være et helt "
        "tall fra 0 til 11, eller la feltet stå tomt for 0.",
    "formel_i_indikator.csv":
        "formel_i_indikator.csv, linje 3, kolonne «Indikator»: Teksten "
        "«=HYPERLINK(\"http://x.no\";\"klikk\")» begynner med «=» og kan bli lest som en formel "
        "i Excel. Fjern tegnet «=» i starten.",
    "kontrolltegn.csv":
        "kontrolltegn.csv, linje 3, kolonne «Indikator»: Teksten inneholder et kontrolltegn "
        "(U+0007) som ikke hører hjemme i en celle. Fjern det.",
    "mangler_kolonne_mal.csv":
        "mangler_kolonne_mal.csv, linje 1: Mangler kolonnen «Mål». Legg den til i "
        "overskriftsraden.",
    "dobbel_kolonne.csv":
        "dobbel_kolonne.csv, linje 1, kolonne «Mål»: Kolonnen «Mål» står to ganger i "
        "overskriftsraden. Fjern den ene.",
    "ingen_overskrift.csv":
        "ingen_overskrift.csv: Fant ikke overskriftsraden i indikatorkatalogen. Den må ha "
        "kolonnene ID, Indikator, Perspektiv, Type, Måletype, Retning og Mål. Sjekk også at "
        "kolonnene er skilt med semikolon eller komma.",
    "tom_katalog.csv":
        "tom_katalog.csv: Katalogen har ingen indikatorer. Legg til minst én rad under "
        "overskriftsraden.",
    "komma_uten_anforselstegn.csv":
        "komma_uten_anforselstegn.csv, linje 3: Linjen har 14 felt, men overskriftsraden har "
        "13. Sjekk skilletegnet: et tall med desimalkomma i en kommaseparert fil må stå i "
        "anførselstegn.",
    "gammel.xls":
        "gammel.xls: Filen er en gammel .xls-arbeidsbok eller er passordbeskyttet. Åpne den i "
        "Excel, fjern eventuelt passordet og lagre som .xlsx eller CSV.",
    "skadet.xlsx":
        "skadet.xlsx: Filen er ikke en gyldig Excel-arbeidsbok (den kan være skadet). Åpne den "
        "i Excel og lagre den på nytt som .xlsx.",
}

WARNINGS = {
    "advarsel_mal_desimaler.csv":
        "advarsel_mal_desimaler.csv, linje 3, kolonne «Mål»: Advarsel: Mål 80,25 har flere "
        "desimaler enn Desimaler (1). Tallet som vises blir avrundet; øk Desimaler eller rund "
        "av målet.",
    "advarsel_andel_brok.csv":
        "advarsel_andel_brok.csv, linje 3, kolonne «Mål»: Advarsel: Mål 0,8 ser ut som en brøk. "
        "Andeler skrives i prosentpoeng: 65 betyr 65 %.",
    "advarsel_andel_over_100.csv":
        "advarsel_andel_over_100.csv, linje 3, kolonne «Mål»: Advarsel: Mål 120 for en andel "
        "ligger utenfor 0–100 %. Sjekk målet.",
}


def test_corpus_is_complete():
    assert {p.name for p in BAD.iterdir()} == set(EXPECTED) | set(WARNINGS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_catalogue_gives_one_exact_message(name):
    problems = check_catalogue(BAD / name)
    assert [str(p) for p in problems] == [EXPECTED[name]]
    with pytest.raises(InputError) as info:
        load_catalogue(BAD / name)
    assert str(info.value) == EXPECTED[name]
    assert info.value.exit_code == 2


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_warnings_do_not_stop_loading(name):
    problems = check_catalogue(BAD / name)
    assert [str(p) for p in problems] == [WARNINGS[name]]
    assert problems[0].severity == WARNING
    found = []
    catalogue = load_catalogue(BAD / name, warnings=found)
    assert catalogue.ids() == ["B1", "P1"]
    assert found == problems


def test_all_problems_are_collected(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text(HEADER + "\nB1;A;Brukere;Effekt;andel;opp;x;-1;akkumulert;automatisk;måned\n"
                 "B1;B;Bruker;Effekt;prosent;høyere;65;;akkumulert;automatisk;uke\n",
                 encoding="utf-8")
    messages = [p.message for p in check_catalogue(f)]
    assert len(messages) == 6
    assert messages[0].startswith("Ukjent perspektiv «Brukere»")
    assert any(m.startswith("Ukjent retning «opp»") for m in messages)
    assert any(m.startswith("Mål «x» er ikke et tall") for m in messages)
    assert any(m.startswith("Toleranse kan ikke være negativ") for m in messages)
    assert any(m.startswith("Ukjent måletype «prosent»") for m in messages)
    assert any(m.startswith("Ukjent frekvens «uke»") for m in messages)


# --- the default catalogue and tolerant reading -------------------------------------------------

def test_default_catalogue():
    cat = default_catalogue()
    assert len(cat) == 24
    assert cat.ids()[:3] == ["B1", "B2", "B3"]
    assert "Ø3" in cat
    b1 = cat["B1"]
    assert (b1.perspective, b1.type, b1.measure, b1.direction) == (
        "Bruker", "Effekt", "andel", "høyere")
    assert (b1.target, b1.tolerance, b1.lag, b1.line, b1.decimals) == (65.0, 5.0, 6, "statlig", 1)
    b4 = cat["B4"]
    assert b4.tolerance is None and tolerance_for(b4, b4.target) == pytest.approx(2.0)
    b5 = cat["B5"]
    assert (b5.target, b5.tolerance, b5.decimals_given, b5.frequency, b5.ytd_mode) == (
        4.5, 0.2, 1, "år", "siste")
    assert b5.description == "skala: brukerundersøkelsen; mål illustrativt"
    assert cat["P9"].decimals == 0
    assert check_catalogue(PACKAGED) == []


def _same_indicators(a: Catalogue, b: Catalogue) -> bool:
    return a.indicators == b.indicators


def test_windows_1252_catalogue(tmp_path):
    text = PACKAGED.read_text(encoding="utf-8-sig")
    f = tmp_path / "indikatorer.csv"
    f.write_bytes(text.encode("cp1252"))
    assert _same_indicators(load_catalogue(f), default_catalogue())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_unicode_encodings(tmp_path, encoding):
    f = tmp_path / "indikatorer.csv"
    f.write_text(PACKAGED.read_text(encoding="utf-8-sig"), encoding=encoding)
    assert _same_indicators(load_catalogue(f), default_catalogue())


def test_decimal_comma_and_case_insensitive_values(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text("  id ;INDIKATOR;perspektiv;type; Måletype ;retning;MÅL;toleranse\n"
                 "B5;Brukertilfredshet;bruker;EFFEKT;Snitt;Høyere;4,5;0,25\n"
                 "Ø1;Budsjett;økonomi; måle ;andel;NÆR;100;1 000,5\n", encoding="utf-8")
    cat = load_catalogue(f)
    b5, o1 = cat["B5"], cat["Ø1"]
    assert (b5.perspective, b5.type, b5.measure, b5.direction) == (
        "Bruker", "Effekt", "snitt", "høyere")
    assert (b5.target, b5.tolerance) == (4.5, 0.25)
    assert (o1.perspective, o1.type, o1.direction, o1.tolerance) == (
        "Økonomi", "Måle", "nær", 1000.5)
    # defaults for the columns left out
    assert (b5.ytd_mode, b5.source, b5.frequency, b5.lag, b5.line, b5.decimals_given) == (
        "akkumulert", "automatisk", "måned", 0, "felles", None)


def test_comma_separated_file(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text("ID,Indikator,Perspektiv,Type,Måletype,Retning,Mål,Toleranse,Resultatkrav\n"
                 'B5,Brukertilfredshet,Bruker,Effekt,snitt,høyere,"4,5",0.2,"Flere i arbeid, '
                 'færre på stønad"\n'
                 "B1,Overgang til arbeid,Bruker,Effekt,andel,høyere,65,,\n", encoding="utf-8")
    cat = load_catalogue(f)
    assert cat["B5"].target == 4.5 and cat["B5"].tolerance == 0.2
    assert cat["B5"].goal == "Flere i arbeid, færre på stønad"
    assert cat["B1"].tolerance is None


def test_header_without_special_letters(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text("ID;Indikator;Perspektiv;Type;Maletype;Retning;Maal\n"
                 "B1;X;Bruker;Effekt;andel;hoyere;65\n", encoding="utf-8")
    assert load_catalogue(f)["B1"].direction == "høyere"


def test_multiline_text_keeps_line_numbers(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text(HEADER + ";Beskrivelse\n"
                 'B1;A;Bruker;Effekt;andel;høyere;65;;akkumulert;automatisk;måned;"to\nlinjer"\n'
                 "B2;B;Bruker;Effekt;andel;høyere;;;akkumulert;automatisk;måned;\n",
                 encoding="utf-8")
    [problem] = check_catalogue(f)
    assert problem.line == 4
    assert str(problem) == ("k.csv, linje 4, kolonne «Mål»: Mål mangler. Skriv et tall, "
                            "f.eks. 65 eller 4,5.")


def test_lock_file_is_refused(tmp_path):
    f = tmp_path / "~$indikatorer.xlsx"
    f.write_bytes(b"\x0bOla Nordmann")
    assert [str(p) for p in check_catalogue(f)] == [
        "~$indikatorer.xlsx: Dette er Excels låsefil for en åpen arbeidsbok, ikke en fil med "
        "data. Bruk selve arbeidsboken («indikatorer.xlsx»)."]


def test_missing_file(tmp_path):
    assert [str(p) for p in check_catalogue(tmp_path / "borte.csv")] == [
        "borte.csv: Filen finnes ikke. Sjekk navnet og mappen."]


def test_folder_and_size_are_refused(tmp_path, monkeypatch):
    import excelkort.inputs.tables as tables

    (tmp_path / "mappe.csv").mkdir()
    assert [str(p) for p in check_catalogue(tmp_path / "mappe.csv")] == [
        "mappe.csv: Dette er en mappe, ikke en fil. Oppgi en CSV- eller .xlsx-fil."]
    monkeypatch.setattr(tables, "MAX_TABLE_SIZE", 2**20)
    big = tmp_path / "stor.csv"
    big.write_bytes(b"ID;Indikator\n" + b"x;y\n" * 2**19)
    assert [str(p) for p in check_catalogue(big)] == [
        "stor.csv: Filen er større enn 1 MB og er for stor for en tabell; den kan være skadet "
        "eller laget for å skade. Kontroller filen."]


# --- xlsx -------------------------------------------------------------------------------------

def _write_xlsx(path: Path, rows, *, sheet="Indikatorer", top=3, left=1, extra_sheet=True):
    wb = openpyxl.Workbook()
    ws = wb.active
    if extra_sheet:
        ws.title = "Målekort"
        ws = wb.create_sheet(sheet)
    else:
        ws.title = sheet
    ws.cell(1, 1, "Indikatorkatalog 2025")
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is not None:
                ws.cell(top + 1 + r, left + 1 + c, value)
    wb.save(path)


XLSX_ROWS = [
    # columns in another order, labels in other case, header four rows down, one column in
    ["Retning", "id", "INDIKATOR", "Perspektiv", "type", "Måletype", " Mål ", "Desimaler",
     "Etterslep", "Kilde", "Ukjent kolonne"],
    [None, None, "Bruker", None, None, None, None, None, None, None, None],  # a heading row
    ["Høyere", "B1", "Overgang til arbeid", "Bruker", "Effekt", "andel", 65, 1.0, 6, "automatisk",
     "x"],
    ["lavere", "B3", "Sykefravær", "Bruker", "Effekt", "snitt", 39.5, None, None, "Lokal", None],
    [None] * 11,
    [None, None, "Slik regner målekortet: …", None, None, None, None, None, None, None, None],
]


def test_xlsx_sheet_with_header_moved_down(tmp_path):
    f = tmp_path / "målekort.xlsx"
    _write_xlsx(f, XLSX_ROWS)
    assert check_catalogue(f) == []
    cat = load_catalogue(f)
    assert cat.ids() == ["B1", "B3"]
    b1, b3 = cat["B1"], cat["B3"]
    assert (b1.direction, b1.target, b1.decimals_given, b1.lag) == ("høyere", 65.0, 1, 6)
    assert (b3.direction, b3.target, b3.source, b3.lag) == ("lavere", 39.5, "lokal", 0)


def test_xlsx_problems_name_sheet_and_cell(tmp_path):
    rows = [list(r) for r in XLSX_ROWS]
    rows[3][3] = "Brukere"
    rows[2][8] = 2.5
    rows[3][1] = "b1"
    f = tmp_path / "katalog.xlsx"
    _write_xlsx(f, rows)
    # header in row 4 starting at column B; data rows 6 and 7
    assert [str(p) for p in check_catalogue(f)] == [
        "katalog.xlsx, ark «Indikatorer», celle J6, kolonne «Etterslep»: Etterslep «2.5» må være "
        "et helt tall fra 0 til 11, eller la feltet stå tomt for 0.",
        "katalog.xlsx, ark «Indikatorer», celle E7, kolonne «Perspektiv»: Ukjent perspektiv "
        "«Brukere». Bruk Bruker, Produksjon, Medarbeider eller Økonomi.",
    ]
    rows[3][3] = "Bruker"
    rows[2][8] = 6
    _write_xlsx(f, rows)
    assert [str(p) for p in check_catalogue(f)] == [
        "katalog.xlsx, ark «Indikatorer», celle C7, kolonne «ID»: ID «b1» er lik «B1» i celle C6 "
        "(Excel skiller ikke mellom store og små bokstaver). Gi hver indikator sin egen ID."]


def test_xlsx_without_catalogue_sheet(tmp_path):
    f = tmp_path / "bok.xlsx"
    _write_xlsx(f, XLSX_ROWS, sheet="Ark1", extra_sheet=False)
    assert [str(p) for p in check_catalogue(f)] == [
        "bok.xlsx: Arbeidsboken har ikke arket «Indikatorer». Legg til arket, eller gi det "
        "riktig navn."]


def test_xlsx_missing_column(tmp_path):
    f = tmp_path / "bok.xlsx"
    _write_xlsx(f, [[c for c in r[:6]] for r in XLSX_ROWS])
    assert [str(p) for p in check_catalogue(f)] == [
        "bok.xlsx, ark «Indikatorer»: Mangler kolonnen «Mål». Legg den til i overskriftsraden."]


# --- writing ----------------------------------------------------------------------------------

def test_rows_follow_the_spec_order():
    rows = catalogue_to_rows(default_catalogue())
    assert len(rows) == 24
    assert all(list(r) == list(COLUMNS) for r in rows)
    assert rows[0]["Mål"] == 65 and rows[0]["Desimaler"] is None and rows[0]["Etterslep"] == 6


TRICKY = Catalogue((
    Indicator("X1", 'Tekst med ; og "anførsel"\nog linjeskift', "Økonomi", "Måle", "snitt", "nær",
              0.1 + 0.2, 1e-05, "siste", "lokal", "tertial", 6, 11, "kommunal",
              "Mål, med komma", "Kari", "Kilde", "Beskrivelse – med tankestrek"),
    Indicator("Ø2", "Null mål", "Økonomi", "Måle", "antall", "lavere", 0.0, 0.0),
    Indicator("B1", "Stort", "Bruker", "Effekt", "antall", "høyere", 1234567.0, None),
))


@pytest.mark.parametrize("catalogue", [default_catalogue(), TRICKY], ids=["default", "tricky"])
def test_write_csv_round_trips(tmp_path, catalogue):
    f = tmp_path / "ut.csv"
    write_catalogue_csv(catalogue, f)
    data = f.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfID;Indikator;Perspektiv;")
    assert b"\r\n" in data
    assert _same_indicators(load_catalogue(f), catalogue)


def test_written_csv_uses_decimal_comma(tmp_path):
    f = tmp_path / "ut.csv"
    write_catalogue_csv(default_catalogue(), f)
    b5 = next(line for line in f.read_text(encoding="utf-8-sig").splitlines()
              if line.startswith("B5;"))
    assert ";4,5;0,2;siste;lokal;år;1;0;felles;" in b5


def test_xlsx_round_trip(tmp_path):
    # xlsx stores at most 17 significant digits (the writers 16), so 0.1 + 0.2 cannot survive
    catalogue = Catalogue((dataclasses.replace(TRICKY.indicators[0], target=0.3),
                           *TRICKY.indicators[1:]))
    f = tmp_path / "bok.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Indikatorer"
    ws.append(list(COLUMNS))
    for row in catalogue_to_rows(catalogue):
        ws.append([row[c] for c in COLUMNS])
    wb.save(f)
    assert _same_indicators(load_catalogue(f), catalogue)


# --- choosing the catalogue -------------------------------------------------------------------

def test_resolve_catalogue(tmp_path):
    assert resolve_catalogue(None, None) is default_catalogue()
    assert resolve_catalogue(None, tmp_path) is default_catalogue()
    small = Catalogue(default_catalogue().indicators[:2])
    write_catalogue_csv(small, tmp_path / "indikatorer.csv")
    assert resolve_catalogue(None, tmp_path).ids() == ["B1", "B2"]
    other = tmp_path / "annen.csv"
    write_catalogue_csv(Catalogue(default_catalogue().indicators[5:6]), other)
    assert resolve_catalogue(other, tmp_path).ids() == ["B6"]


# --- per-unit targets -------------------------------------------------------------------------

REGISTER = Register([Unit("NO", "Nav Norge", "nasjonal"), Unit("F01", "Nav Øst", "fylke", "NO"),
                     Unit("0101", "Nav Halden", "kontor", "F01"),
                     Unit("0104", "Nav Moss", "kontor", "F01")])


def test_unit_targets(tmp_path):
    f = tmp_path / "mål.csv"
    f.write_text("enhet;indikator;mål\n0101;B1;66,5\n0104;B1;60\n0101;Ø3;25\n0104;Ø3;\n",
                 encoding="cp1252")
    targets = load_unit_targets(f, default_catalogue(), REGISTER)
    assert targets == {("0101", "B1"): 66.5, ("0104", "B1"): 60.0, ("0101", "Ø3"): 25.0}
    assert resolve_unit_targets(None, tmp_path) == targets
    assert resolve_unit_targets(f, None) == targets
    assert resolve_unit_targets(None, tmp_path / "tom") == {}
    out = tmp_path / "ut.csv"
    write_unit_targets_csv(targets, out)
    assert load_unit_targets(out) == targets


def test_unit_target_problems(tmp_path):
    f = tmp_path / "mål.csv"
    f.write_text("Enhet;Indikator;Mål\n101;B1;66\n0101;X9;50\n0104;B1;høy\n0104;B2;40\n"
                 "0104;B2;41\n;B3;30\n", encoding="utf-8")
    assert [str(p) for p in check_unit_targets(f, default_catalogue(), REGISTER)] == [
        "mål.csv, linje 2, kolonne «enhet»: Ukjent enhet «101». Mente du «0101»?",
        "mål.csv, linje 3, kolonne «indikator»: Ukjent indikator «X9». Bruk en ID fra "
        "katalogen, f.eks. B1.",
        "mål.csv, linje 4, kolonne «mål»: Mål «høy» er ikke et tall. Skriv et tall, f.eks. 65 "
        "eller 4,5.",
        "mål.csv, linje 6, kolonne «enhet»: Enhet «0104» og indikator «B2» står også på linje 5. "
        "Behold én rad per enhet og indikator.",
        "mål.csv, linje 7, kolonne «enhet»: Enhet mangler. Skriv enhetens id, f.eks. 0101.",
    ]
    with pytest.raises(InputError):
        load_unit_targets(f, default_catalogue())


def test_unit_targets_keep_text_ids_from_xlsx(tmp_path):
    f = tmp_path / "mål.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Mål"
    ws.append(["enhet", "indikator", "mål"])
    ws.append(["0101", "B1", 66])
    ws.append([104, "B1", 60])
    wb.save(f)
    warnings = []
    assert load_unit_targets(f, warnings=warnings) == {("0101", "B1"): 66.0,
                                                        ("104", "B1"): 60.0}
    assert [str(w) for w in warnings] == [
        "mål.xlsx, ark «Mål», celle A3, kolonne «enhet»: Advarsel: Enhet 104 er lagret som et "
        "tall i Excel, så en ledende null kan ha falt bort. Formater kolonnen «enhet» som tekst."]


# --- numbers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("65", 65.0), ("4,5", 4.5), ("4.5", 4.5), (" 1 234,5 ", 1234.5), ("1\u00a0234", 1234.0),
    ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("\u22122", -2.0), ("-0,5", -0.5), ("1E-05", 1e-05),
    (",5", 0.5), (7, 7.0), (2.5, 2.5),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["65 %", "ikke klar", "-", "", "1,2,3", "nan", "inf", True])
def test_parse_number_refuses(text):
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize("value", [65.0, 4.5, 0.1 + 0.2, 1e-05, 1234567.0, -2.25, 1e20])
def test_format_number_round_trips(value):
    assert parse_number(format_number(value)) == value
    assert "." not in format_number(value)


def test_rows_cover_every_indicator_field():
    # one catalogue column per Indicator field, so writing loses nothing
    assert len(dataclasses.fields(Indicator)) == len(COLUMNS)


def test_workbook_indikatorer_sheet_reads_back(tmp_path):
    """The Indikatorer sheet a new målekort carries (notes below the table) is a catalogue."""
    workbook = pytest.importorskip("excelkort.scorecard.writer")
    f = tmp_path / "målekort_0101_2026.xlsx"
    workbook.write_scorecard(
        workbook.ScorecardContent("0101", "Nav Test", "2026-03", default_catalogue()), f)
    assert check_catalogue(f) == []
    assert _same_indicators(load_catalogue(f), default_catalogue())
