"""Statusrapport decks (SPEC §10): one deck against python-pptx's own time for the same slides
(≤ 2×, ≈ 0.2 s), and a deck for every unit (offices, county units, Norway; ≈ 270) on 2 cores
(≤ 45 s), measured in the same run.

Setup (not timed): the demo register's offices (at most N), each office's målekort with its
local values and the year's automatic data up to the period, consolidated into every county
unit and Norway. The baseline builds the same slides (titles, tables with the same cells,
native line charts with the same data, the same text boxes) with python-pptx's plain API, on
python-pptx's default template, without fitting text or placing through layouts.
"""
from __future__ import annotations

import io
import shutil
import time

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Pt

from common import PERIOD, office_workbooks, with_counties, year

from excelkort import api
from excelkort.report.content import IndicatorSlide, OverviewSlide, TableSlide, TitleSlide, deck_content
from excelkort.report.run import make_report
from excelkort.report.source import read_source
from excelkort.steps.consolidate import consolidate


def _plain_pptx(slides) -> bytes:
    """The same slides with python-pptx's plain API (the baseline)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Pt(960), Pt(540)
    title_only = prs.slide_layouts[5]
    for spec in slides:
        slide = prs.slides.add_slide(title_only)
        slide.shapes.title.text = spec.title
        if isinstance(spec, TitleSlide):
            slide.shapes.add_textbox(Pt(72), Pt(282), Pt(816), Pt(80)).text_frame.text = spec.subtitle
        if isinstance(spec, (TableSlide, OverviewSlide)) and spec.table.rows:
            table = spec.table
            grid = slide.shapes.add_table(len(table.rows) + 1, len(table.columns), Pt(36), Pt(84),
                                          Pt(888), Pt(400)).table
            for c, col in enumerate(table.columns):
                grid.cell(0, c).text = col.label
            for r, row in enumerate(table.rows, start=1):
                for c, cell in enumerate(row):
                    grid.cell(r, c).text = cell.text
        if isinstance(spec, IndicatorSlide):
            data = CategoryChartData(spec.chart.number_format)
            data.categories = list(spec.chart.categories)
            for series in spec.chart.series:
                data.add_series(series.name, list(series.values))
            slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, Pt(36), Pt(84), Pt(560), Pt(286), data)
            box = slide.shapes.add_textbox(Pt(612), Pt(84), Pt(312), Pt(286)).text_frame
            box.text = "\n".join(p.text for p in spec.facts)
            slide.shapes.add_textbox(Pt(36), Pt(380), Pt(888), Pt(106)).text_frame.text = "\n".join(
                p.text for p in spec.measures)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def run(workdir, n, best_of):
    n = min(n, 255)  # one work folder like the demo's: ≈ 255 offices, 12 county units, Norway
    cat, units, data = year(n)
    register = with_counties(units)
    t0 = time.perf_counter()
    kontor = workdir / "kontor"
    books = office_workbooks(kontor, cat, units, data, register)
    consolidate(kontor, register, cat, period=PERIOD, outdir=workdir / "konsolidert")
    setup = time.perf_counter() - t0
    # one deck: the office with the most slides
    flagged = {b: sum(x.on_slide for x in read_source(b).inputs.indicators) for b in books[:40]}
    book = max(flagged, key=flagged.get)
    slides = deck_content(read_source(book).inputs)
    out = workdir / "en.pptx"
    state = {}

    def ours():
        out.unlink(missing_ok=True)
        state["one"] = make_report(book, output=out)

    base = best_of(lambda: _plain_pptx(slides))
    one = best_of(ours)
    ratio = one / base
    decks_dir = workdir / "rapporter"

    def every_unit():
        shutil.rmtree(decks_dir, ignore_errors=True)
        state["all"] = api.report_all(workdir, decks_dir, workers=2)

    every = best_of(every_unit, repeats=1)
    batch = state["all"]
    assert not batch.rejected, batch.rejected[:3]
    count = len(batch.decks)
    yield f"{len(units)} kontor + fylkesenheter og nasjonalt (oppsett {setup:.0f} s, ikke tatt tid på)"
    yield (f"grunnlinje python-pptx, de samme {state['one'].slides} lysbildene "
           f"({flagged[book]} grafer): {base:6.3f} s")
    yield f"excelkort rapport, én statusrapport (les + regn + plasser + skriv): {one:6.3f} s = {ratio:.2f}× python-pptx"
    yield (f"excelkort rapport --alle, {count} statusrapporter på 2 kjerner: {every:6.1f} s "
           f"({every / count * 1000:.0f} ms per rapport)")
    yield "mål (SPEC §10): ≤ 2× python-pptx og ≤ 45 s for alle → " + (
        "OK" if ratio <= 2 and every <= 45 else "IKKE NÅDD")
