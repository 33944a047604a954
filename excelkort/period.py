"""Reporting periods (``YYYY-MM``): parsing, checking and month arithmetic, in one place."""
from __future__ import annotations

import re
from datetime import date, timedelta

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


#: month names as Excel writes a date (``okt.26``, ``Oct-26``): Norwegian and English
_MONTHS = {name: i for i, names in enumerate(
    ("jan", "feb", "mar", "apr", "mai may", "jun", "jul", "aug", "sep", "okt oct", "nov",
     "des dec"), 1) for name in names.split()}
_MONTH_YEAR = re.compile(r"([a-zæøå]{3})[a-zæøå]*\.?[\s.\-/]*(\d{2}|\d{4})", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
#: Excel's day numbers for 2000-01-01 and 2099-12-31: a bare number in this range is a date
DATE_SERIALS = (36526, 73050)


def period_from_date(text) -> str | None:
    """The month of a date Excel made of a period: ``okt.26``, ``Oct-2026``, ``01.10.2026``,
    ``2026-10-01`` (also with a time), or a day number (``46296``) → ``"2026-10"``; None when
    ``text`` is no such date."""
    s = str(text).strip()
    if m := _MONTH_YEAR.fullmatch(s):
        month = _MONTHS.get(m.group(1).casefold())
        year = int(m.group(2)) + (2000 if len(m.group(2)) == 2 else 0)
        return parse_period(f"{year:04d}-{month:02d}") if month else None
    if m := _DAY_MONTH_YEAR.fullmatch(s):
        year = int(m.group(3)) + (2000 if len(m.group(3)) == 2 else 0)
        return parse_period(f"{year:04d}-{int(m.group(2)):02d}") if 1 <= int(m.group(1)) <= 31 else None
    if m := _ISO_DATE.fullmatch(s):
        return parse_period(f"{m.group(1)}-{int(m.group(2)):02d}") if 1 <= int(m.group(3)) <= 31 else None
    if s.isascii() and s.isdigit() and DATE_SERIALS[0] <= int(s) <= DATE_SERIALS[1]:
        day = date(1899, 12, 30) + timedelta(days=int(s))
        return f"{day.year:04d}-{day.month:02d}"
    return None


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
