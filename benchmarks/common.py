"""Synthetic offices for the benchmarks: the demo register's offices, repeated to N."""
from __future__ import annotations

import dataclasses

from excelkort.inputs.catalogue import default_catalogue
from excelkort.inputs.register import demo_register
from excelkort.steps.synth import generate_year

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
