"""The whole month for Norway (SPEC §8 ``syklus``, issue 15): kontroll → fyll → konsolider →
tiltak → rapport on the demo's work folder (255 offices, 12 county units, Norway, ~270 decks),
with each step's share of the time and the peak memory. Target: under one minute on this
2-core machine, under 512 MiB.

Setup (not timed): ``excelkort demo`` without the month's steps, i.e. the work folder as the
month begins. The cycle runs in a fresh process, so its memory peak is its own; baseline, in
the same run: python-calamine's plain read of the same office workbooks (Målekort and Data).
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

from common import calamine_read

from excelkort.steps.demo import DEMO_PERIOD, build_demo

_CHILD = textwrap.dedent("""
    import datetime as dt, json, resource, sys, time
    from excelkort.steps.cycle import run_cycle
    from excelkort.steps.demo import demo_today
    t0 = time.perf_counter()
    result = run_cycle(sys.argv[1], sys.argv[2], today=demo_today(sys.argv[2]))
    total = time.perf_counter() - t0
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    print(json.dumps({"total": total, "peak": peak, "exit": result.exit_code,
                      "steps": [(s.name, s.seconds, len(s.files)) for s in result.steps]}))
""")


def run(workdir, n, best_of):
    t0 = time.perf_counter()
    summary = build_demo(workdir, DEMO_PERIOD, run_month=False)
    setup = time.perf_counter() - t0
    books = sorted((workdir / "kontor").rglob("målekort_*.xlsx"))


    cal = best_of(lambda: calamine_read(books))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(workdir), DEMO_PERIOD],
                         capture_output=True, text=True, check=True)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    total = figures["total"]
    yield (f"demoens arbeidsmappe: {summary.offices} kontor, {summary.counties} fylkesenheter og "
           f"Norge (oppsett {setup:.0f} s, ikke tatt tid på)")
    yield f"grunnlinje python-calamine, lese alle kontorenes verdier: {cal:6.2f} s"
    yield f"excelkort syklus, hele måneden: {total:6.1f} s = {total / cal:.0f}× calamine-lesing (mål < 60 s)"
    for name, seconds, files in figures["steps"]:
        yield f"  {name:<11} {seconds:6.1f} s  {seconds / total:5.0%}  {files} filer skrevet"
    yield f"største minnebruk (prosess eller arbeider): {figures['peak']:.0f} MiB (mål < 512 MiB)"
    assert figures["exit"] == 0
