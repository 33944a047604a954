"""Row heights for rows excelkort writes text into, set surgically (SPEC §5).

Neither Excel nor LibreOffice fits a row's height to wrapped text when it opens a file: a row
written without a height keeps the default one, and a proposal's Avvik («Hittil i år 79,7 % mot
mål 80 %; Risiko høy») runs into the row below, on screen and on paper. ``wrapped_height``
estimates the height the text needs from the columns' widths (Calibri 11, as the templates use),
and ``set_row_heights`` writes it into the rows' ``ht`` (raw text, see ``xmltext``), without
``customHeight``: a row that grows later still fits itself when edited. A height a person set
(``customHeight="1"``) or a larger one is kept.
"""
from __future__ import annotations

import math
import re

from .xmltext import root_prefix, tag_attrs

LINE_HEIGHT = 15.0  # points per line of Calibri 11: Excel's default row height
_CHARS_PER_WIDTH = 1.25  # characters of ordinary text per unit of column width (a little under what fits)


def wrapped_height(texts: dict[int, str], widths: dict[int, float]) -> float:
    """The height (points) a row needs for ``texts`` (column → text) wrapped in columns of
    ``widths`` (column → Excel's width in characters): the most lines any cell needs."""
    lines = 1
    for col, text in texts.items():
        width = widths.get(col)
        if width:
            per_line = max(1, int(width * _CHARS_PER_WIDTH))
            lines = max(lines, sum(max(1, math.ceil(len(part) / per_line))
                                   for part in str(text).split("\n")))
    return LINE_HEIGHT * lines


def set_row_heights(xml: str, heights: dict[int, float]) -> str:
    """The sheet's XML with each row of ``heights`` (row number from 1 → points) at least that
    high; a row without an element, a row a person gave a height of their own, or a higher one
    is left as it is."""
    p = root_prefix(xml, "worksheet")
    for number, height in sorted(heights.items()):
        if height <= LINE_HEIGHT:
            continue
        m = re.compile(rf'<{p}row\s+r="{number}"(\s[^>]*?)?(/?)>').search(xml)
        if m is None:
            continue
        attrs = m.group(1) or ""
        given = tag_attrs(attrs)
        if given.get("customHeight") in ("1", "true"):
            continue
        try:
            if "ht" in given and float(given["ht"]) >= height:
                continue
        except ValueError:
            continue  # a height no reader understands: not ours to mend
        old = re.search(r"""\sht\s*=\s*("[^"]*"|'[^']*')""", attrs)
        value = f"{height:g}"
        new_attrs = (attrs[:old.start()] + f' ht="{value}"' + attrs[old.end():] if old is not None
                     else attrs + f' ht="{value}"')
        xml = xml[:m.start()] + f'<{p}row r="{number}"{new_attrs}{m.group(2)}>' + xml[m.end():]
    return xml
