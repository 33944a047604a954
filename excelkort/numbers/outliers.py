"""The robust outlier rule and the nevner jump of ``excelkort kontroll`` (SPEC §6), pure numbers.

* **Outliers**: per indicator and month, across the units that have the month and the month
  before, the change in value x is compared with the other units' changes by the robust
  z = 0,6745·(x − median)/MAD (MAD = the median absolute deviation from the median). A change
  is an outlier when |z| > 3,5 *and* it is more than three standard errors of the chance
  variation the unit's own numbers allow (andel: two binomial proportions with the pooled rate;
  snitt: per-case spread equal to the mean; antall: Poisson; ``nær`` andel such as budget use:
  no chance variation). Without the second condition a small office with a nevner of 2 would be
  an "outlier" every month. With MAD = 0 the mean absolute deviation is used
  (z = (x − median)/(1,2533·MeanAD)); when that is 0 too, all changes are equal and nothing is
  flagged. With fewer than 5 units there is no test.
* **Nevner jump**: the nevner has doubled or halved compared with the typical unit's change
  (the median ratio across units, so the July holiday dip that every unit has does not count),
  and the difference is larger than chance (three times the Poisson standard deviation).

A month's numbers are passed as rows: anything with ``teller`` and ``nevner`` (an extract row).
"""
from __future__ import annotations

import math
import statistics
from typing import Sequence

from ..model import Indicator

__all__ = ["Z_THRESHOLD", "SE_FACTOR", "MIN_UNITS", "NEVNER_FACTOR", "robust_z",
           "beyond_chance", "nevner_jumps"]

#: robust z above which a change is an outlier (Iglewicz & Hoaglin's 3.5)
Z_THRESHOLD = 3.5
#: the change must also exceed this many standard errors of chance variation
SE_FACTOR = 3.0
#: fewer units than this with a change: no outlier test (and no median ratio for nevner)
MIN_UNITS = 5
_MAD_CONSTANT = 0.6745  # Φ⁻¹(0.75): makes the MAD comparable to a standard deviation
_MEAN_AD_CONSTANT = 1.2533  # √(π/2): the same for the mean absolute deviation
NEVNER_FACTOR = 2.0  # doubled or halved


def robust_z(values: Sequence[float]) -> tuple[list[float], float, float, str]:
    """Robust z of each value: 0,6745·(x − median)/MAD; with MAD = 0 the mean absolute
    deviation is used ((x − median)/(1,2533·MeanAD)); when that is 0 too, every z is 0.

    Returns (z per value, median, scale, method) with method ``"MAD"``, ``"MeanAD"`` or ``""``.
    """
    if not values:
        return [], 0.0, 0.0, ""
    med = statistics.median(values)
    dev = [abs(x - med) for x in values]
    mad = statistics.median(dev)
    if mad > 1e-12:
        return [_MAD_CONSTANT * (x - med) / mad for x in values], med, mad, "MAD"
    mean_ad = statistics.fmean(dev)
    if mean_ad > 1e-12:
        return [(x - med) / (_MEAN_AD_CONSTANT * mean_ad) for x in values], med, mean_ad, "MeanAD"
    return [0.0] * len(values), med, 0.0, ""


def chance_se(ind: Indicator, r0, r1, v0: float, v1: float) -> float:
    """The standard error of the change v1 − v0 that chance alone gives (see module doc)."""
    if ind.measure == "antall":
        return math.sqrt(max(v0, 0.0) + max(v1, 0.0))
    n0, n1 = r0.nevner, r1.nevner
    if not n0 or not n1 or n0 <= 0 or n1 <= 0:
        return 0.0  # bare values: no sampling model
    if ind.measure == "andel":
        if ind.direction == "nær":
            return 0.0  # budget use: the nevner is an amount, not a count of cases
        p = (r0.teller + r1.teller) / (n0 + n1)
        p = min(max(p, 0.0), 1.0)
        return 100.0 * math.sqrt(p * (1 - p) * (1 / n0 + 1 / n1))
    return math.sqrt(v0 * v0 / n0 + v1 * v1 / n1)  # snitt: per-case spread ≈ the mean


def beyond_chance(ind: Indicator, r0, r1, v0: float, v1: float) -> bool:
    """True when the change v1 − v0 is more than SE_FACTOR standard errors of chance variation
    (for andel with the usual continuity correction, 50·(1/N0 + 1/N1) percentage points, which
    matters only for the smallest nevners)."""
    change = abs(v1 - v0)
    if ind.measure == "andel" and ind.direction != "nær" and r0.nevner and r1.nevner:
        change -= 50.0 * (1 / r0.nevner + 1 / r1.nevner)
    return change > SE_FACTOR * chance_se(ind, r0, r1, v0, v1)



def nevner_jumps(pairs: Sequence[tuple]) -> tuple[float, list[tuple]]:
    """The nevner jumps among (this month's row, last month's row) pairs: the typical ratio
    (the median across units, 1 with fewer than MIN_UNITS units) and the pairs whose nevner
    doubled or halved against it by more than chance. Pairs without two positive nevners are
    left out."""
    usable = [(r1, r0) for r1, r0 in pairs
              if r1.nevner and r0 is not None and r0.nevner and r1.nevner > 0 and r0.nevner > 0]
    if not usable:
        return 1.0, []
    logs = [math.log(r1.nevner / r0.nevner) for r1, r0 in usable]
    med = statistics.median(logs) if len(usable) >= MIN_UNITS else 0.0
    typical = math.exp(med)
    jumps = []
    for (r1, r0), lr in zip(usable, logs):
        expected = r0.nevner * typical
        if (abs(lr - med) >= math.log(NEVNER_FACTOR) - 1e-12
                and abs(r1.nevner - expected) > SE_FACTOR * math.sqrt(r1.nevner + expected)):
            jumps.append((r1, r0))
    return typical, jumps
