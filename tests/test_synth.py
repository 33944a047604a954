"""The synthetic year: deterministic, realistic, and shaped like the real deliveries."""
from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from excelkort.steps import synth, synth_forms
from excelkort.model import Catalogue, Indicator, Series, Unit

DATA = Path(__file__).resolve().parents[1] / "excelkort" / "data"


def _num(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    return float(text) if text else None


def _catalogue() -> Catalogue:
    inds = []
    with open(DATA / "indikatorer.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter=";"):
            inds.append(Indicator(
                id=r["ID"], name=r["Indikator"], perspective=r["Perspektiv"], type=r["Type"],
                measure=r["Måletype"], direction=r["Retning"], target=_num(r["Mål"]),
                tolerance=_num(r["Toleranse"]), ytd_mode=r["Hittil"], source=r["Kilde"],
                frequency=r["Frekvens"], lag=int(r["Etterslep"] or 0),
                decimals_given=int(r["Desimaler"]) if r["Desimaler"].strip() else None,
                line=r["Styringslinje"], goal=r["Resultatkrav"],
            ))
    return Catalogue(tuple(inds))


def _offices() -> list[Unit]:
    with open(DATA / "nav_kontor_approx.csv", encoding="utf-8") as f:
        return [
            Unit(id=r["enhetsnr"], name=r["navn"], level="kontor", parent=r["nav_fylkesenhet"])
            for r in csv.DictReader(f)
        ]


CAT = _catalogue()
OFFICES = _offices()


@pytest.fixture(scope="module")
def year():
    return synth.generate_year(CAT, OFFICES, 2026)


def _cells(year, ind):
    for uid in year.units:
        s = year.series[(uid, ind.id)]
        for m in range(12):
            yield uid, m + 1, s.teller[m], s.nevner[m]


def test_catalogue_and_offices_as_expected():
    assert len(CAT) == 24 and len(OFFICES) >= 250


def test_same_seed_same_data_other_seed_other_data(year):
    again = synth.generate_year(CAT, OFFICES, 2026)
    assert again.series == year.series
    assert again.sizes == year.sizes and again.outliers == year.outliers
    assert synth_forms.extract_rows(again, CAT, "2026-06") == synth_forms.extract_rows(year, CAT, "2026-06")
    other = synth.generate_year(CAT, OFFICES, 2026, seed=7)
    assert other.series != year.series


def test_order_of_offices_does_not_matter(year):
    shuffled = list(reversed(OFFICES))
    assert synth.generate_year(CAT, shuffled, 2026).series == year.series


def test_office_traits_are_stable_per_office(year):
    few = synth.generate_year(CAT, OFFICES[:10], 2026)
    for uid in few.units:
        assert few.sizes[uid] == year.sizes[uid]
        assert few.staff[uid] == year.staff[uid]
        assert few.trends.get(uid) == year.trends.get(uid)
    # only the guarantee that both local forms occur may switch one office
    differ = [u for u in few.units if few.local_form[u] != year.local_form[u]]
    assert len(differ) <= 1


def test_every_office_and_indicator_has_a_series(year):
    assert set(year.units) == {u.id for u in OFFICES}
    for u in OFFICES:
        for ind in CAT:
            s = year.series[(u.id, ind.id)]
            assert len(s.teller) == 12 and len(s.nevner) == 12


def test_every_office_has_every_automatic_indicator_in_the_extract(year):
    rows = synth_forms.extract_rows(year, CAT, "2026-12")
    present = {(r["enhet"], r["indikator"]) for r in rows}
    automatic = [i.id for i in CAT if i.is_automatic]
    for u in OFFICES:
        for ind_id in automatic:
            assert (u.id, ind_id) in present
    assert {r["indikator"] for r in rows} == set(automatic)
    assert set(rows[0]) == {"enhet", "periode", "indikator", "teller", "nevner", "merknad"}


def test_extract_order_and_types(year):
    rows = synth_forms.extract_rows(year, CAT, "2026-08")
    order = {ind.id: i for i, ind in enumerate(CAT)}
    keys = [(r["enhet"], order[r["indikator"]], r["periode"]) for r in rows]
    assert keys == sorted(keys)
    for r in rows:
        assert isinstance(r["enhet"], str) and len(r["periode"]) == 7
        ind = CAT[r["indikator"]]
        if ind.measure == "antall":
            assert r["nevner"] is None and isinstance(r["teller"], int)
        elif ind.direction == "nær":  # money: at most 2 decimals
            for v in (r["teller"], r["nevner"]):
                assert round(v, 2) == v
        else:
            assert isinstance(r["teller"], int) and isinstance(r["nevner"], int)
    merknader = [r["merknad"] for r in rows]
    assert merknader.count("") > 0.95 * len(merknader)


def test_etterslep_respected(year):
    rows = synth_forms.extract_rows(year, CAT, "2026-07")
    b1 = {r["periode"] for r in rows if r["indikator"] == "B1"}
    assert b1 == {"2026-01"}
    p1 = {r["periode"] for r in rows if r["indikator"] == "P1"}
    assert p1 == {f"2026-{m:02d}" for m in range(1, 8)}
    only_new = synth_forms.extract_rows(year, CAT, "2026-07", lag_redelivery=False)
    assert {r["periode"] for r in only_new if r["indikator"] == "P1"} == {"2026-07"}
    assert {r["periode"] for r in only_new if r["indikator"] == "B1"} == {"2026-01"}
    # nothing of B1 is known before July; P1 is known in January
    jan = synth_forms.extract_rows(year, CAT, "2026-01")
    assert not [r for r in jan if r["indikator"] == "B1"]
    assert {r["periode"] for r in jan} == {"2026-01"}


def test_lagged_indicator_delivers_last_year_in_the_new_year(year):
    rows = synth_forms.extract_rows(year, CAT, "2027-03")
    assert {r["indikator"] for r in rows} == {i.id for i in CAT if i.is_automatic and i.lag}
    assert max(r["periode"] for r in rows) == "2026-09"
    assert synth_forms.extract_rows(year, CAT, "2025-12") == []


def test_frequency_respected(year):
    for ind in CAT:
        allowed = set(ind.reporting_months)
        for _, month, t, n in _cells(year, ind):
            if month not in allowed:
                assert t is None and n is None, (ind.id, month)
    m2 = [month for _, month, t, _ in _cells(year, CAT["M2"]) if t is not None]
    assert set(m2) == {4, 8, 12}
    assert {month for _, month, t, _ in _cells(year, CAT["B5"]) if t is not None} == {12}


def test_missing_months_exist_but_are_rare_and_more_for_small_offices(year):
    missing = total = 0
    small_missing = small_total = big_missing = big_total = 0
    for ind in CAT:
        for uid, month, t, _ in _cells(year, ind):
            if month not in ind.reporting_months:
                continue
            total += 1
            missing += t is None
            if year.sizes[uid] < 60:
                small_total += 1
                small_missing += t is None
            elif year.sizes[uid] > 800:
                big_total += 1
                big_missing += t is None
    assert 0.005 < missing / total < 0.05
    assert small_missing / small_total > big_missing / big_total


def test_sizes_span_small_to_big_cities(year):
    sizes = year.sizes
    assert min(sizes.values()) <= 25 and 1800 <= max(sizes.values()) <= 2000
    by_name = {u.name: sizes[u.id] for u in OFFICES}
    assert by_name["Nav Bærum"] > 1500 and by_name["Nav Gamle Oslo"] > 1200
    assert by_name["Nav Røst"] < 200
    median = sorted(sizes.values())[len(sizes) // 2]
    assert 50 < median < 500


def test_numbers_are_plausible(year):
    for ind in CAT:
        for uid, month, t, n in _cells(year, ind):
            if t is None:
                assert n is None
                continue
            assert t >= 0 and (n is None or n >= 0)
            if n is not None and n == 0:
                assert t == 0, (uid, ind.id, month)
            if ind.measure == "antall":
                assert n is None
            if ind.measure == "andel" and ind.direction != "nær":
                if n is None:
                    assert t <= 100
                else:
                    assert t <= n, (uid, ind.id, month)


def test_budget_use_around_100_and_may_exceed(year):
    ratios = []
    for ind_id in ("Ø1", "Ø2"):
        for _, _, t, n in _cells(year, CAT[ind_id]):
            if t is not None:
                ratios.append(100 * t / n)
    ratios.sort()
    median = ratios[len(ratios) // 2]
    assert 97 < median < 103
    assert max(ratios) > 100 and min(ratios) < 100
    assert max(ratios) < 125 and min(ratios) > 75


def test_levels_near_targets(year):
    def pooled(ind_id):
        T = N = 0
        for _, _, t, n in _cells(year, CAT[ind_id]):
            if t is not None and n:
                T, N = T + t, N + n
        return T / N
    assert 60 < 100 * pooled("B1") < 72
    assert 34 < pooled("B3") < 45
    assert 4 < 100 * pooled("M1") < 8
    p9 = [t for _, _, t, _ in _cells(year, CAT["P9"]) if t is not None]
    assert 15 < sum(p9) / len(p9) < 35
    b5 = [t for _, _, t, _ in _cells(year, CAT["B5"]) if t is not None]
    assert all(1 <= v <= 6 and round(v, 2) == v for v in b5)
    m3 = [t for _, _, t, _ in _cells(year, CAT["M3"]) if t is not None]
    assert all(1 <= v <= 5 for v in m3)
    assert {len(str(v).split(".")[1]) for v in b5 + m3} == {1, 2}


def test_july_dip(year):
    def volume(month):
        return sum(n for _, m, t, n in _cells(year, CAT["P1"]) if m == month and n)
    assert volume(7) < 0.75 * volume(6)


def test_offices_trending_down_get_worse(year):
    down = [u for u, t in year.trends.items() if t == "ned"]
    assert 3 <= len(down) <= 25
    worse = 0
    for uid in down:
        s = year.series[(uid, "P1")]
        early = [t / n for t, n in zip(s.teller[1:4], s.nevner[1:4]) if t is not None and n]
        late = [t / n for t, n in zip(s.teller[8:11], s.nevner[8:11]) if t is not None and n]
        worse += sum(late) / len(late) < sum(early) / len(early)
    assert worse >= 0.7 * len(down)


def test_both_local_forms_occur(year):
    bare = tn = 0
    for ind in CAT:
        if ind.is_automatic or ind.measure != "andel":
            continue
        for _, _, t, n in _cells(year, ind):
            if t is None:
                continue
            if n is None:
                bare += 1
                assert round(t, 1) == t  # typed in percent points, e.g. 92.3
            else:
                tn += 1
                assert isinstance(t, int) and isinstance(n, int)
    assert bare > 3 * tn > 0
    # a small office list still gets both forms
    few = synth.generate_year(CAT, OFFICES[:3], 2026)
    assert set(few.local_form.values()) == {synth.FORM_BARE, synth.FORM_TN}


def test_outliers_exist_and_are_far_off(year):
    assert 2 <= len(year.outliers) <= 5
    for uid, ind_id, month, _ in year.outliers:
        s = year.series[(uid, ind_id)]
        others = [t for i, t in enumerate(s.teller) if t is not None and i != month - 1]
        typical = sorted(others)[len(others) // 2]
        ratio = (s.teller[month - 1] + 1) / (typical + 1)
        assert ratio > 4 or ratio < 0.25, (uid, ind_id, month, s.teller)


def test_local_values_cut_to_period(year):
    local = synth_forms.local_values(year, CAT, "2026-05")
    lokal = [i.id for i in CAT if not i.is_automatic]
    assert set(local) == {(u, i) for u in year.units for i in lokal}
    for (uid, ind_id), s in local.items():
        assert all(v is None for v in s.teller[5:]) and all(v is None for v in s.nevner[5:])
        assert s.teller[:5] == year.series[(uid, ind_id)].teller[:5]
    assert all(s.teller[11] is None for (u, i), s in local.items() if i == "B5")
    dec = synth_forms.local_values(year, CAT, "2026-12")
    assert any(s.teller[11] is not None for (u, i), s in dec.items() if i == "B5")


def test_cut_to_period():
    s = Series(teller=list(range(12)), nevner=[10] * 12, weighted=False)
    c = synth.cut_to_period(s, 3)
    assert c.teller == [0, 1, 2] + [None] * 9 and c.nevner == [10] * 3 + [None] * 9
    assert c.weighted is False and s.teller[11] == 11
    assert synth.cut_to_period(s, 0).teller == [None] * 12
    assert synth.cut_to_period(s, 12).teller == s.teller


def test_units_outside_their_validity_have_no_data():
    units = [
        Unit("9001", "Nav Gammel", "kontor", valid_to="2026-03"),
        Unit("9002", "Nav Ny", "kontor", valid_from="2026-04"),
    ]
    y = synth.generate_year(CAT, units, 2026)
    assert all(v is None for v in y.series[("9001", "P1")].teller[3:])
    assert all(v is None for v in y.series[("9002", "P1")].teller[:3])


def test_unknown_indicators_get_sensible_defaults():
    extra = Catalogue((
        Indicator("X1", "Andel noe", "Bruker", "Måle", "andel", "høyere", 70.0,
                  frequency="kvartal"),
        Indicator("X2", "Antall møter", "Produksjon", "Måle", "antall", "høyere", 600.0),
        Indicator("X3", "Dager per sak", "Produksjon", "Måle", "snitt", "lavere", 10.0,
                  lag=2),
        Indicator("X4", "Tilfredshet (skala 1–7)", "Bruker", "Effekt", "snitt", "høyere", 5.5,
                  source="lokal", frequency="år", ytd_mode="siste"),
    ))
    y = synth.generate_year(extra, OFFICES[:20], 2026)
    rows = synth_forms.extract_rows(y, extra, "2026-06")
    assert {r["periode"] for r in rows if r["indikator"] == "X1"} == {"2026-03", "2026-06"}
    assert max(r["periode"] for r in rows if r["indikator"] == "X3") == "2026-04"
    assert all(r["nevner"] is None for r in rows if r["indikator"] == "X2")
    assert all(1 <= s.teller[11] <= 7 for (u, i), s in y.series.items()
               if i == "X4" and s.teller[11] is not None)
    assert all((u, "X2") in y.targets for u in y.units)


def test_bad_period():
    y = synth.generate_year(CAT, OFFICES[:2], 2026)
    with pytest.raises(ValueError):
        synth_forms.extract_rows(y, CAT, "2026-13")
    assert synth_forms.extract_rows(y, CAT, "202603") == synth_forms.extract_rows(y, CAT, "2026-03")


def test_fast_for_the_whole_country():
    start = time.perf_counter()
    y = synth.generate_year(CAT, OFFICES, 2026)
    synth_forms.extract_rows(y, CAT, "2026-12")
    assert time.perf_counter() - start < 2.0  # ~0.15 s here; generous for slow CI
