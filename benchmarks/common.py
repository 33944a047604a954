"""Synthetic offices for the benchmarks: the demo register's offices, repeated to N."""
from __future__ import annotations

import dataclasses

from python_calamine import CalamineWorkbook

from excelkort import api
from excelkort.inputs.catalogue import default_catalogue
from excelkort.inputs.register import Register, demo_register
from excelkort.steps.synth import generate_year
from excelkort.steps.synth_forms import filled_forms, local_values

PERIOD = "2026-10"


def offices(n: int):
    base = demo_register().tree(PERIOD).offices()
    out = []
    for i in range(n):
        u = base[i % len(base)]
        out.append(u if i < len(base) else dataclasses.replace(u, id=f"{u.id}x{i // len(base)}"))
    return out


def year(n: int):
    cat = default_catalogue()
    units = offices(n)
    return cat, units, generate_year(cat, units, int(PERIOD[:4]))


def with_counties(units) -> Register:
    """The demo register's county units and nation over ``units``."""
    tree = demo_register().tree(PERIOD)
    return Register([tree.nation(), *tree.counties(), *units])


def office_workbooks(kontor, cat, units, data, register) -> list:
    """Each office's målekort under ``kontor/<enhet>/``, with its local values and the year's
    automatic data up to the period."""
    month = int(PERIOD[5:7])
    typed = local_values(data, cat, PERIOD)
    books = []
    for u in units:
        teller, nevner, bare = filled_forms(data, typed, cat, u.id, month)
        books.append(api.new_scorecard(u.id, PERIOD, catalogue=cat, register=register,
                                       outdir=kontor / u.id, teller=teller, nevner=nevner,
                                       bare=bare).scorecard)
    return books


def calamine_read(books) -> None:
    """The baseline: python-calamine reading every cell value of Målekort and Data."""
    for b in books:
        wb = CalamineWorkbook.from_path(str(b))
        wb.get_sheet_by_name("Målekort").to_python()
        wb.get_sheet_by_name("Data").to_python()
