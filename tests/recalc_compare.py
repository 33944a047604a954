"""Compare the cached values excelkort wrote with LibreOffice's recalculation, cell by cell."""
from __future__ import annotations

import math
import warnings
from pathlib import Path

import openpyxl

from libreoffice import convert


def _norm(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)
    return v


def _same(a, b) -> bool:
    a, b = _norm(a), _norm(b)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def formula_mismatches(files: list[Path], workdir: Path) -> tuple[int, list[str]]:
    """(number of formula cells compared, mismatches as text) over all files."""
    recalculated = convert(files, "xlsx", workdir / "recalc")
    compared, problems = 0, []
    for ours, theirs in zip(files, recalculated):
        # openpyxl only reads here; it warns that it would drop sparklines, which it never saves
        warnings.filterwarnings("ignore", "Sparkline Group extension", UserWarning)
        f_wb = openpyxl.load_workbook(ours, data_only=False)
        v_wb = openpyxl.load_workbook(ours, data_only=True)
        lo_wb = openpyxl.load_workbook(theirs, data_only=True)
        for ws in f_wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        compared += 1
                        mine = v_wb[ws.title][cell.coordinate].value
                        lo = lo_wb[ws.title][cell.coordinate].value
                        if not _same(mine, lo):
                            problems.append(f"{ours.name}!{ws.title}!{cell.coordinate}: "
                                            f"excelkort {mine!r} ≠ LibreOffice {lo!r}  ({cell.value})")
    return compared, problems
