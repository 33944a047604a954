"""Writing new målekort workbooks, against XlsxWriter writing the same cells as plain values."""
from __future__ import annotations

from common import PERIOD, year

import xlsxwriter

from excelkort.scorecard.writer import ScorecardContent, write_scorecard


def run(workdir, n, best_of):
    workdir.mkdir(parents=True, exist_ok=True)
    cat, units, data = year(n)
    sample = units[:20]
    contents = []
    for u in sample:
        teller = {i.id: data.series[(u.id, i.id)].teller for i in cat}
        nevner = {i.id: data.series[(u.id, i.id)].nevner for i in cat}
        contents.append(ScorecardContent(u.id, u.name, PERIOD, cat, teller=teller, nevner=nevner))

    def ours():
        for c in contents:
            write_scorecard(c, workdir / f"m_{c.unit_id}.xlsx")

    def baseline():  # the same number of cells, as plain numbers, no formulas or styles
        for c in contents:
            wb = xlsxwriter.Workbook(str(workdir / f"b_{c.unit_id}.xlsx"))
            ws = wb.add_worksheet()
            for r in range(len(cat) * 2):
                for col in range(90):
                    ws.write_number(r, col, r * col)
            wb.close()

    b, o = best_of(baseline), best_of(ours)
    per = o / len(contents) * 1000
    yield f"{len(contents)} målekort à {len(cat)} indikatorer"
    yield f"grunnlinje (XlsxWriter, like mange tallceller): {b / len(contents) * 1000:6.1f} ms per arbeidsbok"
    yield f"excelkort write_scorecard:                     {per:6.1f} ms per arbeidsbok = {o / b:4.1f} × grunnlinjen"
