"""Writing a new målekort workbook (SPEC §5) with XlsxWriter.

New files (from the template layout, consolidated workbooks) may be written by any library;
users' files are only ever patched cell by cell (``steps.fill``). Layout comes from
``scorecard.layout``; every owned cell of an indicator row comes from ``scorecard.rowmodel``;
the house formats, print set-up and workbook options from ``xlsx.writer``. ``_write_scorecard``
writes the sheets step by step: head, header rows, indicator rows, then each sheet's finish.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from . import layout as L
from ..atomic import atomic_output
from ..inputs.catalogue import catalogue_to_rows
from ..model import Catalogue, Indicator
from .rowmodel import Cell, Positions, RowInputs, compute_row
from ..numbers.rules import HIGH, LOW, MEDIUM, RISKS, Result, tolerance_for
from ..xlsx.refs import cell_ref
from ..xlsx.writer import (GREEN_FILL, GREEN_FONT, GREY_FILL, GREY_FONT, GRID, INPUT, RED_FILL, RED_FONT,
                           YELLOW_FILL, YELLOW_FONT, ClassicFormulaWorksheet, Formats, new_workbook,
                           print_setup, without_cyclic_gc)

PERSPECTIVE_FILL = "#DDEBF7"


@dataclass
class ScorecardContent:
    """Everything a målekort is written from."""

    unit_id: str
    unit_name: str
    period: str  # YYYY-MM
    catalogue: Catalogue
    teller: dict[str, list] = field(default_factory=dict)  # Data sheet, per indicator
    nevner: dict[str, list] = field(default_factory=dict)
    bare: dict[str, list] = field(default_factory=dict)  # typed month values (local rows)
    targets: dict[str, float] = field(default_factory=dict)  # the unit's own Mål
    tolerances: dict[str, float] = field(default_factory=dict)
    unweighted: set[str] = field(default_factory=set)
    consolidated: bool = False
    risk_assessed: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    month_comment: str = ""
    log_rows: list[list] = field(default_factory=list)  # Logg rows carried from an older workbook

    @property
    def year(self) -> int:
        return int(self.period[:4])

    @property
    def period_month(self) -> int:
        return int(self.period[5:7])

    def row_inputs(self, ind: Indicator) -> RowInputs:
        target = self.targets.get(ind.id, ind.target)
        tolerance = self.tolerances.get(ind.id)
        if tolerance is None:
            tolerance = tolerance_for(ind, target)
        return RowInputs(
            indicator=ind,
            data_teller=list(self.teller.get(ind.id, [None] * 12)),
            data_nevner=list(self.nevner.get(ind.id, [None] * 12)),
            bare=list(self.bare.get(ind.id, [None] * 12)),
            target=target, tolerance=tolerance,
            weighted=ind.id not in self.unweighted,
            months_are_formulas=self.consolidated or ind.is_automatic,
        )


def number_format(ind: Indicator) -> str:
    """Norwegian display format with the indicator's Desimaler (stored with '.' in the file)."""
    fraction = "." + "0" * ind.decimals if ind.decimals else ""
    if ind.measure == "antall":
        return "#,##0" + fraction
    unit = L.unit_text(ind)
    return "0" + fraction + (f'"{unit}"' if unit else "")


class _Styles(Formats):
    """The målekort's cell formats, created once per workbook."""

    def __init__(self, wb):
        super().__init__(wb, header={"align": "center"})
        self.label = self.add(bold=True)
        self.info = self.add(num_format="@")
        self.info_year = self.add(num_format="0")
        self.helper_header = self.add(font_color="#808080")
        self.perspective = self.add(bold=True, bg_color=PERSPECTIVE_FILL, border=1)
        self.comment_box = self.add(text_wrap=True, valign="top", border=1, **INPUT)
        self.note = self.add(text_wrap=True, valign="top")

    def get(self, num_format: str | None = None, *, input_cell=False, bold=False, center=False,
            wrap=False, grey=False):
        """A table cell's format (light grid), made once per combination."""
        key = (num_format, input_cell, bold, center, wrap, grey)
        if key not in self._cache:
            spec = dict(GRID)
            if num_format:
                spec["num_format"] = num_format
                spec["align"] = "right"  # numbers and the words beside them («ikke klar», «nådd») line up
            if input_cell:
                spec.update(INPUT)
            if grey:
                spec["bg_color"] = "#F2F2F2"
            if bold:
                spec["bold"] = True
            if center:
                spec["align"] = "center"
            if wrap:
                spec["text_wrap"] = True
            self._cache[key] = self.add(**spec)
        return self._cache[key]


def _write(ws, row: int, col: int, cell: Cell, fmt, st: _Styles) -> None:
    if cell.formula is not None:
        ws.write_formula(row, col, "=" + cell.formula, fmt, cell.value)
    else:
        ws.write_value(row, col, cell.value, fmt, st.quoted)


def _status_rules(ws, first_row: int, last_row: int, col: int, st: _Styles, colour_col: int | None = None):
    """Fixed colour rules (never Excel's icon-set defaults) for a status-like column."""
    fills = (("grønn", GREEN_FILL, GREEN_FONT), ("gul", YELLOW_FILL, YELLOW_FONT),
             ("rød", RED_FILL, RED_FONT), ("grå", GREY_FILL, GREY_FONT))
    for word, fill, font in fills:
        fmt = st.wb.add_format({"bg_color": fill, "font_color": font, "bold": True})
        if colour_col is None:
            ws.conditional_format(first_row, col, last_row, col, {
                "type": "cell", "criteria": "==", "value": f'"{word}"', "format": fmt})
        else:
            ref = cell_ref(first_row, colour_col, abs_col=True)
            ws.conditional_format(first_row, col, last_row, col, {
                "type": "formula", "criteria": f'={ref}="{word}"', "format": fmt})


def _risk_rules(ws, first_row: int, last_row: int, col: int, st: _Styles):
    for word, fill, font in ((LOW, GREEN_FILL, GREEN_FONT), (MEDIUM, YELLOW_FILL, YELLOW_FONT),
                             (HIGH, RED_FILL, RED_FONT)):
        fmt = st.wb.add_format({"bg_color": fill, "font_color": font, "bold": True})
        ws.conditional_format(first_row, col, last_row, col, {
            "type": "cell", "criteria": "==", "value": f'"{word}"', "format": fmt})


def write_scorecard(content: ScorecardContent, path: str | Path, extra_sheets=None) -> dict[str, Result]:
    """Write a new målekort atomically; returns the engine's result per indicator id.

    ``extra_sheets(workbook, styles)``, where given, adds sheets after Logg (a consolidated
    workbook's Enheter, Rangering, …) before the file is closed.
    """
    with atomic_output(path) as tmp:
        results = _write_scorecard(content, str(tmp), extra_sheets)
    return results


def scorecard_bytes(content: ScorecardContent, extra_sheets=None) -> bytes:
    """The bytes ``write_scorecard`` would write (made in memory: no temp file, no sync)."""
    buffer = io.BytesIO()
    _write_scorecard(content, buffer, extra_sheets)
    return buffer.getvalue()


NAME_WIDTH, DATA_NAME_WIDTH = 30, 44  # the Indikator column on Målekort and on Data


def _write_scorecard(content: ScorecardContent, filename, extra_sheets=None) -> dict[str, Result]:
    """The målekort's sheets, in tab order: Målekort, Data, Indikatorer, Logg (and the
    ``extra_sheets`` of a consolidated workbook)."""
    with without_cyclic_gc():
        return _write_sheets(content, filename, extra_sheets)


def _write_sheets(content: ScorecardContent, filename, extra_sheets) -> dict[str, Result]:
    """``_write_scorecard``'s work, in a function of its own: the workbook's cells are freed as
    it returns, before the garbage collector is back (else its first collection would walk
    them all)."""
    wb = new_workbook(filename, f"Målekort {content.unit_name} {content.year}", content.period)
    wb.set_calc_mode("auto")
    st = _Styles(wb)
    ws = wb.add_worksheet(L.SCORECARD_SHEET, worksheet_class=ClassicFormulaWorksheet)
    data_ws = wb.add_worksheet(L.DATA_SHEET, worksheet_class=ClassicFormulaWorksheet)
    cat_ws = wb.add_worksheet(L.CATALOGUE_SHEET, worksheet_class=ClassicFormulaWorksheet)
    log_ws = wb.add_worksheet(L.LOG_SHEET, worksheet_class=ClassicFormulaWorksheet)
    _write_head(wb, ws, content, st)
    cols, data_cols = _write_header_rows(ws, data_ws, st)
    results, last_row = _write_indicator_rows(ws, data_ws, content, cols, data_cols, st)
    _finish_scorecard_sheet(ws, cols, last_row, st)
    _finish_data_sheet(data_ws)
    _write_catalogue_sheet(cat_ws, content.catalogue, st)
    _write_log_sheet(log_ws, content.log_rows, st)
    if extra_sheets is not None:
        extra_sheets(wb, st)
    wb.close()
    return results


def _write_head(wb, ws, content: ScorecardContent, st: _Styles) -> None:
    """The Målekort's title, the unit and period cells (with their defined names) and the
    month's comment box."""
    kind = "Konsolidert målekort" if content.consolidated else "Målekort"
    ws.write_string(*L.TITLE_CELL, f"{kind} {content.year} – {content.unit_name}", st.title)
    info = {"Enhet": content.unit_id, "Enhetsnavn": content.unit_name,
            "Periode": content.period, "År": content.year}
    for name, row in L.INFO_LABELS:
        ws.write_string(row, L.INFO_LABEL_COL, name, st.label)
        value = info[name]
        if isinstance(value, int):
            ws.write_number(row, L.INFO_VALUE_COL, value, st.info_year)
        else:
            ws.write_string(row, L.INFO_VALUE_COL, value, st.info)
    ws.write_string(*L.MONTH_COMMENT_LABEL_CELL, "Kommentar til måneden", st.label)
    r0, c0, r1, c1 = L.MONTH_COMMENT_RANGE
    ws.merge_range(r0, c0, r1, c1, content.month_comment, st.comment_box)
    r0, c0, r1, c1 = L.LEGEND_RANGE
    ws.merge_range(r0, c0, r1, c1, "", st.note)
    ws.write_rich_string(r0, c0, st.label, L.LEGEND_TITLE, " " + L.LEGEND, st.note)
    ws.set_row(L.SCORECARD_HEADER_ROW - 1, 6)  # a thin gap above the table (one page tall)
    for name, ref in L.DEFINED_NAMES.items():
        wb.define_name(name, "=" + ref)


def _write_header_rows(ws, data_ws, st: _Styles) -> tuple[dict[str, int], dict[str, int]]:
    """The header rows of Målekort (the hidden helper columns' labels in grey) and Data;
    returns each sheet's label → column."""
    cols: dict[str, int] = {label: i for i, label in enumerate(L.SCORECARD_LABELS)}
    for i, label in enumerate(L.HELPER_LABELS):
        cols[label] = L.FIRST_HELPER_COL + i
    for label, col in cols.items():
        fmt = st.helper_header if label.startswith(L.HELPER_PREFIX) else st.header
        ws.write_string(L.SCORECARD_HEADER_ROW, col, label, fmt)
        if label in L.HEADER_NOTES:
            ws.write_comment(L.SCORECARD_HEADER_ROW, col, L.HEADER_NOTES[label],
                             {"author": "excelkort", "x_scale": 2.2, "y_scale": 1.6})
    data_cols = {label: i for i, label in enumerate(L.DATA_LABELS)}
    for label, col in data_cols.items():
        data_ws.write_string(L.DATA_HEADER_ROW, col, label, st.header)
    return cols, data_cols


def _write_indicator_rows(ws, data_ws, content: ScorecardContent, cols: dict[str, int],
                          data_cols: dict[str, int], st: _Styles) -> tuple[dict[str, Result], int]:
    """Each perspective's heading row on Målekort, then a row per indicator there and on Data;
    returns the engine's result per indicator and the Målekort's last row."""
    results: dict[str, Result] = {}
    row = L.SCORECARD_HEADER_ROW + 1
    data_row = L.DATA_HEADER_ROW + 1
    for perspective, indicators in content.catalogue.by_perspective():
        for col in range(len(L.SCORECARD_LABELS)):
            ws.write_blank(row, col, None, st.perspective)
        ws.write_string(row, cols[L.COL_NAME], perspective, st.perspective)
        row += 1
        for ind in indicators:
            inputs = content.row_inputs(ind)
            pos = Positions(cols, data_cols, row, data_row)
            cells, results[ind.id] = compute_row(inputs, pos, content.period_month)
            _write_indicator_row(ws, row, cols, ind, inputs, cells, content, st)
            _write_data_row(data_ws, data_row, ind, inputs, content.consolidated, st)
            row += 1
            data_row += 1
    return results, row - 1


def row_height(*cells: tuple[str, float]) -> float:
    """The height of a row whose ``(text, column width)`` cells wrap: a line more per ~1.25
    characters of width. Set, because LibreOffice does not size the rows of a file it opens."""
    lines = max(math.ceil(len(text) / (width * 1.25)) for text, width in cells)
    return 15 if lines <= 1 else 12.5 * lines


def _write_indicator_row(ws, row: int, cols: dict[str, int], ind: Indicator, inputs: RowInputs,
                         cells: dict[str, Cell], content: ScorecardContent, st: _Styles) -> None:
    """One indicator's Målekort row: its name, typed months (inputs), the rowmodel's cells,
    the unit's risk and comment, and the input rules."""
    fmt_num = number_format(ind)
    name = L.row_name(ind.name, inputs.weighted)
    ws.write_string(row, cols[L.COL_ID], ind.id, st.get(None, bold=True))
    ws.write_string(row, cols[L.COL_NAME], name, st.get(None, wrap=True))
    ws.set_row(row, row_height((name, NAME_WIDTH)))
    ws.write_string(row, cols[L.COL_PERSPECTIVE], ind.perspective, st.get(None))
    ws.write_string(row, cols[L.COL_TYPE], ind.type, st.get(None))
    for m in range(1, 13):
        label = L.MONTHS_BY_NUMBER[m]
        if m not in ind.reporting_months:
            ws.write_blank(row, cols[label], None, st.get(fmt_num, grey=True))
        elif not inputs.months_are_formulas:
            _write(ws, row, cols[label], Cell(inputs.bare[m - 1]), st.get(fmt_num, input_cell=True), st)
    for label, cell in cells.items():
        if label.startswith(L.HELPER_PREFIX):
            fmt = None
        elif label in (L.COL_STATUS, L.COL_TREND, L.COL_RISK_SUGGESTED):
            fmt = st.get(None, center=True)
        elif label == L.COL_PROBABILITY:
            fmt = st.get("0 %", center=True)
        else:
            fmt = st.get(fmt_num)
        _write(ws, row, cols[label], cell, fmt, st)
    risk = content.risk_assessed.get(ind.id)
    ws.write(row, cols[L.COL_RISK_ASSESSED], risk if risk in RISKS else None,
             st.get(None, input_cell=True, center=True))
    ws.write_string(row, cols[L.COL_COMMENT], content.comments.get(ind.id, ""),
                    st.get(None, input_cell=True, wrap=True))
    if not inputs.months_are_formulas:
        _validate_month_inputs(ws, row, cols, ind)
    ws.data_validation(row, cols[L.COL_RISK_ASSESSED], row, cols[L.COL_RISK_ASSESSED], {
        "validate": "list", "source": list(RISKS),
        "error_title": "Ugyldig risiko", "error_message": "Velg Lav, Middels eller Høy."})


def _finish_scorecard_sheet(ws, cols: dict[str, int], last_row: int, st: _Styles) -> None:
    """The Målekort's colour rules, column widths (helpers hidden), frozen panes, print set-up
    and protection (only input cells unlocked)."""
    first_row, hr = L.SCORECARD_HEADER_ROW + 1, L.SCORECARD_HEADER_ROW
    _status_rules(ws, first_row, last_row, cols[L.COL_STATUS], st)
    _status_rules(ws, first_row, last_row, cols[L.COL_TREND], st,
                  colour_col=cols[L.helper_label("farge")])
    _risk_rules(ws, first_row, last_row, cols[L.COL_RISK_SUGGESTED], st)
    _risk_rules(ws, first_row, last_row, cols[L.COL_RISK_ASSESSED], st)
    ws.set_column(cols[L.COL_ID], cols[L.COL_ID], 5)
    ws.set_column(cols[L.COL_NAME], cols[L.COL_NAME], NAME_WIDTH)
    ws.set_column(cols[L.COL_PERSPECTIVE], cols[L.COL_PERSPECTIVE], 11)
    ws.set_column(cols[L.COL_TYPE], cols[L.COL_TYPE], 8)
    ws.set_column(cols[L.COL_TARGET], cols[L.COL_TARGET], 8)
    ws.set_column(cols["Jan"], cols["Des"], 8.5)
    ws.set_column(cols[L.COL_YTD], cols[L.COL_YTD], 9)
    ws.set_column(cols[L.COL_STATUS], cols[L.COL_STATUS], 7)
    ws.set_column(cols[L.COL_TREND], cols[L.COL_TREND], 12)
    ws.set_column(cols[L.COL_PROGNOSIS], cols[L.COL_PROBABILITY], 12)
    ws.set_column(cols[L.COL_RISK_SUGGESTED], cols[L.COL_RISK_ASSESSED], 10)
    ws.set_column(cols[L.COL_COMMENT], cols[L.COL_COMMENT], 36)
    ws.set_column(len(L.SCORECARD_LABELS), max(cols.values()), 8, None, {"hidden": True})
    ws.set_row(hr, 26)
    ws.freeze_panes(hr + 1, cols[L.COL_NAME] + 1)
    # A4 landscape over two pages wide at 75 % (10 pt text prints at 7.5 pt): the months, then
    # Hittil i år to Kommentar; ID and Indikator on both
    print_setup(ws, hr, narrow_margins=True, repeat_columns=(cols[L.COL_ID], cols[L.COL_NAME]),
                column_breaks=(cols[L.COL_YTD],), scale=75)
    ws.print_area(0, 0, last_row, cols[L.COL_COMMENT])
    ws.set_footer("&L&A&C&P / &N&R&F")
    ws.protect("", {"format_cells": True, "format_columns": True, "format_rows": True,
                    "objects": True, "sort": True, "autofilter": True})
    ws.activate()


def _finish_data_sheet(ws) -> None:
    """Data's column widths, frozen ID and name columns, print set-up and protection."""
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, DATA_NAME_WIDTH)
    ws.set_column(2, len(L.DATA_LABELS) - 1, 9)
    ws.freeze_panes(L.DATA_HEADER_ROW + 1, 2)
    print_setup(ws, L.DATA_HEADER_ROW, narrow_margins=True, repeat_columns=(0, 1))
    ws.protect("", {"format_cells": True, "format_columns": True, "format_rows": True,
                    "objects": True})


def _write_log_sheet(ws, rows: list[list], st: _Styles) -> None:
    """Logg: its header row and the rows carried over (``ny --erstatt``); ``fyll`` appends a
    row per change."""
    for col, label in enumerate(L.LOG_LABELS):
        ws.write_string(0, col, label, st.header)
    for r, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            _write(ws, r, col, Cell(value), st.note, st)
    # the rows fyll appends take the columns' wrapping format: long lists and paths wrap
    for col, width in enumerate((18, 10, 12, 24, 12, 34, 28)):
        ws.set_column(col, col, width, st.note)
    ws.freeze_panes(1, 0)
    print_setup(ws, 0, narrow_margins=True)


def _validate_month_inputs(ws, row: int, cols: dict[str, int], ind: Indicator) -> None:
    first, last = cols["Jan"], cols["Des"]
    if ind.measure == "andel" and ind.direction != "nær":
        rule = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                "error_title": "Ugyldig verdi",
                "error_message": "Skriv andelen i prosent som et tall mellom 0 og 100, f.eks. 65,3."}
    else:
        rule = {"validate": "decimal", "criteria": ">=", "value": 0,
                "error_title": "Ugyldig verdi", "error_message": "Skriv et tall som ikke er negativt."}
    ws.data_validation(row, first, row, last, rule)


def _write_data_row(ws, row: int, ind: Indicator, inputs: RowInputs, consolidated: bool, st: _Styles):
    typed = not consolidated and not ind.is_automatic
    ws.write_string(row, 0, ind.id, st.get(None, bold=True))
    ws.write_string(row, 1, ind.name, st.get(None, wrap=True))
    ws.set_row(row, row_height((ind.name, DATA_NAME_WIDTH)))
    values, formats = [], []
    for m in range(1, 13):  # Data's month columns, left to right
        for part, series in (("teller", inputs.data_teller), ("nevner", inputs.data_nevner)):
            reporting = m in ind.reporting_months and not (part == "nevner" and ind.measure == "antall")
            values.append(series[m - 1])
            formats.append(st.get("General", input_cell=typed and reporting, grey=not reporting))
    ws.write_values(row, L.DATA_LABELS.index(L.data_label(1, "teller")), values, formats, st.quoted)
    if typed:
        ws.data_validation(row, 2, row, len(L.DATA_LABELS) - 1, {
            "validate": "decimal", "criteria": ">=", "value": 0,
            "error_title": "Ugyldig verdi", "error_message": "Teller og nevner kan ikke være negative."})


def _write_catalogue_sheet(ws, catalogue: Catalogue, st: _Styles) -> None:
    for col, label in enumerate(L.CATALOGUE_LABELS):
        ws.write_string(0, col, label, st.header)
    rows = catalogue_to_rows(catalogue)
    wide = {"ID": 6, "Indikator": 40, "Resultatkrav": 26, "Beskrivelse": 40}
    widths = [wide.get(label, 12) for label in L.CATALOGUE_LABELS]
    for r, values in enumerate(rows, start=1):
        ws.set_row(r, row_height(*((str(values.get(label) or ""), width)
                                   for label, width in zip(L.CATALOGUE_LABELS, widths))))
        for col, label in enumerate(L.CATALOGUE_LABELS):
            value = values.get(label)
            if value is None or value == "":
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(r, col, value, st.note)
            else:
                ws.write_string(r, col, str(value), st.note)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 2)
    note_row = len(rows) + 3
    ws.write_string(note_row, 1, L.MODEL_NOTES[0], st.label)
    for i, text in enumerate(L.MODEL_NOTES[1:], start=1):
        # one note per merged row B:H (~110 characters a line), tall enough for its text
        ws.merge_range(note_row + i, 1, note_row + i, 7, text, st.note)
        ws.set_row(note_row + i, 14 * (len(text) // 100 + 1) + 4)
    print_setup(ws, 0, narrow_margins=True, repeat_columns=(0, 1))
