"""Every cell of one indicator row in a målekort: its Excel formula and its cached value.

The formulas are rendered from the rule expressions of ``excelkort.rules`` (so a rule is never
written twice); the cached values come from the numbers engine, so a file reads right before
Excel recalculates. Both the workbook writer (new files) and the surgical filler (users' files)
take their cells from here.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import layout as L
from .model import Indicator, Series
from .rules import (NOT_READY, Result, evaluate, month_target_expr, pro_rata, ratio_expr,
                    round_shown, status_expr, trend_expr, value_factor, window_months,
                    ytd_target_expr)

PERIOD_MONTH = "VALUE(RIGHT(Periode,2))"


@dataclass(frozen=True)
class Cell:
    """A cell excelkort owns: a formula (without "=") with its cached value, or a plain value."""

    value: object = None  # float | int | str | bool | None
    formula: str | None = None


@dataclass
class RowInputs:
    """What one indicator row is computed from."""

    indicator: Indicator
    data_teller: list  # 12 × float | None, from the Data sheet
    data_nevner: list
    bare: list  # 12 × float | None, typed in the Målekort month cells (local rows)
    target: float
    tolerance: float
    weighted: bool = True
    months_are_formulas: bool = True  # automatic and consolidated rows; local rows: inputs

    def engine_series(self, period_month: int) -> Series:
        """The (teller, nevner) series the engine sees, as the workbook's formulas do."""
        ind = self.indicator
        window = window_months(ind, period_month)
        if self.months_are_formulas:
            return Series(list(self.data_teller), list(self.data_nevner), self.weighted)
        if ind.measure != "antall" and any(self.data_nevner[m - 1] is not None for m in window):
            return Series(list(self.data_teller), list(self.data_nevner), self.weighted)
        return Series(list(self.bare), [None] * 12, self.weighted)


@dataclass(frozen=True)
class Positions:
    """Where a row's cells are: column index by label in Målekort and in Data, and the rows."""

    cols: dict[str, int]
    data_cols: dict[str, int]
    row: int  # 0-based row in Målekort
    data_row: int  # 0-based row in Data

    def ref(self, label: str) -> str:
        return L.cell_ref(self.row, self.cols[label])

    def data_ref(self, month: int, part: str) -> str:
        return f"{L.DATA_SHEET}!{L.cell_ref(self.data_row, self.data_cols[L.data_label(month, part)])}"

    def helper(self, name: str, month: int | None = None) -> str:
        return self.ref(L.helper_label(name, month))

    def helper_range(self, name: str) -> str:
        first = L.cell_ref(self.row, self.cols[L.helper_label(name, 1)])
        last = L.cell_ref(self.row, self.cols[L.helper_label(name, 12)])
        return f"{first}:{last}"


def _blank(value):
    return "" if value is None else value


def compute_row(inputs: RowInputs, pos: Positions, period_month: int) -> tuple[dict[str, Cell], Result]:
    """All owned cells of the row (by column label) and the engine's result."""
    ind = inputs.indicator
    P = period_month
    series = inputs.engine_series(P)
    res = evaluate(ind, series, P, target=inputs.target, tolerance=inputs.tolerance)
    D = ind.decimals
    antall = ind.measure == "antall"
    window = window_months(ind, P)
    has_n = (not antall) and any(series.nevner[m - 1] is not None for m in window)
    factor = value_factor(ind, inputs.weighted)
    data_months = set(res.months_with_data)
    h = pos.helper
    cells: dict[str, Cell] = {}

    # scalar helpers that do not depend on the months
    cells[L.helper_label("Pw")] = Cell(P - ind.lag, f"{PERIOD_MONTH}-{ind.lag}")
    cells[L.helper_label("e")] = Cell(inputs.tolerance)
    f = ind.months_per_period
    t_m = inputs.target * f / 12 if pro_rata(ind) else inputs.target
    e_m = inputs.tolerance * f / 12 if pro_rata(ind) else inputs.tolerance
    cells[L.helper_label("tm")] = Cell(t_m, month_target_expr(ind).excel({"t": pos.ref(L.COL_TARGET)}))
    cells[L.helper_label("em")] = Cell(e_m, month_target_expr(ind).excel({"t": h("e")}))
    cells[L.COL_TARGET] = Cell(inputs.target)
    if not antall:
        terms = ",".join(f"AND(ISNUMBER({pos.data_ref(m, 'nevner')}),{m}<={h('Pw')})"
                         for m in ind.reporting_months)
        cells[L.helper_label("harN")] = Cell(has_n, f"OR({terms})")

    # month helpers and the visible month cells
    ratio = ratio_expr(factor)
    sum_t = sum_n = 0.0
    for m in range(1, 13):
        if m not in ind.reporting_months:
            continue
        t_ref, n_ref = pos.data_ref(m, "teller"), pos.data_ref(m, "nevner")
        bare_ref = t_ref if inputs.months_are_formulas else pos.ref(L.MONTHS_BY_NUMBER[m])
        v_ref = h("v", m)
        in_window = f"{m}<={h('Pw')}"
        if antall:
            v_formula = f'IF(AND({in_window},ISNUMBER({bare_ref})),{bare_ref},"")'
        else:
            ratio_text = ratio.excel({"T": t_ref, "N": n_ref})
            v_formula = (f'IF({in_window},IF({h("harN")},IF(AND(ISNUMBER({t_ref}),ISNUMBER({n_ref})),'
                         f'IF({n_ref}>0,{ratio_text},""),""),IF(ISNUMBER({bare_ref}),{bare_ref},"")),"")')
        value = res.month_values[m - 1] if m in data_months else ""
        cells[L.helper_label("v", m)] = Cell(value, v_formula)
        if m in data_months:
            t_used = series.teller[m - 1] if has_n else value
            n_used = series.nevner[m - 1] if has_n else 1
            sum_t += t_used
            sum_n += n_used
        else:
            t_used = n_used = ""
        if antall:
            cells[L.helper_label("T", m)] = Cell(t_used, f'IF(ISNUMBER({v_ref}),{v_ref},"")')
        else:
            cells[L.helper_label("T", m)] = Cell(
                t_used, f'IF(ISNUMBER({v_ref}),IF({h("harN")},{t_ref},{v_ref}),"")')
            cells[L.helper_label("N", m)] = Cell(
                n_used, f'IF(ISNUMBER({v_ref}),IF({h("harN")},{n_ref},1),"")')
        cells[L.helper_label("i", m)] = Cell(m if m in data_months else "",
                                             f'IF(ISNUMBER({v_ref}),{m},"")')
        if inputs.months_are_formulas:
            shown = res.month_values[m - 1]
            cells[L.MONTHS_BY_NUMBER[m]] = Cell(
                _blank(shown),
                f'IF(ISNUMBER({v_ref}),{v_ref},IF(AND({m}>{h("Pw")},{m}<={PERIOD_MONTH}),'
                f'"{NOT_READY}",""))')

    n = len(res.months_with_data)
    M = res.last_month
    v_range, i_range = pos.helper_range("v"), pos.helper_range("i")
    cells[L.helper_label("n")] = Cell(n, f"COUNT({v_range})")
    cells[L.helper_label("M")] = Cell(M, f"MAX({i_range})")
    cells[L.helper_label("sumT")] = Cell(sum_t, f"SUM({pos.helper_range('T')})")
    if not antall:
        cells[L.helper_label("sumN")] = Cell(sum_n, f"SUM({pos.helper_range('N')})")

    # Hittil i år
    if ind.ytd_mode == "siste":
        ytd_formula = f"INDEX({v_range},{h('M')})"
    elif antall:
        ytd_formula = h("sumT")
    else:
        sums = {"T": h("sumT"), "N": h("sumN")}
        ytd_formula = f"IF({h('harN')},{ratio.excel(sums)},{ratio_expr(1).excel(sums)})"
    first = ind.reporting_months[0]
    not_ready = f'IF(AND({first}>{h("Pw")},{first}<={PERIOD_MONTH}),"{NOT_READY}","")'
    cells[L.COL_YTD] = Cell(_blank(res.ytd), f"IF({h('n')}=0,{not_ready},{ytd_formula})")

    # Status
    t_ytd = ytd_target_expr(ind).excel({"t": pos.ref(L.COL_TARGET), "M": h("M")})
    e_ytd = ytd_target_expr(ind).excel({"t": h("e"), "M": h("M")})
    status = status_expr(ind.direction).excel(
        {"y": f"ROUND({pos.ref(L.COL_YTD)},{D})", "t": t_ytd, "e": e_ytd})
    cells[L.COL_STATUS] = Cell(res.status, f'IF({h("n")}=0,"grå",{status})')

    # Trend: base = mean of the up to three months before the last
    before = [m for m in res.months_with_data if m < M][-3:]
    rl = res.month_values[M - 1] if before else None
    rl_value = round_shown(rl, D) if before else ""
    rb_value = (round_shown(sum(res.month_values[m - 1] for m in reversed(before)) / len(before), D)
                if before else "")
    nth = lambda k: f"INDEX({v_range},LARGE({i_range},{k}))"  # noqa: E731
    base = (f"({nth(2)}+IF({h('n')}>=3,{nth(3)},0)+IF({h('n')}>=4,{nth(4)},0))"
            f"/MIN({h('n')}-1,3)")
    cells[L.helper_label("rl")] = Cell(rl_value, f'IF({h("n")}<2,"",ROUND(INDEX({v_range},{h("M")}),{D}))')
    cells[L.helper_label("rb")] = Cell(rb_value, f'IF({h("n")}<2,"",ROUND({base},{D}))')
    trend = trend_expr(ind.direction).excel(
        {"rl": h("rl"), "rb": h("rb"), "em": h("em"), "tm": h("tm")})
    cells[L.COL_TREND] = Cell(res.trend, f'IF({h("n")}<2,"–",{trend})')
    colour = status_expr(ind.direction).excel({"y": h("rl"), "t": h("tm"), "e": h("em")})
    cells[L.helper_label("farge")] = Cell(_blank(res.trend_colour), f'IF({h("n")}<2,"",{colour})')

    # computed by excelkort, written as values
    cells[L.COL_PROGNOSIS] = Cell(_blank(res.prognosis))
    cells[L.COL_REQUIREMENT] = Cell(_blank(res.requirement))
    cells[L.COL_PROBABILITY] = Cell(_blank(res.probability))
    cells[L.COL_RISK_SUGGESTED] = Cell(_blank(res.risk))
    return cells, res

