"""Examples named in the issue, beyond the spec's worked examples."""
from excelkort.numbers.expr import excel_round
from excelkort.model import Indicator, Series
from excelkort.numbers.rules import (DOWN_BETTER, GREEN, RED, YELLOW, evaluate, status_expr,
                             status_of, trend_expr)


def andel(target, tol=None, direction="høyere"):
    return Indicator("B1", "Andel", "Bruker", "Effekt", "andel", direction, target, tol)


def one_month(teller, nevner):
    return Series([teller] + [None] * 11, [nevner] + [None] * 11)


def test_80_0_percent_against_80_is_green():
    assert evaluate(andel(80), one_month(800, 1000), 1).status == GREEN
    assert evaluate(andel(80), one_month(7995, 10000), 1).status == GREEN  # 79,95 shows 80,0


def test_tolerance_5_yellow_and_red():
    assert evaluate(andel(65, 5), one_month(620, 1000), 1).status == YELLOW
    assert evaluate(andel(65, 5), one_month(582, 1000), 1).status == RED


def test_falling_processing_time_is_an_improvement():
    days = Indicator("B3", "Varighet", "Bruker", "Effekt", "snitt", "lavere", 39, 3)
    s = Series([4400, 4300, 4200, 3700] + [None] * 8, [100] * 4 + [None] * 8)
    assert evaluate(days, s, 4).trend == DOWN_BETTER


def test_excel_round_matches_excel():
    assert excel_round(81.25, 1) == 81.3
    assert excel_round(4.795, 2) == 4.8
    assert excel_round(-2.5, 0) == -3
    assert excel_round(0.285, 2) == 0.29


def test_rules_render_as_excel_formulas():
    f = status_expr("høyere").excel({"y": "R5", "t": "E5", "e": "AF5"})
    assert f == ('IF((ROUND(((R5-E5)-0),9)>=0),"grønn",'
                 'IF((ROUND(((R5-E5)-(0-AF5)),9)>=0),"gul","rød"))')
    t = trend_expr("lavere").excel({"rl": "A1", "rb": "B1", "em": "C1", "tm": "D1"})
    assert t.startswith("IF((ROUND((ABS((A1-B1))-(C1/2)),9)<=0),\"→ stabil\"")


def test_python_and_excel_forms_agree_on_a_grid():
    """The compiled Python form and a tiny evaluation of the Excel text give the same colour."""
    for direction in ("høyere", "lavere", "nær"):
        for y in (58.2, 60.0, 62.0, 65.0, 70.0, 72.0):
            text = status_expr(direction).excel({"y": repr(y), "t": "65", "e": "5"})
            py = (text.replace("IF(", "_if(").replace("ROUND(", "_round(")
                  .replace("ABS(", "abs(").replace(">=", ">=").replace("<=", "<="))
            got = eval(py, {"_if": lambda c, a, b: a if c else b, "_round": excel_round,
                            "abs": abs})
            assert got == status_of(direction, y, 65, 5)
