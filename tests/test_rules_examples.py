"""Every worked example of SPEC §4 is reproduced exactly by the numbers engine."""
import pytest

from excelkort.numbers.rules import evaluate
from worked_examples import load_examples

EXAMPLES = load_examples()


def _same(actual, expected: str) -> bool:
    if expected == "":
        return actual is None
    try:
        want = float(expected)
    except ValueError:
        return actual == expected
    return isinstance(actual, float) and abs(actual - want) <= 5e-7 * max(1.0, abs(want))


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_worked_example(ex):
    r = evaluate(ex.indicator, ex.series, ex.period_month)
    got = {
        "Hittil i år": r.ytd, "Status": r.status, "Trend": r.trend, "Trendfarge": r.trend_colour,
        "Prognose": r.prognosis, "Krav resten av året": r.requirement,
        "Sannsynlighet": r.probability, "Risiko (forslag)": r.risk,
    }
    wrong = {k: (got[k], v) for k, v in ex.expected.items() if not _same(got[k], v)}
    assert not wrong, f"{ex.id} ({ex.description}): got vs expected {wrong}"


def test_all_examples_present():
    assert len(EXAMPLES) == 29
