"""The county's check of an extract (SPEC §6 ``excelkort kontroll``): excelkort.steps.control."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest

from excelkort.inputs.catalogue import default_catalogue
from excelkort.steps.control import run_control
from excelkort.steps.control_report import summary_lines, write_control_workbook
from excelkort.steps.control_result import KIND_LABELS, MISSING_KINDS, SEVERITIES, ControlReport
from excelkort.numbers.outliers import robust_z
from excelkort.errors import InputError
from excelkort.inputs.extract import read_extract, write_extract_csv
from excelkort.model import Catalogue, Indicator
from excelkort.inputs.register import Register, demo_register
from excelkort.steps.synth import generate_year
from excelkort.steps.synth_forms import extract_rows

SEED = 2  # the synthetic data errors of this seed fall in months 3, 7, 8 and 11 only
P = "2026-05"

_DEFAULT = default_catalogue()
CATALOGUE = Catalogue(tuple(
    [i for i in _DEFAULT if i.id in ("B1", "B3", "B5", "P1", "P9", "M1")]
    + [Indicator("K1", "Andel kvartalsvis", "Produksjon", "Måle", "andel", "høyere", 70, 5,
                 frequency="kvartal")]))


def _tiny_register() -> Register:
    demo = demo_register()
    tree = demo.tree(P)
    offices = tree.children("F02")[:10]
    units = [tree.unit("NO"), tree.unit("F02"), *offices]
    return Register(units, source="test")


REGISTER = _tiny_register()
OFFICES = [u for u in REGISTER if u.level == "kontor"]
YEARS = {y: generate_year(CATALOGUE, OFFICES, y, seed=SEED) for y in (2025, 2026)}


def _rows(period: str, redeliver: bool = True) -> list[dict]:
    """The extract delivered for ``period`` (lagged indicators come from the year before),
    cut to each indicator's newest two months (so the synthetic data errors of other months
    stay out); ``redeliver=False``: the newest month only."""
    rows = []
    for year in sorted(YEARS):
        rows += extract_rows(YEARS[year], CATALOGUE, period, lag_redelivery=redeliver)
    newest: dict[str, str] = {}
    for r in rows:
        newest[r["indikator"]] = max(newest.get(r["indikator"], ""), r["periode"])

    def month_before(p: str) -> str:
        y, m = int(p[:4]), int(p[5:7])
        return f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"

    return [r for r in rows if r["periode"] >= month_before(newest[r["indikator"]])]


def _write(tmp_path: Path, rows: list[dict], name: str) -> Path:
    path = tmp_path / name
    write_extract_csv(rows, path)
    return path


def _find(rows: list[dict], unit: str, ind: str, period: str) -> dict:
    return next(r for r in rows
                if (r["enhet"], r["indikator"], r["periode"]) == (unit, ind, period))


def _check(path, previous=(), **kw) -> ControlReport:
    return run_control(path, previous, CATALOGUE, REGISTER, **kw)


def test_synthetic_errors_stay_out_of_the_months_under_test():
    for y in YEARS.values():
        assert all(m not in (1, 4, 5, 12) for _, _, m, _ in y.outliers), y.outliers
    assert {r["periode"] for r in _rows(P) if r["indikator"] != "K1"} == {
        "2025-10", "2025-11", "2026-04", P}


# --------------------------------------------------------------------------------------------
# The robust rule
# --------------------------------------------------------------------------------------------
def test_robust_z_uses_the_median_absolute_deviation():
    zs, med, scale, method = robust_z([1.0, 2.0, 3.0, 4.0, 100.0])
    assert (med, scale, method) == (3.0, 1.0, "MAD")
    assert zs[-1] == pytest.approx(0.6745 * 97)
    assert zs[2] == 0


def test_robust_z_falls_back_to_the_mean_absolute_deviation_when_mad_is_zero():
    zs, med, scale, method = robust_z([0.0, 0.0, 0.0, 0.0, 0.0, 10.0])
    assert method == "MeanAD" and med == 0 and scale == pytest.approx(10 / 6)
    assert zs[-1] == pytest.approx(10 / (1.2533 * 10 / 6))


def test_robust_z_of_equal_values_is_zero():
    assert robust_z([5.0] * 6)[0] == [0.0] * 6
    assert robust_z([]) == ([], 0.0, 0.0, "")


# --------------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------------
def test_injected_outlier_is_flagged_and_sorted_first(tmp_path):
    rows = _rows(P)
    big = max(OFFICES, key=lambda u: YEARS[2026].sizes[u.id]).id
    target = _find(rows, big, "B3", P)
    target["teller"] = target["teller"] * 10
    report = _check(_write(tmp_path, rows, f"uttrekk_{P}.csv"))

    assert report.period == P
    first = report.findings[0]
    assert (first.kind, first.unit, first.indicator, first.period) == ("uteligger", big, "B3", P)
    assert first.severity == "advarsel" and abs(first.z) > 3.5
    assert first.row.value == pytest.approx(target["teller"] / target["nevner"])
    assert "robust z" in first.message
    # nothing else in this clean extract is an outlier at this size
    assert not [f for f in report.findings[1:] if f.kind == "uteligger" and abs(f.z) > abs(first.z)]
    assert not report.has_errors
    text = "\n".join(summary_lines(report))
    assert f"1. advarsel – Uteligger – {big}" in text
    assert "rader lest" in text and "0 feil" in text


def test_every_expected_row_is_compared(tmp_path):
    rows = _rows(P)
    report = _check(_write(tmp_path, rows, f"uttrekk_{P}.csv"))
    # B1 has Etterslep 6: its month is 2025-11; K1 is quarterly and not due in May
    assert dict(report.checked) == {"B1": "2025-11", "B3": P, "P1": P, "P9": P, "M1": P}
    assert [i for i, _ in report.not_checked] == ["K1"]
    assert report.expected_units == len(OFFICES)
    assert len(report.rows) == len(OFFICES) * 5
    row = next(r for r in report.rows if (r.unit, r.indicator) == ("0101", "P1"))
    s = YEARS[2026].series[("0101", "P1")]
    assert row.value == pytest.approx(100 * s.teller[4] / s.nevner[4])
    assert row.previous_value == pytest.approx(100 * s.teller[3] / s.nevner[3])
    assert row.change == pytest.approx(row.value - row.previous_value)
    assert row.nevner_change == pytest.approx(s.nevner[4] / s.nevner[3] - 1)
    assert row.previous_source == f"uttrekk_{P}.csv"
    assert row.last_year_value is None  # no --forrige
    assert row.z is not None
    antall = next(r for r in report.rows if (r.unit, r.indicator) == ("0101", "P9"))
    assert antall.value == YEARS[2026].series[("0101", "P9")].teller[4]
    assert report.default_output == tmp_path / f"kontroll_{P}.xlsx"


def test_missing_row_is_listed(tmp_path):
    rows = [r for r in _rows(P) if (r["enhet"], r["indikator"], r["periode"]) != ("0104", "P1", P)]
    report = _check(_write(tmp_path, rows, "u.csv"))
    missing = [f for f in report.missing if f.kind == "mangler"]
    hit = [f for f in missing if (f.unit, f.indicator, f.period) == ("0104", "P1", P)]
    assert len(hit) == 1 and hit[0].severity == "advarsel"
    assert hit[0].unit_name == "Nav Moss"
    row = next(r for r in report.rows if (r.unit, r.indicator) == ("0104", "P1"))
    assert not row.delivered and row.status == "mangler" and "mangler" in row.kinds

    out = write_control_workbook(report, tmp_path / "k.xlsx")
    ws = openpyxl.load_workbook(out)["Mangler"]
    values = [r for r in ws.iter_rows(min_row=2, values_only=True)]
    assert ("Mangler", "advarsel", "0104", "Nav Moss") in [v[:4] for v in values]


def test_unknown_unit_gets_a_hint(tmp_path):
    rows = _rows(P)
    for r in rows:
        if r["enhet"] == "0101" and r["indikator"] == "P9":
            r["enhet"] = "101"
    path = _write(tmp_path, rows, "u.csv")
    report = _check(path)
    unknown = report.of_kind("ukjent_enhet")
    assert len(unknown) == 1
    f = unknown[0]
    assert (f.unit, f.hint, f.severity) == ("101", "0101", "feil")
    assert "Mente du «0101»?" in f.message
    lines = [i for i, r in enumerate(rows, 2) if r["enhet"] == "101"]
    assert list(f.lines) == lines
    # and 0101's P9 is then missing this month
    assert [(m.unit, m.indicator) for m in report.of_kind("mangler")
            if m.unit == "0101"] == [("0101", "P9")]
    assert report.findings[0].kind == "ukjent_enhet"  # feil before advarsel

    ws = openpyxl.load_workbook(write_control_workbook(report, tmp_path / "k.xlsx"))["Mangler"]
    header = [c.value for c in ws[1]]
    found = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    rec = next(x for x in found if x["Enhet"] == "101")
    assert rec["Type"] == "Ukjent enhet" and rec["Mente du"] == "0101"


def test_unknown_and_local_indicators(tmp_path):
    rows = _rows(P)
    extra = [dict(rows[0], indikator="p1", periode=P, enhet="0105"),
             dict(rows[0], indikator="Ã˜1", periode=P, enhet="0105"),
             dict(rows[0], indikator="XYZ", periode=P, enhet="0105"),
             dict(rows[0], indikator="B5", periode=P, enhet="0105")]
    report = _check(_write(tmp_path, rows + extra, "u.csv"))
    hints = {f.indicator: f.hint for f in report.of_kind("ukjent_indikator")}
    assert hints == {"p1": "P1", "XYZ": ""} | ({"Ã˜1": ""} if "Ø1" not in CATALOGUE else {})
    assert [f.indicator for f in report.of_kind("lokal_indikator")] == ["B5"]
    assert report.of_kind("lokal_indikator")[0].severity == "info"
    # the reader's own warnings about them are not repeated
    assert not report.of_kind("uttrekk")


def test_duplicates_are_reported_not_a_crash(tmp_path):
    rows = _rows(P)
    same = dict(_find(rows, "0105", "P1", P))
    other = dict(_find(rows, "0106", "B3", P), teller=1.0)
    path = _write(tmp_path, rows + [same, other], "u.csv")
    with pytest.raises(InputError):  # fyll's reader rejects the extract …
        read_extract(path, CATALOGUE, None)
    report = _check(path)  # … the check reports it
    dups = {(f.unit, f.indicator): f for f in report.of_kind("duplikat")}
    assert set(dups) == {("0105", "P1"), ("0106", "B3")}
    assert all(f.severity == "feil" for f in dups.values())
    n = len(rows)
    assert dups[("0105", "P1")].lines == (rows.index(_find(rows, "0105", "P1", P)) + 2, n + 2)
    assert "med like tall" in dups[("0105", "P1")].message
    assert "med ulike tall" in dups[("0106", "B3")].message
    # identical copies are used; differing ones are not (the value is unknown), and neither is
    # reported as missing
    rows_by = {(r.unit, r.indicator): r for r in report.rows}
    assert rows_by[("0105", "P1")].value is not None
    assert rows_by[("0106", "B3")].value is None and not rows_by[("0106", "B3")].delivered
    assert not [f for f in report.of_kind("mangler")
                if (f.unit, f.indicator) in (("0105", "P1"), ("0106", "B3"))]
    assert report.findings[0].kind == "duplikat"
    out = write_control_workbook(report, tmp_path / "k.xlsx")
    assert out.exists()


def test_bad_lines_are_reported_and_the_rest_checked(tmp_path):
    rows = _rows(P)
    path = _write(tmp_path, rows, "u.csv")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    target = rows.index(_find(rows, "0124", "P1", P)) + 1  # index in lines (header is 0)
    cells = lines[target].split(";")
    cells[3] = "65 %"
    lines[target] = ";".join(cells)
    # and an andel over 100 % (outside the plausible range)
    over = rows.index(_find(rows, "0104", "M1", P)) + 1
    cells = lines[over].split(";")
    cells[3] = str(int(float(cells[4].replace(",", "."))) + 5)
    lines[over] = ";".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = _check(path)
    errs = {f.lines: f for f in report.of_kind("radfeil")}
    assert set(errs) == {(target + 1,), (over + 1,)}
    assert "tekst i tallfelt" in errs[(target + 1,)].message
    assert "andel over 100 %" in errs[(over + 1,)].message
    assert errs[(target + 1,)].unit == "0124" and errs[(target + 1,)].indicator == "P1"
    assert len(report.rows) == len(OFFICES) * 5
    assert report.rows_read == len(rows)


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_duplicates_in_xlsx_and_parquet_extracts(tmp_path, fmt):
    import pandas as pd

    rows = _rows(P)
    dup = dict(_find(rows, "0105", "P1", P), teller=0.0)
    frame = pd.DataFrame([{k: r[k] for k in ("enhet", "periode", "indikator", "teller", "nevner")}
                          for r in rows + [dup]])
    frame["enhet"] = frame["enhet"].astype(str)
    path = tmp_path / f"uttrekk.{fmt}"
    if fmt == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    report = _check(path)
    assert report.format == fmt
    dups = report.of_kind("duplikat")
    first = rows.index(_find(rows, "0105", "P1", P)) + 2
    assert [(f.unit, f.indicator, f.lines) for f in dups] == [
        ("0105", "P1", (first, len(rows) + 2))]
    assert len(report.rows) == len(OFFICES) * 5


def test_file_level_problems_still_raise(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("enhet;periode;verdi\n0101;2026-05;3\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        _check(bad)
    assert "mangler kolonnene" in str(exc.value)
    with pytest.raises(InputError):
        _check(tmp_path / "finnes_ikke.csv")
    dup_col = tmp_path / "dup.csv"
    dup_col.write_text("enhet;periode;indikator;teller;nevner;teller\n0101;2026-05;P1;1;2;3\n")
    with pytest.raises(InputError):
        _check(dup_col)


def test_previous_extracts_give_last_month_and_last_year(tmp_path):
    jan = "2026-01"
    main_rows = _rows(jan, redeliver=False)
    dec_rows = _rows("2025-12", redeliver=False)
    last_year = _rows("2025-01", redeliver=False)
    # the new extract re-delivers 0101's P1 for December with a corrected teller
    corrected = dict(_find(dec_rows, "0101", "P1", "2025-12"))
    corrected["teller"] = corrected["teller"] - 3
    main = _write(tmp_path, main_rows + [corrected], f"uttrekk_{jan}.csv")
    prev_dec = _write(tmp_path, dec_rows, "uttrekk_2025-12.csv")
    prev_jan = _write(tmp_path, last_year, "uttrekk_2025-01.csv")

    report = _check(main, [prev_jan, prev_dec])  # any order: the newest is used first
    assert report.period == jan
    assert report.previous == [prev_jan, prev_dec]
    rows = {(r.unit, r.indicator): r for r in report.rows}
    s25 = YEARS[2025].series
    r = rows[("0104", "P1")]
    assert r.period == jan and r.previous_period == "2025-12" and r.last_year_period == "2025-01"
    assert r.previous_value == pytest.approx(100 * s25[("0104", "P1")].teller[11]
                                             / s25[("0104", "P1")].nevner[11])
    assert r.previous_source == "uttrekk_2025-12.csv"
    assert r.last_year_value == pytest.approx(100 * s25[("0104", "P1")].teller[0]
                                              / s25[("0104", "P1")].nevner[0])
    assert r.last_year_change == pytest.approx(r.value - r.last_year_value)
    # the re-delivered December wins over the older extract, and the change is noted
    r = rows[("0101", "P1")]
    assert r.previous_source == f"uttrekk_{jan}.csv"
    assert r.previous_value == pytest.approx(100 * corrected["teller"] / corrected["nevner"])
    revised = report.of_kind("revidert")
    assert [(f.unit, f.indicator, f.period) for f in revised] == [("0101", "P1", "2025-12")]
    assert "uttrekk_2025-12.csv" in revised[0].message and revised[0].severity == "info"
    # B1 (Etterslep 6) is checked for 2025-07
    assert dict(report.checked)["B1"] == "2025-07"

    ws = openpyxl.load_workbook(write_control_workbook(report, tmp_path / "k.xlsx"))["Alle"]
    header = [c.value for c in ws[1]]
    assert {"Forrige måned", "Samme måned i fjor", "Endring fra i fjor"} <= set(header)
    body = [dict(zip(header, v)) for v in ws.iter_rows(min_row=2, values_only=True)]
    p1 = next(b for b in body if (b["Enhet"], b["Indikator"]) == ("0104", "P1"))
    assert p1["Samme måned i fjor"] == pytest.approx(rows[("0104", "P1")].last_year_value)
    assert p1["Forrige måned fra"] == "uttrekk_2025-12.csv"


def test_spike_is_put_on_its_own_month(tmp_path):
    march = [r for r in extract_rows(YEARS[2026], CATALOGUE, P)
             if r["indikator"] == "P9" and r["periode"] == "2026-03"]
    rows = march + _rows(P)
    big = max(OFFICES, key=lambda u: YEARS[2026].sizes[u.id]).id
    spike = _find(rows, big, "P9", "2026-04")
    spike["teller"] = spike["teller"] * 10
    report = _check(_write(tmp_path, rows, "u.csv"))
    first = report.findings[0]
    assert (first.kind, first.unit, first.indicator, first.period) == ("uteligger", big, "P9",
                                                                       "2026-04")
    assert "skiller seg ut" in first.message
    echo = [f for f in report.of_kind("etter_uteligger") if f.unit == big]
    assert [(f.indicator, f.period, f.severity) for f in echo] == [("P9", P, "info")]


def test_nevner_jump(tmp_path):
    rows = _rows(P)
    big = max(OFFICES, key=lambda u: YEARS[2026].sizes[u.id]).id
    r = _find(rows, big, "P1", P)
    r["nevner"], r["teller"] = r["nevner"] * 3, r["teller"] * 3  # same share, 3× the cases
    report = _check(_write(tmp_path, rows, "u.csv"))
    jumps = [(f.unit, f.indicator, f.period) for f in report.of_kind("nevnerhopp")]
    assert (big, "P1", P) in jumps
    assert not [f for f in report.of_kind("uteligger") if (f.unit, f.indicator) == (big, "P1")]


def test_ssb_symbols_and_merknad_are_noted(tmp_path):
    rows = _rows(P)
    r = _find(rows, "0111", "P1", P)
    r["teller"], r["teller_reason"], r["nevner"] = None, "prikket", None
    _find(rows, "0119", "M1", P)["merknad"] = "foreløpige tall"
    report = _check(_write(tmp_path, rows, "u.csv"))
    ssb = report.of_kind("ssb_symbol")
    assert [(f.unit, f.indicator, f.severity) for f in ssb] == [("0111", "P1", "info")]
    assert "prikket" in ssb[0].message
    assert [f.unit for f in report.of_kind("merknad")] == ["0119"]
    assert not [f for f in report.of_kind("mangler") if (f.unit, f.indicator) == ("0111", "P1")]


def test_office_missing_entirely_and_county_scope(tmp_path):
    rows = [r for r in _rows(P) if r["enhet"] != "0128"]
    report = _check(_write(tmp_path, rows, "u.csv"))
    gone = report.of_kind("enhet_mangler")
    assert [(f.unit, f.severity) for f in gone] == [("0128", "feil")]
    assert not [f for f in report.of_kind("mangler") if f.unit == "0128"]
    # the national register: only the county units present in the extract are expected
    national = run_control(tmp_path / "u.csv", (), CATALOGUE, demo_register())
    assert national.expected_units == len(demo_register().tree(P).leaves("F02"))
    assert [c for c, _, present in national.counties if present] == ["F02"]
    assert not national.of_kind("fylke_mangler")


def test_indicator_missing_entirely(tmp_path):
    rows = [r for r in _rows(P) if not (r["indikator"] == "M1" and r["periode"] == P)]
    report = _check(_write(tmp_path, rows, "u.csv"))
    assert [(f.indicator, f.period, f.severity) for f in report.of_kind("indikator_mangler")] \
        == [("M1", P, "feil")]
    assert not [f for f in report.of_kind("mangler") if f.indicator == "M1"]


def test_findings_are_sorted_worst_first(tmp_path):
    rows = _rows(P)
    big = max(OFFICES, key=lambda u: YEARS[2026].sizes[u.id]).id
    _find(rows, big, "B3", P)["teller"] *= 10
    rows = [r for r in rows if (r["enhet"], r["indikator"], r["periode"]) != ("0104", "P1", P)]
    rows.append(dict(rows[0], enhet="101", periode=P))  # a lost leading zero: feil
    report = _check(_write(tmp_path, rows, "u.csv"))
    ranks = [SEVERITIES.index(f.severity) for f in report.findings]
    assert ranks == sorted(ranks)
    assert report.findings[0].kind == "ukjent_enhet"
    warnings = [f for f in report.findings if f.severity == "advarsel"]
    assert warnings[0].kind == "uteligger"
    zs = [abs(f.z or 0) for f in warnings]
    assert zs == sorted(zs, reverse=True)


# --------------------------------------------------------------------------------------------
# The workbook
# --------------------------------------------------------------------------------------------
def _report_with_everything(tmp_path) -> ControlReport:
    rows = _rows(P)
    big = max(OFFICES, key=lambda u: YEARS[2026].sizes[u.id]).id
    _find(rows, big, "B3", P)["teller"] *= 10
    rows = [r for r in rows if (r["enhet"], r["indikator"], r["periode"]) != ("0104", "P1", P)]
    rows.append(dict(_find(rows, "0105", "P9", P), enhet="105"))
    rows.append(dict(_find(rows, "0106", "M1", P)))
    rows.append(dict(rows[0], indikator="=HYPERLINK(\"x\")", periode=P))
    return _check(_write(tmp_path, rows, f"uttrekk_{P}.csv"))


def test_workbook_sheets_and_layout(tmp_path):
    report = _report_with_everything(tmp_path)
    out = write_control_workbook(report)
    assert out == tmp_path / f"kontroll_{P}.xlsx"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Sammendrag", "Avvik", "Alle", "Mangler"]
    assert wb.properties.created.year == 2026 and wb.properties.created.month == 5

    avvik = wb["Avvik"]
    header = [c.value for c in avvik[1]]
    assert header[:13] == ["Enhet", "Enhetsnavn", "Fylke", "Indikator", "Periode", "Verdi",
                           "Forrige måned", "Endring", "Samme måned i fjor", "Nevner",
                           "Robust z", "Funn", "Alvorlighet"]
    assert avvik.freeze_panes == "C2" and avvik.auto_filter.ref.startswith("A1:")
    body = [dict(zip(header, r)) for r in avvik.iter_rows(min_row=2, values_only=True)]
    assert len(body) == len(report.findings)
    assert [b["Alvorlighet"] for b in body] == [f.severity for f in report.findings]
    outlier = next(i for i, b in enumerate(body, 2) if b["Funn"] == "Uteligger")
    assert avvik.cell(outlier, 6).number_format == '0.0" dager"'
    assert avvik.cell(outlier, 8).number_format.startswith('+0.0" dager"')
    assert avvik.cell(outlier, 13).fill.fgColor.rgb.endswith("FFEB9C")  # advarsel: yellow
    err = next(i for i, b in enumerate(body, 2) if b["Alvorlighet"] == "feil")
    assert avvik.cell(err, 13).fill.fgColor.rgb.endswith("FFC7CE")  # feil: red
    # formula-like text from the extract is text, never a formula
    texts = [c.value for row in avvik.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("=HYPERLINK" in t for t in texts)
    assert all(c.data_type != "f" for row in avvik.iter_rows() for c in row)

    alle = wb["Alle"]
    assert alle.max_row == 1 + len(report.rows)
    assert alle.freeze_panes == "C2" and alle.auto_filter.ref
    mangler = wb["Mangler"]
    assert mangler.max_row == 1 + len(report.missing)
    types = {r[0] for r in mangler.iter_rows(min_row=2, values_only=True)}
    assert {"Mangler", "Ukjent enhet", "Ukjent indikator"} <= types
    assert types <= {KIND_LABELS[k] for k in MISSING_KINDS}

    summary = wb["Sammendrag"]
    cells = [c.value for row in summary.iter_rows() for c in row if c.value is not None]
    assert f"Kontroll av uttrekk – {P}" in cells
    assert all(KIND_LABELS[k] in cells for k in KIND_LABELS)
    assert any(isinstance(c, str) and "0,6745" in c and "3,5" in c for c in cells)


def test_workbook_is_byte_identical_when_rewritten(tmp_path):
    report = _report_with_everything(tmp_path)
    a = write_control_workbook(report, tmp_path / "a" / "kontroll.xlsx")
    b = write_control_workbook(report, tmp_path / "b" / "kontroll.xlsx")
    assert a.read_bytes() == b.read_bytes()
    again = run_control(report.source, (), CATALOGUE, REGISTER)
    before = a.stat().st_mtime_ns
    write_control_workbook(again, a)
    assert a.read_bytes() == b.read_bytes()
    assert a.stat().st_mtime_ns == before  # identical content: the file is not rewritten
    assert not list(a.parent.glob(".~excelkort-*"))


def test_empty_findings_workbook(tmp_path):
    rows = _rows(P)
    report = _check(_write(tmp_path, rows, "u.csv"))
    clean = dataclasses.replace(report, findings=[])
    out = write_control_workbook(clean, tmp_path / "k.xlsx")
    assert openpyxl.load_workbook(out)["Avvik"].max_row == 1
    assert summary_lines(clean)[-1] == "Ingen funn."


@pytest.mark.libreoffice
def test_libreoffice_opens_the_workbook(tmp_path):
    from libreoffice import convert

    report = _report_with_everything(tmp_path)
    out = write_control_workbook(report, tmp_path / "kontroll.xlsx")
    pdf = convert([out], "pdf", tmp_path / "pdf")[0]
    assert pdf.stat().st_size > 1000
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_summary_lines_are_few_norwegian_and_complete(tmp_path):
    report = _report_with_everything(tmp_path)
    lines = summary_lines(report)
    assert lines[0].startswith(f"Kontroll av uttrekk_{P}.csv for {P}:")
    assert lines[1].startswith("Funn: ") and "feil" in lines[1] and "advars" in lines[1]
    assert lines[2].startswith("Verst først (5 av ")
    assert len(lines) == 8
    # each of the worst five is printed in full: the hint at the end is what the user needs
    for line, finding in zip(lines[3:], report.findings):
        assert line.endswith(finding.message)


def test_a_check_workbook_open_in_excel_is_not_overwritten(tmp_path):
    from excelkort.steps.control import run_control
    from excelkort.steps.control_report import write_control_workbook

    cat = default_catalogue()
    register = demo_register()
    unit = register.tree("2026-10").offices()[0]
    extract = tmp_path / "uttrekk_2026-10.csv"
    write_extract_csv(extract_rows(generate_year(cat, [unit], 2026), cat, "2026-10"), extract)
    report = run_control(extract, [], cat, register)
    out = write_control_workbook(report)
    before = out.read_bytes()
    (tmp_path / f"~${out.name}").write_bytes(b"lock")
    with pytest.raises(InputError) as exc:
        write_control_workbook(report)
    assert str(exc.value.problems[0]) == (
        f"{out.name}: Filen er åpen i Excel (låsefilen «~${out.name}» finnes). Lukk den i Excel og prøv "
        "igjen. Er filen ikke åpen, kan du slette låsefilen.")
    assert out.read_bytes() == before


def test_without_forrige_last_month_comes_from_the_history(tmp_path):
    """A work folder with a consolidation history: `kontroll` compares with its office rows
    when no earlier extract is given (issue 10), and names the history as the source."""
    from excelkort import api
    from excelkort.inputs.extract import write_extract_csv
    from excelkort.steps.history import frame

    (tmp_path / "uttrekk").mkdir()
    (tmp_path / "historikk").mkdir()
    extract = tmp_path / "uttrekk" / "uttrekk_2026-10.csv"
    write_extract_csv([{"enhet": "0101", "periode": "2026-10", "indikator": "P1", "teller": 80,
                        "nevner": 100}], extract)
    frame([{"enhet": "0101", "nivå": "kontor", "periode": "2026-09", "indikator": "P1",
            "teller": 70.0, "nevner": 100.0, "verdi": 70.0, "status": "gul", "kilde": "x.xlsx"},
           {"enhet": "F01", "nivå": "fylke", "periode": "2026-09", "indikator": "P1",
            "teller": 1.0, "nevner": 100.0, "verdi": 1.0, "status": "rød", "kilde": "konsolidert"}]
          ).to_parquet(tmp_path / "historikk" / "målekort_2026.parquet", index=False)
    result = api.control(extract, register=api.demo_register(), output=tmp_path / "k.xlsx")
    row = next(r for r in result.report.rows if (r.unit, r.indicator) == ("0101", "P1"))
    assert (row.previous_value, row.previous_source) == (70.0, "historikk/målekort_2026.parquet")
    assert [p.name for p in result.report.previous] == ["målekort_2026.parquet"]
    with_forrige = api.control(extract, [extract], register=api.demo_register(), output=tmp_path / "k2.xlsx")
    assert with_forrige.report.previous == [extract]  # --forrige given: the history is not used
    # a history holding only this month (a re-run of the cycle) is no comparison: not named
    frame([{"enhet": "0101", "nivå": "kontor", "periode": "2026-10", "indikator": "P1",
            "teller": 10.0, "nevner": 100.0, "verdi": 10.0, "status": "rød", "kilde": "x.xlsx"}]
          ).to_parquet(tmp_path / "historikk" / "målekort_2026.parquet", index=False)
    again = api.control(extract, register=api.demo_register(), output=tmp_path / "k3.xlsx")
    assert again.report.previous == []


def test_kontroll_outside_a_work_folder_needs_a_register(tmp_path, monkeypatch):
    """The demo's register is never used silently (SPEC §8): without enheter.csv in the folder
    and without --register, kontroll stops with exit 2 and says what to do."""
    from click.testing import CliRunner

    from excelkort.cli import main
    from excelkort.inputs.extract import write_extract_csv
    from excelkort.inputs.register import demo_register, write_register_csv

    extract = tmp_path / "uttrekk_2026-10.csv"
    write_extract_csv([{"enhet": "0101", "periode": "2026-10", "indikator": "P1", "teller": 80,
                        "nevner": 100}], extract)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["kontroll", str(extract)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Feil: Fant ikke noe enhetsregister (enheter.csv eller enheter.xlsx) i {tmp_path}. Oppgi "
        "registeret med --register F, eller kjør kommandoen i arbeidsmappen der det ligger.",
        "Ingenting ble endret."]
    write_register_csv(demo_register(), tmp_path / "enheter.csv")
    result = CliRunner().invoke(main, ["kontroll", str(extract)])
    assert "Brukte standardkatalogen" not in result.output
    assert ("Brukte katalog standardkatalogen (excelkort/data/indikatorer.csv) og register "
            "enheter.csv.") in result.output.splitlines()


def test_periods_excel_made_dates_are_checked_with_one_warning(tmp_path):
    """``mai.26`` for 2026-05: the month is found, and one finding names the column."""
    rows = _rows(P)
    plain = _check(_write(tmp_path, rows, "u.csv"))
    path = _write(tmp_path, rows, "datoer.csv")
    names = {"2026-05": "mai.26", "2026-04": "apr.26", "2025-05": "mai.25"}
    text = path.read_text(encoding="utf-8-sig")
    for period, shown in names.items():
        text = text.replace(f";{period};", f";{shown};")
    path.write_text(text, encoding="utf-8")
    report = _check(path)
    assert report.period == P
    notes = report.of_kind("uttrekk")
    assert len(notes) == 1 and notes[0].severity == "advarsel"
    assert notes[0].message.startswith(
        "kolonnen har datoer, ikke perioder (ÅÅÅÅ-MM), på ")
    assert [f.kind for f in report.findings if f.kind != "uttrekk"] == \
        [f.kind for f in plain.findings if f.kind != "uttrekk"]


def test_an_extract_without_a_valid_period_says_so(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("enhet;periode;indikator;teller;nevner\n"
                    + "".join(f"0101;uke {i};B1;1;2\n" for i in range(40)), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        _check(path)
    assert str(exc.value) == (
        "u.csv, linje 2, kolonne «periode»: ingen rad i uttrekket har en gyldig periode, så det "
        "er ingenting å kontrollere. Første rad: ugyldig periode «uke 0». Skriv periode som "
        "ÅÅÅÅ-MM (f.eks. 2024-03) eller ÅÅÅÅMM (f.eks. 202403).")


@pytest.mark.parametrize("unit, severity", [("101", "feil"), ("9999", "advarsel")])
def test_sjekk_and_kontroll_judge_an_unknown_unit_alike(tmp_path, unit, severity):
    """One rule (hints.unknown_unit): a lost leading zero is an error, an id like no known
    unit a warning; the message is the same in both."""
    rows = _rows(P)
    for r in rows:
        if r["enhet"] == "0101" and r["indikator"] == "P9":
            r["enhet"] = unit
    path = _write(tmp_path, rows, "u.csv")
    (finding,) = _check(path).of_kind("ukjent_enhet")
    try:
        problems = read_extract(path, CATALOGUE, set(REGISTER.ids())).problems
    except InputError as exc:
        problems = exc.problems
    (problem,) = [p for p in problems if p.column == "enhet"]
    assert (problem.severity, finding.severity) == (severity, severity)
    assert problem.message == finding.message
    assert finding.message.startswith(f"enheten «{unit}» finnes ikke i enhetsregisteret; ")
