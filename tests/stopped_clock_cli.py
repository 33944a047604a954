"""The excelkort command line with the clock stopped at one moment, so two runs write the same
bytes (``fyll`` writes the time into Logg, ``tiltak`` compares deadlines with today). The kill tests start it as a process:

    python tests/stopped_clock_cli.py fyll UTTREKK MÅLEKORT...
"""
from __future__ import annotations

import datetime as dt
import sys
import types

from excelkort.steps import fill, plan_measures

MOMENT = dt.datetime(2026, 11, 5, 8, 0)


class _StoppedDatetime(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls.combine(MOMENT.date(), MOMENT.time(), tz)


class _StoppedDate(dt.date):
    @classmethod
    def today(cls):
        return cls(MOMENT.year, MOMENT.month, MOMENT.day)


#: the ``datetime`` module as the modules that read the clock see it
STOPPED_DT = types.SimpleNamespace(**{**{k: getattr(dt, k) for k in dir(dt) if not k.startswith("_")},
                                      "datetime": _StoppedDatetime, "date": _StoppedDate})
#: the modules that read the clock for what they write (``fyll``: Logg; ``tiltak``: today)
CLOCK_READERS = (fill, plan_measures)


def stop_the_clock() -> None:
    """Every clock reader reads MOMENT (pool workers are forked, and inherit it)."""
    for module in CLOCK_READERS:
        module.dt = STOPPED_DT


if __name__ == "__main__":
    stop_the_clock()
    from excelkort.cli import main

    main()
