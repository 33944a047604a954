"""The excelkort command line with the clock stopped at one moment, so two runs write the same
bytes (``fyll`` writes the time into Logg). The kill tests start it as a process:

    python tests/stopped_clock_cli.py fyll UTTREKK MÅLEKORT...
"""
from __future__ import annotations

import datetime as dt
import sys
import types

from excelkort.steps import fill

MOMENT = dt.datetime(2026, 11, 5, 8, 0)


class _Stopped(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls.combine(MOMENT.date(), MOMENT.time(), tz)


def stop_the_clock() -> None:
    """``fill``'s clock reads MOMENT (its pool workers are forked, and inherit it)."""
    names = {k: getattr(dt, k) for k in dir(dt) if not k.startswith("_")}
    fill.dt = types.SimpleNamespace(**{**names, "datetime": _Stopped})


if __name__ == "__main__":
    stop_the_clock()
    from excelkort.cli import main

    main()
