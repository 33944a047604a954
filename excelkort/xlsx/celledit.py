"""What excelkort writes into one cell of a user's sheet (``CellEdit``), and a sheet's edits keyed
by (row, column) as the sheet XML numbers them (``sheet_edits``): the input of the splicer
(``sheetpatch.patch_sheet_xml``) and of ``workbookpatch.patch_workbook``."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..errors import ExcelkortError
from .refs import parse_ref


class EditError(ExcelkortError):
    """An edit excelkort's own code got wrong (value type, NaN, bad formula, a cell given twice):
    a bug, not the user's input, so it keeps ``ExcelkortError``'s exit code 1 (internal error)."""


class _KeepFormula:
    def __repr__(self) -> str:
        return "KEEP_FORMULA"


KEEP_FORMULA = _KeepFormula()


@dataclass(frozen=True)
class CellEdit:
    """What to put in one cell.

    ``formula`` is Excel formula text without the leading ``=`` (a leading ``=`` is dropped), in
    Excel's English syntax; ``value`` is then its cached result. Without a formula, ``value`` is
    the cell's constant: int/float, str (always text, even ``=…``), bool, ``ErrorValue``, or
    None (clear the value, keep the style). ``formula=KEEP_FORMULA`` (see ``cached``) keeps the
    cell's existing formula, shared or not, and updates only its cached value. ``style`` (an
    index into the workbook's cell formats) is the style a new cell gets instead of its row's
    or column's; an existing cell always keeps its own.
    """

    value: object = None
    formula: str | _KeepFormula | None = None
    style: str | None = None

    @classmethod
    def cached(cls, value: object) -> "CellEdit":
        """Update the cached value of the cell's existing formula (a plain value if it has none)."""
        return cls(value, KEEP_FORMULA)


SheetEdits = dict[tuple[int, int], CellEdit]


@lru_cache(maxsize=65536)
def ref_key(ref: str) -> tuple[int, int]:
    """(row, column) of A1 text, numbered as in the sheet XML (from 1); ValueError if not a ref."""
    row, col = parse_ref(ref)
    return row + 1, col + 1


def sheet_edits(sheet: str, cells: dict[str, CellEdit | object]) -> SheetEdits:
    """``{"C7": CellEdit or plain value}`` checked and keyed for ``patch_sheet_xml``.

    ValueError for text that is not a cell reference, EditError for a cell given twice."""
    out: SheetEdits = {}
    for ref, edit in cells.items():
        key = ref_key(ref)
        if key in out:
            raise EditError(f"cell {ref} of {sheet!r} is edited twice")
        out[key] = edit if isinstance(edit, CellEdit) else CellEdit(edit)
    return out
