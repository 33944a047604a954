"""A synthetic but realistic year of scorecard data for every office (demo and tests).

``generate_year`` makes teller/nevner for all twelve months of a year, for every office and
every indicator of a catalogue, the way a data warehouse and the offices would deliver them;
``extract_rows`` cuts one month's long extract (SPEC §6) out of it and ``local_values`` what
the offices have typed for their ``lokal`` indicators by a given period.

Deterministic: the same seed, catalogue and offices give identical numbers on every machine.
Everything that characterises an office (its size, how good it is at each indicator, whether
it trends, how it types local values) is derived from a cryptographic hash of (seed, office
id[, indicator id]), so it is stable per office and independent of list order or of which other
offices and indicators are present. The month-to-month noise comes from one
``numpy.random.Generator`` per indicator (seeded from a hash of seed and indicator id) drawing
over the offices sorted by id, and only from its ``random()`` and ``standard_normal()`` streams
(no numpy distribution whose algorithm might change between versions): Poisson and binomial
draws are done here, exactly for small counts and by the normal approximation for large ones.

The model, in short:

* **Size** S (cases a month) is fixed per office: a table of the big cities' offices (Oslo's
  districts, Bergen, Trondheim, Stavanger, Bærum, Kristiansand, Drammen, …) gives ~500–2,000;
  every other office is log-uniform-ish between 20 and ~800, skewed to the small end.
  Staff (årsverk) A = 2 + 0.045·S.
* **nevner** = Poisson(S · the indicator's share · volume season · f) where f is months per
  reporting period; the volume season dips in July (×0.6), December (×0.8) and August.
* **Performance** of an office on an indicator, in units of the indicator's tolerance e:
  0.25 + 0.55·q (the office's general quality) + 0.75·z (its own strength on this indicator)
  − the season's penalty (July, then December and August worse; sick leave worse in winter)
  + month noise, minus a growing penalty through the year for ~4.5 % of offices that trend down
  (``trends`` says ``ned``), plus a bonus for ~3 % that improve (``opp``). The month's rate is
  target ± e·performance (direction-aware), and teller = Binomial(nevner, rate) for andel;
  snitt teller = a sum of days (nevner · mean days + noise); antall is teller alone.
* **Budget use** (andel + ``nær``, Ø1/Ø2): nevner is the periodised budget in NOK, teller the
  spend (both with 2 decimals), spend/budget = 100 % ± a few %, overspending for the offices
  that trend down; tiltaksmidler start slow in January and catch up in December.
* **Restanser** (P9): a level of ~10–40 by size (scaled by the target / 20), up in July and
  August; **årsverk** (Ø3): the budgeted årsverk A (``targets``, rows for a ``Mål`` table)
  ± a few %, 1 decimal.
* **Local** indicators: andel and monthly snitt are typed as bare values (92.3; 12.4 days) by
  most offices and as teller/nevner by ~10 % (``local_form``); survey scores (B5, M3, yearly)
  are bare values with 1 or 2 decimals within the scale named in the indicator (``skala 1–6``).
* **Missing** months: ~1 % for big offices rising to ~4 % for the smallest (local ones 1.5×);
  months outside an office's ``gyldig_fra``/``gyldig_til`` are missing too.
* **Outliers**: four data errors in the whole set (``outliers`` lists them), spread over the
  year: a snitt and an antall teller ×10 and two andel tellers ÷10.
* Frequency is respected: kvartal/tertial/år indicators have values only in their reporting
  months, each covering f months of volume.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from ..model import Catalogue, Indicator, Series, Unit
from ..period import parse_period as _parse_period
from ..numbers.rules import tolerance_for
from .synth_profiles import (BIG_OFFICES, BUDGET_W, PROFILES, PROGRESS, SEASONS, TILTAK_SEASON, VOLUME,
                             WORKDAYS)

__all__ = [
    "SyntheticYear",
    "generate_year",
    "cut_to_period",
    "parse_period",
]

#: local indicators are typed either as bare values or as teller/nevner
FORM_BARE = "verdi"
FORM_TN = "teller/nevner"

_ND = NormalDist()
_SMALL_N = 40  # binomial draws exact up to this nevner
_SMALL_LAMBDA = 30.0  # Poisson draws exact below this mean

# --------------------------------------------------------------------------------------
# the result


@dataclass
class SyntheticYear:
    """A generated year. ``series[(unit_id, indicator_id)]`` holds all 12 months."""

    year: int
    seed: int
    units: tuple[str, ...]  # office ids, sorted
    series: dict[tuple[str, str], Series]
    sizes: dict[str, int]  # cases a month
    staff: dict[str, float]  # budgeted årsverk
    #: per-unit targets where the catalogue's own makes no sense (Ø3 årsverk, antall totals):
    #: rows for a ``Mål`` table (enhet, indikator, mål)
    targets: dict[tuple[str, str], float] = field(default_factory=dict)
    trends: dict[str, str] = field(default_factory=dict)  # unit -> "ned" / "opp"
    local_form: dict[str, str] = field(default_factory=dict)  # unit -> FORM_BARE / FORM_TN
    #: (unit, indicator, month, description) of the deliberate data errors
    outliers: list[tuple[str, str, int, str]] = field(default_factory=list)
    #: units whose newest month is delivered with the merknad "foreløpige tall"
    preliminary: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------
# helpers


def _h_uniform(seed: int, *parts: str) -> float:
    """A uniform number in (0, 1) from a hash: identical on every machine and Python."""
    text = "\x1f".join([str(seed), *parts])
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return (int.from_bytes(digest, "big") + 0.5) / 2.0**64


def _h_normal(seed: int, *parts: str) -> float:
    return _ND.inv_cdf(_h_uniform(seed, *parts))


def _rng(seed: int, *parts: str) -> np.random.Generator:
    text = "\x1f".join([str(seed), *parts])
    entropy = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest(), "big")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def _poisson(lam: np.ndarray, z: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson(lam) by inversion of u below _SMALL_LAMBDA, else rounded normal from z."""
    lam = np.maximum(lam, 0.0)
    approx = np.maximum(np.rint(lam + np.sqrt(lam) * z), 0.0)
    small = lam < _SMALL_LAMBDA
    if not small.any():
        return approx
    ls = np.where(small, lam, 0.0)
    k = np.zeros_like(ls)
    p = np.exp(-ls)
    cdf = p.copy()
    for i in range(1, 120):
        more = (u > cdf) & small
        if not more.any():
            break
        k += more
        p = p * ls / i
        cdf = cdf + p
    return np.where(small, k, approx)


def _binomial(n: np.ndarray, p: np.ndarray, z: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Binomial(n, p): exact (count of uniforms below p) for n ≤ _SMALL_N, else normal."""
    n = np.maximum(n, 0.0)
    p = np.clip(p, 0.0, 1.0)
    idx = np.arange(ub.shape[-1])
    exact = ((ub < p[..., None]) & (idx < n[..., None])).sum(axis=-1).astype(float)
    approx = np.clip(np.rint(n * p + np.sqrt(n * p * (1 - p)) * z), 0.0, n)
    return np.where(n <= ub.shape[-1], exact, approx)


def _nan_mask_to_none(row: list[float], decimals: int | None) -> list[float | int | None]:
    if decimals is None:
        return [None if x != x else int(x) for x in row]
    return [None if x != x else round(x, decimals) + 0.0 for x in row]


def parse_period(period: str) -> tuple[int, int]:
    """'2026-07' or '202607' -> (2026, 7)."""
    parsed = _parse_period(period)
    if parsed is None:
        raise ValueError(f"Ugyldig periode {period!r}: bruk ÅÅÅÅ-MM, for eksempel 2026-07.")
    return int(parsed[:4]), int(parsed[5:7])


def cut_to_period(series: Series, month: int) -> Series:
    """A copy of ``series`` with every month after ``month`` (0–12) missing."""
    month = max(0, min(12, int(month)))

    def keep(values):
        return [v if i < month else None for i, v in enumerate(values)]

    return Series(teller=keep(series.teller), nevner=keep(series.nevner), weighted=series.weighted)


def _scale(ind: Indicator) -> tuple[float, float]:
    m = re.search(r"skala\s*(\d+(?:[.,]\d+)?)\s*[–-]\s*(\d+(?:[.,]\d+)?)", ind.name, re.I)
    if m:
        return float(m.group(1).replace(",", ".")), float(m.group(2).replace(",", "."))
    return 1.0, max(5.0, math.ceil(ind.target + 1))


def _kind(ind: Indicator) -> str:
    prof = PROFILES.get(ind.id, {})
    if "kind" in prof:
        return prof["kind"]
    if ind.measure == "andel" and ind.direction == "nær":
        return "budget"
    if ind.measure == "snitt" and ind.frequency == "år":
        return "survey"
    if ind.measure == "antall":
        return "count_antall"
    return "cases"


def _office_size(seed: int, unit: Unit) -> int:
    name = unit.name.strip().lower()
    if name.startswith("nav "):
        name = name[4:]
    u = _h_uniform(seed, "size", unit.id)
    if name in BIG_OFFICES:
        size = BIG_OFFICES[name] * math.exp(0.08 * _ND.inv_cdf(u))
    elif "forvaltning" in unit.type.lower() or "forvaltning" in name:
        size = 500 * 4.0**u
    else:
        size = 20 * 100.0 ** (0.8 * u**1.4)  # 20 … ~800, median ~80
    return int(round(min(2000.0, max(20.0, size))))


# --------------------------------------------------------------------------------------
# generation


@dataclass
class _Ctx:
    seed: int
    year: int
    ids: list[str]
    size: np.ndarray  # (U,)
    spos: np.ndarray  # (U,) log-size position 0..1
    staff: np.ndarray  # (U,) årsverk
    quality: np.ndarray  # (U,)
    down: np.ndarray  # (U,) 1.0 for offices trending down
    up: np.ndarray  # (U,) 1.0 for offices improving
    in_force: np.ndarray  # (U, 12) bool
    p_miss: np.ndarray  # (U,) probability of a missing month
    tn: np.ndarray  # (U,) bool: types local values as teller/nevner


def _draws(rng: np.random.Generator, n_units: int) -> dict[str, np.ndarray]:
    # always the same draws in the same order, whatever the indicator needs
    shape = (n_units, 12)
    return {
        "zn": rng.standard_normal(shape),
        "un": rng.random(shape),
        "zt": rng.standard_normal(shape),
        "ub": rng.random(shape + (_SMALL_N,)),
        "zm": rng.standard_normal(shape),
        "um": rng.random(shape),
    }


def _performance(ctx: _Ctx, ind: Indicator, d: dict, season: str) -> np.ndarray:
    """Performance in tolerance units (positive = better), (U, 12)."""
    own = np.array([_h_normal(ctx.seed, "own", u, ind.id) for u in ctx.ids])
    base = 0.25 + 0.55 * ctx.quality + 0.75 * own
    trend = -2.2 * ctx.down[:, None] * PROGRESS + 1.3 * ctx.up[:, None] * PROGRESS
    return base[:, None] - SEASONS[season][None, :] + trend + 0.3 * d["zm"]


def _level(ind: Indicator, perf: np.ndarray) -> np.ndarray:
    sign = -1.0 if ind.direction == "lavere" else 1.0
    return ind.target + sign * tolerance_for(ind, ind.target) * perf


def _own(ctx: _Ctx, ind: Indicator, what: str = "own") -> np.ndarray:
    """Each office's own strength (or share) on the indicator, from a hash: (U,)."""
    return np.array([_h_normal(ctx.seed, what, u, ind.id) for u in ctx.ids])


def _budget(ctx: _Ctx, ind: Indicator, d: dict, prof: dict):
    """Budget use: the periodised budget in NOK as nevner, the spend as teller (2 decimals)."""
    f = ind.months_per_period
    per_staff = prof.get("per_staff")
    per_case = prof.get("per_case", 2_500.0 if per_staff is None else None)
    annual = ctx.staff * 12 * per_staff if per_staff else ctx.size * 12 * per_case
    budget = np.round(annual[:, None] / 12 * BUDGET_W[None, :] * f, 2)
    own = _own(ctx, ind)
    seas = TILTAK_SEASON if prof.get("season", "sommer") == "tiltak" else np.zeros(12)
    sd = prof.get("sd", 0.5)
    overspend = 1.5 * ctx.down[:, None] * PROGRESS  # offices in trouble overspend
    dev = 0.9 * own[:, None] + sd * d["zm"] + seas[None, :] + overspend
    ratio = ind.target + tolerance_for(ind, ind.target) * dev
    spend = np.round(budget * np.maximum(ratio, 0.0) / 100.0, 2)
    return spend, budget, 2, 2, False


def _survey(ctx: _Ctx, ind: Indicator, d: dict, prof: dict):
    """A survey score typed as a bare value, 1 or 2 decimals, within the indicator's scale."""
    lo, hi = _scale(ind)
    perf = _performance(ctx, ind, d, "ingen")
    value = np.clip(_level(ind, perf), lo, hi)
    one = np.array([_h_uniform(ctx.seed, "decimals", u) < 0.5 for u in ctx.ids])
    value = np.where(one[:, None], np.round(value, 1), np.round(value, 2))
    return value, None, 2, None, True


def _backlog(ctx: _Ctx, ind: Indicator, d: dict, prof: dict):
    """Restanser: a level by size, up in July and August."""
    perf = _performance(ctx, ind, d, "ingen")
    sign = -1.0 if ind.direction == "lavere" else 1.0
    base = (ind.target / 20.0) * (8 + 28 * ctx.spos)  # ~10–40 with P9's target 20
    seas = np.ones(12)
    seas[6:8] = (1.4, 1.2)  # the summer holidays pile up cases
    lam = base[:, None] * np.exp(-0.12 * sign * perf) * seas[None, :]
    return _poisson(lam, d["zt"], d["un"]), None, None, None, False


def _staffcount(ctx: _Ctx, ind: Indicator, d: dict, prof: dict):
    """Årsverk: the budgeted level ± a few %, 1 decimal."""
    own = _own(ctx, ind)
    actual = ctx.staff[:, None] * (1 + 0.025 * own[:, None] + 0.01 * d["zm"])
    return np.round(np.maximum(actual, 0.0), 1), None, 1, None, True


def _count_antall(ctx: _Ctx, ind: Indicator, d: dict, prof: dict):
    """An antall: Poisson around the target's share by size (a year's total or a level)."""
    f = ind.months_per_period
    volume = VOLUME if f == 1 else np.ones(12)
    perf = _performance(ctx, ind, d, prof.get("season", "sommer"))
    sign = -1.0 if ind.direction == "lavere" else 1.0
    factor = ctx.size / 200.0
    if ind.ytd_mode == "akkumulert":
        lam = (ind.target * f / 12.0) * factor[:, None] * volume[None, :]
    else:
        lam = np.full((len(ctx.ids), 12), ind.target) * (0.4 + 1.2 * ctx.spos)[:, None]
    lam = lam * np.exp(0.08 * sign * perf)
    return _poisson(lam, d["zt"], d["un"]), None, None, None, False


def _case_nevner(ctx: _Ctx, ind: Indicator, d: dict, prof: dict, kind: str) -> np.ndarray:
    """The nevner of an andel or snitt: agreed work days, staff, or cases (U, 12)."""
    if kind == "sickleave":
        lam = ctx.staff[:, None] * WORKDAYS[None, :] * (1 + 0.02 * d["zn"])
        return np.rint(lam)  # agreed work days: a plan, little noise
    if kind == "staff":
        return np.rint(ctx.staff)[:, None] * np.ones((1, 12))
    f = ind.months_per_period
    volume = VOLUME if f == 1 else np.ones(12)
    share = prof.get("share", 0.3)
    own_share = _own(ctx, ind, "share")
    lam = ctx.size[:, None] * share * np.exp(0.15 * own_share)[:, None] * volume[None, :] * f
    return _poisson(lam, d["zn"], d["un"])


def _case_teller(ind: Indicator, d: dict, prof: dict, nevner: np.ndarray,
                 level: np.ndarray) -> np.ndarray:
    """The teller of an andel (binomial at the month's rate) or a snitt (a sum of days)."""
    if ind.measure == "andel":
        return _binomial(nevner, np.clip(level, 0.2, 99.8) / 100.0, d["zt"], d["ub"])
    mean = np.maximum(level, 0.5)  # snitt: a sum (days per case, score per respondent)
    cv = prof.get("cv", 0.8)
    teller = np.rint(nevner * mean + np.sqrt(nevner) * mean * cv * d["zt"])
    return np.maximum(teller, np.where(mean >= 1, nevner, 0.0))


def _typed_locally(ctx: _Ctx, ind: Indicator, teller: np.ndarray, nevner: np.ndarray):
    """A local andel or snitt as the offices type it: teller/nevner where the office types a
    nevner (``ctx.tn``), else the bare value with 1 decimal; no cases leave the month empty."""
    nevner = np.where(nevner > 0, nevner, np.nan)
    teller = np.where(nevner > 0, teller, np.nan)
    if ind.measure == "andel":
        bare = np.round(100.0 * teller / np.where(nevner > 0, nevner, 1), 1)
    else:
        bare = np.round(teller / np.where(nevner > 0, nevner, 1), 1)
    tn = ctx.tn[:, None]
    return np.where(tn, teller, bare), np.where(tn, nevner, np.nan), "mixed", None, True


def _cases(ctx: _Ctx, ind: Indicator, d: dict, prof: dict, kind: str):
    """A nevner-based andel or snitt: cases, staff or sick leave."""
    nevner = _case_nevner(ctx, ind, d, prof, kind)
    perf = _performance(ctx, ind, d, prof.get("season", "sommer"))
    teller = _case_teller(ind, d, prof, nevner, _level(ind, perf))
    if not ind.is_automatic:
        return _typed_locally(ctx, ind, teller, nevner)
    return teller, nevner, None, None, False


#: the generator of each kind of indicator; every other kind is ``_cases``
_BY_KIND = {"budget": _budget, "survey": _survey, "backlog": _backlog,
            "staffcount": _staffcount, "count_antall": _count_antall}


def _generate_indicator(ctx: _Ctx, ind: Indicator):
    """(teller, nevner or None, teller decimals or None for int, nevner decimals, bare?).

    The indicator's random draws are made first, always the same ones in the same order, and
    the generator of its kind takes what it needs from them."""
    prof = PROFILES.get(ind.id, {})
    kind = _kind(ind)
    d = _draws(_rng(ctx.seed, "indicator", ind.id), len(ctx.ids))
    make = _BY_KIND.get(kind)
    return make(ctx, ind, d, prof) if make else _cases(ctx, ind, d, prof, kind)


def _context(units: list[Unit], year: int, seed: int) -> _Ctx:
    """What characterises each office (sorted by id), from hashes of (seed, office id)."""
    ids = [u.id for u in units]
    U = len(ids)
    size = np.array([_office_size(seed, u) for u in units], dtype=float)
    spos = np.clip(np.log(size / 20.0) / math.log(100.0), 0.0, 1.0)
    staff = np.round(2 + 0.045 * size)
    quality = np.array([_h_normal(seed, "quality", u) for u in ids])
    tu = np.array([_h_uniform(seed, "trend", u) for u in ids])
    down = (tu < 0.045).astype(float)
    up = (tu > 0.97).astype(float)
    in_force = np.array(
        [[u.in_force(f"{year:04d}-{m:02d}") for m in range(1, 13)] for u in units], dtype=bool
    ).reshape(U, 12)
    p_miss = 0.008 + 0.03 * (1 - spos) ** 2
    return _Ctx(seed, year, ids, size, spos, staff, quality, down, up, in_force, p_miss,
                _types_nevner(ids, seed))


def _types_nevner(ids: list[str], seed: int) -> np.ndarray:
    """Which offices type local values as teller/nevner (~10 %; at least one office, and not
    every office, when there are two or more)."""
    fu = np.array([_h_uniform(seed, "form", u) for u in ids])
    tn = fu < 0.10
    if len(ids) >= 2 and not tn.any():
        tn[int(np.argmin(fu))] = True
    if len(ids) >= 2 and tn.all():
        tn[int(np.argmax(fu))] = False
    return tn


def _delivered(ctx: _Ctx, ind: Indicator) -> list:
    """The indicator's arrays with months outside its reporting months, outside an office's
    time in force, or missing at random left out (NaN): [teller, nevner, tdec, ndec, bare]."""
    teller, nevner, tdec, ndec, bare = _generate_indicator(ctx, ind)
    rep = np.zeros(12, dtype=bool)
    rep[[m - 1 for m in ind.reporting_months]] = True
    miss_u = _rng(ctx.seed, "missing", ind.id).random((len(ctx.ids), 12))
    p = ctx.p_miss * (1.5 if not ind.is_automatic else 1.0)
    keep = ctx.in_force & rep[None, :] & (miss_u >= p[:, None])
    teller = np.where(keep, teller, np.nan)
    if nevner is not None:
        nevner = np.where(keep, nevner, np.nan)
    return [teller, nevner, tdec, ndec, bare]


def _to_series(ctx: _Ctx, indicators: list[Indicator], arrays: dict) -> dict:
    """Every (office, indicator)'s Series, NaN as missing; integers where they are counts and
    the rounding of the decimals the values are typed or delivered with."""
    series: dict[tuple[str, str], Series] = {}
    for ind in indicators:
        teller, nevner, tdec, ndec, bare = arrays[ind.id]
        t_rows = teller.tolist()
        n_rows = nevner.tolist() if nevner is not None else None
        for i, uid in enumerate(ctx.ids):
            if tdec == "mixed":
                if ctx.tn[i]:
                    t = _nan_mask_to_none(t_rows[i], None)
                    n = _nan_mask_to_none(n_rows[i], None)
                else:
                    t = _nan_mask_to_none(t_rows[i], 1)
                    n = [None] * 12
            else:
                t = _nan_mask_to_none(t_rows[i], tdec)
                n = _nan_mask_to_none(n_rows[i], ndec) if n_rows is not None else [None] * 12
            series[(uid, ind.id)] = Series(teller=t, nevner=n)
    return series


def _unit_targets(ctx: _Ctx, indicators: list[Indicator]) -> dict[tuple[str, str], float]:
    """Rows for a ``Mål`` table: each office's budgeted årsverk (Ø3), and antall year totals
    by size."""
    targets: dict[tuple[str, str], float] = {}
    for ind in indicators:
        kind = _kind(ind)
        if kind == "staffcount":
            for i, uid in enumerate(ctx.ids):
                targets[(uid, ind.id)] = float(ctx.staff[i])
        elif kind == "count_antall" and ind.ytd_mode == "akkumulert":
            for i, uid in enumerate(ctx.ids):
                targets[(uid, ind.id)] = float(max(1, round(ind.target * ctx.size[i] / 200.0)))
    return targets


def generate_year(
    catalogue: Catalogue, offices: list[Unit], year: int, seed: int = 2026
) -> SyntheticYear:
    """A year of data for every office and indicator: all 12 months (callers cut by period)."""
    units = sorted({u.id: u for u in offices}.values(), key=lambda u: u.id)
    ctx = _context(units, year, seed)
    ids = ctx.ids
    indicators = list(catalogue)
    arrays = {ind.id: _delivered(ctx, ind) for ind in indicators}
    outliers = _place_outliers(ctx, indicators, arrays)
    trends = {uid: "ned" for uid, dn in zip(ids, ctx.down) if dn}
    trends.update({uid: "opp" for uid, upp in zip(ids, ctx.up) if upp})
    preliminary = tuple(uid for uid in ids if _h_uniform(seed, "preliminary", uid) < 0.03)
    return SyntheticYear(
        year=year,
        seed=seed,
        units=tuple(ids),
        series=_to_series(ctx, indicators, arrays),
        sizes={uid: int(s) for uid, s in zip(ids, ctx.size)},
        staff={uid: float(a) for uid, a in zip(ids, ctx.staff)},
        targets=_unit_targets(ctx, indicators),
        trends=dict(sorted(trends.items())),
        local_form={uid: (FORM_TN if t else FORM_BARE) for uid, t in zip(ids, ctx.tn)},
        outliers=outliers,
        preliminary=preliminary,
    )


def _place_outliers(ctx: _Ctx, indicators: list[Indicator], arrays: dict) -> list:
    """Four data errors, spread over the year, in automatic monthly indicators."""
    cands = [
        i for i in indicators
        if i.is_automatic and i.frequency == "måned" and _kind(i) != "budget"
    ]
    if not cands or not ctx.ids:
        return []
    snitt = [i for i in cands if i.measure == "snitt"]
    antall = [i for i in cands if i.measure == "antall"]
    andel = [i for i in cands if i.measure == "andel"]
    plan = [  # (pool, operation)
        (snitt or cands, "x10"),
        (andel or cands, "div10"),
        (antall or cands, "x10"),
        (andel or cands, "div10"),
    ]
    windows = [(2, 4), (5, 7), (8, 10), (11, 12)]
    rng = _rng(ctx.seed, "outliers")
    eligible = [i for i, s in enumerate(ctx.size) if s >= 100] or list(range(len(ctx.ids)))
    result = []
    used: set[tuple[int, str]] = set()
    for (pool, op), (lo, hi) in zip(plan, windows):
        ind = pool[int(rng.random() * len(pool))]
        month_order = list(range(lo, hi + 1))
        start = int(rng.random() * len(month_order))
        month_order = month_order[start:] + month_order[:start]
        teller = arrays[ind.id][0]
        for _ in range(len(eligible)):
            ui = eligible[int(rng.random() * len(eligible))]
            if (ui, ind.id) in used:
                continue
            month = next((m for m in month_order if not math.isnan(teller[ui, m - 1])), None)
            if month is None:
                continue
            old = teller[ui, month - 1]
            if ind.measure != "andel":
                new = old * 10 if old > 0 else 10.0
                text = "teller ×10 (datafeil)"
            else:
                new = float(math.floor(old / 10))
                text = "teller ÷10 (datafeil)"
            teller[ui, month - 1] = new
            used.add((ui, ind.id))
            result.append((ctx.ids[ui], ind.id, month, text))
            break
    return sorted(result)
