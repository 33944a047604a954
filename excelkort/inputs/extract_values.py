"""The extract's values: its columns, Statistics Norway's symbols, the rows it yields, and how
one cell is read (and text written back).

Every column is read as text first: unit ids stay text (``0101`` never becomes ``101``).
Numbers may be written ``1 234,5``, ``1234.5``, ``1234,5``. Statistics Norway's symbols are
explicit missing values with a reason, never numbers (``:`` prikket, ``..`` mangler, ``...``
ikke klar, ``.`` umulig); ``-`` is zero. Formula-like text is data: written with one escaping
apostrophe (as Excel marks text), which reading removes, so text round-trips.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterator, NamedTuple

from ..errors import Problem
from ..numtext import parse_number_text
from ..period import parse_period, period_from_date
from ..xlsx.xmltext import FORMULA_CHARS

#: The extract's columns, in the order write_extract_csv writes them.
COLUMNS = ("enhet", "periode", "indikator", "teller", "nevner", "merknad")
REQUIRED_COLUMNS = ("enhet", "periode", "indikator", "teller", "nevner")

# Reason codes for a missing value (Statistics Norway's symbols).
REASON_SUPPRESSED = "prikket"  # ":"
REASON_NOT_AVAILABLE = "mangler"  # ".."
REASON_NOT_READY = "ikke klar"  # "..."
REASON_IMPOSSIBLE = "umulig"  # "."

#: symbol → reason code; "-" is not here: it is the number 0.
SYMBOLS = {
    ":": REASON_SUPPRESSED,
    "..": REASON_NOT_AVAILABLE,
    "...": REASON_NOT_READY,
    "\u2026": REASON_NOT_READY,  # "…": Excel's autocorrect of "..."
    ".": REASON_IMPOSSIBLE,
}
#: reason code → the symbol write_extract_csv writes
SYMBOL_FOR_REASON = {
    REASON_SUPPRESSED: ":",
    REASON_NOT_AVAILABLE: "..",
    REASON_NOT_READY: "...",
    REASON_IMPOSSIBLE: ".",
}
#: Statistics Norway's zero (and its typographic variants: en dash, minus sign)
ZERO_SYMBOLS = ("-", "\u2013", "\u2212")


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------
class ExtractRow(NamedTuple):
    """One row of the extract, as read.

    ``teller``/``nevner`` are ``None`` when missing; ``teller_reason``/``nevner_reason`` then
    say why (``"prikket"``, ``"mangler"``, ``"ikke klar"``, ``"umulig"``), or are ``None`` when
    the field was simply blank. ``line`` is where the row is in the file (see ``extract``).
    """

    unit: str
    period: str  # YYYY-MM
    indicator: str
    teller: float | None
    nevner: float | None
    teller_reason: str | None = None
    nevner_reason: str | None = None
    merknad: str | None = None
    line: int | None = None

    @property
    def reasons(self) -> dict[str, str]:
        """The reasons for missing values, by field (``{"teller": "prikket"}``); empty if none."""
        out = {}
        if self.teller_reason:
            out["teller"] = self.teller_reason
        if self.nevner_reason:
            out["nevner"] = self.nevner_reason
        return out

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.unit, self.period, self.indicator)


@dataclass
class Extract:
    """A validated extract: the rows to use, and the warnings found while reading it."""

    source: str
    format: str  # "csv", "xlsx" or "parquet"
    rows: list[ExtractRow]
    problems: list[Problem] = field(default_factory=list)  # warnings only
    rows_read: int = 0  # non-blank data rows in the file, skipped ones included

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[ExtractRow]:
        return iter(self.rows)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def periods(self) -> list[str]:
        """The periods (YYYY-MM) that occur, sorted."""
        return sorted({r.period for r in self.rows})

    def latest_period(self) -> str | None:
        """The latest period in the extract, or None when it has no rows."""
        return max((r.period for r in self.rows), default=None)

    def units(self) -> list[str]:
        return sorted({r.unit for r in self.rows})

    def indicators(self) -> list[str]:
        return sorted({r.indicator for r in self.rows})

    def by_unit(self) -> dict[str, list[ExtractRow]]:
        """Rows grouped by unit (units sorted; rows in file order)."""
        groups: dict[str, list[ExtractRow]] = defaultdict(list)
        for r in self.rows:
            groups[r.unit].append(r)
        return {u: groups[u] for u in sorted(groups)}

    def lookup(self) -> dict[tuple[str, str, str], ExtractRow]:
        """(unit, period, indicator) → row (unique: duplicates are rejected on reading)."""
        return {r.key: r for r in self.rows}


# --------------------------------------------------------------------------------------------
# Reading one cell
# --------------------------------------------------------------------------------------------
def parse_number(text: str) -> tuple[float | None, str | None, bool]:
    """Parse one number field written as text. Returns ``(value, reason, ok)``.

    Blank → ``(None, None, True)``; a Statistics Norway symbol → ``(None, reason, True)``;
    ``-`` → ``(0.0, None, True)``; a number → ``(value, None, True)``; anything else (``65 %``,
    ``abc``, ``=SUM(A1)``) → ``(None, None, False)``.
    """
    s = text.strip().replace("\u2212", "-")  # the Unicode minus sign
    if not s:
        return (None, None, True)
    if s in SYMBOLS:
        return (None, SYMBOLS[s], True)
    if s in ZERO_SYMBOLS:
        return (0.0, None, True)
    value = parse_number_text(s)
    return (value, None, value is not None)


def number_of(cell: Any) -> tuple[float | None, str | None, bool]:
    """Like parse_number, for a cell of any type (xlsx and Parquet give typed cells)."""
    if isinstance(cell, str):
        return parse_number(cell)
    if cell is None:
        return (None, None, True)
    if isinstance(cell, bool):
        return (None, None, False)
    if isinstance(cell, (int, float)):
        x = float(cell)
        if math.isnan(x):
            return (None, None, True)
        if math.isinf(x):
            return (None, None, False)
        return (x, None, True)
    try:  # decimal.Decimal from Parquet
        x = float(cell)
    except (TypeError, ValueError):
        return (None, None, False)
    return (x, None, True) if math.isfinite(x) else (None, None, False)


def map_cells(func, column) -> list:
    """``func`` over a column; for an all-text column each distinct value is parsed once."""
    if set(map(type, column)) <= {str}:
        cache = {v: func(v) for v in set(column)}
        return list(map(cache.__getitem__, column))
    return list(map(func, column))


def period_of(cell: Any) -> str | None:
    """A periode cell as ``YYYY-MM`` (text ``2024-03``/``202403``, or a date Excel made of it:
    a date cell, ``okt.26``, ``01.10.2026``, ``2026-10-01``, a day number); None when it is not
    a valid period."""
    if isinstance(cell, (datetime, date)):
        return parse_period(f"{cell.year:04d}-{cell.month:02d}")
    text = text_of(cell)
    return parse_period(text) or period_from_date(text)


def period_is_date(cell: Any) -> bool:
    """Whether a periode cell is a date rather than ``YYYY-MM`` (period_of reads its month)."""
    if isinstance(cell, (datetime, date)):
        return True
    text = text_of(cell)
    return parse_period(text) is None and period_from_date(text) is not None


def text_field(cell: Any) -> str:
    """A text field (enhet, indikator, merknad): stripped, one escaping apostrophe removed."""
    return unescape_text(text_of(cell))


def merknad_of(cell: Any) -> str | None:
    return text_field(cell) or None


def text_of(cell: Any) -> str:
    """A cell as stripped text, as the user typed it; integral numbers without ``.0``
    (101.0 → "101")."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return "SANN" if cell else "USANN"
    if isinstance(cell, float):
        if math.isnan(cell):
            return ""
        if cell.is_integer() and abs(cell) < 1e16:
            return str(int(cell))
        return repr(cell)
    return str(cell).strip()


# Formula-like text is escaped with one leading apostrophe on writing, as Excel itself marks
# text ('=abc); reading removes exactly one such apostrophe. Bijective, so text round-trips.
_FORMULA_START = re.compile(f"'*[{re.escape(FORMULA_CHARS)}]")
_ESCAPED_FORMULA = re.compile(f"'+[{re.escape(FORMULA_CHARS)}]")


def unescape_text(s: str) -> str:
    if s.startswith("'") and _ESCAPED_FORMULA.match(s):
        return s[1:]
    return s


def escape_text(s: str) -> str:
    return "'" + s if _FORMULA_START.match(s) else s
