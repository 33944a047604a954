"""The number rules of SPEC §4, in one pure module without I/O.

Rules that the live workbook also computes (month value, Hittil i år, rounding, status, trend
and its colour) are defined once as expression trees (``numbers.expr``): ``evaluate`` runs the
compiled Python form, and ``scorecard.rowmodel`` renders the same trees as Excel formulas.
Prognose, Krav resten av året, Sannsynlighet and Risiko (forslag) are computed here only and
written into the workbook as values.

The model in plain words (also in the README and the workbook's Indikatorer sheet):
- a month counts when it has data: teller and a nevner above 0 (or a bare value when the
  indicator has no nevner in the window); a missing month is missing, never 0;
- Hittil i år sums teller and nevner over the months with data (or takes the latest month);
- colours compare the number as shown (rounded to Desimaler) with the target and tolerance;
- the arrow compares the latest month with the mean of the up to three months before it;
- Prognose continues the mean of the last three months to December; Krav is the month value
  the rest of the year must average to end exactly on target; Sannsynlighet treats the rest
  of the year's mean as normally distributed around the recent level, with the spread of the
  last six months, and asks how likely the year ends on a grønn number.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from statistics import fmean
from typing import NamedTuple

from .expr import Abs, Expr, If, Round, Var
from ..model import Indicator, Series

# --- the exact strings the cells hold (SPEC §4) ----------------------------------------------
GREEN, YELLOW, RED, GREY = "grønn", "gul", "rød", "grå"
LOW, MEDIUM, HIGH = "Lav", "Middels", "Høy"
UP_BETTER, UP_WORSE = "↑ bedring", "↑ forverring"
DOWN_BETTER, DOWN_WORSE = "↓ bedring", "↓ forverring"
STABLE, NO_TREND = "→ stabil", "–"
NOT_READY = "ikke klar"
TOO_LITTLE_DATA = "for lite data"
REACHED, IMPOSSIBLE = "nådd", "umulig"
UNWEIGHTED = "uvektet"

STATUSES = (GREEN, YELLOW, RED, GREY)
TRENDS = (UP_BETTER, UP_WORSE, DOWN_BETTER, DOWN_WORSE, STABLE, NO_TREND)
RISKS = (LOW, MEDIUM, HIGH)

EPS_DECIMALS = 9  # threshold tests are made on a difference rounded to 9 decimals


# --- rule definitions (expression trees, shared with the workbook's formulas) ----------------

def tolerance_for(indicator: Indicator, target: float) -> float:
    """e: Toleranse as given, else 5 % of |t| (t the unit's own target)."""
    return indicator.tolerance if indicator.tolerance is not None else 0.05 * abs(target)


def value_factor(indicator: Indicator, weighted: bool = True) -> int:
    """100 for a weighted andel (percent points), else 1 (snitt, antall, uvektet)."""
    return 100 if indicator.measure == "andel" and weighted else 1


def month_value(indicator: Indicator, teller, nevner, with_nevner: bool,
                weighted: bool = True) -> float | None:
    """v(m) (SPEC §4): factor·T/N when the indicator has a nevner (None unless N > 0);
    otherwise T itself (antall, or a bare value). None when T is missing."""
    if teller is None:
        return None
    if with_nevner and indicator.measure != "antall":
        if nevner is None or nevner <= 0:
            return None
        factor = value_factor(indicator, weighted)
        return factor * teller / nevner if factor != 1 else teller / nevner
    return float(teller)


def ratio_expr(factor: int) -> Expr:
    """Month value or Hittil i år from teller T and nevner N: factor·T/N."""
    T, N = Var("T"), Var("N")
    return T * factor / N if factor != 1 else T / N


def rounded_expr(decimals: int) -> Expr:
    """A measured value as shown: Excel's ROUND to Desimaler."""
    return Round(Var("x"), decimals)


def _at_least(a: Expr, b) -> Expr:
    """a ≥ b as SPEC §4 means it: ROUND(a − b; 9) ≥ 0."""
    return Round(a - b, EPS_DECIMALS).ge(0)


def status_expr(direction: str) -> Expr:
    """Status of a rounded value y against target t with tolerance e."""
    y, t, e = Var("y"), Var("t"), Var("e")
    if direction == "nær":
        d = Abs(y - t)
        return If(_at_least(e, d), GREEN, If(_at_least(2 * e, d), YELLOW, RED))
    gap = y - t if direction == "høyere" else t - y
    return If(_at_least(gap, 0), GREEN, If(_at_least(gap, -e), YELLOW, RED))


def trend_expr(direction: str) -> Expr:
    """Trend word of the rounded latest month rl against the rounded base rb.

    Inputs: rl, rb, em (month tolerance) and tm (month target, used by ``nær``).
    """
    rl, rb, em, tm = Var("rl"), Var("rb"), Var("em"), Var("tm")
    d = rl - rb
    stable = Round(Abs(d) - em / 2, EPS_DECIMALS).le(0)
    up = Round(d, EPS_DECIMALS).gt(0)
    if direction == "høyere":
        moved = If(up, UP_BETTER, DOWN_WORSE)
    elif direction == "lavere":
        moved = If(up, UP_WORSE, DOWN_BETTER)
    else:
        better = Round(Abs(rb - tm) - Abs(rl - tm), EPS_DECIMALS).gt(0)
        moved = If(up, If(better, UP_BETTER, UP_WORSE), If(better, DOWN_BETTER, DOWN_WORSE))
    return If(stable, STABLE, moved)


def pro_rata(indicator: Indicator) -> bool:
    """antall + akkumulert compares with Mål·M/12 (YTD) and Mål·f/12 (a month)."""
    return indicator.measure == "antall" and indicator.ytd_mode == "akkumulert"


def ytd_target_expr(indicator: Indicator) -> Expr:
    """The YTD comparison target from the year's target ``t`` and the last month ``M``."""
    return Var("t") * Var("M") / 12 if pro_rata(indicator) else Var("t")


def month_target_expr(indicator: Indicator) -> Expr:
    """The month comparison target from the year's target ``t``."""
    f = indicator.months_per_period
    return Var("t") * f / 12 if pro_rata(indicator) else Var("t")


@lru_cache(maxsize=None)
def _compiled(kind: str, arg, *names: str):
    builders = {
        "status": status_expr,
        "trend": trend_expr,
        "round": rounded_expr,
    }
    return builders[kind](arg).compile(*names)


def round_shown(x: float, decimals: int) -> float:
    """A measured value as shown (SPEC §4 Rounding)."""
    return _compiled("round", decimals, "x")(x)


def status_of(direction: str, y: float, t: float, e: float) -> str:
    """grønn/gul/rød of an already rounded value."""
    return _compiled("status", direction, "y", "t", "e")(y, t, e)


def trend_of(direction: str, rl: float, rb: float, em: float, tm: float) -> str:
    return _compiled("trend", direction, "rl", "rb", "em", "tm")(rl, rb, em, tm)


# --- evaluation of one series -----------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    """Every output column of one indicator row (SPEC §4/§5)."""

    month_values: tuple  # 12 × (float | None | "ikke klar")
    ytd: float | str | None  # Hittil i år, unrounded; "ikke klar"; None = empty
    status: str
    trend: str
    trend_colour: str | None
    prognosis: float | None
    requirement: float | str | None  # Krav resten av året: number, "nådd", "umulig", None
    probability: float | str | None  # Sannsynlighet (fraction) or "for lite data"
    risk: str | None  # Risiko (forslag)
    months_with_data: tuple[int, ...] = ()
    target: float | None = None  # t used for the YTD status (pro rata where it applies)
    tolerance: float | None = None
    weighted: bool = True
    has_nevner: bool = False  # the window has a nevner (else bare values)
    month_target: float | None = None  # t_m, e_m: what a month value compares with
    month_tolerance: float | None = None
    trend_latest: float | None = None  # rl: the latest month, rounded as shown
    trend_base: float | None = None  # rb: the mean of the up to three months before, rounded

    @property
    def last_month(self) -> int:
        return self.months_with_data[-1] if self.months_with_data else 0


def has_nevner(indicator: Indicator, series: Series, window: list[int]) -> bool:
    """SPEC §4: an indicator has a nevner when any month of the window has N filled in."""
    if indicator.measure == "antall":
        return False
    return any(series.nevner[m - 1] is not None for m in window)


def window_months(indicator: Indicator, period_month: int) -> list[int]:
    """Reporting months m ≤ P − Etterslep."""
    limit = period_month - indicator.lag
    return [m for m in indicator.reporting_months if m <= limit]


def _ceil_to(x: float, decimals: int) -> float:
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(format(x, ".15g")).quantize(q, rounding="ROUND_CEILING"))


def _floor_to(x: float, decimals: int) -> float:
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(format(x, ".15g")).quantize(q, rounding="ROUND_FLOOR"))


def stdev(values: list[float]) -> float:
    """Sample standard deviation (n − 1), two-pass in floats (statistics.stdev is exact but slow)."""
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _risk_of(probability) -> str | None:
    if not isinstance(probability, float):
        return None
    if probability >= 0.75:
        return LOW
    if probability < 0.25:
        return HIGH
    return MEDIUM


def evaluate(
    indicator: Indicator,
    series: Series,
    period_month: int,
    target: float | None = None,
    tolerance: float | None = None,
) -> Result:
    """Compute every column of SPEC §4 for one unit's indicator at period month P (1–12).

    ``target`` overrides the catalogue's Mål (the unit's own, from the Mål table);
    ``tolerance`` overrides Toleranse (e.g. a consolidated antall's summed tolerance).

    The steps: the window and its months with data → Hittil i år → status → trend →
    Prognose → Krav resten av året → Sannsynlighet → Risiko (forslag).
    """
    t = indicator.target if target is None else target
    e = tolerance if tolerance is not None else tolerance_for(indicator, t)
    window = window_months(indicator, period_month)
    with_n = has_nevner(indicator, series, window)
    values = _values_with_data(indicator, series, window, with_n)
    month_values = _month_values(indicator, values, window, period_month)
    t_m, e_m = _month_target(indicator, t, e)
    if not values:
        return Result(month_values, _ytd_without_data(indicator, window, period_month), GREY,
                      NO_TREND, None, None, None, TOO_LITTLE_DATA, None, (), None, None,
                      series.weighted, with_n, t_m, e_m)

    year = _year_so_far(indicator, series, values, with_n)
    ytd, t_ytd, e_ytd, status = _ytd_status(indicator, year, t, e)
    trend, trend_colour, rl, rb = _trend(indicator, year, t_m, e_m)
    prognosis = _prognosis(indicator, year, ytd)
    requirement = _requirement(indicator, year, t)
    probability = _probability(indicator, year, status, requirement, t, e)
    return Result(
        month_values=month_values, ytd=ytd, status=status, trend=trend,
        trend_colour=trend_colour, prognosis=prognosis, requirement=requirement,
        probability=probability, risk=_risk_of(probability),
        months_with_data=year.months, target=t_ytd, tolerance=e_ytd,
        weighted=series.weighted, has_nevner=with_n, month_target=t_m, month_tolerance=e_m,
        trend_latest=rl, trend_base=rb,
    )


class Standing(NamedTuple):
    """What a consolidation's Enheter, Rangering and history show of one unit's indicator."""

    ytd: float | str | None  # Hittil i år, unrounded; "ikke klar"; None
    status: str
    target: float | None  # the target the status compares with (pro rata where it applies)
    value: float | str | None  # the period month's value (or «ikke klar»)
    nevner: float | None  # ΣN over the months with data (the prikk limit tests it)


def standing(result: Result, series: Series, period_month: int) -> Standing:
    """A unit's ``Standing`` from its full ``Result`` (of ``series`` at ``period_month``)."""
    return Standing(result.ytd, result.status, result.target,
                    result.month_values[period_month - 1],
                    _ytd_nevner(series, result.has_nevner, result.months_with_data))


def ytd_standing(indicator: Indicator, series: Series, period_month: int,
                 target: float | None = None) -> Standing:
    """``standing(evaluate(indicator, series, period_month, target), series, period_month)``
    without the columns after the status (at a third of the cost): what konsolider keeps of
    each office."""
    t = indicator.target if target is None else target
    window = window_months(indicator, period_month)
    with_n = has_nevner(indicator, series, window)
    values = _values_with_data(indicator, series, window, with_n)
    value = _month_values(indicator, values, window, period_month)[period_month - 1]
    if not values:
        return Standing(_ytd_without_data(indicator, window, period_month), GREY, None, value,
                        _ytd_nevner(series, with_n, ()))
    year = _year_so_far(indicator, series, values, with_n, recent=False)
    ytd, t_ytd, _, status = _ytd_status(indicator, year, t, tolerance_for(indicator, t))
    return Standing(ytd, status, t_ytd, value, _ytd_nevner(series, with_n, year.months))


def _ytd_nevner(series: Series, with_n: bool, months) -> float | None:
    """ΣN over the months with data; None without a nevner or for an uvektet series."""
    if not with_n or not series.weighted:
        return None
    return sum(series.nevner[m - 1] for m in months)


def _ytd_without_data(indicator: Indicator, window: list[int], period_month: int) -> str | None:
    """Hittil i år without a month with data: «ikke klar» while Etterslep holds back every
    reporting month so far, else empty."""
    ready_exists = any(m <= period_month for m in indicator.reporting_months)
    return NOT_READY if ready_exists and not window else None


def _ytd_status(indicator: Indicator, year: _YearSoFar, t: float, e: float):
    """(Hittil i år, the target and tolerance it compares with — pro rata where it applies —,
    its status)."""
    ytd = _ytd(indicator, year)
    t_ytd, e_ytd = (t * year.last / 12, e * year.last / 12) if pro_rata(indicator) else (t, e)
    return ytd, t_ytd, e_ytd, status_of(indicator.direction, round_shown(ytd, indicator.decimals),
                                        t_ytd, e_ytd)


def _values_with_data(indicator: Indicator, series: Series, window: list[int],
                      with_n: bool) -> dict[int, float]:
    """v(m) of the window's months with data, in month order."""
    values: dict[int, float] = {}
    for m in window:
        v = month_value(indicator, series.teller[m - 1], series.nevner[m - 1], with_n,
                        series.weighted)
        if v is not None:
            values[m] = v
    return values


def _month_values(indicator: Indicator, values: dict[int, float], window: list[int],
                  period_month: int) -> tuple:
    """The 12 month cells: v(m), None, or «ikke klar» for a reporting month ≤ P outside the
    window (not delivered yet because of Etterslep)."""
    month_values: list = [None] * 12
    for m in indicator.reporting_months:
        if m in values:
            month_values[m - 1] = values[m]
        elif m not in window and m <= period_month:
            month_values[m - 1] = NOT_READY
    return tuple(month_values)


def _month_target(indicator: Indicator, t: float, e: float) -> tuple[float, float]:
    """t_m, e_m: what one month's value compares with (pro rata t·f/12 for antall +
    akkumulert)."""
    f = indicator.months_per_period
    return (t * f / 12, e * f / 12) if pro_rata(indicator) else (t, e)


@dataclass(slots=True)
class _YearSoFar:
    """The months with data and what the rest of the year builds on (internal to evaluate;
    never changed once made, but not frozen: a frozen dataclass is slow to make)."""

    months: tuple[int, ...]  # the months with data
    values: dict[int, float]  # v(m) of those months
    with_n: bool  # the window has a nevner
    antall: bool  # Måletype antall (a value is T; YTD sums)
    factor: int  # 100 for a weighted andel, else 1
    k: int  # reporting months after the last month with data
    sum_t: float | None  # ΣT over the months with data (with a nevner, or antall)
    sum_n: float | None  # ΣN (with a nevner)
    sum_v: float  # Σv(m)
    mu_n: float | None  # the mean N of the last three months with data (with a nevner)
    rate: float  # the level of the last three months: what Prognose continues

    @property
    def last(self) -> int:
        """M: the last month with data."""
        return self.months[-1]

    def year_end_for(self, x: float) -> float:
        """Hittil i år in December if the rest of the year averages x."""
        if self.with_n:
            return self.factor * (self.sum_t + self.k * self.mu_n * x / self.factor) / (
                self.sum_n + self.k * self.mu_n)
        if self.antall:
            return self.sum_t + self.k * x
        return (self.sum_v + self.k * x) / (len(self.months) + self.k)

    def needed(self, b: float) -> float:
        """The Krav formula with target b: the inverse of ``year_end_for``."""
        if self.with_n:
            return (b * (self.sum_n + self.k * self.mu_n) - self.factor * self.sum_t) / (
                self.k * self.mu_n)
        if self.antall:
            return (b - self.sum_t) / self.k
        return (b * (len(self.months) + self.k) - self.sum_v) / self.k


def _year_so_far(indicator: Indicator, series: Series, values: dict[int, float],
                 with_n: bool, recent: bool = True) -> _YearSoFar:
    """The year's sums; with ``recent`` also the level of the last three months (Prognose)."""
    T, N = series.teller, series.nevner
    data_months = list(values)
    antall = indicator.measure == "antall"
    factor = value_factor(indicator, series.weighted)
    last3 = data_months[-3:]
    if not recent:
        mu_n, rate = None, 0.0
    elif with_n:
        mu_t = fmean(T[m - 1] for m in last3)
        mu_n = fmean(N[m - 1] for m in last3)
        rate = factor * mu_t / mu_n
    elif antall:
        mu_n, rate = None, fmean(T[m - 1] for m in last3)
    else:
        mu_n, rate = None, fmean(values[m] for m in last3)
    return _YearSoFar(
        months=tuple(data_months), values=values, with_n=with_n, antall=antall, factor=factor,
        k=len([m for m in indicator.reporting_months if m > data_months[-1]]),
        sum_t=sum([T[m - 1] for m in data_months]) if (with_n or antall) else None,
        sum_n=sum([N[m - 1] for m in data_months]) if with_n else None,
        sum_v=sum(values.values()), mu_n=mu_n, rate=rate)


def _ytd(indicator: Indicator, year: _YearSoFar) -> float:
    """Hittil i år: the latest month (siste), ΣT/ΣN, ΣT (antall) or the mean of bare values."""
    if indicator.ytd_mode == "siste":
        return year.values[year.last]
    if year.with_n:
        f = year.factor
        return f * year.sum_t / year.sum_n if f != 1 else year.sum_t / year.sum_n
    if year.antall:
        return float(year.sum_t)
    return year.sum_v / len(year.months)


def _trend(indicator: Indicator, year: _YearSoFar, t_m: float, e_m: float):
    """(trend word, trend colour, rl, rb): the latest month against the mean of the up to
    three months with data before it; no trend without an earlier month."""
    before = [m for m in year.months if m < year.last][-3:]
    if not before:
        return NO_TREND, None, None, None
    D = indicator.decimals
    # the base as the workbook sums it: the month just before L first, then earlier ones
    rb = round_shown(sum(year.values[m] for m in reversed(before)) / len(before), D)
    rl = round_shown(year.values[year.last], D)
    return (trend_of(indicator.direction, rl, rb, e_m, t_m),
            status_of(indicator.direction, rl, t_m, e_m), rl, rb)


def _prognosis(indicator: Indicator, year: _YearSoFar, ytd: float) -> float:
    """Prognose: Hittil i år when the year is done; else the mean of the last three months
    (siste), or the year's end if the rest of the year runs at the recent rate."""
    if year.k == 0:
        return ytd
    if indicator.ytd_mode == "siste":
        return fmean(year.values[m] for m in year.months[-3:])
    return year.year_end_for(year.rate)


def _requirement(indicator: Indicator, year: _YearSoFar, t: float) -> float | str | None:
    """Krav resten av året: the month value the rest of the year must average to end on
    target; «nådd» or «umulig» where the number says so; none when the year is done."""
    if year.k == 0:
        return None
    if indicator.ytd_mode == "siste":
        return t
    x = year.needed(t)
    is_andel = indicator.measure == "andel"
    if indicator.direction == "høyere":
        if round(x, EPS_DECIMALS) <= 0:
            return REACHED
        if is_andel and round(x - 100, EPS_DECIMALS) > 0:
            return IMPOSSIBLE
    elif indicator.direction == "lavere":
        if round(x, EPS_DECIMALS) < 0:
            return IMPOSSIBLE
        if is_andel and round(x - 100, EPS_DECIMALS) >= 0:
            return REACHED
    return x


def _probability(indicator: Indicator, year: _YearSoFar, status: str,
                 requirement: float | str | None, t: float, e: float) -> float | str:
    """Sannsynlighet: how likely the year ends on a grønn number (see the module doc)."""
    if year.k == 0:
        return 1.0 if status == GREEN else 0.0
    if requirement == REACHED:
        return 1.0
    if requirement == IMPOSSIBLE:
        return 0.0
    if len(year.months) < 3:
        return TOO_LITTLE_DATA
    lo, hi = _green_bounds(indicator, t, e)
    last6 = [year.values[m] for m in year.months[-6:]]
    if indicator.ytd_mode == "akkumulert":
        # the rest of the year's mean month value, around the recent rate
        lo_x = year.needed(lo) if lo != -math.inf else -math.inf
        hi_x = year.needed(hi) if hi != math.inf else math.inf
        centre, sigma = year.rate, stdev(last6)
        spread = sigma / math.sqrt(year.k)
    else:
        # the last month's value in December: a random walk from the latest month
        lo_x, hi_x = lo, hi
        diffs = [b - a for a, b in zip(last6, last6[1:])]
        centre, sigma = year.values[year.last], stdev(diffs)
        spread = sigma * math.sqrt(year.k)
    if round(sigma, EPS_DECIMALS) == 0:
        inside = (round(centre - lo_x, EPS_DECIMALS) >= 0
                  and round(hi_x - centre, EPS_DECIMALS) >= 0)
        return 1.0 if inside else 0.0
    p_hi = 1.0 if hi_x == math.inf else _normal_cdf((hi_x - centre) / spread)
    p_lo = 0.0 if lo_x == -math.inf else _normal_cdf((lo_x - centre) / spread)
    return min(1.0, max(0.0, p_hi - p_lo))


def _green_bounds(indicator: Indicator, t: float, e: float) -> tuple[float, float]:
    """The year-end values that show as grønn (to Desimaler, with half a unit of the last
    decimal either side), as an interval; ±inf where open."""
    D = indicator.decimals
    h = 0.5 * 10 ** (-D)
    lo, hi = -math.inf, math.inf
    if indicator.direction == "høyere":
        lo = _ceil_to(t, D) - h
    elif indicator.direction == "lavere":
        hi = _floor_to(t, D) + h
    else:
        lo, hi = _ceil_to(t - e, D) - h, _floor_to(t + e, D) + h
    return lo, hi


def effective_risk(assessed: str | None, suggested: str | None) -> str | None:
    """Risiko (vurdering) wins where set; else Risiko (forslag)."""
    return assessed if assessed in RISKS else suggested
