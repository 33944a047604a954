"""A national extract of a year (issue 14, point 13): rows, seconds and peak memory of
``excelkort sjekk`` and ``excelkort fyll`` (onto a few office workbooks), against pandas reading
the same CSV as text, measured in the same run. Each command runs in its own process, so its
peak resident memory is its own.

The extract: every automatic indicator for every month of the year, for 1,000 × N rows'
worth of offices (N = --kontor; the default 500 gives ~500,000 rows, a national year with
the noise a data warehouse delivers: the offices beyond the register's are units no
workbook has).
"""
from __future__ import annotations

import subprocess
import sys
import time

from common import offices, with_counties

from excelkort import api
from excelkort.inputs.catalogue import default_catalogue
from excelkort.inputs.extract import write_extract_csv
from excelkort.inputs.register import write_register_csv
from excelkort.steps.synth import generate_year
from excelkort.steps.synth_forms import extract_rows

PERIOD = "2026-12"
ROWS_PER_OFFICE = 180  # a year of the catalogue's automatic indicators, for one office
WORKBOOKS = 20  # enough for fyll's pool of processes
LIMIT_MIB = 512  # issue 14: a national year within 512 MiB

PANDAS = ("import sys, pandas; "
          "pandas.read_csv(sys.argv[1], sep=';', dtype=str, keep_default_na=False)")


def national_extract(path, rows: int):
    """Write a synthetic year's extract of about ``rows`` rows; returns (rows, catalogue,
    offices)."""
    cat = default_catalogue()
    units = offices(max(WORKBOOKS, -(-rows // ROWS_PER_OFFICE)))
    data = extract_rows(generate_year(cat, units, int(PERIOD[:4])), cat, PERIOD)
    write_extract_csv(data, path)
    return len(data), cat, units


#: Runs a command and prints its exit code and peak resident memory (KiB). A launcher of its own,
#: because Linux carries a process's peak over into the programs it starts (fork + exec): the
#: command must be started by a small process, not by this big one.
_LAUNCHER = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL); "
             "_, status, usage = os.wait4(p.pid, 0); "
             "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)")


def measured(args: list[str], cwd) -> tuple[float, float, int]:
    """(seconds, peak MiB, exit code) of one process (its pool workers included)."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *args], cwd=cwd, capture_output=True,
                         text=True, check=True)
    seconds = time.perf_counter() - t0
    code, kib = map(int, out.stdout.split())
    if code not in (0, 3):  # 3: a file rejected; anything else is a failed run
        raise RuntimeError(f"{args[1:4]}: exit {code}: {out.stderr[-2000:]}")
    return seconds, kib / 1024, code


def run(workdir, n, best_of):
    workdir.mkdir(parents=True, exist_ok=True)
    extract = workdir / "uttrekk.csv"
    t0 = time.perf_counter()
    rows, cat, units = national_extract(extract, 1000 * n)
    register = with_counties(units[:WORKBOOKS])
    write_register_csv(register, workdir / "enheter.csv")
    books = [api.new_scorecard(u.id, PERIOD, catalogue=cat, register=register,
                               outdir=workdir / u.id).scorecard for u in units[:WORKBOOKS]]
    setup = time.perf_counter() - t0
    size = extract.stat().st_size / 2**20
    cli = [sys.executable, "-m", "excelkort.cli"]
    base_s, base_mib, _ = measured([sys.executable, "-c", PANDAS, str(extract)], workdir)
    shown = f"{rows:,}".replace(",", " ")
    yield f"{shown} rader, {size:.1f} MB CSV (oppsett {setup:.0f} s, ikke tatt tid på)"
    yield f"grunnlinje pandas.read_csv (som tekst): {base_s:5.1f} s, {base_mib:5.0f} MiB"
    peaks = []
    for label, args in (
            ("excelkort sjekk", [*cli, "sjekk", str(extract)]),
            (f"excelkort fyll, {len(books)} målekort", [*cli, "fyll", str(extract),
                                                       *map(str, books)]),
    ):
        seconds, mib, code = measured(args, workdir)
        peaks.append(mib)
        yield (f"{label + ':':32s} {seconds:5.1f} s, {mib:5.0f} MiB  = {seconds / base_s:4.1f}× "
               f"tiden og {mib / base_mib:4.1f}× minnet til pandas (exit {code})")
    yield f"mål (issue 14): under {LIMIT_MIB} MiB → " + (
        "OK" if max(peaks) < LIMIT_MIB else "IKKE NÅDD")
