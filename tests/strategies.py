"""Shared hypothesis strategies: indicators and their series (SPEC §3, §4).

Property tests of the number rules, and of consolidation, draw their inputs from here:

* ``indicators()``: catalogue rows of every Måletype, Retning, Hittil, Frekvens and Etterslep;
* ``tn_series()``: an office's teller/nevner year with missing months (teller ≤ nevner);
* ``bare_series()``: bare values (no nevner), with missing months;
* ``series_for(indicator)``: a series that fits the indicator (teller/nevner for andel and
  snitt, teller only for antall, or bare values when ``bare=True``), and
  ``indicator_series()``: an indicator of any kind with such a series;
* ``unit_series(indicator)``: several units' series of the same indicator, e.g. for
  aggregation (all teller/nevner, all bare values, or a mix), and ``grouped(...)``: a list
  split into groups (units into counties);
* ``targets_for(indicator)``: a unit's own Mål (a row of the ``Mål`` table).

``ind(...)`` builds one indicator with defaults, for tests that vary one field.
"""
from __future__ import annotations

from hypothesis import strategies as st

from excelkort.model import DIRECTIONS, FREQUENCIES, MEASURES, YTD_MODES, Indicator, Series


def ind(measure="andel", direction="høyere", target=65.0, tolerance=5.0, ytd_mode="akkumulert",
        decimals=None, frequency="måned", lag=0) -> Indicator:
    """One test indicator (X1) with the given fields."""
    return Indicator("X1", "Test", "Bruker", "Effekt", measure, direction, target, tolerance,
                     ytd_mode=ytd_mode, decimals_given=decimals, frequency=frequency, lag=lag)


def maybe(strategy):
    """The strategy's values, or None."""
    return st.one_of(st.none(), strategy)


counts = st.integers(min_value=0, max_value=5000)
#: a bare value with two decimals, 0–100
bare_values = st.integers(0, 10000).map(lambda v: v / 100)


def _targets(measure: str):
    high = 5000 if measure == "antall" else 100
    return st.integers(1, high * 10).map(lambda v: v / 10)


def targets_for(indicator: Indicator):
    """A unit's own Mål for the indicator (a row of the ``Mål`` table), one decimal, in the
    range of the indicator's Måletype (andel 0–100 %, antall up to 5,000)."""
    return _targets(indicator.measure)


@st.composite
def indicators(draw, measures=MEASURES, directions=DIRECTIONS) -> Indicator:
    """An indicator of any Måletype, Retning, Hittil, Frekvens, Etterslep and Desimaler, with a
    target that fits its Måletype (andel 0–100 %) and Toleranse given or blank (5 % of Mål)."""
    measure = draw(st.sampled_from(measures))
    target = draw(_targets(measure))
    tolerance = draw(maybe(st.integers(1, max(2, int(target * 2))).map(lambda v: v / 10)))
    return ind(measure=measure, direction=draw(st.sampled_from(directions)), target=target,
               tolerance=tolerance, ytd_mode=draw(st.sampled_from(YTD_MODES)),
               decimals=draw(st.sampled_from([None, 0, 1, 2])),
               frequency=draw(st.sampled_from(FREQUENCIES)), lag=draw(st.integers(0, 6)))


def _missing(draw) -> bool:
    return draw(st.integers(0, 9)) == 0  # about one month in ten


@st.composite
def tn_series(draw, max_nevner: int = 2000, per_case: int = 1) -> Series:
    """An office's teller/nevner year: some months missing, teller ≤ per_case · nevner (1: an
    andel's teller ≤ nevner; more for a snitt such as days per case)."""
    teller, nevner = [], []
    for _ in range(12):
        if _missing(draw):
            teller.append(None)
            nevner.append(None)
            continue
        n = draw(st.integers(1, max_nevner))
        teller.append(float(draw(st.integers(0, per_case * n))))
        nevner.append(float(n))
    return Series(teller, nevner)


@st.composite
def bare_series(draw) -> Series:
    """Bare values (teller without nevner), some months missing."""
    vals = [draw(maybe(bare_values)) for _ in range(12)]
    return Series(vals, [None] * 12)


@st.composite
def series_for(draw, indicator: Indicator, bare: bool = False) -> Series:
    """A series that fits the indicator: teller/nevner for andel (teller ≤ nevner) and snitt
    (e.g. days over cases), teller only for antall; bare values when ``bare`` (andel, snitt)."""
    if indicator.measure == "antall":
        return Series([draw(maybe(counts.map(float))) for _ in range(12)], [None] * 12)
    if bare:
        return draw(bare_series())
    if indicator.measure == "andel":
        return draw(tn_series())
    return draw(tn_series(max_nevner=500, per_case=60))


@st.composite
def indicator_series(draw) -> tuple[Indicator, Series]:
    """An indicator of any kind and a series that fits it (bare values or teller/nevner for
    andel and snitt)."""
    indicator = draw(indicators())
    bare = indicator.measure != "antall" and draw(st.booleans())
    return indicator, draw(series_for(indicator, bare))


def unit_series(indicator: Indicator, min_units: int = 1, max_units: int = 8, bare=False):
    """Several units' series of one indicator (a list of Series).

    ``bare``: False (every unit teller/nevner), True (every unit bare values, andel and snitt
    only) or None (each unit drawn either way: a mix)."""
    one = (st.booleans().flatmap(lambda b: series_for(indicator, b)) if bare is None
           else series_for(indicator, bare))
    return st.lists(one, min_size=min_units, max_size=max_units)


@st.composite
def grouped(draw, units_strategy, max_groups: int = 4) -> list[list]:
    """The list a strategy draws (units' series, their targets, …), split into 1–``max_groups``
    non-empty groups in order (units into counties)."""
    units = draw(units_strategy)
    k = draw(st.integers(1, min(max_groups, len(units))))
    cuts = sorted(draw(st.sets(st.integers(1, len(units) - 1), min_size=k - 1,
                               max_size=k - 1))) if k > 1 else []
    bounds = [0, *cuts, len(units)]
    return [units[a:b] for a, b in zip(bounds, bounds[1:])]
