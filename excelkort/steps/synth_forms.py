"""What a synthetic year (``synth.generate_year``) delivers and what the offices type: the
month's long extract, the local values typed by a period, and the forms both take in an
office's workbook (Data's teller/nevner, or bare values in the Målekort month cells)."""
from __future__ import annotations

from ..model import Catalogue, Indicator, Series
from .synth import SyntheticYear, cut_to_period, parse_period

__all__ = ["extract_rows", "local_values", "typed_forms", "filled_forms"]


def typed_forms(typed: dict, catalogue: Catalogue, unit_id: str,
                month: int) -> tuple[dict, dict, dict]:
    """An office's local values as its workbook holds them, up to ``month``: (teller, nevner)
    by indicator where the office types a nevner (sheet Data), else bare values (the Målekort
    month cells). ``typed`` is what ``local_values`` returns."""
    teller, nevner, bare = {}, {}, {}
    for ind in catalogue:
        if ind.is_automatic or (unit_id, ind.id) not in typed:
            continue
        s = cut_to_period(typed[(unit_id, ind.id)], month)
        if any(v is not None for v in s.nevner):
            teller[ind.id], nevner[ind.id] = s.teller, s.nevner
        else:
            bare[ind.id] = s.teller
    return teller, nevner, bare


def filled_forms(year_data: SyntheticYear, typed: dict, catalogue: Catalogue, unit_id: str,
                 month: int) -> tuple[dict, dict, dict]:
    """An office's workbook as it stands after ``month`` has been filled: its typed local values
    (``typed_forms``) and the automatic indicators' teller and nevner up to ``month``."""
    teller, nevner, bare = typed_forms(typed, catalogue, unit_id, month)
    for ind in catalogue:
        if ind.is_automatic and (unit_id, ind.id) in year_data.series:
            s = cut_to_period(year_data.series[(unit_id, ind.id)], month)
            teller[ind.id], nevner[ind.id] = s.teller, s.nevner
    return teller, nevner, bare


# --------------------------------------------------------------------------------------
# cutting deliveries out of a year


def _abs_month(year: int, month: int) -> int:
    return year * 12 + (month - 1)


def extract_rows(
    year_data: SyntheticYear, catalogue: Catalogue, period: str, lag_redelivery: bool = True
) -> list[dict]:
    """The long extract (SPEC §6) delivered for ``period``, for ``automatisk`` indicators.

    An indicator with Etterslep L delivers months up to P − L (P − L may fall in the previous
    year: then this year's data delivers nothing new for a lag-0 indicator, but a lagged one
    delivers last year's months). With ``lag_redelivery`` every reporting month of the newest
    delivered month's year up to it is (re)delivered; without it only that newest month.
    Missing months are left out. Rows are sorted by unit, then catalogue order, then month.
    """
    p_year, p_month = parse_period(period)
    p_abs = _abs_month(p_year, p_month)
    plan: list[tuple[Indicator, list[int]]] = []
    for ind in catalogue:
        if not ind.is_automatic:
            continue
        newest = p_abs - max(0, ind.lag)
        n_year, n_month = divmod(newest, 12)
        if n_year != year_data.year:
            continue
        n_month += 1
        if lag_redelivery:
            months = [m for m in ind.reporting_months if m <= n_month]
        else:
            months = [n_month] if n_month in ind.reporting_months else []
        plan.append((ind, months))
    prelim = set(year_data.preliminary) if p_year == year_data.year else set()
    rows: list[dict] = []
    for uid in year_data.units:
        for ind, months in plan:
            s = year_data.series.get((uid, ind.id))
            if s is None:
                continue
            newest = months[-1] if months else None
            for m in months:
                t = s.teller[m - 1]
                if t is None:
                    continue
                merknad = ""
                if uid in prelim and m == newest and ind.lag == 0 and m == p_month:
                    merknad = "foreløpige tall"
                rows.append({
                    "enhet": uid,
                    "periode": f"{year_data.year:04d}-{m:02d}",
                    "indikator": ind.id,
                    "teller": t,
                    "nevner": None if ind.measure == "antall" else s.nevner[m - 1],
                    "merknad": merknad,
                })
    return rows


def local_values(
    year_data: SyntheticYear, catalogue: Catalogue, period: str
) -> dict[tuple[str, str], Series]:
    """What each office has typed for its ``lokal`` indicators by ``period`` (months ≤ P)."""
    p_year, p_month = parse_period(period)
    if p_year < year_data.year:
        cut = 0
    elif p_year > year_data.year:
        cut = 12
    else:
        cut = p_month
    out: dict[tuple[str, str], Series] = {}
    for uid in year_data.units:
        for ind in catalogue:
            if ind.is_automatic:
                continue
            s = year_data.series.get((uid, ind.id))
            if s is not None:
                out[(uid, ind.id)] = cut_to_period(s, cut)
    return out
