"""The tiltaksplan workbook (SPEC §5): a new, empty action plan for a unit.

The table's input rows are styled, validated and unlocked, and a live conditional format marks
an overdue measure (Frist before today, Status neither Fullført nor Avbrutt) red as people edit
in Excel. Proposals and the effect columns (``excelkort tiltak``, ``steps.plan_measures``) are
patched into the user's file cell by cell, like the målekort filler does.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..atomic import atomic_output
from .layout import (ACTION_HEADER_ROW, ACTION_INPUT_ROWS, ACTION_LABELS, ACTION_SHEET,
                     ACTION_STATUSES, CLOSED_STATUSES, DATE_LABELS, column_of)
from ..xlsx.refs import cell_ref
from ..xlsx.rowheight import LINE_HEIGHT, wrapped_height
from ..xlsx.writer import (GRID, INPUT, RED_FILL, RED_FONT, Formats, new_workbook, period_datetime,
                           print_setup)

WIDTHS = (5, 40, 28, 40, 16, 11, 11, 13, 24, 30, 13, 12, 12)


def row_height(row: dict[str, object], cols: dict[str, int] | None = None) -> float:
    """The height a table row needs for its text (label → value; a date or number takes one
    line) wrapped in the template's columns; ``cols`` (label → column) where the table is not
    where the template puts it."""
    cols = cols or {label: column_of(label) for label in ACTION_LABELS}
    texts = {cols[label]: value for label, value in row.items()
             if isinstance(value, str) and label in cols}
    widths = {cols[label]: WIDTHS[column_of(label)] for label in ACTION_LABELS if label in cols}
    return wrapped_height(texts, widths)


def write_action_plan(path: str | Path, unit_id: str, unit_name: str, period: str,
                      rows: list[dict[str, object]] = ()) -> Path:
    """Write a tiltaksplan atomically (input rows styled, validated and unlocked), empty or with
    ``rows`` (label → value, from an older plan) in the table from its first row."""
    path = Path(path)
    with atomic_output(path) as tmp:
        wb = new_workbook(str(tmp), f"Tiltaksplan {unit_name} {period[:4]}", period)
        fm = Formats(wb, valign="top")
        cell = fm.add(text_wrap=True, locked=False, **GRID)
        date = fm.add(num_format="dd.mm.yyyy", **GRID, **INPUT)
        ws = wb.add_worksheet(ACTION_SHEET)
        plain = fm.add()
        for r in range(ACTION_HEADER_ROW):  # the title rows: no input borders or colours
            ws.set_row(r, 22 if r == 0 else None, plain)
        ws.write_string(0, 0, f"Tiltaksplan {period[:4]} – {unit_name}", fm.title)
        ws.write_string(1, 0, f"Enhet {unit_id}", plain)
        for col, label in enumerate(ACTION_LABELS):
            ws.write_string(ACTION_HEADER_ROW, col, label, fm.header)
            ws.set_column(col, col, WIDTHS[col], date if label in DATE_LABELS else cell)
        first, last = ACTION_HEADER_ROW + 1, ACTION_HEADER_ROW + ACTION_INPUT_ROWS
        status_col = column_of("Status")
        ws.data_validation(first, status_col, last, status_col, {
            "validate": "list", "source": list(ACTION_STATUSES), "error_title": "Ugyldig status",
            "error_message": "Velg Ikke startet, Pågår, Fullført eller Avbrutt."})
        for label in DATE_LABELS:
            col = column_of(label)
            ws.data_validation(first, col, last, col, {
                "validate": "date", "criteria": ">", "value": period_datetime("2000-01"),
                "error_title": "Ugyldig dato", "error_message": "Skriv en dato, f.eks. 15.03.2026."})
        ws.conditional_format(first, 0, last, len(ACTION_LABELS) - 1, {
            "type": "formula", "criteria": overdue_formula(first),
            "format": wb.add_format({"bg_color": RED_FILL, "font_color": RED_FONT})})
        _write_rows(ws, first, rows, cell, date)
        ws.freeze_panes(ACTION_HEADER_ROW + 1, 2)
        ws.autofilter(ACTION_HEADER_ROW, 0, last, len(ACTION_LABELS) - 1)
        # A4 landscape at a readable size, over two pages wide with Nr and Indikator on both
        print_setup(ws, ACTION_HEADER_ROW, repeat_columns=(0, 1))
        wb.close()
    return path


def _write_rows(ws, first: int, rows: list[dict[str, object]], cell, date) -> None:
    """Carried rows: a date as a date cell, a number as a number, anything else as text."""
    for r, row in enumerate(rows, start=first):
        if (height := row_height(row)) > LINE_HEIGHT:
            ws.set_row(r, height)
        for label, value in row.items():
            col = column_of(label)
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, col, value, date)
            elif isinstance(value, dt.date):
                ws.write_datetime(r, col, dt.datetime(value.year, value.month, value.day), date)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(r, col, value, date if label in DATE_LABELS else cell)
            else:
                ws.write_string(r, col, str(value), date if label in DATE_LABELS else cell)


def overdue_formula(row: int) -> str:
    """The live rule for row ``row`` (0-based; relative to the rule's first row): Frist is a date
    before today and Status is neither Fullført nor Avbrutt. A Frist typed as text is not a
    number to Excel, so only ``tiltak``'s summary flags it."""
    frist = "$" + cell_ref(row, column_of("Frist"))
    status = "$" + cell_ref(row, column_of("Status"))
    closed = ",".join(f'{status}<>"{s}"' for s in CLOSED_STATUSES)
    return f"=AND(ISNUMBER({frist}),{frist}<TODAY(),{closed})"
