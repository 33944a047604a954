"""The data-warehouse extract (SPEC §6, §9): formats, values, every bad input's exact message."""
from __future__ import annotations

import datetime
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from excelkort.errors import EXIT_INPUT, InputError
from excelkort.inputs.extract import read_extract, write_extract_csv
from excelkort.inputs.extract_values import (
    REASON_IMPOSSIBLE,
    REASON_NOT_AVAILABLE,
    REASON_NOT_READY,
    REASON_SUPPRESSED,
    Extract,
    ExtractRow,
    parse_number,
)
from excelkort.period import parse_period
from excelkort.model import Catalogue, Indicator

BAD = Path(__file__).parent / "bad_inputs" / "extract"

CATALOGUE = Catalogue((
    Indicator("B1", "Andel i arbeid", "Bruker", "Effekt", "andel", "høyere", 65, 5),
    Indicator("B3", "Varighet sykefravær (dager)", "Bruker", "Effekt", "snitt", "lavere", 39, 3),
    Indicator("P1", "Antall avklaringer", "Produksjon", "Måle", "antall", "høyere", 1200),
    Indicator("Ø1", "Budsjettbruk", "Økonomi", "Måle", "andel", "nær", 100, 2),
    Indicator("M1", "Medarbeidertilfredshet", "Medarbeider", "Effekt", "andel", "høyere", 80,
              source="lokal"),
))
UNITS = {"0101", "0104", "0105", "0301", "5001", "NAV01"}

TEXT_IN_NUMBER = (
    "er ikke et tall. Skriv bare tallet (f.eks. 1234 eller 1234,5, uten %-tegn eller tekst), "
    "la feltet stå tomt, eller bruk : (prikket), .. (mangler), ... (ikke klar ennå), . (umulig) "
    "eller - (null)."
)
EXPECTED_COLUMNS = (
    "Uttrekket skal ha en overskriftsrad med kolonnene enhet, periode, indikator, teller, "
    "nevner (og eventuelt merknad), i valgfri rekkefølge."
)
PERIOD_HELP = "Skriv periode som ÅÅÅÅ-MM (f.eks. 2024-03) eller ÅÅÅÅMM (f.eks. 202403)."


def row(unit, period, ind, teller, nevner, t_reason=None, n_reason=None, merknad=None, line=None):
    return ExtractRow(unit, period, ind, teller, nevner, t_reason, n_reason, merknad, line)


def messages_of_error(path, units=UNITS) -> list[str]:
    with pytest.raises(InputError) as exc:
        read_extract(path, CATALOGUE, units)
    assert exc.value.exit_code == EXIT_INPUT
    assert exc.value.errors, "an InputError carries at least one error"
    return [str(p) for p in exc.value.problems]


# --------------------------------------------------------------------------------------------
# The corpus of bad extracts: one problem each, the exact message the user reads
# --------------------------------------------------------------------------------------------
ERRORS = {
    # a lost leading zero is an error, in sjekk as in kontroll (hints.unknown_unit)
    "ukjent_enhet.csv": [
        "ukjent_enhet.csv, linje 2, kolonne «enhet»: enheten «101» finnes ikke i "
        "enhetsregisteret; 1 rad (linje 2) blir ikke fylt inn. Mente du «0101»? Enhetsnummer er "
        "tekst, og ledende null kan ha falt bort i Excel: rett enhetsnummeret i uttrekket."],
    "mangler_kolonne.csv": [
        "mangler_kolonne.csv, linje 1: mangler kolonnene «teller» og «nevner». Fant «enhet», "
        f"«periode», «indikator» og «verdi». {EXPECTED_COLUMNS}"],
    "tom.csv": [f"tom.csv: filen er tom. {EXPECTED_COLUMNS}"],
    "tegnkoding.csv": [
        "tegnkoding.csv, linje 3: ukjent tegnkoding: byte 0x81 er ikke gyldig UTF-8 eller "
        "Windows-1252. Lagre filen som «CSV UTF-8 (kommadelt)» i Excel, eller som UTF-8 fra "
        "datavarehuset."],
    "tekst_i_tallfelt.csv": [
        f"tekst_i_tallfelt.csv, linje 2, kolonne «teller»: tekst i tallfelt: «65 %» "
        f"{TEXT_IN_NUMBER}"],
    "tekst_abc.csv": [
        f"tekst_abc.csv, linje 2, kolonne «nevner»: tekst i tallfelt: «abc» {TEXT_IN_NUMBER}"],
    "formel_i_tallfelt.csv": [
        "formel_i_tallfelt.csv, linje 2, kolonne «teller»: tekst i tallfelt: «=SUM(A1:A3)» "
        f"{TEXT_IN_NUMBER}"],
    "ugyldig_periode.csv": [
        f"ugyldig_periode.csv, linje 2, kolonne «periode»: ugyldig periode «2024-13». "
        f"{PERIOD_HELP}"],
    "periode_mangler.csv": [
        f"periode_mangler.csv, linje 2, kolonne «periode»: periode mangler. {PERIOD_HELP}"],
    "enhet_mangler.csv": [
        "enhet_mangler.csv, linje 2, kolonne «enhet»: enhet mangler. Skriv enhetsnummeret slik "
        "det står i enhetsregisteret."],
    "nevner_null.csv": [
        "nevner_null.csv, linje 2, kolonne «nevner»: nevner er 0, men teller er 12. Med nevner 0 "
        "kan verdien ikke regnes ut: rett nevner, eller la både teller og nevner stå tomme hvis "
        "tallet mangler."],
    "negativ.csv": [
        "negativ.csv, linje 2, kolonne «nevner»: negativ nevner (-3). Teller og nevner kan ikke "
        "være negative: rett tallet i kilden."],
    "andel_over_100.csv": [
        "andel_over_100.csv, linje 2, kolonne «teller»: andel over 100 %: teller (120) er større "
        "enn nevner (100) for indikatoren «B1». Rett tallene; bare indikatorer med retning «nær» "
        "(som budsjettbruk) kan gå over 100 %."],
    "duplikat.csv": [
        "duplikat.csv, linje 2: enhet «0101», periode 2024-01, indikator «B1» står flere ganger: "
        "linje 2, 4 og 5. Hver kombinasjon av enhet, periode og indikator skal stå på én linje: "
        "fjern duplikatene."],
    "komma_desimal_uten_anfoersel.csv": [
        "komma_desimal_uten_anfoersel.csv, linje 2: linjen har 6 felt, men overskriften har 5. "
        "Skilletegnet er komma: står det et tall med desimalkomma uten anførselstegn? Bruk "
        "semikolon som skilletegn, eller sett slike verdier i anførselstegn."],
    "dobbel_kolonne.csv": [
        "dobbel_kolonne.csv, linje 1, kolonne «Teller»: kolonnen «Teller» står to ganger "
        "(kolonne 4 og 6). Fjern den ene."],
    "gammel.xls": [
        "gammel.xls: filen er i det gamle .xls-formatet eller passordbeskyttet. Åpne den i Excel "
        "og lagre den som .xlsx uten passord, eller som CSV."],
    "ikke_xlsx.xlsx": [
        "ikke_xlsx.xlsx: filen heter .xlsx, men er ikke en Excel-arbeidsbok (ødelagt, eller en "
        "annen filtype med feil navn). Lag uttrekket på nytt."],
}

WARNINGS = {
    "ukjent_indikator.csv": [
        "ukjent_indikator.csv, linje 3, kolonne «indikator»: Advarsel: indikatoren «X9» finnes "
        "ikke i katalogen; 2 rader hoppet over (linje 3 og 4). Rett ID-en, eller legg "
        "indikatoren inn i katalogen."],
    "lokal_indikator.csv": [
        "lokal_indikator.csv, linje 3, kolonne «indikator»: Advarsel: indikatoren «M1» er lokal "
        "(Kilde = lokal) og fylles inn av enheten selv, ikke fra uttrekket; 1 rad hoppet over "
        "(linje 3)."],
    "ukjent_enhet_uten_treff.csv": [
        "ukjent_enhet_uten_treff.csv, linje 2, kolonne «enhet»: Advarsel: enheten «9999» finnes "
        "ikke i enhetsregisteret; 1 rad (linje 2) blir ikke fylt inn. Rett enhetsnummeret i "
        "uttrekket, eller legg enheten inn i registeret."],
    "antall_med_nevner.csv": [
        "antall_med_nevner.csv, linje 2, kolonne «nevner»: Advarsel: indikatoren «P1» er et "
        "antall og har ingen nevner; nevner er ignorert på 1 rad (linje 2)."],
    "ukjent_kolonne.csv": [
        "ukjent_kolonne.csv, linje 1: Advarsel: ukjent kolonne «enhetsnavn» blir ikke lest. "
        f"{EXPECTED_COLUMNS}"],
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_extract_is_rejected_with_exact_message(name):
    assert messages_of_error(BAD / name) == ERRORS[name]


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_warning_extract_is_read_with_exact_message(name):
    extract = read_extract(BAD / name, CATALOGUE, UNITS)
    assert [str(p) for p in extract.problems] == WARNINGS[name]
    assert all(not p.is_error for p in extract.problems)


def test_every_corpus_file_is_covered():
    names = {p.name for p in BAD.iterdir()}
    covered = set(ERRORS) | set(WARNINGS) | {n for n in names if n.startswith("ok_")}
    assert names == covered


def test_rejection_leaves_the_file_untouched(tmp_path):
    target = tmp_path / "duplikat.csv"
    shutil.copy(BAD / "duplikat.csv", target)
    before = target.read_bytes()
    with pytest.raises(InputError):
        read_extract(target, CATALOGUE, UNITS)
    assert target.read_bytes() == before


def test_skipped_rows_leave_the_rest():
    extract = read_extract(BAD / "ukjent_indikator.csv", CATALOGUE, UNITS)
    assert extract.rows == [row("0101", "2024-01", "B1", 65.0, 100.0, line=2)]
    assert extract.rows_read == 3
    extract = read_extract(BAD / "ukjent_enhet_uten_treff.csv", CATALOGUE, UNITS)
    assert [r.unit for r in extract.rows] == ["0104"]


def test_antall_nevner_is_dropped():
    extract = read_extract(BAD / "antall_med_nevner.csv", CATALOGUE, UNITS)
    assert [(r.teller, r.nevner) for r in extract.rows] == [(12.0, None), (7.0, None)]


def test_without_unit_register_every_unit_is_kept():
    extract = read_extract(BAD / "ukjent_enhet.csv", CATALOGUE)
    assert [r.unit for r in extract.rows] == ["101", "0104"]
    assert extract.problems == []


# --------------------------------------------------------------------------------------------
# Formats and encodings that must be read
# --------------------------------------------------------------------------------------------
def test_cp1252_file():
    extract = read_extract(BAD / "ok_cp1252.csv", CATALOGUE, UNITS)
    assert extract.rows == [
        # a nær indicator (budget use) may exceed 100 %
        row("0101", "2024-01", "Ø1", 101.5, 100.0, merknad="Overforbruk på lønn – ekstra vikar",
            line=2),
        row("0101", "2024-01", "B1", 65.0, 100.0, line=3),
    ]
    assert extract.format == "csv"


def test_bom_file_with_thousand_separators():
    extract = read_extract(BAD / "ok_bom.csv", CATALOGUE, UNITS)
    assert [(r.teller, r.nevner) for r in extract.rows] == [(1234.5, 2000.0), (1234.5, 100.0)]
    assert extract.problems == []


def test_comma_separated_file():
    extract = read_extract(BAD / "ok_komma.csv", CATALOGUE, UNITS)
    assert [(r.unit, r.teller, r.line) for r in extract.rows] == [
        ("0101", 1234.5, 2), ("0104", 1234.5, 3)]


def test_yyyymm_periods_and_header_case():
    extract = read_extract(BAD / "ok_yyyymm.csv", CATALOGUE, UNITS)
    assert extract.periods() == ["2024-01", "2024-02"]
    assert extract.latest_period() == "2024-02"


def test_statistics_norway_symbols():
    extract = read_extract(BAD / "ok_ssb_symboler.csv", CATALOGUE, UNITS)
    got = [(r.unit, r.teller, r.teller_reason, r.nevner, r.nevner_reason) for r in extract.rows]
    assert got == [
        ("0101", None, REASON_SUPPRESSED, 100.0, None),
        ("0104", None, REASON_NOT_AVAILABLE, None, REASON_NOT_AVAILABLE),
        ("0105", None, REASON_NOT_READY, None, None),
        ("0301", None, REASON_IMPOSSIBLE, 100.0, None),
        ("5001", 0.0, None, 100.0, None),  # "-" is zero
    ]
    assert extract.rows[0].reasons == {"teller": "prikket"}
    assert extract.rows[1].reasons == {"teller": "mangler", "nevner": "mangler"}
    assert extract.rows[4].reasons == {}


def test_formula_like_text_stays_text():
    extract = read_extract(BAD / "ok_formel_i_merknad.csv", CATALOGUE, UNITS)
    assert [r.merknad for r in extract.rows] == [
        '=HYPERLINK("http://x.no";"klikk")', "+cmd", "@SUM(A1)"]


def test_unit_ids_are_text(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("enhet;periode;indikator;teller;nevner\n0101;2024-01;B1;1;2\n"
                    "0030;2024-01;B1;1;2\n", encoding="utf-8")
    extract = read_extract(path, CATALOGUE)
    assert [r.unit for r in extract.rows] == ["0101", "0030"]
    assert list(extract.by_unit()) == ["0030", "0101"]


def test_line_numbers_count_blank_lines_title_lines_and_multiline_text(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes(
        "sep=;\r\nUttrekk fra datavarehuset\r\nPeriode;Enhet;Nevner;Teller;Indikator;Merknad\r\n"
        '2024-01;0101;100;65;B1;"to\r\nlinjer"\r\n\r\n;;;;;\r\n2024-01;0104;100;abc;B1;\r\n'
        .encode("utf-8"))
    assert messages_of_error(path) == [
        f"u.csv, linje 8, kolonne «Teller»: tekst i tallfelt: «abc» {TEXT_IN_NUMBER}"]


def test_tab_separated_utf16_file(tmp_path):
    # Excel's "Unicode text" export
    path = tmp_path / "u.txt"
    path.write_bytes("enhet\tperiode\tindikator\tteller\tnevner\r\n0101\t2024-03\tB3\t12,5\t3\r\n"
                     .encode("utf-16"))
    extract = read_extract(path, CATALOGUE, UNITS)
    assert extract.rows == [row("0101", "2024-03", "B3", 12.5, 3.0, line=2)]


def test_all_problems_reported_at_once_in_line_order(tmp_path):
    path = tmp_path / "mange.csv"
    path.write_text(
        "enhet;periode;indikator;teller;nevner\n"
        "0101;2024-01;B1;65;100\n"
        "0101;2024-1;B1;65 %;100\n"
        "101;2024-01;B1;65;100\n"
        "0104;2024-01;B1;65;0\n"
        "0101;2024-01;B1;65;100\n", encoding="utf-8")
    assert messages_of_error(path) == [
        "mange.csv, linje 2: enhet «0101», periode 2024-01, indikator «B1» står flere ganger: "
        "linje 2 og 6. Hver kombinasjon av enhet, periode og indikator skal stå på én linje: "
        "fjern duplikatene.",
        f"mange.csv, linje 3, kolonne «periode»: ugyldig periode «2024-1». {PERIOD_HELP}",
        f"mange.csv, linje 3, kolonne «teller»: tekst i tallfelt: «65 %» {TEXT_IN_NUMBER}",
        "mange.csv, linje 4, kolonne «enhet»: enheten «101» finnes ikke i "
        "enhetsregisteret; 1 rad (linje 4) blir ikke fylt inn. Mente du «0101»? Enhetsnummer er tekst, "
        "og ledende null kan ha falt bort i Excel: rett enhetsnummeret i uttrekket.",
        "mange.csv, linje 5, kolonne «nevner»: nevner er 0, men teller er 65. Med nevner 0 kan "
        "verdien ikke regnes ut: rett nevner, eller la både teller og nevner stå tomme hvis "
        "tallet mangler.",
    ]


def test_unit_hint_for_case_and_whitespace(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("enhet;periode;indikator;teller;nevner\nnav 01;2024-01;B1;1;2\n",
                    encoding="utf-8")
    assert messages_of_error(path) == [
        "u.csv, linje 2, kolonne «enhet»: enheten «nav 01» finnes ikke i enhetsregisteret; "
        "1 rad (linje 2) blir ikke fylt inn. Mente du «NAV01»? Rett enhetsnummeret i uttrekket."]


def test_indicator_hint_for_case(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("enhet;periode;indikator;teller;nevner\n0101;2024-01;b1;1;2\n",
                    encoding="utf-8")
    extract = read_extract(path, CATALOGUE, UNITS)
    assert [str(p) for p in extract.problems] == [
        "u.csv, linje 2, kolonne «indikator»: Advarsel: indikatoren «b1» finnes ikke i "
        "katalogen; 1 rad hoppet over (linje 2). Mente du «B1»? Rett ID-en i uttrekket."]


def test_long_line_lists_are_shortened(tmp_path):
    path = tmp_path / "u.csv"
    lines = ["enhet;periode;indikator;teller;nevner"]
    lines += [f"0101;2024-{m:02d};X9;1;2" for m in range(1, 13)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    extract = read_extract(path, CATALOGUE, UNITS)
    assert [str(p) for p in extract.problems] == [
        "u.csv, linje 2, kolonne «indikator»: Advarsel: indikatoren «X9» finnes ikke i "
        "katalogen; 12 rader hoppet over (linje 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 og 2 andre). "
        "Rett ID-en, eller legg indikatoren inn i katalogen."]


def test_header_only_is_a_warning(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("enhet;periode;indikator;teller;nevner\n;;;;\n", encoding="utf-8")
    extract = read_extract(path, CATALOGUE, UNITS)
    assert extract.rows == []
    assert [str(p) for p in extract.problems] == [
        "u.csv, linje 1: Advarsel: uttrekket har ingen datarader under overskriften."]


def test_excel_lock_file(tmp_path):
    path = tmp_path / "~$uttrekk.xlsx"
    path.write_bytes(b"\x05ola  " + b"\x00" * 100)
    assert messages_of_error(path) == [
        "~$uttrekk.xlsx: Dette er Excels låsefil for en åpen arbeidsbok, ikke en fil med data. "
        "Bruk selve arbeidsboken («uttrekk.xlsx»)."]


def test_missing_file(tmp_path):
    assert messages_of_error(tmp_path / "finnes_ikke.csv") == [
        "finnes_ikke.csv: Filen finnes ikke. Sjekk navnet og mappen."]


def test_folder_is_refused(tmp_path):
    (tmp_path / "uttrekk.csv").mkdir()
    assert messages_of_error(tmp_path / "uttrekk.csv") == [
        "uttrekk.csv: Dette er en mappe, ikke en fil. Oppgi en CSV-, .xlsx- eller Parquet-fil."]


# --------------------------------------------------------------------------------------------
# xlsx and Parquet, made here
# --------------------------------------------------------------------------------------------
def make_xlsx(path, rows, title=True):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Uttrekk"
    if title:
        ws.append(["Uttrekk fra datavarehuset, januar 2024"])
        ws.append([])
    for r in rows:
        ws.append(r)
    for cells in ws.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as a data warehouse writes
    wb.save(path)


def test_xlsx_header_found_by_labels(tmp_path):
    path = tmp_path / "uttrekk.xlsx"
    make_xlsx(path, [
        ["Indikator", "Enhet", "Periode", "Teller", "Nevner", "Merknad"],
        ["B1", "0101", "2024-01", 65, 100, "=HYPERLINK(\"x\")"],
        ["B3", "0104", 202402, "1 234,5", 100, None],
        ["P1", "0105", datetime.datetime(2024, 3, 1), 7, None, None],
        ["B1", "0301", "2024-01", ":", "..", None],
    ])
    extract = read_extract(path, CATALOGUE, UNITS)
    assert extract.format == "xlsx"
    assert extract.rows == [
        row("0101", "2024-01", "B1", 65.0, 100.0, merknad='=HYPERLINK("x")', line=4),
        row("0104", "2024-02", "B3", 1234.5, 100.0, line=5),
        row("0105", "2024-03", "P1", 7.0, None, line=6),
        row("0301", "2024-01", "B1", None, None, REASON_SUPPRESSED, REASON_NOT_AVAILABLE,
            line=7),
    ]


def test_xlsx_problems_name_sheet_and_row(tmp_path):
    path = tmp_path / "uttrekk.xlsx"
    make_xlsx(path, [
        ["enhet", "periode", "indikator", "teller", "nevner"],
        [101, "2024-01", "B1", 65, 100],  # a number cell: the leading zero is gone
        ["0104", "2024-01", "B1", "65 %", 100],
        ["0105", "2024-01", "B1", True, 100],
    ])
    assert messages_of_error(path) == [
        "uttrekk.xlsx, ark «Uttrekk», linje 4, kolonne «enhet»: enheten «101» finnes "
        "ikke i enhetsregisteret; 1 rad (linje 4) blir ikke fylt inn. Mente du «0101»? Enhetsnummer er "
        "tekst, og ledende null kan ha falt bort i Excel: rett enhetsnummeret i uttrekket.",
        f"uttrekk.xlsx, ark «Uttrekk», linje 5, kolonne «teller»: tekst i tallfelt: «65 %» "
        f"{TEXT_IN_NUMBER}",
        f"uttrekk.xlsx, ark «Uttrekk», linje 6, kolonne «teller»: tekst i tallfelt: «SANN» "
        f"{TEXT_IN_NUMBER}",
    ]


def test_xlsx_without_header(tmp_path):
    path = tmp_path / "uttrekk.xlsx"
    make_xlsx(path, [["enhet", "periode", "indikator", "verdi"]], title=False)
    assert messages_of_error(path) == [
        "uttrekk.xlsx, ark «Uttrekk», linje 1: mangler kolonnene «teller» og «nevner». Fant "
        f"«enhet», «periode», «indikator» og «verdi». {EXPECTED_COLUMNS}"]


def test_xlsx_zip_bomb_is_not_opened(tmp_path, monkeypatch):
    import excelkort.inputs.extract_files as extract_module

    path = tmp_path / "uttrekk.xlsx"
    make_xlsx(path, [["enhet", "periode", "indikator", "teller", "nevner"]])
    monkeypatch.setattr(extract_module, "MAX_EXTRACT_SIZE", 2 * 2**20)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/media/nuller.bin", b"\0" * (3 * 2**20), zipfile.ZIP_DEFLATED)
    assert len(messages_of_error(path)) == 1
    assert messages_of_error(path)[0].startswith(
        "uttrekk.xlsx: Filen er større enn 2 MB (utpakket) og er for stor for et uttrekk; den "
        "kan være skadet eller laget for å skade.")


def test_corrupt_xlsx(tmp_path):
    path = tmp_path / "uttrekk.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    assert messages_of_error(path) == [
        "uttrekk.xlsx: filen ser ut som en Excel-arbeidsbok, men kan ikke leses (ødelagt, "
        "passordbeskyttet eller ikke en .xlsx). Åpne den i Excel og lagre den på nytt som .xlsx, "
        "eller lag uttrekket som CSV."]


def test_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "uttrekk.parquet"
    pq.write_table(pa.table({
        "ENHET": ["0101", "0104", "0105"],
        "periode": ["2024-01", "202402", "2024-03"],
        "indikator": ["B1", "B3", "B1"],
        "teller": pa.array([65.0, 12.5, None]),
        "nevner": pa.array([100, 3, 100], type=pa.int64()),
    }), path)
    extract = read_extract(path, CATALOGUE, UNITS)
    assert extract.format == "parquet"
    assert extract.rows == [
        row("0101", "2024-01", "B1", 65.0, 100.0, line=2),
        row("0104", "2024-02", "B3", 12.5, 3.0, line=3),
        row("0105", "2024-03", "B1", None, 100.0, line=4),
    ]


def test_parquet_with_integer_unit_ids_and_bad_values(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "uttrekk.parquet"
    pq.write_table(pa.table({
        "enhet": pa.array([101, 104], type=pa.int64()),
        "periode": ["2024-01", "2024-01"],
        "indikator": ["B1", "B1"],
        "teller": ["65", "-5"],
        "nevner": ["100", "100"],
    }), path)
    assert messages_of_error(path) == [
        "uttrekk.parquet, linje 2, kolonne «enhet»: enheten «101» finnes ikke i "
        "enhetsregisteret; 1 rad (linje 2) blir ikke fylt inn. Mente du «0101»? Enhetsnummer er tekst, "
        "og ledende null kan ha falt bort i Excel: rett enhetsnummeret i uttrekket.",
        "uttrekk.parquet, linje 3, kolonne «teller»: negativ teller (-5). Teller og nevner kan "
        "ikke være negative: rett tallet i kilden.",
    ]


def test_parquet_wrong_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "uttrekk.parquet"
    pq.write_table(pa.table({"enhet": ["0101"], "verdi": [1.0]}), path)
    assert messages_of_error(path) == [
        "uttrekk.parquet, linje 1: mangler kolonnene «periode», «indikator», «teller» og "
        f"«nevner». Fant «enhet» og «verdi». {EXPECTED_COLUMNS}"]


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "uttrekk.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 20)
    assert messages_of_error(path) == [
        "uttrekk.parquet: filen kan ikke leses som Parquet (ødelagt eller ufullstendig). Lag "
        "uttrekket på nytt."]


# --------------------------------------------------------------------------------------------
# Single values
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("1234", (1234.0, None, True)),
    ("1234.5", (1234.5, None, True)),
    ("1234,5", (1234.5, None, True)),
    ("1 234,5", (1234.5, None, True)),
    ("1\u00a0234\u00a0567,25", (1234567.25, None, True)),
    ("1\u202f234", (1234.0, None, True)),
    ("1.234,5", (1234.5, None, True)),
    ("1,234.5", (1234.5, None, True)),
    (" 12 ", (12.0, None, True)),
    ("1,5e+20", (1.5e20, None, True)),
    ("", (None, None, True)),
    (":", (None, REASON_SUPPRESSED, True)),
    ("..", (None, REASON_NOT_AVAILABLE, True)),
    ("...", (None, REASON_NOT_READY, True)),
    ("\u2026", (None, REASON_NOT_READY, True)),
    (".", (None, REASON_IMPOSSIBLE, True)),
    ("-", (0.0, None, True)),
    ("\u22125", (-5.0, None, True)),
    ("65 %", (None, None, False)),
    ("65,3 %", (None, None, False)),
    ("abc", (None, None, False)),
    ("ikke klar", (None, None, False)),
    ("=SUM(A1)", (None, None, False)),
    ("+cmd", (None, None, False)),
    ("@SUM(A1)", (None, None, False)),
    ("12 34", (None, None, False)),
    ("nan", (None, None, False)),
    ("inf", (None, None, False)),
    ("\u0663", (None, None, False)),  # an Arabic-Indic digit: float() would take it
])
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("2024-03", "2024-03"), ("202403", "2024-03"), (" 2024-12 ", "2024-12"),
    ("2024-13", None), ("2024-00", None), ("2024-3", None), ("24-03", None), ("mars", None),
])
def test_parse_period(text, expected):
    assert parse_period(text) == expected


# --------------------------------------------------------------------------------------------
# The Extract object
# --------------------------------------------------------------------------------------------
def test_extract_helpers():
    rows = [row("0104", "2024-02", "B1", 1.0, 2.0), row("0101", "2024-01", "B1", 1.0, 2.0),
            row("0101", "2024-02", "B1", 1.0, 2.0)]
    extract = Extract("x.csv", "csv", rows)
    assert extract.periods() == ["2024-01", "2024-02"]
    assert extract.latest_period() == "2024-02"
    assert extract.by_unit() == {"0101": rows[1:], "0104": rows[:1]}
    assert extract.lookup()[("0101", "2024-01", "B1")] is rows[1]
    assert Extract("x.csv", "csv", []).latest_period() is None


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def test_write_as_norwegian_excel(tmp_path):
    path = tmp_path / "uttrekk.csv"
    rows = [
        row("0101", "2024-01", "B3", 1234.5, 100.0, merknad="=HYPERLINK(\"x\")"),
        row("0104", "202402", "P1", 7.0, None),
        {"enhet": "0105", "periode": "2024-03", "indikator": "B1", "teller": None,
         "nevner": 100, "teller_reason": REASON_SUPPRESSED, "merknad": "a;b"},
    ]
    assert write_extract_csv(rows, path) is True
    data = path.read_bytes()
    assert data == (
        "\ufeffenhet;periode;indikator;teller;nevner;merknad\r\n"
        "0101;2024-01;B3;1234,5;100;\"'=HYPERLINK(\"\"x\"\")\"\r\n"
        "0104;2024-02;P1;7;;\r\n"
        '0105;2024-03;B1;:;100;"a;b"\r\n').encode("utf-8")
    before = path.stat().st_mtime_ns
    assert write_extract_csv(rows, path) is False  # unchanged content: not rewritten
    assert path.stat().st_mtime_ns == before
    extract = read_extract(path, CATALOGUE, UNITS)
    assert [r.merknad for r in extract.rows] == ['=HYPERLINK("x")', None, "a;b"]
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left


text_field = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"),
                           include_characters="\n\r\t"),
    min_size=1, max_size=20,
).map(str.strip).filter(bool)
unit_ids = st.text(alphabet="0123456789ABCDEFabø-=+@' ", min_size=1, max_size=6) \
    .map(str.strip).filter(bool)
amounts = st.one_of(st.integers(0, 10**9).map(float),
                    st.floats(0, 1e15, allow_nan=False, allow_infinity=False, exclude_max=True))
reasons = st.sampled_from([None, REASON_SUPPRESSED, REASON_NOT_AVAILABLE, REASON_NOT_READY,
                           REASON_IMPOSSIBLE])


@st.composite
def valid_rows(draw):
    ind = draw(st.sampled_from(["B1", "B3", "P1", "Ø1"]))
    period = f"{draw(st.integers(2000, 2099))}-{draw(st.integers(1, 12)):02d}"
    nevner = draw(st.one_of(st.none(), amounts))
    teller = draw(st.one_of(st.none(), amounts))
    if ind == "B1" and teller is not None and nevner is not None:
        teller = nevner * draw(st.floats(0, 1))  # andel ≤ 100 %
    if ind != "P1" and nevner == 0 and teller:
        teller = 0.0
    if teller and nevner and teller >= nevner * 1e15:  # a value too large to compute with
        nevner = teller
    t_reason = draw(reasons) if teller is None else None
    n_reason = draw(reasons) if nevner is None else None
    if ind == "P1":  # antall: no nevner
        nevner, n_reason = None, None
    merknad = draw(st.one_of(st.none(), text_field))
    return row(draw(unit_ids), period, ind, teller, nevner, t_reason, n_reason, merknad)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(valid_rows(), min_size=1, max_size=25, unique_by=lambda r: r.key))
def test_write_then_read_round_trips(tmp_path, rows):
    path = tmp_path / "rundtur.csv"
    write_extract_csv(rows, path)
    extract = read_extract(path, CATALOGUE)
    assert [r._replace(line=None) for r in extract.rows] == rows
    assert [r.line for r in extract.rows] == sorted(r.line for r in extract.rows)
    assert extract.problems == []


# --------------------------------------------------------------------------------------------
# Periods Excel made into dates: read as their month, with one warning naming the column
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shown", ["okt.26", "01.10.2026", "2026-10-01", "46296", "Oct-26"])
def test_a_period_excel_made_a_date_is_read_with_one_warning(tmp_path, shown):
    path = tmp_path / "uttrekk.csv"
    path.write_text("enhet;periode;indikator;teller;nevner\n"
                    + "".join(f"{u};{shown};B1;1;2\n" for u in ("0101", "0104", "0105")),
                    encoding="utf-8")
    extract = read_extract(path, CATALOGUE, UNITS)
    assert [r.period for r in extract.rows] == ["2026-10"] * 3
    assert [str(p) for p in extract.problems] == [
        f"uttrekk.csv, linje 2, kolonne «periode»: Advarsel: kolonnen har datoer, ikke perioder "
        f"(ÅÅÅÅ-MM), på 3 rader, f.eks. «{shown}» på linje 2: Excel gjør en periode om til en "
        f"dato. De er lest som måneden datoen ligger i («{shown}» er 2026-10); sjekk at månedene "
        "stemmer, og lagre kolonnen som tekst neste gang."]


def test_a_date_cell_in_an_xlsx_extract_is_read_with_one_warning(tmp_path):
    path = tmp_path / "uttrekk.xlsx"
    make_xlsx(path, [
        ["enhet", "periode", "indikator", "teller", "nevner"],
        ["0101", datetime.datetime(2026, 10, 1), "B1", 1, 2],
        ["0104", "2026-10", "B1", 1, 2],
    ])
    extract = read_extract(path, CATALOGUE, UNITS)
    assert [r.period for r in extract.rows] == ["2026-10", "2026-10"]
    assert [str(p) for p in extract.problems] == [
        "uttrekk.xlsx, ark «Uttrekk», linje 4, kolonne «periode»: Advarsel: kolonnen har datoer, "
        "ikke perioder (ÅÅÅÅ-MM), på 1 rad, f.eks. «2026-10-01» på linje 4: Excel gjør en "
        "periode om til en dato. De er lest som måneden datoen ligger i («2026-10-01» er "
        "2026-10); sjekk at månedene stemmer, og lagre kolonnen som tekst neste gang."]


def test_an_error_on_many_rows_is_shown_three_times_then_counted(tmp_path):
    from click.testing import CliRunner

    from excelkort.cli import main

    path = tmp_path / "uttrekk.csv"
    path.write_text("enhet;periode;indikator;teller;nevner\n"
                    + "".join(f"0101;uke {i};B1;1;2\n" for i in range(50)), encoding="utf-8")
    result = CliRunner().invoke(main, ["sjekk", str(path)])
    assert result.exit_code == 2
    assert result.output.splitlines()[:5] == [
        f"{path} (uttrekk): feil",
        *(f"  Feil: uttrekk.csv, linje {i + 2}, kolonne «periode»: ugyldig periode «uke {i}». "
          f"{PERIOD_HELP}" for i in range(3)),
        "  Feil: uttrekk.csv, kolonne «periode»: … og 47 rader til med samme feil.",
    ]


def test_numbers_too_large_to_compute_with_are_rejected_at_the_extract(tmp_path):
    # 1e24 once passed and fyll died in decimal; 1e309 is infinity
    path = tmp_path / "stor.csv"
    path.write_text("enhet;periode;indikator;teller;nevner\n"
                    "0101;2024-01;B3;1e24;3\n"
                    "0101;2024-02;B3;12;1e309\n"
                    "0101;2024-03;B3;999999999999999;3\n", encoding="utf-8")
    too_large = ("er utenfor det excelkort kan regne med (høyst 15 sifre: tall under "
                 "1 000 000 000 000 000). Rett tallet i kilden.")
    assert messages_of_error(path) == [
        f"stor.csv, linje 2, kolonne «teller»: teller «1e24» {too_large}",
        f"stor.csv, linje 3, kolonne «nevner»: nevner «1e309» {too_large}"]


def test_a_stray_quote_that_would_swallow_rows_is_an_error(tmp_path):
    # one unbalanced " once swallowed the rest of the file into one merknad, and sjekk said ok
    path = tmp_path / "sitat.csv"
    path.write_text("enhet;periode;indikator;teller;nevner;merknad\n"
                    "0101;2024-01;B1;65;100;\n"
                    '0101;2024-02;B1;65;100;"ny rutine\n'
                    "0101;2024-03;B1;65;100;\n"
                    "0101;2024-04;B1;65;100;\n", encoding="utf-8")
    assert messages_of_error(path) == [
        "sitat.csv, linje 3: et anførselstegn åpner her et felt som går helt til linje 5, så 2 "
        "linjer som ser ut som datarader (linje 4 og 5) ville blitt lest som tekst i ett felt og "
        'gått tapt. Et felt som starter med " må slutte med ": fjern anførselstegnet, eller sett '
        "et til der feltet slutter."]


def test_a_quoted_merknad_over_two_lines_is_one_field(tmp_path):
    path = tmp_path / "to.csv"
    path.write_text("enhet;periode;indikator;teller;nevner;merknad\n"
                    '0101;2024-01;B1;65;100;"første linje\nandre; linje"\n'
                    "0101;2024-02;B1;65;100;\n", encoding="utf-8")
    extract = read_extract(path, CATALOGUE, UNITS)
    assert [(r.merknad, r.line) for r in extract.rows] == [
        ("første linje\nandre; linje", 2), (None, 4)]


def test_a_tiny_nevner_that_makes_the_value_too_large_is_rejected(tmp_path):
    # 9e14 / 1e-300 is infinity: fyll once rejected it as «Intern feil»
    path = tmp_path / "liten.csv"
    path.write_text("enhet;periode;indikator;teller;nevner\n"
                    "0101;2024-01;B3;900000000000000;1e-300\n"
                    "0101;2024-02;B3;12;0,5\n", encoding="utf-8")
    assert messages_of_error(path) == [
        "liten.csv, linje 2, kolonne «nevner»: teller (900000000000000) delt på nevner "
        "(1e-300) gir et tall utenfor det excelkort kan regne med (høyst 15 "
        "sifre). Rett nevner i kilden."]


TOO_MANY_ROWS = (
    "uttrekket har mer enn 3 datarader, flere enn excelkort leser fra én fil (et nasjonalt "
    "uttrekk for et helt år har rundt 500 000). Del uttrekket, f.eks. ett år eller én "
    "fylkesenhet per fil.")


@pytest.mark.parametrize("quoted", [False, True])
def test_an_extract_over_the_row_limit_is_refused_while_it_is_read(tmp_path, monkeypatch, quoted):
    """Issue 14, point 13: the rows are counted as they are read, so an extract too large for
    the memory is refused with a message, never swapped."""
    import excelkort.inputs.extract_files as extract_module

    monkeypatch.setattr(extract_module, "MAX_EXTRACT_ROWS", 3)
    merknad = '"en merknad"' if quoted else ""
    lines = ["enhet;periode;indikator;teller;nevner;merknad"] + [
        f"0101;2026-{m:02d};B1;5;10;{merknad}" for m in range(1, 31)]
    path = tmp_path / "uttrekk.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert messages_of_error(path) == [f"uttrekk.csv, linje 5: {TOO_MANY_ROWS}"]
    path.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    assert len(read_extract(path, CATALOGUE)) == 3


def test_a_parquet_extract_over_the_row_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import excelkort.inputs.extract_files as extract_module

    monkeypatch.setattr(extract_module, "MAX_EXTRACT_ROWS", 3)
    path = tmp_path / "uttrekk.parquet"
    pq.write_table(pa.table({"enhet": ["0101"] * 4, "periode": ["2026-01", "2026-02", "2026-03",
                                                                "2026-04"],
                             "indikator": ["B1"] * 4, "teller": [5] * 4, "nevner": [10] * 4}), path)
    assert messages_of_error(path) == [f"uttrekk.parquet: {TOO_MANY_ROWS}"]


def test_an_extract_is_held_compactly_while_it_is_read(tmp_path):
    """Issue 14, point 13: reading holds each row compactly (shared strings, a tuple per row,
    the lines in an array), so a national year (~500,000 rows) stays well under 512 MiB. The
    peak memory Python allocates per row read, measured: ~460 bytes; before, ~770."""
    import tracemalloc

    lines = ["enhet;periode;indikator;teller;nevner;merknad"]
    for u in range(625):
        for m in range(1, 13):
            for k, ind in enumerate(("B1", "B3", "P1", "Ø1")):
                i = (u * 12 + m) * 4 + k
                nevner = "" if ind == "P1" else 500 + i % 300
                lines.append(f"{u + 1000:04d};2026-{m:02d};{ind};{i * 7 % 500};{nevner};")
    path = tmp_path / "uttrekk.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tracemalloc.start()
    try:
        extract = read_extract(path, CATALOGUE)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(extract) == 30_000
    assert peak / len(extract) < 600


def test_an_xlsx_extract_over_the_row_limit_is_refused_while_it_is_read(tmp_path, monkeypatch):
    import excelkort.inputs.extract_files as extract_module

    monkeypatch.setattr(extract_module, "MAX_EXTRACT_ROWS", 3)
    path = tmp_path / "uttrekk.xlsx"
    make_xlsx(path, [["enhet", "periode", "indikator", "teller", "nevner"]] + [
        ["0101", f"2026-{m:02d}", "B1", 5, 10] for m in range(1, 31)])
    assert messages_of_error(path) == [f"uttrekk.xlsx, ark «Uttrekk», linje 7: {TOO_MANY_ROWS}"]
