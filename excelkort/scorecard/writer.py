"""Writing a new målekort workbook (SPEC §5) with XlsxWriter.

New files (from the template layout, consolidated workbooks) may be written by any library;
users' files are only ever patched cell by cell (``excelkort.fill``). Layout comes from
``excelkort.layout``; every owned cell of an indicator row comes from ``excelkort.rowmodel``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from . import layout as L
from ..atomic import atomic_output
from ..inputs.catalogue import catalogue_to_rows
from ..model import Catalogue, Indicator
from .rowmodel import Cell, Positions, RowInputs, compute_row
from ..numbers.rules import HIGH, LOW, MEDIUM, RISKS, UNWEIGHTED, Result, tolerance_for

GREEN_FILL, YELLOW_FILL, RED_FILL, GREY_FILL = "#C6EFCE", "#FFEB9C", "#FFC7CE", "#D9D9D9"
GREEN_FONT, YELLOW_FONT, RED_FONT, GREY_FONT = "#006100", "#7F6000", "#9C0006", "#404040"
INPUT_FILL = "#FFF2CC"
HEADER_FILL = "#1F4E79"
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
    digits = "0" + ("." + "0" * ind.decimals if ind.decimals else "")
    if ind.measure == "andel":
        return digits + '" %"'
    if ind.measure == "antall":
        return "#,##0" + ("." + "0" * ind.decimals if ind.decimals else "")
    if "dager" in ind.name.lower():
        return digits + '" dager"'
    return digits


def period_datetime(period: str) -> dt.datetime:
    """Document dates come from the period, not the clock (re-runs are byte-identical)."""
    return dt.datetime(int(period[:4]), int(period[5:7]), 1, 12, 0, 0)


class _Styles:
    """The workbook's cell formats, created once per workbook."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self._cache: dict[tuple, object] = {}
        base = {"font_name": "Calibri", "font_size": 10, "valign": "vcenter"}
        self.base = base
        self.title = wb.add_format({**base, "bold": True, "font_size": 16, "font_color": HEADER_FILL})
        self.label = wb.add_format({**base, "bold": True})
        self.info = wb.add_format({**base, "num_format": "@"})
        self.info_year = wb.add_format({**base, "num_format": "0"})
        self.header = wb.add_format({**base, "bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_FILL,
                                     "text_wrap": True, "align": "center", "border": 1})
        self.helper_header = wb.add_format({**base, "font_color": "#808080"})
        self.perspective = wb.add_format({**base, "bold": True, "bg_color": PERSPECTIVE_FILL, "border": 1})
        self.comment_box = wb.add_format({**base, "text_wrap": True, "valign": "top", "locked": False,
                                          "bg_color": INPUT_FILL, "border": 1})
        self.note = wb.add_format({**base, "text_wrap": True, "valign": "top"})

    def get(self, num_format: str | None = None, *, input_cell=False, bold=False, center=False,
            wrap=False, grey=False):
        key = (num_format, input_cell, bold, center, wrap, grey)
        if key not in self._cache:
            spec = {**self.base, "border": 1, "border_color": "#BFBFBF"}
            if num_format:
                spec["num_format"] = num_format
                spec["align"] = "right"  # numbers and the words beside them («ikke klar», «nådd») line up
            if input_cell:
                spec.update(locked=False, bg_color=INPUT_FILL)
            if grey:
                spec["bg_color"] = "#F2F2F2"
            if bold:
                spec["bold"] = True
            if center:
                spec["align"] = "center"
            if wrap:
                spec["text_wrap"] = True
            self._cache[key] = self.wb.add_format(spec)
        return self._cache[key]


def _plain_formula(formula: str, expand_future_functions: bool = False) -> str:
    """Our formulas use only classic functions (Excel 2016 / LibreOffice 7.4; see the test
    ``test_formulas_use_only_classic_functions``), so XlsxWriter's thirty regex rewrites for
    dynamic-array functions per formula are skipped: they were 60 % of the writing time."""
    return formula[1:] if formula.startswith("=") else formula


def _write(ws, row: int, col: int, cell: Cell, fmt) -> None:
    value = cell.value
    if cell.formula is not None:
        ws.write_formula(row, col, "=" + cell.formula, fmt, value)
    elif value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


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
            ref = L.cell_ref(first_row, colour_col, abs_col=True)
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


def _write_scorecard(content: ScorecardContent, filename: str, extra_sheets=None) -> dict[str, Result]:
    wb = xlsxwriter.Workbook(filename, {"strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    when = period_datetime(content.period)
    wb.set_properties({"title": f"Målekort {content.unit_name} {content.year}",
                       "author": "excelkort", "created": when})
    wb.set_calc_mode("auto")
    st = _Styles(wb)
    ws = wb.add_worksheet(L.SCORECARD_SHEET)
    ws._prepare_formula = _plain_formula
    data_ws = wb.add_worksheet(L.DATA_SHEET)
    cat_ws = wb.add_worksheet(L.CATALOGUE_SHEET)
    log_ws = wb.add_worksheet(L.LOG_SHEET)

    # --- Målekort head -------------------------------------------------------------------------
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
    for name, ref in L.DEFINED_NAMES.items():
        wb.define_name(name, "=" + ref)

    # --- header ----------------------------------------------------------------------------------
    cols: dict[str, int] = {label: i for i, label in enumerate(L.SCORECARD_LABELS)}
    for i, label in enumerate(L.HELPER_LABELS):
        cols[label] = L.FIRST_HELPER_COL + i
    hr = L.SCORECARD_HEADER_ROW
    for label, col in cols.items():
        ws.write_string(hr, col, label, st.helper_header if label.startswith(L.HELPER_PREFIX) else st.header)
    data_cols = {label: i for i, label in enumerate(L.DATA_LABELS)}
    for label, col in data_cols.items():
        data_ws.write_string(L.DATA_HEADER_ROW, col, label, st.header)

    # --- rows --------------------------------------------------------------------------------------
    results: dict[str, Result] = {}
    row = hr + 1
    data_row = L.DATA_HEADER_ROW + 1
    pct = st.get("0 %", center=True)
    text_center = st.get(None, center=True)
    for perspective, indicators in content.catalogue.by_perspective():
        for col in range(len(L.SCORECARD_LABELS)):
            ws.write_blank(row, col, None, st.perspective)
        ws.write_string(row, cols[L.COL_NAME], perspective, st.perspective)
        row += 1
        for ind in indicators:
            inputs = content.row_inputs(ind)
            pos = Positions(cols, data_cols, row, data_row)
            cells, result = compute_row(inputs, pos, content.period_month)
            results[ind.id] = result
            fmt_num = number_format(ind)
            name = ind.name + (f" ({UNWEIGHTED})" if not inputs.weighted else "")
            ws.write_string(row, cols[L.COL_ID], ind.id, st.get(None, bold=True))
            ws.write_string(row, cols[L.COL_NAME], name, st.get(None, wrap=True))
            ws.set_row(row, 27 if len(name) > 46 else 15)
            ws.write_string(row, cols[L.COL_PERSPECTIVE], ind.perspective, st.get(None))
            ws.write_string(row, cols[L.COL_TYPE], ind.type, st.get(None))
            for m in range(1, 13):
                label = L.MONTHS_BY_NUMBER[m]
                if m not in ind.reporting_months:
                    ws.write_blank(row, cols[label], None, st.get(fmt_num, grey=True))
                elif not inputs.months_are_formulas:
                    bare = inputs.bare[m - 1]
                    _write(ws, row, cols[label], Cell(bare), st.get(fmt_num, input_cell=True))
            for label, cell in cells.items():
                if label.startswith(L.HELPER_PREFIX):
                    fmt = None
                elif label in (L.COL_STATUS, L.COL_TREND, L.COL_RISK_SUGGESTED):
                    fmt = text_center
                elif label == L.COL_PROBABILITY:
                    fmt = pct
                else:
                    fmt = st.get(fmt_num)
                _write(ws, row, cols[label], cell, fmt)
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
            _write_data_row(data_ws, data_row, ind, inputs, content.consolidated, st)
            row += 1
            data_row += 1
    last_row = row - 1

    # --- look -------------------------------------------------------------------------------------
    first_data = hr + 1
    _status_rules(ws, first_data, last_row, cols[L.COL_STATUS], st)
    _status_rules(ws, first_data, last_row, cols[L.COL_TREND], st,
                  colour_col=cols[L.helper_label("farge")])
    _risk_rules(ws, first_data, last_row, cols[L.COL_RISK_SUGGESTED], st)
    _risk_rules(ws, first_data, last_row, cols[L.COL_RISK_ASSESSED], st)
    ws.set_column(cols[L.COL_ID], cols[L.COL_ID], 5)
    ws.set_column(cols[L.COL_NAME], cols[L.COL_NAME], 44)
    ws.set_column(cols[L.COL_PERSPECTIVE], cols[L.COL_TYPE], 11, None, {"hidden": False})
    ws.set_column(cols[L.COL_TARGET], cols[L.COL_TARGET], 8)
    ws.set_column(cols["Jan"], cols["Des"], 8.5)
    ws.set_column(cols[L.COL_YTD], cols[L.COL_YTD], 9)
    ws.set_column(cols[L.COL_STATUS], cols[L.COL_STATUS], 7)
    ws.set_column(cols[L.COL_TREND], cols[L.COL_TREND], 12)
    ws.set_column(cols[L.COL_PROGNOSIS], cols[L.COL_PROBABILITY], 12)
    ws.set_column(cols[L.COL_RISK_SUGGESTED], cols[L.COL_RISK_ASSESSED], 10)
    ws.set_column(cols[L.COL_COMMENT], cols[L.COL_COMMENT], 36)
    ws.set_column(len(L.SCORECARD_LABELS), max(cols.values()), 8, None, {"hidden": True})
    ws.set_row(hr, 30)
    ws.freeze_panes(hr + 1, cols[L.COL_NAME] + 1)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(hr)
    ws.print_area(0, 0, last_row, cols[L.COL_COMMENT])
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer("&L&A&C&P / &N&R&F")
    ws.protect("", {"format_cells": True, "format_columns": True, "format_rows": True,
                    "objects": True, "sort": True, "autofilter": True})
    ws.activate()

    data_ws.set_column(0, 0, 6)
    data_ws.set_column(1, 1, 44)
    data_ws.set_column(2, len(L.DATA_LABELS) - 1, 9)
    data_ws.freeze_panes(L.DATA_HEADER_ROW + 1, 2)
    _print_setup(data_ws, L.DATA_HEADER_ROW)
    data_ws.protect("", {"format_cells": True, "format_columns": True, "format_rows": True,
                         "objects": True})
    _write_catalogue_sheet(cat_ws, content.catalogue, st)
    for col, label in enumerate(L.LOG_LABELS):
        log_ws.write_string(0, col, label, st.header)
    log_ws.set_column(0, 0, 20)
    log_ws.set_column(1, 4, 12)
    log_ws.set_column(5, 5, 34)
    log_ws.set_column(6, 6, 28)
    log_ws.freeze_panes(1, 0)
    _print_setup(log_ws, 0)
    if extra_sheets is not None:
        extra_sheets(wb, st)
    wb.close()
    return results


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
    ws.write_string(row, 1, ind.name, st.get(None))
    for m in range(1, 13):
        for part, values in (("teller", inputs.data_teller), ("nevner", inputs.data_nevner)):
            col = L.DATA_LABELS.index(L.data_label(m, part))
            value = values[m - 1]
            reporting = m in ind.reporting_months and not (part == "nevner" and ind.measure == "antall")
            fmt = st.get("General", input_cell=typed and reporting, grey=not reporting)
            _write(ws, row, col, Cell(value), fmt)
    if typed:
        ws.data_validation(row, 2, row, len(L.DATA_LABELS) - 1, {
            "validate": "decimal", "criteria": ">=", "value": 0,
            "error_title": "Ugyldig verdi", "error_message": "Teller og nevner kan ikke være negative."})


def _print_setup(ws, header_row: int) -> None:
    """A4 landscape, one page wide, the header repeated on every page."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)


def _write_catalogue_sheet(ws, catalogue: Catalogue, st: _Styles) -> None:
    for col, label in enumerate(L.CATALOGUE_LABELS):
        ws.write_string(0, col, label, st.header)
    rows = catalogue_to_rows(catalogue)
    for r, values in enumerate(rows, start=1):
        for col, label in enumerate(L.CATALOGUE_LABELS):
            value = values.get(label)
            if value is None or value == "":
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(r, col, value)
            else:
                ws.write_string(r, col, str(value))
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 50)
    ws.set_column(2, len(L.CATALOGUE_LABELS) - 1, 12)
    ws.freeze_panes(1, 2)
    note_row = len(rows) + 3
    ws.write_string(note_row, 1, L.MODEL_NOTES[0], st.label)
    for i, text in enumerate(L.MODEL_NOTES[1:], start=1):
        # one note per merged row B:H (~130 characters a line), tall enough for its text
        ws.merge_range(note_row + i, 1, note_row + i, 7, text, st.note)
        ws.set_row(note_row + i, 14 * (len(text) // 120 + 1) + 4)
    _print_setup(ws, header_row=0)
