"""Aggregation across units (SPEC §4): a consolidated unit's series from its units' series.

Teller and nevner are summed over the units that have the month, then divided — never an
average of percentages — so office → fylke → nasjonal equals office → nasjonal exactly for
units that all give teller/nevner (or all give bare values). ``antall`` sums its teller. Bare
values of ``andel`` and ``snitt`` aggregate as an unweighted mean over the units: teller = the
sum of the values, nevner = the number of units, marked ``uvektet`` (``Series.weighted`` False)
and computed as ``snitt`` by ``rules.evaluate``. Pure: no I/O.
"""
from __future__ import annotations

from decimal import Decimal

from ..model import Indicator, Series
from .rules import month_value

__all__ = ["aggregate", "unit_has_nevner"]


def _exact_sum(values: list[float]) -> float:
    """Sum that is exact (and so associative) for integers and short decimals."""
    if all(float(v).is_integer() for v in values):
        return float(sum(int(v) for v in values))
    return float(sum(Decimal(repr(float(v))) for v in values))


def unit_has_nevner(indicator: Indicator, series: Series) -> bool:
    """A unit's series carries a nevner somewhere in the year (not a bare-value series)."""
    return indicator.measure != "antall" and any(v is not None for v in series.nevner)


def aggregate(indicator: Indicator, members: list[Series]) -> Series:
    """Consolidate units' series by summing teller and nevner — never averaging percentages.

    Units that only give bare values (or an already ``uvektet`` aggregate) make the whole
    indicator ``uvektet``: teller = sum of the units' month values, nevner = number of units,
    and the row is computed as ``snitt`` (weighted=False). Sums are exact for integers and
    short decimals, so office → fylke → nasjonal equals office → nasjonal.
    """
    teller: list[float | None] = [None] * 12
    nevner: list[float | None] = [None] * 12
    if indicator.measure == "antall":
        for i in range(12):
            ts = [s.teller[i] for s in members if s.teller[i] is not None]
            teller[i] = _exact_sum(ts) if ts else None
        return Series(teller, nevner, weighted=True)

    weighted = all(s.weighted and unit_has_nevner(indicator, s) for s in members if
                   any(v is not None for v in s.teller))
    for i in range(12):
        ts: list[float] = []
        ns: list[float] = []
        for s in members:
            tv, nv = s.teller[i], s.nevner[i]
            if tv is None:
                continue
            if weighted:
                if nv is None:
                    continue
                ts.append(tv)
                ns.append(nv)
            elif not s.weighted:  # an uvektet aggregate: already (sum of values, count)
                if nv is None:
                    continue
                ts.append(tv)
                ns.append(nv)
            elif unit_has_nevner(indicator, s):
                v = month_value(indicator, tv, nv, True)
                if v is None:
                    continue
                ts.append(v)
                ns.append(1.0)
            else:  # a bare value
                ts.append(tv)
                ns.append(1.0)
        if ts:
            teller[i] = _exact_sum(ts)
            nevner[i] = _exact_sum(ns)
    return Series(teller, nevner, weighted=weighted)

