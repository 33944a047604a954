"""Property tests of the number rules (SPEC §4) with hypothesis."""
from __future__ import annotations

import math
from decimal import InvalidOperation
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from excelkort.model import Series
from excelkort.numbers.expr import decimal_round, excel_round
from excelkort.numbers.aggregate import (aggregate, combine, combine_targets, consolidated_target,
                                         unit_has_nevner)
from excelkort.numbers.rules import (DOWN_BETTER, DOWN_WORSE, GREEN, HIGH, LOW, MEDIUM,
                                     NO_TREND, RED, STABLE, STATUSES, TOO_LITTLE_DATA, TRENDS,
                                     UP_BETTER, UP_WORSE, YELLOW, evaluate, month_value,
                                     round_shown, standing, status_of, tolerance_for, trend_of,
                                     ytd_standing)
from strategies import (grouped, ind, indicator_series, indicators, maybe, targets_for, tn_series,
                        unit_series)

RANK = {GREEN: 2, YELLOW: 1, RED: 0}


def _two_levels(indicator, counties):
    """The units' consolidated series directly, and via the counties (each county carried as
    its partial, as ``konsolider`` carries it)."""
    units = [s for county in counties for s in county]
    direct = aggregate(indicator, units)
    via = aggregate(indicator, [combine(indicator, county) for county in counties])
    assert (direct.teller, direct.nevner, direct.weighted) == (via.teller, via.nevner,
                                                              via.weighted)
    return units, direct, via


def _exact(values) -> float:
    """The exact sum of floats as the decimals they are written as, rounded once."""
    return float(sum(Fraction(repr(float(v))) for v in values))


@given(indicators().flatmap(lambda i: st.tuples(st.just(i), grouped(unit_series(i)))))
@settings(max_examples=200, deadline=None)
def test_units_directly_equal_units_via_counties_for_every_indicator(case):
    """SPEC §4: sums, then divide. Units' (teller, nevner) aggregated directly equal the same
    units grouped into counties and the counties into the nation, exactly, for every kind of
    indicator; and the consolidated row's numbers are the same either way."""
    indicator, counties = case
    units, direct, via = _two_levels(indicator, counties)
    assert direct.weighted  # teller/nevner (or antall) everywhere: weighted
    for m in range(12):
        present = [s for s in units if s.teller[m] is not None]
        if indicator.measure == "antall":
            assert direct.teller[m] == (sum(s.teller[m] for s in present) if present else None)
            assert direct.nevner[m] is None
        elif present:  # sums of teller and of nevner over the units that have the month
            assert direct.teller[m] == sum(s.teller[m] for s in present)
            assert direct.nevner[m] == sum(s.nevner[m] for s in present)
        else:
            assert direct.teller[m] is None and direct.nevner[m] is None
    assert evaluate(indicator, direct, 12) == evaluate(indicator, via, 12)


@given(indicators(measures=("andel", "snitt")).flatmap(
    lambda i: st.tuples(st.just(i), grouped(unit_series(i, bare=True)))))
@settings(max_examples=150, deadline=None)
def test_bare_values_aggregate_as_an_unweighted_mean_in_two_levels(case):
    """Bare values: the unweighted mean over the leaf units (teller = sum of values, nevner =
    number of units), marked uvektet, the same directly and via counties."""
    indicator, counties = case
    units, direct, via = _two_levels(indicator, counties)
    if any(v is not None for s in units for v in s.teller):
        assert not direct.weighted
    for m in range(12):
        present = [s.teller[m] for s in units if s.teller[m] is not None]
        assert direct.teller[m] == (_exact(present) if present else None)
        assert direct.nevner[m] == (len(present) if present else None)


@given(indicators().flatmap(lambda i: st.tuples(st.just(i), grouped(unit_series(i, bare=None)))))
@settings(max_examples=300, deadline=None)
def test_any_mix_of_units_directly_equals_via_counties(case):
    """Any indicator, any mix of units with teller/nevner and units with bare values, in any
    grouping into counties: directly and via the counties give the same Data and the same row,
    exactly. A mix is uvektet over the leaf units' month values, each office counting once."""
    indicator, counties = case
    units, direct, via = _two_levels(indicator, counties)
    assert evaluate(indicator, direct, 12) == evaluate(indicator, via, 12)
    bare = [s for s in units if not unit_has_nevner(indicator, s)
            and any(v is not None for v in s.teller)]
    assert direct.weighted == (indicator.measure == "antall" or not bare)
    if direct.weighted:
        return
    for m in range(12):
        values = [month_value(indicator, s.teller[m], s.nevner[m], unit_has_nevner(indicator, s))
                  for s in units]
        values = [v for v in values if v is not None]
        assert direct.teller[m] == (_exact(values) if values else None)
        assert direct.nevner[m] == (len(values) if values else None)


def test_mixed_weighted_and_bare_units_across_counties():
    """SPEC §4/§7: teller/nevner offices in one county and bare values in another: the national
    unweighted mean counts every office once, directly and via the counties alike."""
    i = ind()
    weighted = [Series([1.0] + [None] * 11, [2.0] + [None] * 11),
                Series([1.0] + [None] * 11, [4.0] + [None] * 11)]
    bare = [Series([30.0] + [None] * 11, [None] * 12)]
    units, direct, via = _two_levels(i, [weighted, bare])
    assert (direct.teller[0], direct.nevner[0], direct.weighted) == (50.0 + 25.0 + 30.0, 3.0, False)


def test_a_consolidated_series_is_not_a_leaf_unit():
    """A county's uvektet series no longer knows its offices: it must be combined as a Partial."""
    i = ind()
    county = aggregate(i, [Series([30.0] + [None] * 11, [None] * 12)])
    with pytest.raises(ValueError):
        aggregate(i, [county])


@given(indicators().flatmap(lambda i: st.tuples(
    st.just(i), grouped(st.lists(maybe(targets_for(i)), min_size=1, max_size=8)),
    maybe(targets_for(i)))))
@settings(max_examples=200, deadline=None)
def test_consolidated_targets_directly_equal_via_counties(case):
    """A consolidated antall unit's Mål is the sum of its leaf units' (their own row in the Mål
    table, else the catalogue's), its Toleranse the sum of their explicit Toleranse, else 5 %
    of the summed Mål; directly and via the counties alike. Andel and snitt: the unit's own row,
    else the catalogue's."""
    indicator, counties, own = case
    table, leaves, k = {}, [], 0
    for county in counties:
        ids = []
        for target in county:
            k += 1
            ids.append(f"{k:04d}")
            if target is not None:
                table[(ids[-1], indicator.id)] = target
        leaves.append(ids)
    if own is not None:
        table[("NO", indicator.id)] = own
    every = [u for ids in leaves for u in ids]
    direct = consolidated_target(indicator, "NO", every, table)
    if indicator.measure != "antall":
        assert direct == (indicator.target if own is None else own, None)
        return
    via = combine_targets(indicator, [consolidated_target(indicator, f"F{c}", ids, table)
                                      for c, ids in enumerate(leaves)])
    assert direct == via
    target, tolerance = direct
    assert target == _exact(table.get((u, indicator.id), indicator.target) for u in every)
    if indicator.tolerance is None:
        assert tolerance is None
        assert tolerance_for(indicator, target) == 0.05 * abs(target)
    else:
        assert tolerance == _exact([indicator.tolerance] * len(every))


@given(st.sampled_from(["høyere", "lavere", "nær"]), st.floats(0, 200), st.floats(0, 200),
       st.floats(0, 200), st.floats(0.01, 20))
def test_status_is_monotone(direction, y1, y2, t, e):
    """Closer to or further past the target never gives a worse colour."""
    if direction == "høyere":
        lo, hi = sorted((y1, y2))
        assert RANK[status_of(direction, hi, t, e)] >= RANK[status_of(direction, lo, t, e)]
    elif direction == "lavere":
        lo, hi = sorted((y1, y2))
        assert RANK[status_of(direction, lo, t, e)] >= RANK[status_of(direction, hi, t, e)]
    else:
        near, far = sorted((y1, y2), key=lambda y: abs(y - t))
        assume(abs(far - t) - abs(near - t) > 1e-6)
        assert RANK[status_of(direction, near, t, e)] >= RANK[status_of(direction, far, t, e)]


@given(st.integers(0, 20000), st.integers(1, 20000), st.sampled_from([0, 1, 2]),
       st.sampled_from(["høyere", "lavere", "nær"]), st.floats(1, 100), st.floats(0.1, 10))
def test_colour_agrees_with_number_shown(teller, nevner, decimals, direction, target, tol):
    """Two values that show the same number always get the same colour."""
    assume(teller <= nevner)
    i = ind(direction=direction, target=target, tolerance=tol, decimals=decimals)
    r = evaluate(i, Series([float(teller)] + [None] * 11, [float(nevner)] + [None] * 11), 1)
    shown = round_shown(r.ytd, decimals)
    assert r.status == status_of(direction, shown, target, tol)
    # the shown text, parsed back, gives the same colour
    text = f"{shown:.{decimals}f}"
    assert status_of(direction, float(text), target, tol) == r.status


@given(st.lists(st.integers(0, 10000).map(lambda v: v / 100), min_size=6, max_size=6),
       st.floats(0, 20), st.floats(30, 90))
@settings(max_examples=200, deadline=None)
def test_probability_in_unit_interval_and_monotone_in_level(values, shift, target):
    i = ind(target=target)
    base = Series([*values] + [None] * 6, [None] * 12)
    moved = Series([v + shift for v in values] + [None] * 6, [None] * 12)
    p0 = evaluate(i, base, 6).probability
    p1 = evaluate(i, moved, 6).probability
    assert 0.0 <= p0 <= 1.0 and 0.0 <= p1 <= 1.0
    assert p1 >= p0 - 1e-12


@given(tn_series(), st.integers(1, 12))
@settings(max_examples=200, deadline=None)
def test_missing_month_is_never_zero(series, period):
    """A missing month leaves Hittil i år as the ratio of the months present."""
    i = ind()
    r = evaluate(i, series, period)
    months = [m for m in range(1, period + 1)
              if series.teller[m - 1] is not None and series.nevner[m - 1] > 0]
    if not months:
        assert r.ytd is None and r.probability == TOO_LITTLE_DATA
        return
    st_ = sum(series.teller[m - 1] for m in months)
    sn = sum(series.nevner[m - 1] for m in months)
    assert math.isclose(r.ytd, 100 * st_ / sn)
    assert r.months_with_data == tuple(months)

WORD = {("høyere", 1): UP_BETTER, ("høyere", -1): DOWN_WORSE,
        ("lavere", 1): UP_WORSE, ("lavere", -1): DOWN_BETTER}


@given(st.lists(st.integers(0, 10000).map(lambda v: v / 100), min_size=2, max_size=12),
       st.sampled_from(["høyere", "lavere"]), st.floats(0.1, 10))
@settings(max_examples=200, deadline=None)
def test_arrow_follows_the_rounded_change_and_the_direction(values, direction, tol):
    """↑/↓ by the sign of latest − base (as shown), stable within half a tolerance, and the
    word (bedring/forverring) by the indicator's direction."""
    i = ind(direction=direction, tolerance=tol)
    n = len(values)
    r = evaluate(i, Series(values + [None] * (12 - n), [None] * 12), n)
    before = values[max(0, n - 4):n - 1]
    rl = round_shown(values[-1], 1)
    rb = round_shown(sum(reversed(before)) / len(before), 1)
    d = round(rl - rb, 9)
    if abs(d) <= tol / 2 + 1e-9:
        assert r.trend == STABLE
    else:
        assert r.trend == WORD[(direction, 1 if d > 0 else -1)]


@given(st.floats(0, 100), st.floats(0, 100), st.floats(0.1, 10), st.floats(0, 100))
def test_the_same_move_is_bedring_one_way_and_forverring_the_other(rl, rb, em, tm):
    rl, rb = round_shown(rl, 1), round_shown(rb, 1)
    up, down = trend_of("høyere", rl, rb, em, tm), trend_of("lavere", rl, rb, em, tm)
    if up == STABLE:
        assert down == STABLE
    else:
        assert up[0] == down[0]  # the same arrow
        assert {up.split()[1], down.split()[1]} == {"bedring", "forverring"}


@given(st.lists(st.integers(0, 10000).map(lambda v: v / 100), min_size=1, max_size=12),
       st.sampled_from(["høyere", "lavere", "nær"]), st.floats(1, 99), st.floats(0.1, 10))
@settings(max_examples=200, deadline=None)
def test_trend_colour_is_the_status_of_the_latest_month(values, direction, target, tol):
    i = ind(direction=direction, target=target, tolerance=tol)
    n = len(values)
    r = evaluate(i, Series(values + [None] * (12 - n), [None] * 12), n)
    if n == 1:
        assert r.trend == NO_TREND and r.trend_colour is None
    else:
        assert r.trend_colour == status_of(direction, round_shown(values[-1], 1), target, tol)


@given(indicator_series(), st.integers(1, 12))
@settings(max_examples=300, deadline=None)
def test_every_kind_of_indicator_gives_a_well_formed_row(case, period):
    """Any Måletype/Retning/Hittil/Frekvens/Etterslep: the row's words are from SPEC §4's
    lists, a month outside the reporting months stays empty, and Risiko follows
    Sannsynlighet."""
    indicator, series = case
    r = evaluate(indicator, series, period)
    assert r.status in STATUSES and r.trend in TRENDS
    assert r.months_with_data == tuple(sorted(r.months_with_data))
    for m, v in enumerate(r.month_values, 1):
        if m not in indicator.reporting_months:
            assert v is None
    if isinstance(r.probability, float):
        assert 0.0 <= r.probability <= 1.0
        assert r.risk == (LOW if r.probability >= 0.75 else HIGH if r.probability < 0.25
                          else MEDIUM)
    else:
        assert r.probability == TOO_LITTLE_DATA and r.risk is None


@given(indicator_series(), st.integers(1, 12), maybe(st.integers(1, 5000).map(lambda v: v / 10)))
@settings(max_examples=500, deadline=None)
def test_an_offices_standing_is_what_the_full_evaluation_shows(case, period, target):
    """``ytd_standing`` (konsolider's fast path for each office) gives exactly the Hittil i år,
    status, target, month value and ΣN of the full evaluation, for any kind of indicator."""
    indicator, series = case
    fast = ytd_standing(indicator, series, period, target)
    full = standing(evaluate(indicator, series, period, target), series, period)
    assert fast == full
    assert repr(fast) == repr(full)  # the same types too (0 and 0.0 print differently)


def _near_half(case):
    """A value at or a few floats away from halfway between two results of ``decimals``."""
    steps, decimals, nudges = case
    value = (steps + 0.5) / 10 ** decimals
    for _ in range(abs(nudges)):
        value = math.nextafter(value, math.inf if nudges > 0 else -math.inf)
    return value, decimals


@given(st.one_of(
    st.tuples(st.floats(allow_nan=False, allow_infinity=False), st.integers(0, 16)),
    st.tuples(st.floats(-1e6, 1e6), st.integers(0, 10)),
    st.tuples(st.integers(-10 ** 9, 10 ** 9), st.integers(0, 9), st.integers(-4, 4)).map(_near_half)))
@settings(max_examples=3000, deadline=None)
def test_excel_round_in_floats_is_the_decimal_definition(case):
    """``excel_round``'s float shortcut gives exactly the float (and the sign of a zero) that
    the ``Decimal`` definition gives, near a half or not."""
    value, decimals = case
    try:
        expected = decimal_round(value, decimals)
    except InvalidOperation:  # too many digits for Decimal's context: the shortcut stays out
        with pytest.raises(InvalidOperation):
            excel_round(value, decimals)
        return
    assert repr(excel_round(value, decimals)) == repr(expected)
