"""The worked examples of SPEC §4 (tests/data/tall_eksempler.csv, a copy of the spec's file)."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from excelkort.model import Indicator, Series

EXAMPLES_CSV = Path(__file__).parent / "data" / "tall_eksempler.csv"


@dataclass
class Example:
    id: str
    description: str
    indicator: Indicator
    series: Series
    period_month: int
    expected: dict[str, str]


def _num(text: str) -> float | None:
    return float(text) if text.strip() else None


def load_examples() -> list[Example]:
    out = []
    with EXAMPLES_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            ind = Indicator(
                id=row["eksempel"], name=row["beskrivelse"], perspective="Bruker", type="Effekt",
                measure=row["Måletype"], direction=row["Retning"], target=float(row["Mål"]),
                tolerance=_num(row["Toleranse"]), ytd_mode=row["Hittil"],
                frequency=row["Frekvens"], lag=int(row["Etterslep"]),
                decimals_given=int(row["Desimaler"]) if row["Desimaler"].strip() else None,
            )
            series = Series([_num(row[f"T{m}"]) for m in range(1, 13)],
                            [_num(row[f"N{m}"]) for m in range(1, 13)])
            expected = {k: row[k] for k in ("Hittil i år", "Status", "Trend", "Trendfarge",
                                             "Prognose", "Krav resten av året", "Sannsynlighet",
                                             "Risiko (forslag)")}
            out.append(Example(row["eksempel"], row["beskrivelse"], ind, series,
                               int(row["periode_måned"]), expected))
    return out
