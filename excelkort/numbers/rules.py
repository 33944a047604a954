"""The number rules of SPEC §4, in one pure module without I/O.

Rules that the live workbook also computes (month value, Hittil i år, rounding, status, trend
and its colour) are defined once as expression trees (``excelkort.expr``): ``evaluate`` runs the
compiled Python form, and ``excelkort.formulas`` renders the same trees as Excel formulas.
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
    """
    P = period_month
    D = indicator.decimals
    t = indicator.target if target is None else target
    e = tolerance if tolerance is not None else tolerance_for(indicator, t)
    T, N = series.teller, series.nevner
    window = window_months(indicator, P)
    with_n = has_nevner(indicator, series, window)
    factor = value_factor(indicator, series.weighted)

    data_months: list[int] = []
    values: dict[int, float] = {}
    for m in window:
        v = month_value(indicator, T[m - 1], N[m - 1], with_n, series.weighted)
        if v is not None:
            values[m] = v
            data_months.append(m)

    month_values = [None] * 12
    for m in indicator.reporting_months:
        if m in values:
            month_values[m - 1] = values[m]
        elif m not in window and m <= P:
            month_values[m - 1] = NOT_READY
    month_values = tuple(month_values)

    if not data_months:
        ready_exists = any(m <= P for m in indicator.reporting_months)
        ytd = NOT_READY if ready_exists and not window else None
        f = indicator.months_per_period
        prorata = pro_rata(indicator)
        return Result(month_values, ytd, GREY, NO_TREND, None, None, None, TOO_LITTLE_DATA,
                      None, (), None, None, series.weighted, with_n,
                      t * f / 12 if prorata else t, e * f / 12 if prorata else e)

    M = data_months[-1]
    n = len(data_months)
    k = sum(1 for m in indicator.reporting_months if m > M)
    last3 = data_months[-3:]
    sum_t = sum(T[m - 1] for m in data_months) if (with_n or indicator.measure == "antall") else None
    sum_n = sum(N[m - 1] for m in data_months) if with_n else None
    sum_v = sum(values[m] for m in data_months)

    # Hittil i år
    if indicator.ytd_mode == "siste":
        ytd = values[M]
    elif with_n:
        ytd = factor * sum_t / sum_n if factor != 1 else sum_t / sum_n
    elif indicator.measure == "antall":
        ytd = float(sum_t)
    else:
        ytd = sum_v / n

    # Targets and status
    prorata = pro_rata(indicator)
    f = indicator.months_per_period
    t_ytd, e_ytd = (t * M / 12, e * M / 12) if prorata else (t, e)
    t_m, e_m = (t * f / 12, e * f / 12) if prorata else (t, e)
    status = status_of(indicator.direction, round_shown(ytd, D), t_ytd, e_ytd)

    # Trend
    before = [m for m in data_months if m < M][-3:]
    if before:
        # the base as the workbook sums it: the month just before L first, then earlier ones
        rb = round_shown(sum(values[m] for m in reversed(before)) / len(before), D)
        rl = round_shown(values[M], D)
        trend = trend_of(indicator.direction, rl, rb, e_m, t_m)
        trend_colour = status_of(indicator.direction, rl, t_m, e_m)
    else:
        trend, trend_colour, rl, rb = NO_TREND, None, None, None

    # Prognose and the rate the rest of the year runs at
    if with_n:
        mu_t = fmean(T[m - 1] for m in last3)
        mu_n = fmean(N[m - 1] for m in last3)
        rate = factor * mu_t / mu_n
    elif indicator.measure == "antall":
        mu_t, mu_n = fmean(T[m - 1] for m in last3), None
        rate = mu_t
    else:
        mu_t, mu_n = None, None
        rate = fmean(values[m] for m in last3)

    def year_end_for(x: float) -> float:  # YTD in December if the rest of the year averages x
        if with_n:
            return factor * (sum_t + k * mu_n * x / factor) / (sum_n + k * mu_n)
        if indicator.measure == "antall":
            return sum_t + k * x
        return (sum_v + k * x) / (n + k)

    def needed(b: float) -> float:  # the Krav formula with target b (inverse of year_end_for)
        if with_n:
            return (b * (sum_n + k * mu_n) - factor * sum_t) / (k * mu_n)
        if indicator.measure == "antall":
            return (b - sum_t) / k
        return (b * (n + k) - sum_v) / k

    if k == 0:
        prognosis = ytd
    elif indicator.ytd_mode == "siste":
        prognosis = fmean(values[m] for m in last3)
    else:
        prognosis = year_end_for(rate)

    # Krav resten av året
    requirement: float | str | None
    if k == 0:
        requirement = None
    elif indicator.ytd_mode == "siste":
        requirement = t
    else:
        x = needed(t)
        requirement = x
        is_andel = indicator.measure == "andel"
        if indicator.direction == "høyere":
            if round(x, EPS_DECIMALS) <= 0:
                requirement = REACHED
            elif is_andel and round(x - 100, EPS_DECIMALS) > 0:
                requirement = IMPOSSIBLE
        elif indicator.direction == "lavere":
            if round(x, EPS_DECIMALS) < 0:
                requirement = IMPOSSIBLE
            elif is_andel and round(x - 100, EPS_DECIMALS) >= 0:
                requirement = REACHED

    # Sannsynlighet
    probability: float | str
    if k == 0:
        probability = 1.0 if status == GREEN else 0.0
    elif requirement == REACHED:
        probability = 1.0
    elif requirement == IMPOSSIBLE:
        probability = 0.0
    elif n < 3:
        probability = TOO_LITTLE_DATA
    else:
        h = 0.5 * 10 ** (-D)
        lo, hi = -math.inf, math.inf
        if indicator.direction == "høyere":
            lo = _ceil_to(t, D) - h
        elif indicator.direction == "lavere":
            hi = _floor_to(t, D) + h
        else:
            lo, hi = _ceil_to(t - e, D) - h, _floor_to(t + e, D) + h
        last6 = [values[m] for m in data_months[-6:]]
        if indicator.ytd_mode == "akkumulert":
            lo_x = needed(lo) if lo != -math.inf else -math.inf
            hi_x = needed(hi) if hi != math.inf else math.inf
            centre, sigma = rate, stdev(last6)
            spread = sigma / math.sqrt(k)
        else:
            lo_x, hi_x = lo, hi
            diffs = [b - a for a, b in zip(last6, last6[1:])]
            centre, sigma = values[M], stdev(diffs)
            spread = sigma * math.sqrt(k)
        if round(sigma, EPS_DECIMALS) == 0:
            inside = round(centre - lo_x, EPS_DECIMALS) >= 0 and round(hi_x - centre, EPS_DECIMALS) >= 0
            probability = 1.0 if inside else 0.0
        else:
            p_hi = 1.0 if hi_x == math.inf else _normal_cdf((hi_x - centre) / spread)
            p_lo = 0.0 if lo_x == -math.inf else _normal_cdf((lo_x - centre) / spread)
            probability = min(1.0, max(0.0, p_hi - p_lo))

    return Result(
        month_values=month_values, ytd=ytd, status=status, trend=trend,
        trend_colour=trend_colour, prognosis=prognosis, requirement=requirement,
        probability=probability, risk=_risk_of(probability),
        months_with_data=tuple(data_months), target=t_ytd, tolerance=e_ytd,
        weighted=series.weighted, has_nevner=with_n, month_target=t_m, month_tolerance=e_m,
        trend_latest=rl, trend_base=rb,
    )


def effective_risk(assessed: str | None, suggested: str | None) -> str | None:
    """Risiko (vurdering) wins where set; else Risiko (forslag)."""
    return assessed if assessed in RISKS else suggested


# --- aggregation across units -----------------------------------------------------------------

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

