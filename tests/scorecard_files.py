"""Målekort files for the reader and bad-input tests: one made the normal way, and edits of it."""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl

from excelkort import api
from excelkort.inputs.catalogue import default_catalogue
from excelkort.scorecard.writer import ScorecardContent, write_scorecard

CATALOGUE = default_catalogue()
UNIT, UNIT_NAME, PERIOD = "0101", "Nav Halden-Aremark", "2026-10"
N = None


def months(*values) -> list:
    """Twelve months from the values given (the rest missing)."""
    return list(values) + [None] * (12 - len(values))


#: Data sheet: automatic indicators (B1 andel, P9 antall) and local indicators with a nevner
TELLER = {
    "B1": months(N, N, 60, 62, 65, 70, N, 66, 64, 63),  # lag 6: later months are typed anyway
    "P1": months(80, 82, 79, 85, 90, 88, 87, 86, 84, 83),
    "P9": months(21, 19, 25, 18, 22, 20, 23, 24, 19, 20),
    "M4": months(8, 9, 10, 11, 11, 12, 12, 13, 12, 12),
    "M2": months(N, N, N, 14, N, N, N, 15),
}
NEVNER = {
    "B1": months(N, N, 100, 100, 100, 100, N, 100, 100, 100),
    "P1": months(100, 100, 100, 100, 100, 100, 100, 100, 100, 100),
    "M4": months(10, 10, 12, 12, 12, 13, 13, 14, 14, 14),
    "M2": months(N, N, N, 16, N, N, N, 16),
}
#: bare values typed in the Målekort month cells (local indicators without a nevner)
BARE = {
    "B7": months(65.3, 70, 72.5, N, 80, 81, 79, 85, 88.8, 90),
    "P8": months(12.5, 11, N, 10, 9.5, 9, 8.5, 10, 11, 12),
    "Ø3": months(40, 41, 41, 42, 42, 43, 43, 44, 44, 45),
}
RISK = {"B7": "Høy", "P8": "Lav", "P1": "Middels"}
COMMENTS = {"B7": "Ny rutine for klagebehandling fra mai.",
            "Ø3": "To vakanser; tilsetting i november.",
            "P1": "=HYPERLINK(\"http://x\",\"tekst\")"}  # formula-like text stays text
MONTH_COMMENT = "Oktober: svak måned på B7.\nTiltak er satt i gang."


def expected(ind_id: str) -> dict:
    """What the reader should find for an indicator of the standard målekort."""
    ind = CATALOGUE[ind_id]
    bare = [None] * 12
    if not ind.is_automatic and ind_id in BARE:
        bare = [v if m in ind.reporting_months else None for m, v in enumerate(BARE[ind_id], 1)]
    return {
        "teller": [None if v is None else float(v) for v in TELLER.get(ind_id, [None] * 12)],
        "nevner": [None if v is None else float(v) for v in NEVNER.get(ind_id, [None] * 12)],
        "bare": [None if v is None else float(v) for v in bare],
        "risk": RISK.get(ind_id),
        "comment": COMMENTS.get(ind_id, ""),
        "target": float(ind.target),
    }


def new_scorecard(folder: Path) -> Path:
    """The standard målekort made by ``api.new_scorecard`` (local values, no risk or comments)."""
    return api.new_scorecard(UNIT, PERIOD, outdir=folder, teller=TELLER, nevner=NEVNER,
                             bare=BARE).scorecard


def full_scorecard(folder: Path) -> Path:
    """The standard målekort with risk assessments, comments and a month comment too."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / api.scorecard_name(UNIT, int(PERIOD[:4]))
    content = ScorecardContent(UNIT, UNIT_NAME, PERIOD, CATALOGUE, teller=dict(TELLER),
                               nevner=dict(NEVNER), bare=dict(BARE), risk_assessed=dict(RISK),
                               comments=dict(COMMENTS), month_comment=MONTH_COMMENT)
    write_scorecard(content, path)
    return path


def edited(src: Path, dst: Path, change) -> Path:
    """A copy of ``src`` changed with openpyxl (``change(workbook)``), saved as ``dst``."""
    wb = openpyxl.load_workbook(src)
    change(wb)
    wb.save(dst)
    return dst


def copied(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def office_files(folder: Path) -> dict:
    """One demo office's målekort (made for 2026-09, with its typed local values) and the
    extracts of 2026-09 and 2026-10: ``unit``, ``workbook``, ``extracts`` by period, ``year``."""
    from excelkort.inputs.extract import write_extract_csv
    from excelkort.inputs.register import demo_register
    from excelkort.steps.synth import generate_year
    from excelkort.steps.synth_forms import extract_rows, local_values, typed_forms

    register = demo_register()
    unit = register.tree("2026-10").offices()[0]
    year = generate_year(CATALOGUE, [unit], 2026)
    teller, nevner, bare = typed_forms(local_values(year, CATALOGUE, "2026-10"), CATALOGUE, unit.id, 10)
    files = api.new_scorecard(unit.id, "2026-09", catalogue=CATALOGUE, register=register,
                              outdir=folder, teller=teller, nevner=nevner, bare=bare)
    extracts = {}
    for period in ("2026-09", "2026-10"):
        extracts[period] = folder / f"uttrekk_{period}.csv"
        write_extract_csv(extract_rows(year, CATALOGUE, period), extracts[period])
    return {"unit": unit, "workbook": files.scorecard, "extracts": extracts, "year": year}
