"""``excelkort ny``: a unit's målekort and tiltaksplan from the templates (SPEC §8)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..actionplan.writer import write_action_plan
from ..errors import InputError, Problem
from ..inputs.catalogue import default_catalogue
from ..inputs.hints import did_you_mean
from ..inputs.register import Register, demo_register
from ..model import Catalogue
from ..period import check_period
from ..scorecard.writer import ScorecardContent, write_scorecard


def scorecard_name(unit_id: str, year: int) -> str:
    """The file name of a unit's målekort for a year (SPEC §8)."""
    return f"målekort_{unit_id}_{year}.xlsx"


def action_plan_name(unit_id: str, year: int) -> str:
    """The file name of a unit's tiltaksplan for a year (SPEC §8)."""
    return f"tiltaksplan_{unit_id}_{year}.xlsx"


@dataclass
class NewFiles:
    scorecard: Path
    action_plan: Path


def new_scorecard(unit_id: str, period: str, *, catalogue: Catalogue | None = None,
                  register: Register | None = None, targets: dict | None = None,
                  outdir: str | Path = ".", teller: dict | None = None,
                  nevner: dict | None = None, bare: dict | None = None,
                  month_comment: str = "", risk_assessed: dict | None = None,
                  comments: dict | None = None, replace: bool = False) -> NewFiles:
    """A unit's målekort and tiltaksplan (SPEC §8 ``ny``); local values may be given.

    An existing file is never overwritten silently: without ``replace`` that is an
    InputError; with it the old file is backed up first (``.excelkort/backup/``).
    """
    period = check_period(period)
    catalogue = catalogue or default_catalogue()
    register = register or demo_register()
    unit = register.find_unit(unit_id, period)
    if unit is None:
        hint = register.suggest(unit_id)
        more = f" {did_you_mean([hint])}" if hint else ""
        raise InputError(Problem(f"Ukjent enhet «{unit_id}» i registeret for {period}.{more}"))
    year = int(period[:4])
    outdir = Path(outdir)
    unit_targets = {ind: t for (u, ind), t in (targets or {}).items() if u == unit.id}
    content = ScorecardContent(unit.id, unit.name, period, catalogue,
                               teller=dict(teller or {}), nevner=dict(nevner or {}),
                               bare=dict(bare or {}), targets=unit_targets,
                               month_comment=month_comment, risk_assessed=dict(risk_assessed or {}),
                               comments=dict(comments or {}))
    sc = outdir / scorecard_name(unit.id, year)
    ap = outdir / action_plan_name(unit.id, year)
    _guard_existing([sc, ap], replace)
    write_scorecard(content, sc)
    write_action_plan(ap, unit.id, unit.name, period)
    return NewFiles(sc, ap)


def _guard_existing(paths: list[Path], replace: bool) -> None:
    """Refuse to overwrite a user's file; with ``replace`` back it up first (lock files refused)."""
    from ..xlsx.package import lock_file_for, locked_message
    from ..xlsx.backup import backup_file

    existing = [p for p in paths if p.exists()]
    if existing and not replace:
        raise InputError([Problem(
            "Filen finnes allerede og blir ikke overskrevet. Lag den på nytt med --erstatt (fra "
            "Python: replace=True); den gamle tas vare på i .excelkort/backup/.", file=str(p))
            for p in existing])
    for p in existing:
        if (lock := lock_file_for(p)) is not None:
            raise InputError(Problem(locked_message(lock), file=str(p)))
    for p in existing:
        backup_file(p)
