"""Reporting periods (``YYYY-MM``): parsing, checking and month arithmetic, in one place."""
from __future__ import annotations

import re

from .errors import InputError, Problem

_PERIOD = re.compile(r"(\d{4})-?(\d{2})")
PERIOD_HELP = "Skriv perioden som ÅÅÅÅ-MM, f.eks. 2026-10."


def parse_period(text) -> str | None:
    """``2024-03`` or ``202403`` → ``"2024-03"``; None when it is not a valid period."""
    m = _PERIOD.fullmatch(str(text).strip())
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not (1900 <= year <= 2199 and 1 <= month <= 12):
        return None
    return f"{year:04d}-{month:02d}"


def invalid_period_message(text, what: str = "periode") -> str:
    """The one message for a month that is not ``YYYY-MM`` (``what``: the field's name)."""
    return f"Ugyldig {what} «{str(text).strip()}». {PERIOD_HELP}"


def check_period(text) -> str:
    """``YYYY-MM`` (also ``YYYYMM``) → ``YYYY-MM``, or a Norwegian InputError."""
    period = parse_period(text)
    if period is None:
        raise InputError(Problem(invalid_period_message(text)))
    return period


def index(period: str) -> int:
    """Months since year 0: consecutive months differ by 1."""
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def shift(period: str, months: int) -> str:
    """The period ``months`` later (negative: earlier)."""
    n = index(period) + months
    return f"{n // 12:04d}-{n % 12 + 1:02d}"
