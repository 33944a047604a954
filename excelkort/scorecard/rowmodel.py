"""Every cell of one indicator row in a målekort: its Excel formula and its cached value.

The formulas are rendered from the rule expressions of ``numbers.rules`` (so a rule is never
written twice); the cached values come from the numbers engine, so a file reads right before
Excel recalculates. Both the workbook writer (new files) and the surgical filler (users' files)
take their cells from here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from . import layout as L
from ..model import Indicator, Series
from ..numbers.expr import Expr
from ..numbers.rules import (NOT_READY, Result, evaluate, has_nevner, month_target_expr, ratio_expr, status_expr,
                    trend_expr, value_factor, window_months, ytd_target_expr)
from ..xlsx.refs import cell_ref

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
        data = Series(list(self.data_teller), list(self.data_nevner), self.weighted)
        if self.months_are_formulas or has_nevner(self.indicator, data,
                                                  window_months(self.indicator, period_month)):
            return data
        return Series(list(self.bare), [None] * 12, self.weighted)


@dataclass(frozen=True)
class Positions:
    """Where a row's cells are: column index by label in Målekort and in Data, and the rows."""

    cols: dict[str, int]
    data_cols: dict[str, int]
    row: int  # 0-based row in Målekort
    data_row: int  # 0-based row in Data

    def ref(self, label: str) -> str:
        return cell_ref(self.row, self.cols[label])

    def data_ref(self, month: int, part: str) -> str:
        return f"{L.DATA_SHEET}!{cell_ref(self.data_row, self.data_cols[L.data_label(month, part)])}"

    def helper(self, name: str, month: int | None = None) -> str:
        return self.ref(L.helper_label(name, month))

    def helper_range(self, name: str) -> str:
        first = cell_ref(self.row, self.cols[L.helper_label(name, 1)])
        last = cell_ref(self.row, self.cols[L.helper_label(name, 12)])
        return f"{first}:{last}"


def _blank(value):
    return "" if value is None else value


#: owned cells that hold values excelkort computes (every other owned cell is a formula)
VALUE_LABELS = frozenset({L.COL_TARGET, L.helper_label("e"), L.COL_PROGNOSIS, L.COL_REQUIREMENT,
                          L.COL_PROBABILITY, L.COL_RISK_SUGGESTED})


def compute_row(inputs: RowInputs, pos: Positions, period_month: int) -> tuple[dict[str, Cell], Result]:
    """All owned cells of the row (by column label): formula text with cached value, or value."""
    values, res = row_values(inputs, period_month)
    formulas = row_formulas(inputs.indicator, inputs.weighted, inputs.months_are_formulas, pos)
    cells = {label: Cell(value, formulas.get(label)) for label, value in values.items()}
    return cells, res


def row_values(inputs: RowInputs, period_month: int,
               month_helpers: bool = False) -> tuple[dict[str, object], Result]:
    """The value (cached result) of every owned cell of the row, by column label.

    ``month_helpers``: also the hidden ``hj:v`` cells of a filled row, as workbooks made before
    November 2026 compute their month values there.
    """
    ind = inputs.indicator
    P = period_month
    series = inputs.engine_series(P)
    res = evaluate(ind, series, P, target=inputs.target, tolerance=inputs.tolerance)
    antall = ind.measure == "antall"
    has_n = res.has_nevner
    data_months = set(res.months_with_data)
    out: dict[str, object] = {
        L.helper_label("Pw"): P - ind.lag,
        L.helper_label("e"): inputs.tolerance,
        L.helper_label("tm"): res.month_target,
        L.helper_label("em"): res.month_tolerance,
        L.COL_TARGET: inputs.target,
    }
    if not antall:
        out[L.helper_label("harN")] = has_n
    sum_t = sum_n = 0.0
    for m in ind.reporting_months:
        value = res.month_values[m - 1] if m in data_months else ""
        if month_helpers or not inputs.months_are_formulas:  # else the month cell holds it
            out[_V[m]] = value
        if m in data_months:
            t_used = series.teller[m - 1] if has_n else value
            n_used = series.nevner[m - 1] if has_n else 1
            sum_t += t_used
            sum_n += n_used
        else:
            t_used = n_used = ""
        out[_T[m]] = t_used
        if not antall:
            out[_N[m]] = n_used
        out[_I[m]] = m if m in data_months else ""
        if inputs.months_are_formulas:
            out[L.MONTHS_BY_NUMBER[m]] = _blank(res.month_values[m - 1])
    out[L.helper_label("n")] = len(res.months_with_data)
    out[L.helper_label("M")] = res.last_month
    out[L.helper_label("sumT")] = sum_t
    if not antall:
        out[L.helper_label("sumN")] = sum_n
    out[L.COL_YTD] = _blank(res.ytd)
    out[L.COL_STATUS] = res.status
    out[L.helper_label("rl")] = _blank(res.trend_latest)
    out[L.helper_label("rb")] = _blank(res.trend_base)
    out[L.COL_TREND] = res.trend
    out[L.helper_label("farge")] = _blank(res.trend_colour)
    out[L.COL_PROGNOSIS] = _blank(res.prognosis)
    out[L.COL_REQUIREMENT] = _blank(res.requirement)
    out[L.COL_PROBABILITY] = _blank(res.probability)
    out[L.COL_RISK_SUGGESTED] = _blank(res.risk)
    return out, res


_V = {m: L.helper_label("v", m) for m in range(1, 13)}
_T = {m: L.helper_label("T", m) for m in range(1, 13)}
_N = {m: L.helper_label("N", m) for m in range(1, 13)}
_I = {m: L.helper_label("i", m) for m in range(1, 13)}


def row_formulas(ind: Indicator, weighted: bool, months_are_formulas: bool,
                 pos: Positions) -> dict[str, str]:
    """The Excel formula of every formula cell of the row (not to be changed: the text is made
    once per process for each indicator and place, as the same rows of the same catalogue come
    in every workbook of a run)."""
    return _row_formulas(ind, weighted, months_are_formulas, tuple(pos.cols.items()),
                         tuple(pos.data_cols.items()), pos.row, pos.data_row)


@lru_cache(maxsize=256)  # a catalogue's rows in a layout or two
def _row_formulas(ind: Indicator, weighted: bool, months_are_formulas: bool, cols: tuple,
                  data_cols: tuple, row: int, data_row: int) -> dict[str, str]:
    """``row_formulas``, rendered from the rule expressions: the window and targets, the month
    cells, Hittil i år and Status, then the trend."""
    pos = Positions(dict(cols), dict(data_cols), row, data_row)
    h = pos.helper
    out: dict[str, str] = {
        L.helper_label("Pw"): f"{PERIOD_MONTH}-{ind.lag}",
        L.helper_label("tm"): month_target_expr(ind).excel({"t": pos.ref(L.COL_TARGET)}),
        L.helper_label("em"): month_target_expr(ind).excel({"t": h("e")}),
    }
    if ind.measure != "antall":
        terms = ",".join(f"AND(ISNUMBER({pos.data_ref(m, 'nevner')}),{m}<={h('Pw')})"
                         for m in ind.reporting_months)
        out[L.helper_label("harN")] = f"OR({terms})"
    ratio = ratio_expr(value_factor(ind, weighted))
    _month_formulas(ind, months_are_formulas, pos, ratio, out)
    # the month values by position: filled rows name each month cell by itself (so a column a
    # user inserts among them changes nothing), typed rows index the hidden hj:v cells
    if months_are_formulas:
        months = ",".join(pos.ref(L.MONTHS_BY_NUMBER[m]) for m in range(1, 13))
        pick = lambda k: f"CHOOSE({k},{months})"  # noqa: E731
    else:
        pick = lambda k: f"INDEX({pos.helper_range('v')},{k})"  # noqa: E731
    _ytd_formulas(ind, pos, ratio, pick, out)
    _trend_formulas(ind, pos, pick, out)
    return out


def _month_formulas(ind: Indicator, formulas: bool, pos: Positions, ratio: Expr,
                    out: dict[str, str]) -> None:
    """Each reporting month's value and its hidden helpers (T, N, i) into ``out``.

    Filled rows compute the month value in the visible month cell (text «ikke klar» where the
    month is not known yet, which every use below skips as non-numeric); rows typed by the
    office keep it in the hidden hj:v cell, since their month cells are the inputs.
    """
    h = pos.helper
    antall = ind.measure == "antall"
    for m in ind.reporting_months:
        t_ref, n_ref = pos.data_ref(m, "teller"), pos.data_ref(m, "nevner")
        month_ref = pos.ref(L.MONTHS_BY_NUMBER[m])
        bare_ref = t_ref if formulas else month_ref
        v_ref = month_ref if formulas else h("v", m)
        in_window = f"{m}<={h('Pw')}"
        otherwise = f'IF({m}<={PERIOD_MONTH},"{NOT_READY}","")' if formulas else '""'
        if antall:
            value = f'IF({in_window},IF(ISNUMBER({bare_ref}),{bare_ref},""),{otherwise})'
            out[_T[m]] = f'IF(ISNUMBER({v_ref}),{v_ref},"")'
        else:
            ratio_text = ratio.excel({"T": t_ref, "N": n_ref})
            value = (f'IF({in_window},IF({h("harN")},IF(AND(ISNUMBER({t_ref}),ISNUMBER({n_ref})),'
                     f'IF({n_ref}>0,{ratio_text},""),""),IF(ISNUMBER({bare_ref}),{bare_ref},"")),{otherwise})')
            out[_T[m]] = f'IF(ISNUMBER({v_ref}),IF({h("harN")},{t_ref},{v_ref}),"")'
            out[_N[m]] = f'IF(ISNUMBER({v_ref}),IF({h("harN")},{n_ref},1),"")'
        out[L.MONTHS_BY_NUMBER[m] if formulas else _V[m]] = value
        out[_I[m]] = f'IF(ISNUMBER({v_ref}),{m},"")'


def _ytd_formulas(ind: Indicator, pos: Positions, ratio: Expr, pick, out: dict[str, str]) -> None:
    """The counts and sums of the months with data, Hittil i år and Status into ``out``."""
    h, i_range = pos.helper, pos.helper_range("i")
    antall = ind.measure == "antall"
    out[L.helper_label("n")] = f"COUNT({i_range})"
    out[L.helper_label("M")] = f"MAX({i_range})"
    out[L.helper_label("sumT")] = f"SUM({pos.helper_range('T')})"
    if not antall:
        out[L.helper_label("sumN")] = f"SUM({pos.helper_range('N')})"

    if ind.ytd_mode == "siste":
        ytd = pick(h("M"))
    elif antall:
        ytd = h("sumT")
    else:
        sums = {"T": h("sumT"), "N": h("sumN")}
        ytd = f"IF({h('harN')},{ratio.excel(sums)},{ratio_expr(1).excel(sums)})"
    first = ind.reporting_months[0]
    not_ready = f'IF(AND({first}>{h("Pw")},{first}<={PERIOD_MONTH}),"{NOT_READY}","")'
    out[L.COL_YTD] = f"IF({h('n')}=0,{not_ready},{ytd})"

    t_ytd = ytd_target_expr(ind).excel({"t": pos.ref(L.COL_TARGET), "M": h("M")})
    e_ytd = ytd_target_expr(ind).excel({"t": h("e"), "M": h("M")})
    status = status_expr(ind.direction).excel(
        {"y": f"ROUND({pos.ref(L.COL_YTD)},{ind.decimals})", "t": t_ytd, "e": e_ytd})
    out[L.COL_STATUS] = f'IF({h("n")}=0,"grå",{status})'


def _trend_formulas(ind: Indicator, pos: Positions, pick, out: dict[str, str]) -> None:
    """rl, rb, the trend word and its colour into ``out``."""
    h, i_range, D = pos.helper, pos.helper_range("i"), ind.decimals
    nth = lambda k: pick(f"LARGE({i_range},{k})")  # noqa: E731
    base = (f"({nth(2)}+IF({h('n')}>=3,{nth(3)},0)+IF({h('n')}>=4,{nth(4)},0))"
            f"/MIN({h('n')}-1,3)")
    out[L.helper_label("rl")] = f'IF({h("n")}<2,"",ROUND({pick(h("M"))},{D}))'
    out[L.helper_label("rb")] = f'IF({h("n")}<2,"",ROUND({base},{D}))'
    trend = trend_expr(ind.direction).excel(
        {"rl": h("rl"), "rb": h("rb"), "em": h("em"), "tm": h("tm")})
    out[L.COL_TREND] = f'IF({h("n")}<2,"–",{trend})'
    colour = status_expr(ind.direction).excel({"y": h("rl"), "t": h("tm"), "e": h("em")})
    out[L.helper_label("farge")] = f'IF({h("n")}<2,"",{colour})'
