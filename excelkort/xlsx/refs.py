"""A1 cell references, all in one place and in one convention.

As in XlsxWriter's ``utility.py`` (and XlsxWriter's own ``write(row, col, …)``), rows and
columns count from 0: ``(0, 0)`` is ``A1``, ``(6, 2)`` is ``C7``. Every module that turns a
position into A1 text or back uses these functions; code that works in the sheet XML's own
1-based numbers (``xlsx.sheetpatch``) converts at its edge.
"""
from __future__ import annotations

import re
from functools import lru_cache

#: Excel's limits: rows and columns a sheet can have
MAX_ROWS, MAX_COLS = 1_048_576, 16_384

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


@lru_cache(maxsize=16384)
def column_letter(col: int) -> str:
    """Column index → letters: 0 → ``A``, 25 → ``Z``, 26 → ``AA``."""
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


@lru_cache(maxsize=4096)
def column_number(letters: str | bytes) -> int:
    """Column letters → number from 1, any length and case: ``A`` → 1, ``AA`` → 27 (no range
    check: a reader bounding what a sheet claims needs the number of ``AAAA`` too)."""
    text = letters.decode("ascii") if isinstance(letters, bytes) else letters
    n = 0
    for ch in text.upper():
        n = n * 26 + ord(ch) - 64
    return n


@lru_cache(maxsize=65536)
def cell_ref(row: int, col: int, *, abs_row: bool = False, abs_col: bool = False) -> str:
    """(row, col) → A1 text: (6, 2) → ``C7``; with ``abs_col``/``abs_row`` ``$C7``/``C$7``."""
    return f"{'$' if abs_col else ''}{column_letter(col)}{'$' if abs_row else ''}{row + 1}"


def range_ref(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """A range's A1 text, ``B2:D5``; one cell's own ref when first and last are the same."""
    first = cell_ref(first_row, first_col)
    if (first_row, first_col) == (last_row, last_col):
        return first
    return f"{first}:{cell_ref(last_row, last_col)}"


@lru_cache(maxsize=65536)
def parse_ref(ref: str) -> tuple[int, int]:
    """A1 text → (row, col): ``C7`` → (6, 2). ``$`` signs, lower case and surrounding spaces are
    accepted; anything else, or a cell outside Excel's sheet, raises ValueError."""
    m = _REF.fullmatch(ref.strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    col = column_number(m.group(1))
    row = int(m.group(2))
    if not (1 <= row <= MAX_ROWS and 1 <= col <= MAX_COLS):
        raise ValueError(f"cell reference out of range: {ref!r}")
    return row - 1, col - 1
