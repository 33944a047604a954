"""Cell values as a sheet's XML stores them, and reading them back straight from the XML.

``read_cells`` is the ground truth the sheet patcher's tests compare against: it reads what is
in the file, with no library's interpretation in between. ``typed_value`` turns a ``<v>``'s
text into a value; the patcher uses it for the cached values it carries over.
"""
from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from .package import Package, open_package, string_item_text, unescape_ooxml
from .refs import cell_ref, parse_ref


class ErrorValue(str):
    """An Excel error value (``#DIV/0!``, ``#N/A`` …), as opposed to text that looks like one."""

    CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                       "#GETTING_DATA"})

    def __new__(cls, code: str):
        if code not in cls.CODES:
            raise ValueError(f"unknown Excel error value {code!r}")
        return super().__new__(cls, code)


def to_number(text: str) -> int | float:
    """A number as stored in ``<v>``: int when written as an integer, else float."""
    text = text.strip()
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else float(text)


def typed_value(t: str, text: str):
    """The value of a ``<v>``'s (XML-unescaped) text in a cell of type ``t`` (not ``s``):
    bool, ``ErrorValue`` (or the text of an unknown error), text, or a number."""
    if t == "b":
        return text.strip() == "1"
    if t == "e":
        return ErrorValue(text) if text in ErrorValue.CODES else text
    if t in ("str", "d"):
        return unescape_ooxml(text)
    return to_number(text)


def read_cells(source: str | Path | Package, sheet: str, refs=None) -> dict[str, object]:
    """Cell values of one sheet straight from its XML: ``{"C7": value}``.

    Numbers come back as int when written as integers, else float; text (shared or inline) as
    str; booleans as bool; errors as ``ErrorValue``; formula cells as their cached value. Without
    ``refs`` only cells holding a value are returned; with ``refs`` every asked ref is a key
    (None when empty).
    """
    package = source if isinstance(source, Package) else open_package(source, allow_locked=True)
    root = package.xml(package.sheet_member(sheet))
    ns = etree.QName(root).namespace
    q = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)
    out: dict[str, object] = {}
    row_index = -1
    for row in root.iter(q("row")):
        r = row.get("r")
        row_index = int(r) - 1 if r else row_index + 1
        col = -1
        for c in row.iter(q("c")):
            r = c.get("r")
            col = parse_ref(r)[1] if r else col + 1
            value = _cell_value(c, q, package)
            if value is not None:
                out[cell_ref(row_index, col)] = value
    if refs is None:
        return out
    return {cell_ref(*parse_ref(r)): out.get(cell_ref(*parse_ref(r))) for r in refs}


def read_named(source: str | Path | Package, name: str) -> object:
    """The value of the (first) cell a workbook-scoped defined name refers to; None when the
    name is missing or does not point at one sheet's cell."""
    package = source if isinstance(source, Package) else open_package(source, allow_locked=True)
    ref = package.defined_names().get(name, "")
    if "!" not in ref:
        return None
    sheet, cell = ref.rsplit("!", 1)
    try:
        cell = cell_ref(*parse_ref(cell.split(":")[0]))
    except ValueError:
        return None
    return read_cells(package, sheet.strip("'").replace("''", "'"), [cell])[cell]


def _cell_value(c, q, package: Package):
    t = c.get("t", "n")
    if t == "inlineStr":
        el = c.find(q("is"))
        return string_item_text(el) if el is not None else None
    v = c.find(q("v"))
    if v is None or v.text is None:
        return "" if v is not None and t == "str" else None
    if t == "s":
        return package.shared_strings()[int(v.text)]
    return typed_value(t, v.text)
