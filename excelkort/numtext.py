"""Numbers as Norwegian text, for messages, logs and CSV files users open in Excel."""
from __future__ import annotations

import re
from decimal import Decimal

#: The largest number excelkort reads (exclusive), in an extract, a catalogue or a målekort:
#: Excel keeps 15 significant digits, and counts and NOK sums stay far below. Larger (and
#: infinite) values are rejected where they are read, naming where they are.
MAX_MAGNITUDE = 1e15
_SPACES = "\u0020\u00a0\u202f\u2009"
# (re.ASCII: \d is 0-9 only; float() would accept other scripts' digits)
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_SPACE_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[" + _SPACES + r"]\d{3})+(?:[.,]\d+)?", re.ASCII)
_DOT_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?", re.ASCII)  # 1.234,5 1.234.567
_COMMA_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.ASCII)  # 1,234.5


def format_number(x: float | int) -> str:
    """Exact (shortest round-trip), with decimal comma and no exponent: ``4,5``, ``65``, ``0,0000001``."""
    if float(x).is_integer() and abs(x) < 1e16:
        return str(int(x))
    text = repr(float(x))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text.replace(".", ",")


def format_fixed(x: float | int, decimals: int) -> str:
    """A number with exactly ``decimals`` decimals as Norwegian Excel shows it: decimal comma and
    thousands grouped with a no-break space (``1 234,5``). Round it first where it must be
    rounded as the workbook shows it (``numbers.rules.round_shown``); this only formats."""
    text = f"{Decimal(repr(float(x) + 0.0)):,.{decimals}f}"  # + 0.0: no «-0»
    return text.replace(",", "\u00a0").replace(".", ",")


def parse_number_text(text: str) -> float | None:
    """A number written as text the ways people, Excel and data warehouses write it: ``65``,
    ``4,5``, ``4.5``, ``1 234,5``, ``1.234,5``, ``1,234.5``, ``−2``, ``1E-05``; None for
    anything else (``65 %``, ``abc``, ``nan``, ``1,2,3``)."""
    s = text.strip().replace("\u2212", "-")  # the Unicode minus sign
    if _PLAIN_NUMBER.fullmatch(s):
        return float(s.replace(",", "."))
    if _SPACE_GROUPED.fullmatch(s):
        for sp in _SPACES:
            s = s.replace(sp, "")
        return float(s.replace(",", "."))
    if _DOT_GROUPED.fullmatch(s) and (s.count(".") > 1 or "," in s):
        return float(s.replace(".", "").replace(",", "."))
    if _COMMA_GROUPED.fullmatch(s) and (s.count(",") > 1 or "." in s):
        return float(s.replace(",", ""))
    return None
