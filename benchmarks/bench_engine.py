"""The numbers engine: every indicator of N offices, and consolidation to counties + nation."""
from __future__ import annotations

from common import PERIOD, year

from excelkort.numbers.aggregate import aggregate
from excelkort.numbers.rules import evaluate


def run(workdir, n, best_of):
    cat, units, data = year(n)
    P = int(PERIOD[5:7])
    pairs = [(ind, data.series[(u.id, ind.id)]) for u in units for ind in cat]

    def baseline():  # the least any engine must do: touch every month of every series once
        total = 0.0
        for _, s in pairs:
            total += sum(v for v in s.teller if v is not None)
        return total

    def engine():
        for ind, s in pairs:
            evaluate(ind, s, P)

    def consolidate():
        for ind in cat:
            aggregate(ind, [data.series[(u.id, ind.id)] for u in units])

    base, eng, agg = best_of(baseline), best_of(engine), best_of(consolidate)
    yield f"{len(pairs)} serier ({n} kontor × {len(cat)} indikatorer)"
    yield f"grunnlinje (summere alle måneder): {base * 1000:8.1f} ms"
    yield f"evaluate (alle kolonner i §4):      {eng * 1000:8.1f} ms  = {eng / base:5.1f} × grunnlinjen, {eng / len(pairs) * 1e6:.1f} µs per serie"
    yield f"aggregate (alle kontor → én):        {agg * 1000:8.1f} ms  = {agg / base:5.1f} × grunnlinjen"
