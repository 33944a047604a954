"""The numbers of a consolidation (SPEC §4 aggregation), kept exact so the hierarchy cannot drift.

A ``Partial`` is what a set of leaf units adds up to, month by month, exactly (each number the
decimal it is written as; the additions never round): the sums of teller and nevner (the
weighted form), and the units' month values, whose sum and count make the ``uvektet`` form.
Partials combine exactly: the counties' partials together are the partial of all their offices,
so consolidating office → nasjonal directly and office → fylke → nasjonal give the same
numbers, whatever the mix of weighted and bare-value units.
``Partial.series`` turns it into the consolidated unit's Data series, with the rules of
``numbers.rules.aggregate``: sums of teller and nevner when every unit with data gives a
nevner, else the unweighted mean over the leaf units (teller = sum of values, nevner = count).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, localcontext

from ..model import Indicator, Series
from ..numbers.aggregate import unit_has_nevner
from ..numbers.rules import month_value

#: additions under this context are exact (no rounding at any size), so sums are associative
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def exact(v: float) -> int | Decimal:
    """A number as the decimal it is written as (0.1 is one tenth), exactly: an int when it is
    whole (the common case for teller and nevner: fast to add and to send between processes)."""
    v = float(v)
    return int(v) if v.is_integer() else Decimal(repr(v))


def exact_sum(values) -> int | Decimal:
    with localcontext(EXACT):
        return sum(values, 0)


@dataclass
class Partial:
    """Exact month sums over some leaf units of one indicator (see the module docstring).

    The leaf units' month values are kept as they are (``values``) and summed only when the
    indicator turns out ``uvektet``, which is rare; so the common case never pays for them.
    """

    antall: bool
    teller: list = field(default_factory=lambda: [None] * 12)  # int | Decimal | None
    nevner: list = field(default_factory=lambda: [None] * 12)
    values: list = field(default_factory=lambda: [() for _ in range(12)])  # leaf month values
    unweighted: bool = False  # some unit with data gives bare values only

    def series(self) -> Series:
        """The consolidated Data series (floats), weighted or ``uvektet``."""
        if self.antall or not self.unweighted:
            return Series([None if t is None else float(t) for t in self.teller],
                          [None if n is None else float(n) for n in self.nevner], weighted=True)
        sums = [float(exact_sum(exact(v) for v in vs)) if vs else None for vs in self.values]
        return Series(sums, [float(len(vs)) if vs else None for vs in self.values], weighted=False)


def empty(indicator: Indicator) -> Partial:
    return Partial(indicator.measure == "antall")


def leaf_partial(indicator: Indicator, series: Series) -> Partial:
    """One leaf unit's contribution (its series as ``numbers.rules.aggregate`` reads it)."""
    p = empty(indicator)
    has_data = any(v is not None for v in series.teller)
    with_n = unit_has_nevner(indicator, series)
    p.unweighted = has_data and not p.antall and not with_n
    for i in range(12):
        t, n = series.teller[i], series.nevner[i]
        if t is None:
            continue
        if p.antall:
            p.teller[i] = exact(t)
            continue
        if with_n and n is not None:
            p.teller[i], p.nevner[i] = exact(t), exact(n)
        v = month_value(indicator, t, n, with_n)
        if v is not None:
            p.values[i] = (v,)
    return p


def _column_sums(columns: list[list]) -> list:
    out = []
    for i in range(12):
        present = [c[i] for c in columns if c[i] is not None]
        out.append(exact_sum(present) if present else None)
    return out


def combine(indicator: Indicator, partials) -> Partial:
    """The exact sum of partials (of leaf units or of consolidated units alike)."""
    partials = list(partials)
    total = empty(indicator)
    total.teller = _column_sums([p.teller for p in partials])
    total.nevner = _column_sums([p.nevner for p in partials])
    total.values = [tuple(v for p in partials for v in p.values[i]) for i in range(12)]
    total.unweighted = any(p.unweighted for p in partials)
    return total


def consolidated_target(indicator: Indicator, unit_id: str, leaf_ids: list[str],
                        targets: dict[tuple[str, str], float]) -> tuple[float, float | None]:
    """(Mål, Toleranse or None) of a consolidated unit (SPEC §4): for ``antall`` the sum of its
    units' targets (and of their explicit Toleranse, else 5 % of the sum); otherwise its own row
    in the Mål table, else the catalogue's."""
    if indicator.measure == "antall" and leaf_ids:
        total = exact_sum(exact(targets.get((u, indicator.id), indicator.target)) for u in leaf_ids)
        if indicator.tolerance is not None:
            tol = float(exact_sum(exact(indicator.tolerance) for _ in leaf_ids))
        else:
            tol = None  # the writer and the engine take 5 % of |the summed target|
        return float(total), tol
    return targets.get((unit_id, indicator.id), indicator.target), None
