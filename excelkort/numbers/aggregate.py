"""Aggregation across units (SPEC §4): the one rule, exact and associative. Pure: no I/O.

The rule, in words:

* **Sum, then divide.** A consolidated unit's teller and nevner are the sums of the teller and
  nevner of the units that have the month — never an average of percentages. ``antall`` is
  always teller alone (typed or extracted), so it sums.
* **Bare values** (andel or snitt typed without a nevner) aggregate as an unweighted mean over
  the *leaf* units (the offices): teller = the sum of their month values, nevner = the number
  of leaf units with the month. The row is computed as ``snitt`` (T/N, no factor 100) and
  marked ``uvektet`` (``Series.weighted`` False).
* **A mix**: when some leaf units of an indicator give teller/nevner and others only bare
  values, the whole indicator is ``uvektet`` over the leaf units' month values (100·T/N for
  andel, T/N for snitt, a bare value as typed), each office counting once.
* **Targets**: a consolidated unit's Mål is, for ``antall``, the sum of its units' targets, with
  the sum of their explicit Toleranse (blank Toleranse: 5 % of the summed target, as for any
  unit); for andel and snitt its own row in the ``Mål`` table, else the catalogue's.

So office → fylke → nasjonal equals office → nasjonal exactly, for any mix of units. It holds
because a consolidated unit is carried as a ``Partial``, not as its ``Series``: the exact sums
of its leaf units' teller and nevner, *and* what gives its leaf units' month values (each leaf
unit's own teller and nevner, or its bare values). A county whose offices
all give teller/nevner therefore still counts as its offices, one each, in a national unweighted
mean. Every number is held as the decimal it is written as (0.1 is one tenth) and added under a
context that never rounds, so the sums do not depend on the grouping or the order.

Entry points: ``leaf_partial`` (one leaf unit), ``combine`` (leaf series and partials alike →
the partial of all their leaf units), ``Partial.series`` (→ the consolidated Data series),
``aggregate`` (the same in one call, for scripts and tests), ``consolidated_target`` and
``combine_targets`` (the targets).
"""
from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, localcontext
from typing import Iterable, NamedTuple

from ..model import Indicator, Series
from .rules import month_value

__all__ = ["Partial", "aggregate", "combine", "combine_targets", "consolidated_target",
           "leaf_partial", "unit_has_nevner"]

#: additions under this context are exact (no rounding at any size), so sums are associative
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def exact(v: float) -> int | Decimal:
    """A number as the decimal it is written as (0.1 is one tenth), exactly: an int when it is
    whole (the common case for teller and nevner: fast to add and to send between processes)."""
    v = float(v)
    return int(v) if v.is_integer() else Decimal(repr(v))


def exact_sum(values) -> int | Decimal:
    """The exact sum of ints and Decimals (never rounded)."""
    with localcontext(EXACT):
        return sum(values, 0)


def unit_has_nevner(indicator: Indicator, series: Series) -> bool:
    """A unit's series carries a nevner somewhere in the year (not a bare-value series)."""
    return indicator.measure != "antall" and any(v is not None for v in series.nevner)


NO_MONTHS = (None,) * 12


class Partial(NamedTuple):
    """Exact month sums over some leaf units of one indicator (see the module docstring).

    ``teller`` and ``nevner`` are the sums of the leaf units that give teller/nevner (the
    weighted form). Their month values, for the ``uvektet`` form, come from ``by_leaf`` (each
    such leaf unit's own exact teller and nevner) and ``bare`` (each leaf unit with bare values
    only: its 12 values). They are used only when the indicator turns out ``uvektet``, which
    is rare, so the common case never computes them. Tuples all through: a leaf partial is
    cheap to send from a worker process and, holding no mutable container, costs the garbage
    collector nothing once made.
    """

    antall: bool
    teller: tuple = NO_MONTHS  # int | Decimal | None per month
    nevner: tuple = NO_MONTHS
    by_leaf: tuple = ()  # (teller, nevner) of each leaf unit that gives a nevner
    bare: tuple = ()  # the 12 bare values of each leaf unit that has data but no nevner

    @property
    def unweighted(self) -> bool:
        """Some leaf unit with data gives bare values only: the indicator is ``uvektet``."""
        return bool(self.bare)

    def series(self, indicator: Indicator) -> Series:
        """The consolidated Data series (floats): sums of teller and nevner when every leaf
        unit with data gives a nevner (or for antall), else ``uvektet`` (sum of the leaf units'
        month values, their number)."""
        if self.antall or not self.unweighted:
            return Series([None if t is None else float(t) for t in self.teller],
                          [None if n is None else float(n) for n in self.nevner], weighted=True)
        months = [[v for v in month if v is not None]
                  for month in zip(*self._month_values(indicator))]
        return Series([float(exact_sum(exact(v) for v in vs)) if vs else None for vs in months],
                      [float(len(vs)) if vs else None for vs in months], weighted=False)

    def _month_values(self, indicator: Indicator) -> list[tuple]:
        """Each leaf unit's 12 month values (v(m) of SPEC §4), None where it has none."""
        weighted = [tuple([None if t is None else month_value(indicator, float(t), float(n), True)
                           for t, n in zip(teller, nevner)]) for teller, nevner in self.by_leaf]
        return weighted + list(self.bare)


def leaf_partial(indicator: Indicator, series: Series) -> Partial:
    """One leaf unit's contribution: its teller and nevner where it gives a nevner (which also
    give its month values), else its bare values."""
    if not series.weighted:
        raise ValueError("an uvektet series is a consolidated unit's: combine its Partial instead")
    teller, nevner = series.teller, series.nevner
    if indicator.measure == "antall":
        return Partial(True, tuple([None if t is None else exact(t) for t in teller]))
    if not unit_has_nevner(indicator, series):
        if all(t is None for t in teller):
            return Partial(False)
        values = tuple([month_value(indicator, t, None, False) for t in teller])
        return Partial(False, bare=(values,))
    both = [t is not None and n is not None for t, n in zip(teller, nevner)]
    teller = tuple([exact(t) if b else None for t, b in zip(teller, both)])
    nevner = tuple([exact(n) if b else None for n, b in zip(nevner, both)])
    return Partial(False, teller, nevner, by_leaf=((teller, nevner),))


def _column_sums(columns: list[tuple]) -> tuple:
    with localcontext(EXACT):
        return tuple([sum(present, 0) if (present := [v for v in month if v is not None])
                      else None for month in zip(*columns)])


def combine(indicator: Indicator, members: Iterable[Series | Partial]) -> Partial:
    """The exact partial of all the members' leaf units. A member is a leaf unit's ``Series``
    or the ``Partial`` of a unit (leaf or consolidated) — never a consolidated ``Series``."""
    partials = [m if isinstance(m, Partial) else leaf_partial(indicator, m) for m in members]
    if not partials:
        return Partial(indicator.measure == "antall")
    return Partial(indicator.measure == "antall",
                   _column_sums([p.teller for p in partials]),
                   _column_sums([p.nevner for p in partials]),
                   tuple(leaf for p in partials for leaf in p.by_leaf),
                   tuple(leaf for p in partials for leaf in p.bare))


def aggregate(indicator: Indicator, members: Iterable[Series | Partial]) -> Series:
    """The consolidated series of ``members`` (leaf units' series and/or partials, as for
    ``combine``): ``combine(indicator, members).series(indicator)``."""
    return combine(indicator, members).series(indicator)


def combine_targets(indicator: Indicator,
                    members: Iterable[tuple[float, float | None]]) -> tuple[float, float | None]:
    """(Mål, Toleranse) of a consolidated ``antall`` unit from its members' (Mål, Toleranse),
    leaf or consolidated units alike: the exact sums. Toleranse is None (blank: the engine and
    the writer take 5 % of |the summed Mål|) unless every member gives one."""
    members = list(members)
    total = float(exact_sum(exact(t) for t, _ in members))
    if members and all(e is not None for _, e in members):
        return total, float(exact_sum(exact(e) for _, e in members))
    return total, None


def consolidated_target(indicator: Indicator, unit_id: str, leaf_ids: list[str],
                        targets: dict[tuple[str, str], float]) -> tuple[float, float | None]:
    """(Mål, Toleranse or None) of a consolidated unit with the leaf units ``leaf_ids``, by the
    per-unit Mål table ``targets`` ({(enhet, indikator): mål}): for ``antall`` the sums over
    its leaf units (``combine_targets``); otherwise its own row in the table, else the
    catalogue's."""
    if indicator.measure == "antall" and leaf_ids:
        return combine_targets(indicator, ((targets.get((u, indicator.id), indicator.target),
                                            indicator.tolerance) for u in leaf_ids))
    return targets.get((unit_id, indicator.id), indicator.target), None
