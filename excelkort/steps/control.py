"""The county's check of an extract (SPEC §6, §8 ``excelkort kontroll``).

``run_control`` reads the month's extract (and optionally earlier extracts, ``--forrige``) and
compares, per office and automatic indicator, this month with last month and with the same
month last year; it lists outliers, jumps in the nevner, missing rows, unknown units and
indicators, duplicates and bad lines, worst first. ``write_control_workbook`` writes the check
as a workbook (Sammendrag, Avvik, Alle, Mangler), ``summary_lines`` as a short terminal summary.

Decisions (also in the README text):

* **The period P** is the extract's latest period (or ``period=`` when given). For each
  ``automatisk`` indicator the month checked is c = P − Etterslep, and only when c is one of the
  indicator's reporting months (Frekvens); "last month" is the previous reporting month
  (c − 1 for ``måned``, c − 3 for ``kvartal``, …), "same month last year" is c − 12. Values come
  from the extract itself when it (re)delivers the month, else from the ``--forrige`` extracts
  (the one with the latest period first).
* **Expected rows**: every kontor in force in the month c under the county units that have at
  least one unit in the extract (so a county's own extract is not reported as missing every
  other county's offices; a county unit without any row is reported instead when the extract
  covers two or more counties).
* **Reading tolerantly**: ``read_extract`` rejects a whole extract for one bad line or one
  duplicate, which is right for ``fyll`` but not for a check whose job is to list such lines.
  Here the extract is read with ``read_extract`` first; when it raises, the raw table is read
  with the extract module's own readers and validated again without the lines that failed (each
  becomes a ``feil`` finding with the reader's own message), and the lines of a duplicated
  unit + period + indicator are validated one by one and reported as one ``duplikat`` finding.
  A duplicate's value is used in the comparisons only when all its copies have the same numbers.
  File-level problems (cannot be read, wrong columns, encoding) still raise InputError: there
  is nothing to check. Unknown units are found by reading every unit (``unit_ids=None``) and
  comparing with the register; unknown and ``lokal`` indicators from the raw table, so each is
  listed with its lines and a «mente du» hint.
* **Outliers** (the robust rule): per indicator and month, across the units that have the month
  and the month before, the change in value x is compared with the other units' changes by the
  robust z = 0,6745·(x − median)/MAD (MAD = the median absolute deviation from the median).
  A change is an outlier when |z| > 3,5 *and* it is more than three standard errors of the
  chance variation the unit's own numbers allow (andel: two binomial proportions with the
  pooled rate; snitt: per-case spread equal to the mean; antall: Poisson; ``nær`` andel such as
  budget use: no chance variation). Without the second condition a small office with a nevner
  of 2 would be an "outlier" every month. With MAD = 0 the mean absolute deviation is used
  (z = (x − median)/(1,2533·MeanAD)); when that is 0 too, all changes are equal and nothing is
  flagged. With fewer than 5 units there is no test. A month flagged as an outlier both from the
  month before and to the month after (with opposite signs) is a spike: the finding is put on
  the spike's month, and the next month's change is noted as a consequence (info).
* **Nevner jump**: the nevner has doubled or halved compared with the typical unit's change
  (the median ratio across units, so the July holiday dip that every unit has does not count),
  and the difference is larger than chance (three times the Poisson standard deviation).
* **Severity**: ``feil`` for what ``fyll`` rejects or cannot use (bad lines, duplicates,
  unknown units or indicators, an office or indicator missing entirely), ``advarsel`` for what
  needs a look (outliers, nevner jumps, missing rows, units not in force or not offices),
  ``info`` for notes (SSB symbols, merknader, revised numbers, local indicators). Findings are
  sorted by severity, then |z|, then unit, indicator and period.
"""
from __future__ import annotations

import hashlib
import math
import os
import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence

from ..inputs.catalogue import default_catalogue
from ..errors import ERROR, WARNING, InputError, Problem
from ..inputs.extract import read_extract
from ..inputs.extract_files import read_table, rows_read, table_keys
from ..inputs.extract_validate import validate_table
from ..inputs.extract_values import (REASON_IMPOSSIBLE, REASON_NOT_AVAILABLE, REASON_NOT_READY,
                                     REASON_SUPPRESSED, SYMBOL_FOR_REASON, Extract, ExtractRow)
from ..period import index, parse_period, shift
from ..model import Catalogue, Indicator
from ..inputs.hints import indicator_advice, suggest_indicator, unit_advice
from ..inputs.register import Register, demo_register
from ..numbers.rules import month_value

__all__ = [
    "SEVERITY_ERROR", "SEVERITY_WARNING", "SEVERITY_INFO", "SEVERITIES",
    "KINDS", "KIND_LABELS", "MISSING_KINDS",
    "Z_THRESHOLD", "MIN_UNITS", "SE_FACTOR",
    "ComparisonRow", "Finding", "ControlReport",
    "run_control", "write_control_workbook", "summary_lines", "default_output_path",
    "robust_z", "OUTLIER_RULE_TEXT",
]

SEVERITY_ERROR = ERROR  # "feil"
SEVERITY_WARNING = WARNING  # "advarsel"
SEVERITY_INFO = "info"
SEVERITIES = (SEVERITY_ERROR, SEVERITY_WARNING, SEVERITY_INFO)
_RANK = {s: i for i, s in enumerate(SEVERITIES)}

#: robust z above which a change is an outlier (Iglewicz & Hoaglin's 3.5)
Z_THRESHOLD = 3.5
#: the change must also exceed this many standard errors of chance variation
SE_FACTOR = 3.0
#: fewer units than this with a change: no outlier test (and no median ratio for nevner)
MIN_UNITS = 5
_MAD_CONSTANT = 0.6745  # Φ⁻¹(0.75): makes the MAD comparable to a standard deviation
_MEAN_AD_CONSTANT = 1.2533  # √(π/2): the same for the mean absolute deviation
_NEVNER_FACTOR = 2.0  # doubled or halved

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
_SEVERITY_OF = {
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

_REASON_WORDS = {
    REASON_SUPPRESSED: "prikket (:)",
    REASON_NOT_AVAILABLE: "mangler (..)",
    REASON_NOT_READY: "ikke klar ennå (...)",
    REASON_IMPOSSIBLE: "umulig (.)",
}

OUTLIER_RULE_TEXT = (
    "Uteligger: for hver indikator og måned sammenlignes endringen fra forrige måned med de "
    "andre kontorenes endring. Robust z = 0,6745 · (endring − median) / MAD, der MAD er "
    "medianen av avstandene fra medianen. Endringen er en uteligger når |z| er over 3,5 og "
    "endringen samtidig er mer enn tre ganger den tilfeldige variasjonen kontorets egne tall "
    "kan gi (andel: binomisk, snitt: spredning per sak lik snittet, antall: Poisson; "
    "budsjettandeler med retning «nær» har ingen slik variasjon). Da blir ikke et lite kontor "
    "med nevner 2 en uteligger hver måned. Er MAD 0, brukes gjennomsnittlig absoluttavvik "
    "(z = (endring − median) / (1,2533 · gjennomsnittsavvik)); er også det 0, er alle "
    "endringene like og ingenting flagges. Med færre enn 5 kontor blir det ingen test. En måned "
    "som skiller seg ut både fra måneden før og til måneden etter (en topp eller et fall som "
    "går tilbake), meldes på den måneden; endringen måneden etter er en følge av den."
)
_RULE_TEXTS = (
    ("Periode", "Perioden er den siste måneden i uttrekket. For hver automatisk indikator "
     "kontrolleres måneden periode − etterslep, og bare når den er en rapporteringsmåned for "
     "indikatorens frekvens. Forrige måned er forrige rapporteringsmåned; samme måned i fjor er "
     "12 måneder før. Tallene tas fra uttrekket selv, ellers fra --forrige-uttrekkene (det "
     "nyeste først)."),
    ("Verdi", "Verdien er 100 · teller / nevner for andel (i prosent), teller / nevner for snitt "
     "og teller for antall. Endring i andel er i prosentpoeng."),
    ("Forventet", "Hvert kontor i enhetsregisteret som er i kraft i måneden, under de "
     "fylkesenhetene som har minst én enhet i uttrekket, skal ha en rad for hver kontrollert "
     "indikator. En rad som ikke er levert, er en mangel (advarsel); et kontor eller en "
     "indikator uten en eneste rad er en feil."),
    ("Uteligger", OUTLIER_RULE_TEXT),
    ("Nevner", "Nevneren hopper når den har doblet seg eller falt til under halvparten, "
     "sammenlignet med den vanlige endringen for alle kontorene den måneden (så ferien i juli "
     "ikke teller), og endringen er større enn tilfeldig variasjon (tre ganger Poisson-"
     "standardavviket)."),
    ("Alvorlighet", "feil: det fyll avviser eller ikke kan bruke (feil i linjer, duplikater, "
     "ukjente enheter og indikatorer, et kontor eller en indikator som mangler helt). "
     "advarsel: det som bør sjekkes (uteligger, nevnerhopp, manglende rader). info: merknader "
     "(SSB-symboler, merknader i uttrekket, tall endret siden forrige uttrekk, lokale "
     "indikatorer). Avvik er sortert med det verste først: alvorlighet, så |robust z|."),
    ("Duplikater og feil", "En linje med feil eller en enhet + periode + indikator som står "
     "flere ganger stopper ikke kontrollen: de meldes som feil, og resten av uttrekket "
     "kontrolleres. Et duplikat brukes i sammenligningene bare når alle kopiene har like tall. "
     "excelkort fyll avviser uttrekket til slike feil er rettet."),
)


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
        if self.value is None or self.previous_value is None:
            return None
        return self.value - self.previous_value

    @property
    def nevner_change(self) -> float | None:
        """Relative change in nevner (0.5 = +50 %), None when it cannot be computed."""
        if self.nevner is None or not self.previous_nevner:
            return None
        return self.nevner / self.previous_nevner - 1

    @property
    def last_year_change(self) -> float | None:
        if self.value is None or self.last_year_value is None:
            return None
        return self.value - self.last_year_value

    @property
    def status(self) -> str:
        if not self.delivered:
            return "mangler"
        if self.reason:
            return _REASON_WORDS.get(self.reason, self.reason)
        if self.value is None:
            return "uten verdi"
        return "levert"


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
        return (_RANK[self.severity], -abs(self.z) if self.z is not None else 0.0,
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
# Small helpers
# --------------------------------------------------------------------------------------------
def _shift(period: str, months: int) -> str:
    return shift(period, months)


def _month_value(ind: Indicator, row: ExtractRow | None) -> float | None:
    """The month value v(m) (SPEC §4): 100·T/N for andel, T/N for snitt, T for antall; a row
    without a nevner (and no symbol) is a bare value; nevner 0 or missing data gives None."""
    if row is None:
        return None
    # one delivered month at a time: it has a nevner when the row gives one (or a symbol for it)
    return month_value(ind, row.teller, row.nevner, row.nevner is not None or bool(row.nevner_reason))


def _num(x: float | None, decimals: int = 1, sign: bool = False) -> str:
    """A number for a message, Norwegian style: 1 234,5 (decimal comma, space thousands)."""
    if x is None:
        return "–"
    text = f"{abs(x):,.{decimals}f}".replace(",", " ").replace(".", ",")
    if x < 0 and float(text.replace(" ", "").replace(",", ".")) != 0:
        return "-" + text
    return ("+" + text) if sign else text


def _value_text(ind: Indicator, x: float | None, sign: bool = False) -> str:
    if x is None:
        return "–"
    text = _num(x, ind.decimals, sign)
    if ind.measure == "andel":
        return text + (" prosentpoeng" if sign else " %")
    if ind.measure == "snitt" and "dager" in ind.name.lower():
        return text + " dager"
    return text


def _lines_text(lines: Sequence[int], limit: int = 10) -> str:
    shown = [str(n) for n in lines]
    if not shown:
        return ""
    word = "linje"
    if len(shown) > limit:
        return f"{word} {', '.join(shown[:limit])} og {len(shown) - limit} andre"
    if len(shown) == 1:
        return f"{word} {shown[0]}"
    return f"{word} {', '.join(shown[:-1])} og {shown[-1]}"


def _rows_word(n: int) -> str:
    return "1 rad" if n == 1 else f"{n} rader"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


def _chance_se(ind: Indicator, r0: ExtractRow, r1: ExtractRow, v0: float, v1: float) -> float:
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


def _beyond_chance(ind: Indicator, r0: ExtractRow, r1: ExtractRow, v0: float, v1: float
                   ) -> bool:
    """True when the change v1 − v0 is more than SE_FACTOR standard errors of chance variation
    (for andel with the usual continuity correction, 50·(1/N0 + 1/N1) percentage points, which
    matters only for the smallest nevners)."""
    change = abs(v1 - v0)
    if ind.measure == "andel" and ind.direction != "nær" and r0.nevner and r1.nevner:
        change -= 50.0 * (1 / r0.nevner + 1 / r1.nevner)
    return change > SE_FACTOR * _chance_se(ind, r0, r1, v0, v1)


# --------------------------------------------------------------------------------------------
# Reading an extract tolerantly
# --------------------------------------------------------------------------------------------
@dataclass
class _Duplicate:
    key: tuple[str, str, str]
    lines: list[int]
    rows: list[ExtractRow]  # the copies that are valid rows of a known indicator

    @property
    def identical(self) -> bool:
        vals = {(r.teller, r.nevner, r.teller_reason, r.nevner_reason) for r in self.rows}
        return len(vals) <= 1


@dataclass
class _ReadResult:
    extract: Extract
    raw: list[tuple[int, str, str | None, str]]  # (line, unit, period, indicator) of every record
    row_errors: list[Problem]
    duplicates: list[_Duplicate]


def _subtable(table, indexes: list[int]):
    return replace(table, lines=[table.lines[i] for i in indexes],
                   records=[table.records[i] for i in indexes])


def _read_tolerant(path: Path, catalogue: Catalogue) -> _ReadResult:
    """read_extract, but bad lines and duplicates become findings instead of a rejection."""
    name = str(path)
    first_error: InputError | None = None
    try:
        ext = read_extract(path, catalogue, None)
    except InputError as exc:
        ext, first_error = None, exc
        if any(p.line is None for p in exc.errors):
            raise  # the file cannot be read at all
    try:
        table = read_table(path)
    except (InputError, OSError):
        if first_error is not None:
            raise first_error from None
        raise
    raw = table_keys(table)
    if not raw and table.records:
        if first_error is not None:
            raise first_error
        raise InputError(Problem("uttrekket mangler kolonner.", file=name))
    if first_error is None:
        return _ReadResult(ext, raw, [], [])

    header_line = table.header_line
    if any(p.line == header_line for p in first_error.errors):
        raise first_error  # a header problem (e.g. a column twice): nothing to check
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, (line, unit, period, ind) in enumerate(raw):
        if unit and period and ind:
            groups[(unit, period, ind)].append(i)
    in_dup = {i for members in groups.values() if len(members) > 1 for i in members}
    base = [i for i in range(len(raw)) if i not in in_dup]
    row_errors: list[Problem] = []
    for _ in range(5):
        try:
            ext = validate_table(_subtable(table, base), catalogue, name=name)
            break
        except InputError as exc:
            errs = exc.errors
            if not errs or any(p.line is None or p.line == header_line for p in errs):
                raise first_error from None
            bad = {p.line for p in errs}
            row_errors += errs
            base = [i for i in base if table.lines[i] not in bad]
    else:  # pragma: no cover - every pass removes the lines that failed
        raise first_error
    rows = list(ext.rows)
    duplicates: list[_Duplicate] = []
    for key, members in groups.items():
        if len(members) < 2:
            continue
        valid: list[ExtractRow] = []
        for i in members:
            try:
                one = validate_table(_subtable(table, [i]), catalogue, name=name)
            except InputError as exc:
                row_errors += [p for p in exc.errors if p.line is not None]
                continue
            valid += one.rows
        dup = _Duplicate(key, [table.lines[i] for i in members], valid)
        duplicates.append(dup)
        if valid and dup.identical:
            rows.append(valid[0])
    rows.sort(key=lambda r: r.line or 0)
    n_read = rows_read(table)
    warnings = [p for p in ext.problems if not p.is_error]
    result = Extract(source=name, format=table.format, rows=rows, problems=warnings,
                     rows_read=n_read)
    return _ReadResult(result, raw, row_errors, duplicates)


# --------------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------------
def run_control(
    extract_path: str | os.PathLike,
    previous: Iterable[str | os.PathLike] = (),
    catalogue: Catalogue | None = None,
    register: Register | None = None,
    *,
    period: str | None = None,
) -> ControlReport:
    """Check an extract (SPEC §6 ``kontroll``); see the module doc for the rules.

    ``previous`` are earlier extracts (``--forrige``) for last month and the same month last
    year. ``catalogue`` defaults to the package's, ``register`` to the demo register; ``period``
    overrides P (default: the extract's latest period). Raises InputError only when a file
    cannot be read at all (or has nothing to check).
    """
    catalogue = catalogue or default_catalogue()
    register = register or demo_register()
    source = Path(extract_path)
    main = _read_tolerant(source, catalogue)
    ext = main.extract
    prev_paths = [Path(p) for p in previous]
    prev_reads = [(p, _read_tolerant(p, catalogue)) for p in prev_paths]

    if period is not None:
        P = parse_period(str(period))
        if P is None:
            raise InputError(Problem(f"ugyldig periode «{period}». Skriv perioden som ÅÅÅÅ-MM, "
                                     "f.eks. 2026-10."))
    else:
        known = set(register.ids())
        P = max((r.period for r in ext.rows if r.unit in known), default=None) or \
            ext.latest_period()
        if P is None:
            raise InputError(Problem(
                "uttrekket har ingen rader med en kjent indikator å kontrollere. Sjekk at "
                "indikatorene står i katalogen.", file=str(source)))

    ctl = _Control(catalogue, register, P, source, main, prev_reads)
    ctl.run()
    findings = sorted(ctl.findings, key=Finding.sort_key)
    for f in findings:  # the worst finding decides a row's severity (findings are sorted)
        if f.row is not None:
            f.row.kinds.append(f.kind)
            if f.row.severity is None:
                f.row.severity = f.severity
    return ControlReport(
        source=source, period=P, sha256=_sha256(source), format=ext.format,
        previous=prev_paths, rows_read=ext.rows_read, rows_used=len(ext.rows),
        units_in_extract=sorted({u for _, u, _, _ in main.raw if u}),
        expected_units=len(ctl.expected_units), counties=ctl.county_list,
        checked=ctl.checked, not_checked=ctl.not_checked, rows=ctl.all_rows,
        findings=findings, catalogue=catalogue)


class _Control:
    """The state of one check (internal)."""

    def __init__(self, catalogue: Catalogue, register: Register, period: str, source: Path,
                 main: _ReadResult, prev_reads: list[tuple[Path, _ReadResult]]):
        self.cat = catalogue
        self.reg = register
        self.P = period
        self.source = source
        self.main = main
        self.findings: list[Finding] = []
        self.checked: list[tuple[str, str]] = []
        self.not_checked: list[tuple[str, str]] = []
        self.all_rows: list[ComparisonRow] = []
        self.expected_units: set[str] = set()
        self.county_list: list[tuple[str, str, bool]] = []
        self._rows: dict[tuple[str, str, str], ComparisonRow] = {}
        self._units_cache: dict[tuple[str, str], object] = {}
        # the main extract first, then the earlier ones, newest period first
        ordered = sorted(enumerate(prev_reads),
                         key=lambda t: (-_period_number(t[1][1].extract.latest_period()), t[0]))
        self.prev_reads = [pr for _, pr in ordered]
        self.main_lookup = {r.key: r for r in main.extract.rows}
        self.sources: list[tuple[str, dict]] = [(source.name, self.main_lookup)]
        self.sources += [(p.name, {r.key: r for r in rr.extract.rows}) for p, rr in self.prev_reads]
        self.known_ids = set(register.ids())
        self.inds = {ind.id: ind for ind in catalogue}
        self._unit_rows: dict[str, list] = defaultdict(list)
        for u in register:
            self._unit_rows[u.id].append(u)
        self._find_cache: dict[tuple[str, str | None], object] = {}

    def find(self, unit_id: str, period: str | None = None):
        """Register.find_unit, cached: the row in force in ``period`` (else None); without a
        period the latest row."""
        key = (unit_id, period)
        if key not in self._find_cache:
            rows = self._unit_rows.get(unit_id, ())
            if period is not None:
                rows = [u for u in rows if u.in_force(period)]
            self._find_cache[key] = max(rows, key=lambda u: u.valid_from or "") if rows else None
        return self._find_cache[key]

    # ---- register lookups ----------------------------------------------------------------
    def unit_info(self, unit_id: str, period: str) -> tuple[str, str]:
        """(name, county name) of a unit, as in force in ``period`` (else its latest row)."""
        key = (unit_id, period)
        if key not in self._units_cache:
            u = self.find(unit_id, period) or self.find(unit_id)
            if u is None:
                self._units_cache[key] = ("", "")
            else:
                parent = (self.find(u.parent, period) or self.find(u.parent)
                          if u.parent else None)
                self._units_cache[key] = (u.name, parent.name if parent else "")
        return self._units_cache[key]

    def add(self, kind: str, message: str, *, unit: str = "", indicator: str = "",
            period: str = "", z: float | None = None, lines: Iterable[int] = (),
            hint: str = "", row: ComparisonRow | None = None, severity: str | None = None):
        name, county = self.unit_info(unit, period or self.P) if unit else ("", "")
        self.findings.append(Finding(
            kind=kind, severity=severity or _SEVERITY_OF[kind], message=message, unit=unit,
            unit_name=name, county=county, indicator=indicator, period=period, z=z,
            lines=tuple(sorted(lines)), hint=hint, row=row))

    # ---- values --------------------------------------------------------------------------
    def lookup(self, key: tuple[str, str, str]) -> tuple[ExtractRow | None, str]:
        for name, rows in self.sources:
            r = rows.get(key)
            if r is not None:
                return r, name
        return None, ""

    def row(self, unit: str, ind: Indicator, period: str) -> ComparisonRow:
        """The comparison row of a unit, indicator and month (built once)."""
        key = (unit, period, ind.id)
        cached = self._rows.get(key)
        if cached is not None:
            return cached
        prev_p = _shift(period, -ind.months_per_period)
        year_p = _shift(period, -12)
        name, county = self.unit_info(unit, period)
        r = self.main_lookup.get(key)
        pr, psrc = self.lookup((unit, prev_p, ind.id))
        yr, _ = self.lookup((unit, year_p, ind.id))
        row = ComparisonRow(
            unit=unit, unit_name=name, county=county, indicator=ind.id,
            indicator_name=ind.name, period=period, previous_period=prev_p,
            last_year_period=year_p,
            teller=r.teller if r else None, nevner=r.nevner if r else None,
            value=_month_value(ind, r),
            reason=(r.teller_reason or r.nevner_reason) if r else None,
            previous_value=_month_value(ind, pr), previous_nevner=pr.nevner if pr else None,
            previous_source=psrc if pr else "", last_year_value=_month_value(ind, yr),
            delivered=r is not None, line=r.line if r else None,
            merknad=r.merknad if r else None)
        self._rows[key] = row
        return row

    # ---- the steps -----------------------------------------------------------------------
    def run(self) -> None:
        self.reading_findings()
        self.unit_findings()
        self.expected()
        self.outliers_and_jumps()
        self.notes()

    def reading_findings(self) -> None:
        main = self.main
        for p in main.row_errors:
            unit, ind = self._raw_ids_at(p.line)
            self.add("radfeil", f"{p.message} Linjen er hoppet over i kontrollen; excelkort fyll "
                     "avviser uttrekket til den er rettet.", unit=unit, indicator=ind,
                     lines=[p.line] if p.line is not None else [])
        for dup in main.duplicates:
            unit, period, ind_id = dup.key
            n = len(dup.lines)
            where = _lines_text(dup.lines, limit=len(dup.lines))
            ind = self.inds[ind_id] if ind_id in self.inds else None
            if len(dup.rows) >= 2 and dup.identical:
                how = "med like tall; tallet er brukt i kontrollen"
            elif len(dup.rows) >= 2 and ind is not None:
                shown = " og ".join(
                    f"{_num(r.teller, 2) if r.teller is not None else '–'}/"
                    f"{_num(r.nevner, 2) if r.nevner is not None else '–'}" for r in dup.rows)
                how = (f"med ulike tall (teller/nevner {shown}); tallet er ikke brukt i "
                       "kontrollen")
            else:
                how = "men ikke alle kopiene kan leses"
            row = None
            if ind is not None and ind.is_automatic and unit in self.known_ids:
                row = self.row(unit, ind, period)
            self.add("duplikat",
                     f"enhet «{unit}», periode {period}, indikator «{ind_id}» står {n} ganger "
                     f"({where}), {how}. Hver kombinasjon skal stå på én linje: fjern "
                     "duplikatene (excelkort fyll avviser uttrekket til de er fjernet).",
                     unit=unit, indicator=ind_id, period=period, lines=dup.lines, row=row)
        # warnings of the reader that this module does not itself turn into findings
        for p in main.extract.problems:
            if p.is_error or (p.column or "").strip().casefold() == "indikator":
                continue  # unknown and lokal indicators: from the raw table below
            self.add("uttrekk", p.message, lines=[p.line] if p.line is not None else [])
        # unknown and lokal indicators, from the raw table
        unknown: dict[str, list[int]] = defaultdict(list)
        local: dict[str, list[int]] = defaultdict(list)
        for line, unit, period, ind_id in main.raw:
            if not ind_id or not unit or period is None:
                continue
            if ind_id not in self.inds:
                unknown[ind_id].append(line)
            elif not self.inds[ind_id].is_automatic:
                local[ind_id].append(line)
        for ind_id, lines in sorted(unknown.items()):
            hint = suggest_indicator(ind_id, self.cat.ids()) or ""
            todo = indicator_advice(hint)
            self.add("ukjent_indikator",
                     f"indikatoren «{ind_id}» finnes ikke i katalogen; {_rows_word(len(lines))} "
                     f"({_lines_text(lines)}) blir ikke fylt inn. {todo}",
                     indicator=ind_id, lines=lines, hint=hint)
        for ind_id, lines in sorted(local.items()):
            self.add("lokal_indikator",
                     f"indikatoren «{ind_id}» er lokal (Kilde = lokal) og tastes av kontoret; "
                     f"{_rows_word(len(lines))} ({_lines_text(lines)}) hoppes over av fyll.",
                     indicator=ind_id, lines=lines)
        # earlier extracts: bad lines are skipped, said once per file
        for path, rr in self.prev_reads:
            bad = rr.row_errors + [Problem("duplikat", line=d.lines[0]) for d in rr.duplicates]
            if bad:
                first = min(bad, key=lambda p: p.line or 0)
                self.add("forrige_uttrekk",
                         f"forrige uttrekk «{path.name}» har {len(bad)} linjer med feil eller "
                         f"duplikater som er hoppet over (første: linje {first.line}: "
                         f"{first.message})", lines=[])

    def _raw_ids_at(self, line: int | None) -> tuple[str, str]:
        if line is None:
            return "", ""
        for ln, unit, _, ind in self.main.raw:
            if ln == line:
                return unit, ind
        return "", ""

    def unit_findings(self) -> None:
        """Units of the extract that are unknown, not in force, or not offices."""
        per_unit: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for line, unit, period, ind_id in self.main.raw:
            if unit and period is not None and ind_id:
                per_unit[unit].append((line, period))
        for unit, items in sorted(per_unit.items()):
            lines = [ln for ln, _ in items]
            if unit not in self.known_ids:
                hint = self.reg.suggest(unit) or ""
                if hint == unit:
                    hint = ""
                todo = unit_advice(unit, self.known_ids)
                self.add("ukjent_enhet",
                         f"enheten «{unit}» finnes ikke i enhetsregisteret; "
                         f"{_rows_word(len(lines))} ({_lines_text(lines)}) blir ikke fylt inn. "
                         f"{todo}", unit=unit, lines=lines, hint=hint)
                continue
            outside = [(ln, p) for ln, p in items if self.find(unit, p) is None]
            if outside:
                periods = sorted({p for _, p in outside})
                shown = ", ".join(periods[:6]) + (" …" if len(periods) > 6 else "")
                self.add("enhet_ikke_i_kraft",
                         f"enheten «{unit}» er ikke i kraft i {shown} etter enhetsregisteret "
                         f"(gyldig_fra/gyldig_til); {_rows_word(len(outside))} "
                         f"({_lines_text([ln for ln, _ in outside])}). Sjekk registeret, eller "
                         "om tallene hører til enheten som overtok.",
                         unit=unit, lines=[ln for ln, _ in outside])
            u = self.find(unit, self.P) or self.find(unit)
            if u is not None and u.level != "kontor":
                what = "en fylkesenhet" if u.level == "fylke" else "den nasjonale enheten"
                self.add("enhet_ikke_kontor",
                         f"enheten «{unit}» er {what}; uttrekket skal bare ha kontor (fylke og "
                         f"nasjonalt konsolideres fra kontorene). {_rows_word(len(lines))} "
                         f"({_lines_text(lines)}).", unit=unit, lines=lines)

    def expected(self) -> None:
        """Rows expected this month: missing rows, SSB symbols, whole units and indicators."""
        main_units = {u for _, u, p, _ in self.main.raw if u and p is not None}
        present_counties: set[str] = set()
        for uid in main_units:
            u = self.find(uid, self.P) or self.find(uid)
            if u is None:
                continue
            if u.level == "kontor" and u.parent:
                present_counties.add(u.parent)
            elif u.level == "fylke":
                present_counties.add(u.id)
        tree_p = self.reg.tree(self.P)
        counties = tree_p.counties()
        if not present_counties:  # nothing known: every county is expected
            present_counties = {c.id for c in counties}
        self.county_list = [(c.id, c.name, c.id in present_counties) for c in counties]
        if len(present_counties) >= 2:
            for c in counties:
                if c.id not in present_counties and tree_p.leaves(c.id):
                    self.findings.append(Finding(
                        "fylke_mangler", _SEVERITY_OF["fylke_mangler"],
                        f"fylkesenheten har {len(tree_p.leaves(c.id))} kontor, men ingen rader i "
                        "uttrekket; kontorene er ikke kontrollert. Er uttrekket ufullstendig?",
                        unit=c.id, unit_name=c.name, county=c.name, period=self.P))

        plan: list[tuple[Indicator, str, list[str]]] = []
        for ind in self.cat:
            if not ind.is_automatic:
                continue
            c = _shift(self.P, -max(0, ind.lag))
            if int(c[5:7]) not in ind.reporting_months:
                self.not_checked.append(
                    (ind.id, f"{c} er ikke en rapporteringsmåned ({ind.frequency})"))
                continue
            tree = self.reg.tree(c)
            units = sorted(u.id for u in tree.offices() if u.parent in present_counties)
            self.checked.append((ind.id, c))
            plan.append((ind, c, units))
            self.expected_units.update(units)

        delivered_units = {u for _, u, p, i in self.main.raw if u and p is not None and i}
        gone_units = sorted(self.expected_units - delivered_units)
        for uid in gone_units:
            n = sum(1 for _, _, units in plan if uid in units)
            self.add("enhet_mangler",
                     f"kontoret har ingen rader i uttrekket (forventet {n} indikatorer). Er "
                     "kontoret nytt, slått sammen, eller falt det ut av uttrekket?",
                     unit=uid, period=self.P)
        gone = set(gone_units)
        for ind, c, units in plan:
            rows = [self.row(uid, ind, c) for uid in units]
            self.all_rows += rows
            live = [r for r in rows if r.unit not in gone]
            if live and not any(r.delivered for r in live):
                self.add("indikator_mangler",
                         f"ingen kontor har rad for {c} (forventet {len(live)}). Er indikatoren "
                         "med i uttrekket, og er etterslepet i katalogen riktig "
                         f"({ind.lag} måneder)?", indicator=ind.id, period=c)
                continue
            for r in live:
                if not r.delivered:
                    dup = (r.unit, c, ind.id) in {d.key for d in self.main.duplicates}
                    if dup:
                        continue  # reported as a duplicate
                    self.add("mangler",
                             f"ingen rad for {ind.id} i {c}: målekortet mangler tallet til det "
                             "blir levert. Lever raden, eller en SSB-kode (: prikket, .. "
                             "mangler) som forklarer hvorfor.",
                             unit=r.unit, indicator=ind.id, period=c, row=r)
                elif r.reason:
                    self.add("ssb_symbol",
                             f"tallet er {_REASON_WORDS.get(r.reason, r.reason)} i uttrekket.",
                             unit=r.unit, indicator=ind.id, period=c, lines=[r.line], row=r)
                elif r.teller is None:
                    self.add("mangler",
                             f"raden for {ind.id} i {c} er tom (verken tall eller SSB-kode).",
                             unit=r.unit, indicator=ind.id, period=c, lines=[r.line], row=r,
                             severity=SEVERITY_WARNING)
        order = {ind_id: i for i, ind_id in enumerate(self.cat.ids())}
        self.all_rows.sort(key=lambda r: (r.unit, order[r.indicator]))

    def outliers_and_jumps(self) -> None:
        """The robust outlier rule and the nevner jump, for every month the extract delivers."""
        offices = {u.id for u in self.reg if u.level == "kontor"}
        by_group: dict[tuple[str, str], list[ExtractRow]] = defaultdict(list)
        for r in self.main.extract.rows:
            if r.unit in offices and r.indicator in self.inds:
                by_group[(r.indicator, r.period)].append(r)
        flagged: dict[tuple[str, str, str], tuple[float, float, float]] = {}
        for (ind_id, period), rows in sorted(by_group.items()):
            ind = self.inds[ind_id]
            if not ind.is_automatic or int(period[5:7]) not in ind.reporting_months:
                continue
            prev_p = _shift(period, -ind.months_per_period)
            pairs = []
            for r1 in rows:
                v1 = _month_value(ind, r1)
                if v1 is None:
                    continue
                r0, _ = self.lookup((r1.unit, prev_p, ind_id))
                v0 = _month_value(ind, r0)
                if v0 is None:
                    continue
                pairs.append((r1, r0, v1, v0))
            if len(pairs) < MIN_UNITS:
                continue
            zs, med, scale, method = robust_z([v1 - v0 for _, _, v1, v0 in pairs])
            for (r1, r0, v1, v0), z in zip(pairs, zs):
                key = (r1.unit, period, ind_id)
                if key in self._rows:
                    self._rows[key].z = z
                if abs(z) > Z_THRESHOLD and _beyond_chance(ind, r0, r1, v0, v1):
                    flagged[key] = (z, v1 - v0, med)
            self._nevner_jumps(ind, period, pairs)
        for (unit, period, ind_id), (z, change, med) in sorted(flagged.items()):
            ind = self.inds[ind_id]
            prev_p = _shift(period, -ind.months_per_period)
            next_p = _shift(period, ind.months_per_period)
            row = self.row(unit, ind, period)
            row.z = z
            after = flagged.get((unit, next_p, ind_id))
            before = flagged.get((unit, prev_p, ind_id))
            if before is not None and before[1] * change < 0:
                self.add("etter_uteligger",
                         f"endringen fra {prev_p} ({_value_text(ind, change, True)}, robust z "
                         f"{_num(z)}) følger av uteliggeren i {prev_p}: verdien er tilbake på "
                         "vanlig nivå.", unit=unit, indicator=ind_id, period=period, z=z,
                         lines=[row.line] if row.line else [], row=row)
                continue
            if after is not None and after[1] * change < 0:
                msg = (f"verdien for {period} ({_value_text(ind, row.value)}) skiller seg ut: "
                       f"{_value_text(ind, change, True)} fra {prev_p} og "
                       f"{_value_text(ind, after[1], True)} til {next_p} (robust z {_num(z)}), "
                       f"mens den vanlige endringen var {_value_text(ind, med, True)}. Trolig "
                       f"feil i tallene for {period}: sjekk teller og nevner.")
            else:
                msg = (f"endringen fra {prev_p} er {_value_text(ind, change, True)} (fra "
                       f"{_value_text(ind, row.previous_value)} til {_value_text(ind, row.value)}"
                       f"), uvanlig stor mot de andre kontorene (robust z {_num(z)}; vanlig "
                       f"endring {_value_text(ind, med, True)}). Sjekk teller og nevner.")
            self.add("uteligger", msg, unit=unit, indicator=ind_id, period=period, z=z,
                     lines=[row.line] if row.line else [], row=row)

    def _nevner_jumps(self, ind: Indicator, period: str, pairs) -> None:
        if ind.measure == "antall":
            return
        usable = [(r1, r0) for r1, r0, _, _ in pairs
                  if r1.nevner and r0 is not None and r0.nevner and r1.nevner > 0 and r0.nevner > 0]
        if not usable:
            return
        logs = [math.log(r1.nevner / r0.nevner) for r1, r0 in usable]
        med = statistics.median(logs) if len(usable) >= MIN_UNITS else 0.0
        typical = math.exp(med)
        for (r1, r0), lr in zip(usable, logs):
            expected = r0.nevner * typical
            if (abs(lr - med) >= math.log(_NEVNER_FACTOR) - 1e-12
                    and abs(r1.nevner - expected) > SE_FACTOR * math.sqrt(r1.nevner + expected)):
                row = self.row(r1.unit, ind, period)
                self.add("nevnerhopp",
                         f"nevneren gikk fra {_num(r0.nevner, 0)} i {r0.period} til "
                         f"{_num(r1.nevner, 0)} (×{_num(r1.nevner / r0.nevner, 2)}), mens den "
                         f"vanlige endringen var ×{_num(typical, 2)}. Sjekk at populasjonen "
                         "(nevneren) er avgrenset riktig.",
                         unit=r1.unit, indicator=ind.id, period=period, lines=[r1.line], row=row)

    def notes(self) -> None:
        """Merknader in the extract, and numbers changed since an earlier extract."""
        merknader: dict[tuple[str, str], list[ExtractRow]] = defaultdict(list)
        for r in self.main.extract.rows:
            if r.merknad and r.unit in self.known_ids:
                merknader[(r.unit, r.merknad)].append(r)
        for (unit, text), rows in sorted(merknader.items()):
            inds = list(dict.fromkeys(r.indicator for r in rows))
            periods = sorted({r.period for r in rows})
            self.add("merknad",
                     f"merknad «{text}» på {_rows_word(len(rows))} ({', '.join(inds[:8])}"
                     f"{' …' if len(inds) > 8 else ''}; {', '.join(periods[:4])}"
                     f"{' …' if len(periods) > 4 else ''}).", unit=unit,
                     indicator=inds[0] if len(inds) == 1 else "",
                     period=periods[-1], lines=[r.line for r in rows if r.line])
        if len(self.sources) < 2:
            return
        for r in self.main.extract.rows:
            if r.unit not in self.known_ids or r.indicator not in self.inds:
                continue
            for name, rows in self.sources[1:]:
                old = rows.get(r.key)
                if old is None:
                    continue
                if (old.teller, old.nevner, old.teller_reason, old.nevner_reason) != (
                        r.teller, r.nevner, r.teller_reason, r.nevner_reason):
                    ind = self.inds[r.indicator]
                    what = [f"teller {_cell_text(old.teller, old.teller_reason)} → "
                            f"{_cell_text(r.teller, r.teller_reason)}"]
                    if ind.measure != "antall":
                        what.append(f"nevner {_cell_text(old.nevner, old.nevner_reason)} → "
                                    f"{_cell_text(r.nevner, r.nevner_reason)}")
                    self.add("revidert",
                             f"tallene for {r.period} er endret siden «{name}»: "
                             f"{', '.join(what)} (verdi {_value_text(ind, _month_value(ind, old))}"
                             f" → {_value_text(ind, _month_value(ind, r))}).",
                             unit=r.unit, indicator=r.indicator, period=r.period,
                             lines=[r.line] if r.line else [],
                             row=self.row(r.unit, ind, r.period))
                break


def _cell_text(x: float | None, reason: str | None) -> str:
    if x is None:
        return SYMBOL_FOR_REASON.get(reason, "tom") if reason else "tom"
    return _num(x, 0 if float(x).is_integer() else 2)


def _period_number(period: str | None) -> int:
    return index(period) if period else -1


# --------------------------------------------------------------------------------------------
# The terminal summary
# --------------------------------------------------------------------------------------------
def summary_lines(report: ControlReport, worst: int = 5) -> list[str]:
    """A short Norwegian summary for the terminal."""
    counts = report.count_by_severity()
    inds = len(report.checked)
    lines = [
        f"Kontroll av {report.source.name} for {report.period}: "
        f"{_num(report.rows_read, 0)} rader lest, {len(report.units_in_extract)} enheter i "
        f"uttrekket, {report.expected_units} kontor forventet, {inds} indikatorer kontrollert.",
        f"Funn: {counts[SEVERITY_ERROR]} feil, {counts[SEVERITY_WARNING]} "
        f"{'advarsel' if counts[SEVERITY_WARNING] == 1 else 'advarsler'}, "
        f"{counts[SEVERITY_INFO]} til informasjon.",
    ]
    if report.findings:
        lines.append(f"Verst først ({min(worst, len(report.findings))} av "
                     f"{len(report.findings)}):")
        for i, f in enumerate(report.findings[:worst], 1):
            who = " ".join(x for x in (f.unit, f.unit_name) if x)
            what = " ".join(x for x in (f.indicator, f.period) if x)
            head = ", ".join(x for x in (who, what) if x)
            msg = f.message  # in full: the hint at the end («Mente du …») is the point
            where = f" – {head}" if head else ""
            lines.append(f"  {i}. {f.severity} – {f.label}{where}: {msg}")
    else:
        lines.append("Ingen funn.")
    return lines


# --------------------------------------------------------------------------------------------
# The workbook
# --------------------------------------------------------------------------------------------
def _finish_sheet(ws, n_rows: int, n_cols: int, freeze_cols: int) -> None:
    """Frozen header, autofilter, and A4 landscape one page wide with the header on every page."""
    ws.freeze_panes(1, freeze_cols)
    ws.autofilter(0, 0, max(1, n_rows), n_cols - 1)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def write_control_workbook(report: ControlReport, path: str | os.PathLike | None = None) -> Path:
    """Write the check as a workbook (atomically; byte-identical when re-run). Returns the
    path (default ``kontroll_<periode>.xlsx`` beside the extract)."""
    from ..atomic import atomic_output
    from ..xlsx.package import lock_file_for, locked_message

    out = Path(path) if path is not None else report.default_output
    if (lock := lock_file_for(out)) is not None:  # the county has last run's check open
        raise InputError(Problem(locked_message(lock), file=str(out)))
    with atomic_output(out) as tmp:
        _write_workbook(report, str(tmp))
    return out


_AVVIK_COLUMNS = (
    ("Enhet", 8), ("Enhetsnavn", 26), ("Fylke", 22), ("Indikator", 9), ("Periode", 9),
    ("Verdi", 11), ("Forrige måned", 11), ("Endring", 12), ("Samme måned i fjor", 11),
    ("Nevner", 10), ("Robust z", 9), ("Funn", 22), ("Alvorlighet", 11), ("Linje", 10),
    ("Forklaring", 120),
)
_ALLE_COLUMNS = (
    ("Enhet", 8), ("Enhetsnavn", 26), ("Fylke", 22), ("Indikator", 9), ("Indikatornavn", 34),
    ("Periode", 9), ("Teller", 10), ("Nevner", 10), ("Verdi", 11), ("Forrige måned", 11),
    ("Endring", 12), ("Nevner forrige måned", 11), ("Endring nevner", 10),
    ("Samme måned i fjor", 11), ("Endring fra i fjor", 12), ("Robust z", 9), ("Status", 14),
    ("Funn", 30), ("Alvorlighet", 11), ("Merknad", 20), ("Linje", 8), ("Forrige måned fra", 24),
)
_MANGLER_COLUMNS = (
    ("Type", 24), ("Alvorlighet", 11), ("Enhet", 8), ("Enhetsnavn", 26), ("Fylke", 22),
    ("Indikator", 9), ("Periode", 9), ("Mente du", 10), ("Linjer", 24), ("Forklaring", 120),
)
_MAX_TEXT = 32000  # Excel's cell limit is 32 767 characters


class _Formats:
    def __init__(self, wb):
        from ..scorecard.writer import (GREEN_FILL, GREY_FILL, GREY_FONT, HEADER_FILL, RED_FILL,
                               RED_FONT, YELLOW_FILL, YELLOW_FONT)
        self.wb = wb
        self.base = {"font_name": "Calibri", "font_size": 10, "valign": "vcenter"}
        self.title = wb.add_format({**self.base, "bold": True, "font_size": 16,
                                    "font_color": HEADER_FILL})
        self.header = wb.add_format({**self.base, "bold": True, "font_color": "#FFFFFF",
                                     "bg_color": HEADER_FILL, "text_wrap": True, "border": 1,
                                     "valign": "top"})
        self.label = wb.add_format({**self.base, "bold": True, "valign": "top"})
        self.wrap = wb.add_format({**self.base, "text_wrap": True, "valign": "top"})
        self.severity_colours = {
            SEVERITY_ERROR: (RED_FILL, RED_FONT),
            SEVERITY_WARNING: (YELLOW_FILL, YELLOW_FONT),
            SEVERITY_INFO: (GREY_FILL, GREY_FONT),
            None: (GREEN_FILL, "#006100"),
        }
        self._cache: dict = {}

    def get(self, num_format: str | None = None, severity: str | None = "", bold=False):
        key = (num_format, severity, bold)
        if key not in self._cache:
            spec = {**self.base}
            if num_format:
                spec["num_format"] = num_format
            if severity != "":
                fill, font = self.severity_colours[severity]
                spec.update(bg_color=fill, font_color=font)
            if bold:
                spec["bold"] = True
            self._cache[key] = self.wb.add_format(spec)
        return self._cache[key]


def _change_format(ind: Indicator) -> str:
    d = "0" + ("." + "0" * ind.decimals if ind.decimals else "")
    if ind.measure == "andel":
        return f'+{d}" pp";-{d}" pp";{d}" pp"'
    if ind.measure == "antall":
        g = "#,##0" + ("." + "0" * ind.decimals if ind.decimals else "")
        return f"+{g};-{g};{g}"
    if "dager" in ind.name.lower():
        return f'+{d}" dager";-{d}" dager";{d}" dager"'
    return f"+{d};-{d};{d}"


def _text(s: str | None) -> str:
    s = "" if s is None else str(s)
    return s if len(s) <= _MAX_TEXT else s[:_MAX_TEXT - 1] + "…"


def _write_workbook(report: ControlReport, filename: str) -> None:
    import xlsxwriter

    from ..scorecard.writer import number_format, period_datetime

    wb = xlsxwriter.Workbook(filename, {"strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    wb.set_properties({"title": f"Kontroll av uttrekk {report.period}", "author": "excelkort",
                       "created": period_datetime(report.period)})
    fm = _Formats(wb)
    cat = report.catalogue
    value_fmt = {ind.id: number_format(ind) for ind in cat}
    change_fmt = {ind.id: _change_format(ind) for ind in cat}
    z_fmt, nevner_fmt, pct_fmt = "0.0", "#,##0", "+0 %;-0 %;0 %"

    plain = fm.get(None)

    def put(ws, r, c, value, fmt=None):
        fmt = fmt or plain
        if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
            ws.write_blank(r, c, None, fmt)
        elif isinstance(value, (int, float)):
            ws.write_number(r, c, value, fmt)
        else:
            ws.write_string(r, c, _text(value), fmt)

    def header(ws, row, columns):
        for c, (label, width) in enumerate(columns):
            ws.write_string(row, c, label, fm.header)
            ws.set_column(c, c, width)
        ws.set_row(row, 30)

    counts = report.count_by_severity()
    # --- Sammendrag -----------------------------------------------------------------------
    ws = wb.add_worksheet("Sammendrag")
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 12)
    ws.set_column(3, 3, 90)
    ws.write_string(0, 0, f"Kontroll av uttrekk – {report.period}", fm.title)
    info = [
        ("Uttrekk", report.source.name),
        ("SHA-256", report.sha256),
        ("Periode", report.period),
        ("Rader lest", report.rows_read),
        ("Rader brukt", report.rows_used),
        ("Enheter i uttrekket", len(report.units_in_extract)),
        ("Kontor forventet", report.expected_units),
        ("Fylkesenheter i uttrekket",
         f"{sum(1 for c in report.counties if c[2])} av {len(report.counties)}"),
        ("Indikatorer kontrollert",
         ", ".join(f"{i} ({p})" for i, p in report.checked) or "ingen"),
        ("Ikke kontrollert", "; ".join(f"{i}: {why}" for i, why in report.not_checked) or "–"),
        ("Forrige uttrekk", ", ".join(p.name for p in report.previous) or "ingen"),
    ]
    r = 2
    for label, value in info:
        ws.write_string(r, 0, label, fm.label)
        put(ws, r, 1, value, fm.get("#,##0") if isinstance(value, int) else None)
        r += 1
    r += 1
    ws.write_string(r, 0, "Alvorlighet", fm.header)
    ws.write_string(r, 1, "Antall funn", fm.header)
    r += 1
    for sev in SEVERITIES:
        ws.write_string(r, 0, sev, fm.get(None, sev))
        ws.write_number(r, 1, counts[sev], fm.get("#,##0"))
        r += 1
    r += 1
    ws.write_string(r, 0, "Funn", fm.header)
    ws.write_string(r, 1, "Alvorlighet", fm.header)
    ws.write_string(r, 2, "Antall", fm.header)
    r += 1
    by_kind = report.count_by_kind()
    for kind in KINDS:
        sev = _SEVERITY_OF[kind]
        ws.write_string(r, 0, KIND_LABELS[kind], plain)
        ws.write_string(r, 1, sev, fm.get(None, sev) if by_kind[kind] else plain)
        ws.write_number(r, 2, by_kind[kind], fm.get("#,##0"))
        r += 1
    r += 1
    ws.write_string(r, 0, "Reglene", fm.header)
    ws.write_string(r, 1, "", fm.header)
    ws.write_string(r, 2, "", fm.header)
    ws.write_string(r, 3, "", fm.header)
    r += 1
    for label, text in _RULE_TEXTS:
        ws.write_string(r, 0, label, fm.label)
        ws.merge_range(r, 1, r, 3, text, fm.wrap)
        ws.set_row(r, 13 * max(2, math.ceil(len(text) / 150)) + 4)
        r += 1
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)

    # --- Avvik ----------------------------------------------------------------------------
    ws = wb.add_worksheet("Avvik")
    header(ws, 0, _AVVIK_COLUMNS)
    for i, f in enumerate(report.findings, 1):
        row = f.row
        ind_id = f.indicator if f.indicator in cat else None
        vf = fm.get(value_fmt[ind_id]) if ind_id else None
        cf = fm.get(change_fmt[ind_id]) if ind_id else None
        sev_fmt = fm.get(None, f.severity)
        cells = [
            (f.unit, None), (f.unit_name, None), (f.county, None), (f.indicator, None),
            (f.period, None),
            (row.value if row else None, vf), (row.previous_value if row else None, vf),
            (row.change if row else None, cf), (row.last_year_value if row else None, vf),
            (row.nevner if row else None, fm.get(nevner_fmt)),
            (f.z, fm.get(z_fmt)), (f.label, sev_fmt), (f.severity, sev_fmt),
            (", ".join(map(str, f.lines[:20])) + (" …" if len(f.lines) > 20 else ""),
             fm.get("@")),
            (f.message, None),
        ]
        for c, (value, fmt) in enumerate(cells):
            put(ws, i, c, value, fmt)
    _finish_sheet(ws, len(report.findings), len(_AVVIK_COLUMNS), freeze_cols=2)

    # --- Alle -----------------------------------------------------------------------------
    ws = wb.add_worksheet("Alle")
    header(ws, 0, _ALLE_COLUMNS)
    for i, row in enumerate(report.rows, 1):
        vf = fm.get(value_fmt[row.indicator])
        cf = fm.get(change_fmt[row.indicator])
        sev_fmt = fm.get(None, row.severity) if row.severity else None
        cells = [
            (row.unit, None), (row.unit_name, None), (row.county, None), (row.indicator, None),
            (row.indicator_name, None), (row.period, None),
            (row.teller, fm.get(nevner_fmt if float(row.teller or 0).is_integer() else "#,##0.00")),
            (row.nevner, fm.get(nevner_fmt)), (row.value, vf), (row.previous_value, vf),
            (row.change, cf), (row.previous_nevner, fm.get(nevner_fmt)),
            (row.nevner_change, fm.get(pct_fmt)), (row.last_year_value, vf),
            (row.last_year_change, cf), (row.z, fm.get(z_fmt)), (row.status, None),
            (", ".join(KIND_LABELS[k] for k in dict.fromkeys(row.kinds)), sev_fmt),
            (row.severity, sev_fmt), (row.merknad, None), (row.line, None),
            (row.previous_source, None),
        ]
        for c, (value, fmt) in enumerate(cells):
            put(ws, i, c, value, fmt)
    _finish_sheet(ws, len(report.rows), len(_ALLE_COLUMNS), freeze_cols=2)

    # --- Mangler --------------------------------------------------------------------------
    ws = wb.add_worksheet("Mangler")
    header(ws, 0, _MANGLER_COLUMNS)
    missing = sorted(report.missing, key=lambda f: (_RANK[f.severity], MISSING_KINDS.index(f.kind),
                                                    f.unit, f.indicator, f.period))
    for i, f in enumerate(missing, 1):
        sev_fmt = fm.get(None, f.severity)
        lines = _lines_text(f.lines, limit=20)[len("linje "):] if f.lines else ""
        cells = [f.label, f.severity, f.unit, f.unit_name, f.county, f.indicator, f.period,
                 f.hint, lines, f.message]
        for c, value in enumerate(cells):
            put(ws, i, c, value or None, sev_fmt if c < 2 else None)
    _finish_sheet(ws, len(missing), len(_MANGLER_COLUMNS), freeze_cols=1)

    wb.close()
