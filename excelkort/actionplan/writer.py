"""The tiltaksplan workbook (SPEC §5): a new, empty action plan for a unit.

Proposals, overdue flags and the effect columns (``excelkort tiltak``) come in a later step;
they patch the user's file cell by cell like the målekort filler does.
"""
from __future__ import annotations

from pathlib import Path

import xlsxwriter

from ..atomic import atomic_output
from ..scorecard.writer import HEADER_FILL, INPUT_FILL, period_datetime

ACTION_SHEET = "Tiltak"
ACTION_LABELS = ("Nr", "Indikator", "Avvik", "Tiltak", "Ansvarlig", "Start", "Frist", "Status",
                 "Forventet effekt", "Kommentar", "Sist oppdatert", "Verdi ved start", "Verdi nå")
ACTION_STATUSES = ("Ikke startet", "Pågår", "Fullført", "Avbrutt")
OPEN_STATUSES = ("Ikke startet", "Pågår")
PROPOSAL_COMMENT = "Forslag fra excelkort"
ACTION_HEADER_ROW = 3  # row 4; rows above hold the title
ACTION_INPUT_ROWS = 200
WIDTHS = (5, 40, 28, 40, 16, 11, 11, 13, 24, 30, 13, 12, 12)


def write_action_plan(path: str | Path, unit_id: str, unit_name: str, period: str) -> Path:
    """Write an empty tiltaksplan atomically (input rows styled, validated and unlocked)."""
    path = Path(path)
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                       "strings_to_urls": False})
        wb.set_properties({"title": f"Tiltaksplan {unit_name} {period[:4]}", "author": "excelkort",
                           "created": period_datetime(period)})
        base = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
        title = wb.add_format({**base, "bold": True, "font_size": 16, "font_color": HEADER_FILL})
        header = wb.add_format({**base, "bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_FILL,
                                "text_wrap": True, "border": 1})
        cell = wb.add_format({**base, "text_wrap": True, "locked": False, "border": 1,
                              "border_color": "#BFBFBF"})
        date = wb.add_format({**base, "num_format": "dd.mm.yyyy", "locked": False, "border": 1,
                              "border_color": "#BFBFBF", "bg_color": INPUT_FILL})
        ws = wb.add_worksheet(ACTION_SHEET)
        plain = wb.add_format(base)
        for r in range(ACTION_HEADER_ROW):  # the title rows: no input borders or colours
            ws.set_row(r, 22 if r == 0 else None, plain)
        ws.write_string(0, 0, f"Tiltaksplan {period[:4]} – {unit_name}", title)
        ws.write_string(1, 0, f"Enhet {unit_id}", plain)
        for col, label in enumerate(ACTION_LABELS):
            ws.write_string(ACTION_HEADER_ROW, col, label, header)
            ws.set_column(col, col, WIDTHS[col], date if label in ("Start", "Frist", "Sist oppdatert") else cell)
        first, last = ACTION_HEADER_ROW + 1, ACTION_HEADER_ROW + ACTION_INPUT_ROWS
        status_col = ACTION_LABELS.index("Status")
        ws.data_validation(first, status_col, last, status_col, {
            "validate": "list", "source": list(ACTION_STATUSES), "error_title": "Ugyldig status",
            "error_message": "Velg Ikke startet, Pågår, Fullført eller Avbrutt."})
        for label in ("Start", "Frist", "Sist oppdatert"):
            col = ACTION_LABELS.index(label)
            ws.data_validation(first, col, last, col, {
                "validate": "date", "criteria": ">", "value": period_datetime("2000-01"),
                "error_title": "Ugyldig dato", "error_message": "Skriv en dato, f.eks. 15.03.2026."})
        ws.freeze_panes(ACTION_HEADER_ROW + 1, 2)
        ws.autofilter(ACTION_HEADER_ROW, 0, last, len(ACTION_LABELS) - 1)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(ACTION_HEADER_ROW)
        wb.close()
    return path
