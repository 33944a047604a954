"""Numbers as Norwegian text, for messages, logs and CSV files users open in Excel."""
from __future__ import annotations

from decimal import Decimal


def format_number(x: float | int) -> str:
    """Exact (shortest round-trip), with decimal comma and no exponent: ``4,5``, ``65``, ``0,0000001``."""
    if float(x).is_integer() and abs(x) < 1e16:
        return str(int(x))
    text = repr(float(x))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text.replace(".", ",")
