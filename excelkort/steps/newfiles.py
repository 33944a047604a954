"""``excelkort ny``: a unit's målekort and tiltaksplan from the templates (SPEC §8)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..actionplan.writer import write_action_plan
from ..atomic import refuse_read_only, write_bytes_atomic
from ..errors import WARNING, InputError, Problem
from ..inputs.catalogue import default_catalogue
from ..inputs.hints import did_you_mean
from ..inputs.register import Register, demo_register
from ..model import Catalogue
from ..period import check_period
from ..runlock import folder_lock
from ..scorecard.writer import ScorecardContent, write_scorecard
from ..xlsx.backup import backup_file
from .carry import Carried, carry_new_year, carry_open_measures, carry_remake


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
    carried: list[str] = field(default_factory=list)  # what was taken from the old files, what changed
    not_placed: list[Problem] = field(default_factory=list)  # warnings: what could not be placed
    backups: list[Path] = field(default_factory=list)  # the old files, kept (``replace``)


def new_scorecard(unit_id: str, period: str, *, catalogue: Catalogue | None = None,
                  register: Register | None = None, targets: dict | None = None,
                  outdir: str | Path = ".", teller: dict | None = None,
                  nevner: dict | None = None, bare: dict | None = None,
                  month_comment: str = "", risk_assessed: dict | None = None,
                  comments: dict | None = None, replace: bool = False) -> NewFiles:
    """A unit's målekort and tiltaksplan (SPEC §8 ``ny``); local values may be given.

    An existing file is never overwritten silently: without ``replace`` that is an
    InputError; with it the old file is backed up first (``.excelkort/backup/``) and everything
    people typed in it is carried into the new one (``steps.carry``). Without a file for the
    year, last year's målekort in ``outdir`` gives the unit's own targets and last year's
    tiltaksplan its open measures. Values given here
    win over carried ones. ``NewFiles.carried`` says what was taken over, ``not_placed`` what
    the catalogue had no place for.
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
    with folder_lock(outdir, "ny"):  # never while another run writes the folder
        unit_targets = {ind: t for (u, ind), t in (targets or {}).items() if u == unit.id}
        sc = outdir / scorecard_name(unit.id, year)
        ap = outdir / action_plan_name(unit.id, year)
        _refuse_existing([sc, ap], replace)
        last_year = outdir / scorecard_name(unit.id, year - 1)
        last_plan = outdir / action_plan_name(unit.id, year - 1)
        if sc.exists() or ap.exists():
            carried = carry_remake(sc, ap, catalogue)
            if not ap.exists() and last_plan.exists():  # the year's plan was never made
                carry_open_measures(last_plan, carried)
        elif last_year.exists() or last_plan.exists():
            carried = carry_new_year(last_year, last_plan, catalogue, unit_targets)
        else:
            carried = Carried()
        if carried.period[:4] == period[:4] and carried.period > period:
            carried.notes.append(f"Periode {carried.period} beholdes fra det gamle målekortet "
                                 f"(ikke {period}): excelkort flytter aldri Periode bakover.")
            period = carried.period
        backups = {p: backup_file(p) for p in (sc, ap) if p.exists()}
        if sc in backups:
            carried.log_rows.append([dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), "", "", "", "",
                                     f"Laget på nytt; forrige versjon: {_shown(backups[sc], outdir)}",
                                     "ny --erstatt"])
        content = ScorecardContent(
            unit.id, unit.name, period, catalogue,
            teller={**carried.teller, **(teller or {})}, nevner={**carried.nevner, **(nevner or {})},
            bare={**carried.bare, **(bare or {})}, targets={**carried.targets, **unit_targets},
            month_comment=month_comment or carried.month_comment,
            risk_assessed={**carried.risk_assessed, **(risk_assessed or {})},
            comments={**carried.comments, **(comments or {})}, log_rows=carried.log_rows)
        _write_pair(content, sc, ap, (unit.id, unit.name, period, carried.plan_rows), backups)
        not_placed = [Problem(text + (f" (se sikkerhetskopien {_shown(backups[src], outdir)})"
                                      if src in backups else "") + ".",
                              file=str(src), severity=WARNING) for src, text in carried.lost]
        return NewFiles(sc, ap, carried.notes, not_placed, list(backups.values()))


def _write_pair(content: ScorecardContent, sc: Path, ap: Path, plan: tuple,
                backups: dict[Path, Path]) -> None:
    """Write the målekort and its tiltaksplan (``plan``: the arguments of
    ``write_action_plan`` after the path) together or not at all: when one cannot be written (a
    full disk, a folder without write access), the other is put back as it was and this run's
    backups go again."""
    try:
        write_scorecard(content, sc)
    except InputError:
        _drop(backups)
        raise
    try:
        write_action_plan(ap, *plan)
    except InputError:
        if _undo(sc, backups.get(sc)):
            _drop(backups)
        raise


def _undo(path: Path, backup: Path | None) -> bool:
    """Put a målekort back as it was (gone, or its backup's bytes); False when even that cannot
    be written (the new one stays, and the backup of the old one with it)."""
    if backup is None:
        path.unlink(missing_ok=True)
        return True
    try:
        write_bytes_atomic(path, backup.read_bytes())
    except InputError:
        return False
    return True


def _drop(backups: dict[Path, Path]) -> None:
    for backup in backups.values():
        backup.unlink(missing_ok=True)


def _shown(path: Path, outdir: Path) -> str:
    """A backup's path as the user finds it from the output folder."""
    try:
        return str(path.relative_to(outdir))
    except ValueError:
        return str(path)


def _refuse_existing(paths: list[Path], replace: bool) -> None:
    """Refuse to overwrite a user's file, or one open in Excel (a lock file beside it)."""
    from ..xlsx.package import lock_file_for, locked_message

    existing = [p for p in paths if p.exists()]
    if existing and not replace:
        raise InputError([Problem(
            "Filen finnes allerede og blir ikke overskrevet. Lag den på nytt med --erstatt (fra "
            "Python: replace=True); den gamle tas vare på i .excelkort/backup/.", file=str(p))
            for p in existing])
    for p in existing:
        if (lock := lock_file_for(p)) is not None:
            raise InputError(Problem(locked_message(lock), file=str(p)))
        refuse_read_only(p)
