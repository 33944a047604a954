"""Consolidating N office workbooks into every county unit and Norway (SPEC §10), against
python-calamine's plain read of the same files' cell values (Målekort and Data), measured in
the same run. Target: ≤ 2× the plain read.

Setup (not timed): the demo register's county units and nation, N synthetic offices under
them, each office's målekort with its local values and the year's automatic data up to the
period. Each timed run starts without consolidated workbooks or history.
"""
from __future__ import annotations

import resource
import shutil
import time

from common import PERIOD, calamine_read, office_workbooks, with_counties, year

from excelkort.steps.consolidate import consolidate


def _peak_mib() -> float:
    """Peak resident memory of this process and its worker processes (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def run(workdir, n, best_of):
    cat, units, data = year(n)
    register = with_counties(units)
    t0 = time.perf_counter()
    kontor = workdir / "kontor"
    books = office_workbooks(kontor, cat, units, data, register)
    setup = time.perf_counter() - t0
    size = sum(b.stat().st_size for b in books) / len(books) / 1024
    out = workdir / "konsolidert"
    state = {}

    def ours():
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(workdir / "historikk", ignore_errors=True)
        state["result"] = consolidate(kontor, register, cat, period=PERIOD, outdir=out)


    cal = best_of(lambda: calamine_read(books))
    cons = best_of(ours)
    result = state["result"]
    assert not result.rejected, result.rejected[:3]
    ratio = cons / cal
    yield f"{n} målekort à {len(cat)} indikatorer, snitt {size:.0f} KB (oppsett {setup:.0f} s, ikke tatt tid på)"
    yield f"grunnlinje python-calamine, lese alle verdier: {cal:6.2f} s  ({cal / n * 1000:.1f} ms per arbeidsbok)"
    yield (f"excelkort konsolider → {len(result.units)} konsoliderte målekort + historikk: "
           f"{cons:6.2f} s  ({cons / n * 1000:.1f} ms per kontor) = {ratio:.2f}× calamine-lesing")
    yield f"største minnebruk (prosess eller arbeider): {_peak_mib():.0f} MiB"
    yield "mål (SPEC §10): ≤ 2× calamine-lesing og under 512 MiB → " + (
        "OK" if ratio <= 2 and _peak_mib() < 512 else "IKKE NÅDD")
