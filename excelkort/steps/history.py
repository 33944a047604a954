"""The consolidation history (SPEC §7): ``historikk/målekort_<år>.parquet`` in the work folder.

Tidy, one row per unit, indicator and month: enhet, nivå, periode, indikator, teller, nevner,
verdi (the month value), status (Hittil i år's status in that period), kilde (the office file,
or ``konsolidert``). Each consolidation replaces its month's rows, never duplicating them; the
file is written atomically and only when its content changes.
"""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..atomic import write_bytes_atomic
from ..model import Catalogue

COLUMNS = ("enhet", "nivå", "periode", "indikator", "teller", "nevner", "verdi", "status", "kilde")
FOLDER = "historikk"
CONSOLIDATED = "konsolidert"


def history_path(workdir: str | Path, year: int) -> Path:
    return Path(workdir) / FOLDER / f"målekort_{year}.parquet"


def _num(v):
    return None if v is None or isinstance(v, str) else float(v)


def month_rows(result, catalogue: Catalogue) -> dict[str, list]:
    """The month's rows of a ``ConsolidationResult``, column by column: every accepted office,
    then each consolidated unit."""
    period, month = result.period, int(result.period[5:7])
    ids = catalogue.ids()
    rows = []

    def add(unit_id, level, series_of, standings, source):
        for ind_id in ids:
            s = standings.get(ind_id)
            teller, nevner = series_of(ind_id)
            rows.append((unit_id, level, period, ind_id, _num(teller), _num(nevner),
                         _num(s.value) if s is not None else None,
                         s.status if s is not None else None, source))

    for unit_id, office in sorted(result.offices.items()):
        def office_series(ind_id, office=office):
            s = office.series.get(ind_id)
            return (s.teller[month - 1], s.nevner[month - 1]) if s is not None else (None, None)
        add(unit_id, "kontor", office_series, result.office_standings.get(unit_id, {}),
            office.path.name)
    for unit_id, cu in result.units.items():
        content = cu.content
        add(unit_id, cu.unit.level,
            lambda ind_id, c=content: (c.teller[ind_id][month - 1], c.nevner[ind_id][month - 1]),
            cu.standings, CONSOLIDATED)
    columns = zip(*rows) if rows else ((),) * len(COLUMNS)
    return {col: list(values) for col, values in zip(COLUMNS, columns)}


def frame(rows: list[dict] | dict[str, list]) -> pd.DataFrame:
    """The history's frame from rows (dicts) or columns (``month_rows``)."""
    return typed(pd.DataFrame(rows, columns=list(COLUMNS)))


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """The history's column types: numbers as float64, the rest as pandas strings."""
    return df.astype({**{col: "float64" for col in ("teller", "nevner", "verdi")},
                      **{col: "string" for col in ("enhet", "nivå", "periode", "indikator", "status",
                                                   "kilde")}})


def write_history(workdir: str | Path, result, catalogue: Catalogue) -> Path:
    """Replace the period's rows in the year's history file (atomic; unchanged → not rewritten)."""
    path = history_path(workdir, int(result.period[:4]))
    new = frame(month_rows(result, catalogue))
    if path.exists():
        old = pd.read_parquet(path)
        old = old[old["periode"] != result.period]
        new = pd.concat([old, new], ignore_index=True)
    new = new.sort_values(["periode", "nivå", "enhet", "indikator"], kind="stable", ignore_index=True)
    new = typed(new)
    buffer = io.BytesIO()
    new.to_parquet(buffer, index=False, compression="zstd")
    write_bytes_atomic(path, buffer.getvalue())
    return path


def read_history(workdir: str | Path, year: int | None = None) -> pd.DataFrame:
    """The history of one year, or every year in the folder, as a tidy DataFrame."""
    folder = Path(workdir) / FOLDER
    paths = [history_path(workdir, year)] if year is not None else sorted(folder.glob("målekort_*.parquet"))
    frames = [pd.read_parquet(p) for p in paths if p.exists()]
    if not frames:
        return frame([])
    return typed(pd.concat(frames, ignore_index=True))


def scorecard_rows(path: str | Path, catalogue: Catalogue | None = None, level: str = "kontor") -> list[dict]:
    """One målekort's numbers in the history's tidy shape: every indicator and month up to its
    Periode (``status`` is Hittil i år's status as it stood that month; ``kilde`` the file)."""
    from ..numbers.rules import evaluate
    from ..scorecard.reader import read_scorecard
    from .consolidate_read import cut_series, leaf_series

    sc = read_scorecard(path, catalogue)
    catalogue = catalogue if catalogue is not None else sc.own_catalogue
    rows = []
    for ind in catalogue or ():
        item = sc.rows.get(ind.id)
        if item is None:
            continue
        series = leaf_series(ind, item)
        target = item.target if item.target is not None else ind.target
        for month in range(1, sc.period_month + 1):
            r = evaluate(ind, cut_series(series, month), month, target=target)
            value = r.month_values[month - 1]
            rows.append({"enhet": sc.unit_id, "nivå": level, "periode": f"{sc.year}-{month:02d}",
                         "indikator": ind.id, "teller": _num(series.teller[month - 1]),
                         "nevner": _num(series.nevner[month - 1]), "verdi": _num(value),
                         "status": r.status, "kilde": Path(path).name})
    return rows


def history_extract_rows(workdir: str | Path) -> list[tuple[Path, list]]:
    """The offices' rows of every history file in ``workdir``, as extract rows per file (for
    ``kontroll``: last month and the same month last year where no extract is given)."""
    from ..inputs.extract_values import ExtractRow

    out = []
    for path in sorted((Path(workdir) / FOLDER).glob("målekort_*.parquet")):
        df = pd.read_parquet(path)
        df = df[df["nivå"] == "kontor"]
        rows = [ExtractRow(str(u), str(p), str(i), None if pd.isna(t) else float(t),
                           None if pd.isna(n) else float(n))
                for u, p, i, t, n in zip(df["enhet"], df["periode"], df["indikator"], df["teller"],
                                         df["nevner"])]
        out.append((path, rows))
    return out
