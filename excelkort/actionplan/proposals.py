"""What ``tiltak`` decides for one unit's tiltaksplan (SPEC §5 Tiltaksplan), without file work.

- An indicator needs a measure when the målekort's own Status cell says rød, or its risk
  (Risiko (vurdering), else Risiko (forslag)) is Høy; it gets a proposal when the plan has no
  open measure (Ikke startet or Pågår) for it.
- A proposal says why in Avvik, as the målekort shows the numbers: «Hittil i år 58,2 % mot mål
  65 %» (the indicator's unit and Desimaler; the target as given), «…; Risiko høy» when the
  reason is the risk alone.
- The effect cells hold Hittil i år rounded as the målekort shows it: ``Verdi ved start`` in the
  month the measure started (computed from the målekort's Data for the months up to then),
  ``Verdi nå`` in the målekort's period.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..model import Indicator
from ..numbers.rules import HIGH, RED, Result, effective_risk, evaluate, pro_rata, round_shown
from ..numtext import format_fixed, format_number
from ..scorecard.layout import unit_text
from ..scorecard.rowmodel import RowInputs
from .layout import PROPOSAL_COMMENT, PROPOSAL_STATUS

RISK_REASON = "Risiko høy"


def reason_for_measure(status, risk_assessed, risk_suggested) -> str | None:
    """``rød`` when the målekort's Status cell is rød, else ``Høy`` when the risk that counts
    (Risiko (vurdering) where set, else Risiko (forslag)) is Høy; otherwise None."""
    if isinstance(status, str) and status.strip() == RED:
        return RED
    suggested = risk_suggested.strip() if isinstance(risk_suggested, str) else None
    return HIGH if effective_risk(risk_assessed, suggested) == HIGH else None


def shown(ind: Indicator, value: float) -> str:
    """A measured value as the målekort shows it: rounded to Desimaler, with its unit."""
    return format_fixed(round_shown(value, ind.decimals), ind.decimals) + unit_text(ind)


def _target(ind: Indicator, value: float) -> str:
    """A target as given (never rounded), with its unit: «65 %», «1 200»."""
    text = format_number(value)
    decimals = len(text.split(",", 1)[1]) if "," in text else 0
    return format_fixed(value, decimals) + unit_text(ind)


def deviation_text(ind: Indicator, result: Result, reason: str, target: float) -> str:
    """Avvik of a proposal: Hittil i år against the target (pro rata where the status compares
    with it), and «Risiko høy» when the risk is the reason."""
    parts = []
    if isinstance(result.ytd, (int, float)):
        if pro_rata(ind) and result.target is not None and result.last_month < 12:
            against = (f"mål {shown(ind, result.target)} så langt i år "
                       f"({_target(ind, target)} for året)")
        else:
            against = f"mål {_target(ind, target)}"
        parts.append(f"Hittil i år {shown(ind, result.ytd)} mot {against}")
    if reason == HIGH:
        parts.append(RISK_REASON)
    return "; ".join(parts)


def effect_value(ind: Indicator, result: Result) -> float | None:
    """Hittil i år as the målekort shows it (rounded to Desimaler), or None without a number."""
    if isinstance(result.ytd, (int, float)):
        return round_shown(result.ytd, ind.decimals)
    return None


def result_in_month(inputs: RowInputs, month: int) -> Result:
    """The indicator's numbers as they stood in ``month`` (1–12): only the months up to it count,
    as in the målekort that month (Etterslep included)."""
    return evaluate(inputs.indicator, inputs.engine_series(month), month, target=inputs.target,
                    tolerance=inputs.tolerance)


def start_month(start: dt.date | None, year: int, period_month: int) -> int | None:
    """The month whose Hittil i år is ``Verdi ved start``: Start's month in the målekort's year
    (no Start: the period's). None when it cannot be known yet or here: a Start in another
    year (the målekort holds one year) or after the period (the measure has not started)."""
    if start is None:
        return period_month
    if start.year != year or start.month > period_month:
        return None
    return start.month


@dataclass(frozen=True)
class Proposal:
    """A row ``tiltak`` proposes for an indicator that needs a measure."""

    indicator: Indicator
    reason: str  # rød or Høy
    deviation: str  # Avvik
    value_now: float | None

    def cells(self, nr: int, today: dt.date, serial) -> dict[str, object]:
        """The row's cells by label (``serial`` turns a date into Excel's number). Start, Tiltak,
        Ansvarlig, Frist and Forventet effekt are left to the person who takes it on."""
        return {"Nr": nr, "Indikator": f"{self.indicator.id} {self.indicator.name}",
                "Avvik": self.deviation, "Status": PROPOSAL_STATUS, "Kommentar": PROPOSAL_COMMENT,
                "Sist oppdatert": serial(today), "Verdi ved start": self.value_now,
                "Verdi nå": self.value_now}
