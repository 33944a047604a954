"""What a check of an extract returns (SPEC §6 ``excelkort kontroll``), and its wording.

The kinds of finding and their severities, the comparison rows (the sheet Alle), the findings
and the report that ``steps.control.run_control`` builds and ``steps.control_report`` prints
and writes; and the small Norwegian number and line texts both of them use in messages.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ERROR, WARNING
from ..inputs.extract_values import (REASON_IMPOSSIBLE, REASON_NOT_AVAILABLE, REASON_NOT_READY,
                                     REASON_SUPPRESSED)
from ..inputs.tables import lines_text, rows_word
from ..model import Catalogue, Indicator

__all__ = [
    "SEVERITY_ERROR", "SEVERITY_WARNING", "SEVERITY_INFO", "SEVERITIES", "SEVERITY_RANK",
    "KINDS", "KIND_LABELS", "SEVERITY_OF", "MISSING_KINDS", "REASON_WORDS",
    "ComparisonRow", "Finding", "ControlReport", "default_output_path",
    "num_text", "value_text", "lines_text", "rows_word",
]

SEVERITY_ERROR = ERROR  # "feil"
SEVERITY_WARNING = WARNING  # "advarsel"
SEVERITY_INFO = "info"
SEVERITIES = (SEVERITY_ERROR, SEVERITY_WARNING, SEVERITY_INFO)
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}

# The kinds of finding, in the order the Sammendrag lists them: code → label users read.
KIND_LABELS = {
    "radfeil": "Feil i linje",
    "duplikat": "Duplikat",
    "ukjent_enhet": "Ukjent enhet",
    "ukjent_indikator": "Ukjent indikator",
    "enhet_mangler": "Kontoret mangler helt",
    "indikator_mangler": "Indikatoren mangler helt",
    "fylke_mangler": "Fylkesenheten mangler helt",
    "uteligger": "Uteligger",
    "nevnerhopp": "Nevneren hopper",
    "mangler": "Mangler",
    "enhet_ikke_i_kraft": "Enheten er ikke i kraft",
    "enhet_ikke_kontor": "Ikke et kontor",
    "uttrekk": "Merknad om uttrekket",
    "forrige_uttrekk": "Feil i forrige uttrekk",
    "etter_uteligger": "Følger av uteligger",
    "ssb_symbol": "SSB-symbol (prikket o.l.)",
    "merknad": "Merknad i uttrekket",
    "revidert": "Endret siden forrige uttrekk",
    "lokal_indikator": "Lokal indikator i uttrekket",
}
KINDS = tuple(KIND_LABELS)
SEVERITY_OF = {
    "radfeil": SEVERITY_ERROR, "duplikat": SEVERITY_ERROR, "ukjent_enhet": SEVERITY_ERROR,
    "ukjent_indikator": SEVERITY_ERROR, "enhet_mangler": SEVERITY_ERROR,
    "indikator_mangler": SEVERITY_ERROR, "fylke_mangler": SEVERITY_WARNING,
    "uteligger": SEVERITY_WARNING, "nevnerhopp": SEVERITY_WARNING,
    "mangler": SEVERITY_WARNING, "enhet_ikke_i_kraft": SEVERITY_WARNING,
    "enhet_ikke_kontor": SEVERITY_WARNING, "uttrekk": SEVERITY_WARNING,
    "forrige_uttrekk": SEVERITY_WARNING, "etter_uteligger": SEVERITY_INFO,
    "ssb_symbol": SEVERITY_INFO, "merknad": SEVERITY_INFO, "revidert": SEVERITY_INFO,
    "lokal_indikator": SEVERITY_INFO,
}
_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}
#: the kinds the Mangler sheet lists
MISSING_KINDS = ("enhet_mangler", "indikator_mangler", "fylke_mangler", "mangler",
                 "ukjent_enhet", "ukjent_indikator", "enhet_ikke_i_kraft", "enhet_ikke_kontor")

REASON_WORDS = {
    REASON_SUPPRESSED: "prikket (:)",
    REASON_NOT_AVAILABLE: "mangler (..)",
    REASON_NOT_READY: "ikke klar ennå (...)",
    REASON_IMPOSSIBLE: "umulig (.)",
}


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------
@dataclass
class ComparisonRow:
    """One unit × indicator × month with its comparisons (a row of the sheet Alle)."""

    unit: str
    unit_name: str
    county: str  # the county unit's name ("" when unknown)
    indicator: str
    indicator_name: str
    period: str
    previous_period: str
    last_year_period: str
    teller: float | None = None
    nevner: float | None = None
    value: float | None = None
    reason: str | None = None  # an SSB symbol's reason ("prikket", …) for teller or nevner
    previous_value: float | None = None
    previous_nevner: float | None = None
    previous_source: str = ""  # the file last month's numbers came from
    last_year_value: float | None = None
    z: float | None = None  # robust z of the change (None: not tested)
    delivered: bool = False
    line: int | None = None
    merknad: str | None = None
    kinds: list[str] = field(default_factory=list)  # the findings on this row
    severity: str | None = None  # the worst finding's severity

    @property
    def change(self) -> float | None:
        return _difference(self.value, self.previous_value)

    @property
    def nevner_change(self) -> float | None:
        """Relative change in nevner (0.5 = +50 %), None when it cannot be computed."""
        if self.nevner is None or not self.previous_nevner:
            return None
        return self.nevner / self.previous_nevner - 1

    @property
    def last_year_change(self) -> float | None:
        return _difference(self.value, self.last_year_value)

    @property
    def status(self) -> str:
        if not self.delivered:
            return "mangler"
        if self.reason:
            return REASON_WORDS.get(self.reason, self.reason)
        if self.value is None:
            return "uten verdi"
        return "levert"


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


@dataclass
class Finding:
    """One thing the county should look at."""

    kind: str  # a key of KIND_LABELS
    severity: str  # feil / advarsel / info
    message: str  # Norwegian, complete
    unit: str = ""
    unit_name: str = ""
    county: str = ""
    indicator: str = ""
    period: str = ""
    z: float | None = None
    lines: tuple[int, ...] = ()
    hint: str = ""  # «mente du»: the likely id
    row: ComparisonRow | None = None

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def sort_key(self):
        return (SEVERITY_RANK[self.severity], -abs(self.z) if self.z is not None else 0.0,
                _KIND_ORDER.get(self.kind, 99), self.unit, self.indicator, self.period,
                self.lines[:1], self.message)

    def __str__(self) -> str:
        where = " ".join(x for x in (self.unit, self.unit_name) if x)
        what = " ".join(x for x in (self.indicator, self.period) if x)
        head = ", ".join(x for x in (where, what) if x)
        return f"{self.severity}: {head + ': ' if head else ''}{self.message}"


@dataclass
class ControlReport:
    """The check of one extract."""

    source: Path
    period: str
    sha256: str
    format: str
    previous: list[Path]
    rows_read: int
    rows_used: int
    units_in_extract: list[str]
    expected_units: int
    counties: list[tuple[str, str, bool]]  # (id, name, has rows in the extract)
    checked: list[tuple[str, str]]  # (indicator id, month checked)
    not_checked: list[tuple[str, str]]  # (indicator id, why)
    rows: list[ComparisonRow]  # expected unit × checked indicator (the sheet Alle)
    findings: list[Finding]  # worst first
    catalogue: Catalogue

    @property
    def default_output(self) -> Path:
        return default_output_path(self.source, self.period)

    def count_by_severity(self) -> dict[str, int]:
        out = {s: 0 for s in SEVERITIES}
        for f in self.findings:
            out[f.severity] += 1
        return out

    def count_by_kind(self) -> dict[str, int]:
        out = {k: 0 for k in KINDS}
        for f in self.findings:
            out[f.kind] = out.get(f.kind, 0) + 1
        return out

    def of_kind(self, *kinds: str) -> list[Finding]:
        return [f for f in self.findings if f.kind in kinds]

    @property
    def missing(self) -> list[Finding]:
        """What the sheet Mangler lists: missing rows, unknown units and indicators, …"""
        return self.of_kind(*MISSING_KINDS)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == SEVERITY_ERROR for f in self.findings)


def default_output_path(extract_path: str | os.PathLike, period: str) -> Path:
    """``kontroll_<periode>.xlsx`` beside the extract."""
    return Path(extract_path).parent / f"kontroll_{period}.xlsx"


# --------------------------------------------------------------------------------------------
# Wording shared by the findings and the report
# --------------------------------------------------------------------------------------------
def num_text(x: float | None, decimals: int = 1, sign: bool = False) -> str:
    """A number for a message, Norwegian style: 1 234,5 (decimal comma, space thousands)."""
    if x is None:
        return "–"
    text = f"{abs(x):,.{decimals}f}".replace(",", " ").replace(".", ",")
    if x < 0 and float(text.replace(" ", "").replace(",", ".")) != 0:
        return "-" + text
    return ("+" + text) if sign else text


def value_text(ind: Indicator, x: float | None, sign: bool = False) -> str:
    if x is None:
        return "–"
    text = num_text(x, ind.decimals, sign)
    if ind.measure == "andel":
        return text + (" prosentpoeng" if sign else " %")
    if ind.measure == "snitt" and "dager" in ind.name.lower():
        return text + " dager"
    return text



