"""The excelkort command line with the clock stopped at one moment, so two runs write the same
bytes (``fyll`` writes the time into Logg, ``tiltak`` and ``syklus`` compare deadlines with today,
and every file excelkort writes is stamped with the moment as its modification time, which
``konsolider`` shows in Kilder: in ``syklus`` it reads the målekort ``fyll`` has just written).
The kill tests start it as a process:

    python tests/stopped_clock_cli.py fyll UTTREKK MÅLEKORT...
"""
from __future__ import annotations

import datetime as dt
import os
import types

from excelkort import atomic
from excelkort.steps import cycle, fill, plan_measures

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
#: the modules that read the clock for what they write (``fyll``: Logg; ``tiltak``: today;
#: ``syklus``: the today it gives ``tiltak``)
CLOCK_READERS = (fill, plan_measures, cycle)
_PUT_IN_PLACE = atomic._put_in_place


def _put_in_place_at_the_moment(tmp, path) -> None:
    """``atomic._put_in_place``, the file first given MOMENT as its modification time (before
    the rename, so a killed run leaves the old file or the new one with MOMENT)."""
    stamp = MOMENT.timestamp()
    os.utime(tmp, (stamp, stamp))
    _PUT_IN_PLACE(tmp, path)


def stop_the_clock(patch=setattr) -> None:
    """Every clock reader reads MOMENT (pool workers are forked, and inherit it). ``patch``:
    pytest's ``monkeypatch.setattr``, to stop it for one test in the test's own process."""
    for module in CLOCK_READERS:
        patch(module, "dt", STOPPED_DT)
    patch(atomic, "_put_in_place", _put_in_place_at_the_moment)


if __name__ == "__main__":
    stop_the_clock()
    from excelkort.cli import main

    main()
