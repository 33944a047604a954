"""``excelkort konsolider``: office målekort → every county unit and Norway (SPEC §7).

Reads every office målekort under a folder (``consolidate_read``), aggregates them by the
register in force for the period with exact sums (``numbers.aggregate``), and writes per
county unit and for the nation a målekort of the same layout — live formulas over its aggregated
Data sheet — with the side sheets Enheter, Rangering, Innlevering, Kilder and Kommentarer
(``consolidate_sheets``). A consolidated workbook that exists is updated in place
(``consolidate_update``): only excelkort's cells change, so what a county typed or added
survives. When its units or indicators changed it is made anew, with what the county typed
(Risiko (vurdering), Kommentar, the month comment) carried over and the old file backed up.
A re-run with the same inputs leaves every file byte-identical.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_bytes_atomic
from ..errors import WARNING, InputError, Problem
from ..runlock import folders_lock
from ..inputs.register import Register
from ..model import Catalogue, Unit
from ..numbers.aggregate import combine, consolidated_target
from ..numbers.rules import Result, Standing, evaluate, standing
from ..scorecard.reader import ScorecardFile, read_scorecard
from ..scorecard.writer import ScorecardContent, scorecard_bytes
from ..xlsx.package import lock_file_for, locked_message
from ..xlsx.backup import backup_file
from .consolidate_read import (OfficeFile, candidate_files, local_delivery, locals_due,
                               prepare_office, read_offices, reading_pool)
from .consolidate_sheets import Delivery, Member, SideSheets
from .consolidate_update import update_in_place
from .fill import default_workers

DELIVERED, LATE, MISSING, REJECTED, UNKNOWN = "levert", "sen", "mangler", "avvist", "ukjent enhet"


@dataclass
class Carried:
    """What people typed in an existing consolidated workbook (kept through a re-run)."""

    risk_assessed: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    month_comment: str = ""
    file: ScorecardFile | None = field(default=None, repr=False)  # the workbook as read


@dataclass
class ConsolidatedUnit:
    """One county unit or the nation: its numbers and what became of its workbook."""

    unit: Unit
    leaves: list[Unit]
    path: Path
    content: ScorecardContent | None = None
    results: dict[str, Result] = field(default_factory=dict)
    standings: dict[str, Standing] = field(default_factory=dict)  # Enheter, Rangering, history
    carried: Carried = field(default_factory=Carried)


@dataclass
class ConsolidationResult:
    """What ``consolidate`` did: for the summary, the exit code and a statistics officer's script."""

    period: str
    outdir: Path
    register: str = ""  # the register's and the catalogue's sources, named in the summary
    catalogue: str = ""
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    backups: list[Path] = field(default_factory=list)
    delivery: dict[str, str] = field(default_factory=dict)  # office id → levert/sen/mangler/avvist
    rejected: list[tuple[Path, str]] = field(default_factory=list)  # (file, reason)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # not målekort
    unknown_units: list[str] = field(default_factory=list)  # files for units not in the register
    missing: list[str] = field(default_factory=list)  # register offices without a file
    warnings: list[Problem] = field(default_factory=list)
    units: dict[str, ConsolidatedUnit] = field(default_factory=dict)
    offices: dict[str, OfficeFile] = field(default_factory=dict)  # accepted office files by unit
    office_standings: dict[str, dict[str, Standing]] = field(default_factory=dict)
    history: Path | None = None

    @property
    def exit_code(self) -> int:
        return 3 if self.rejected else 0


def work_folder(folder: Path) -> Path:
    """The work folder a DIR belongs to: DIR itself when it holds enheter.csv or
    indikatorer.csv, else its parent (DIR is then the ``kontor/`` folder; SPEC §8)."""
    for candidate in (folder, folder.parent):
        if any((candidate / name).is_file() for name in ("enheter.csv", "enheter.xlsx", "indikatorer.csv")):
            return candidate
    return folder.parent


def _default_period(offices: list[OfficeFile]) -> str:
    """The latest Periode among the files of the most common year."""
    good = [o for o in offices if o.rejected is None and o.skipped is None]
    if not good:
        raise InputError(Problem("Fant ingen målekort som kunne leses. Sjekk mappen, eller oppgi "
                                 "--periode."))
    year = Counter(o.year for o in good).most_common(1)[0][0]
    return max(o.period for o in good if o.year == year)


def _accept(offices: list[OfficeFile], register: Register, period: str,
            result: ConsolidationResult, folder: Path) -> dict[str, OfficeFile]:
    """The one file per office that is consolidated; the others are rejected with the reason."""
    year = int(period[:4])
    tree = register.tree(period)
    by_unit: dict[str, list[OfficeFile]] = {}
    for o in offices:
        if o.skipped is not None:
            result.skipped.append((o.path, o.skipped))
        elif o.rejected is None:
            by_unit.setdefault(o.unit_id, []).append(o)
    accepted: dict[str, OfficeFile] = {}
    for unit_id, files in by_unit.items():
        this_year = [o for o in files if o.year == year]
        if not this_year:
            for o in files:  # another year only: the unit has nothing for this one
                o.rejected = f"Målekortet gjelder {o.year}, ikke {year}. Lag årets målekort."
            continue
        if len(this_year) > 1:
            names = ", ".join(_rel(o.path, folder) for o in this_year)
            for o in this_year:
                o.rejected = (f"Enheten {unit_id} har flere målekort for {year} ({names}). "
                              "Fjern eller flytt de som ikke skal brukes.")
            continue
        office = this_year[0]
        unit = tree.unit(unit_id) if unit_id in tree else None
        if unit is None:
            hint = register.suggest(unit_id)
            more = f" Mente du «{hint}»?" if hint and hint != unit_id else ""
            office.rejected = f"Enheten «{unit_id}» finnes ikke i registeret for {period}.{more}"
            result.unknown_units.append(unit_id)
        elif unit.level != "kontor":
            office.skipped = f"{office.path.name} er et målekort for {unit.level}, ikke et kontor."
            result.skipped.append((office.path, office.skipped))
        else:
            accepted[unit_id] = office
    for o in offices:
        if o.rejected is not None:
            result.rejected.append((o.path, o.rejected))
    return accepted


def _read_carried(path: Path, catalogue: Catalogue, result: ConsolidationResult) -> Carried:
    """What a county typed in its existing consolidated workbook."""
    if not path.exists():
        return Carried()
    try:
        sc = read_scorecard(path, catalogue)
    except InputError as exc:
        result.warnings.append(Problem(
            "Det konsoliderte målekortet kunne ikke leses, så det som er skrevet inn i det kan ikke "
            f"tas med ({'; '.join(p.message for p in exc.problems)}). Den gamle filen tas vare på i "
            ".excelkort/backup/.", file=str(path), severity=WARNING))
        return Carried()
    return Carried({i: r.risk_assessed for i, r in sc.rows.items() if r.risk_assessed},
                   {i: r.comment for i, r in sc.rows.items() if r.comment}, sc.month_comment, sc)


def _consolidate_unit(cu: ConsolidatedUnit, partials, members: list[str], catalogue, targets,
                      period) -> None:
    """The unit's aggregated Data, targets and results, from the exact partials of ``members``
    (its offices, or a unit done before in place of its offices: the sums are exact, so the
    nation from its counties is the nation from its offices); its own partials are added to
    ``partials`` for the units above it."""
    month = int(period[5:7])
    leaf_ids = [u.id for u in cu.leaves]
    content = ScorecardContent(cu.unit.id, cu.unit.name, period, catalogue, consolidated=True,
                               risk_assessed=dict(cu.carried.risk_assessed),
                               comments=dict(cu.carried.comments),
                               month_comment=cu.carried.month_comment)
    for ind in catalogue:
        by_unit = partials[ind.id]
        by_unit[cu.unit.id] = total = combine(ind, (by_unit[u] for u in members if u in by_unit))
        series = total.series(ind)
        content.teller[ind.id], content.nevner[ind.id] = series.teller, series.nevner
        if not series.weighted:
            content.unweighted.add(ind.id)
        target, tolerance = consolidated_target(ind, cu.unit.id, leaf_ids, targets)
        content.targets[ind.id] = target
        if tolerance is not None:
            content.tolerances[ind.id] = tolerance
        r = evaluate(ind, series, month, target=target, tolerance=tolerance)
        cu.results[ind.id], cu.standings[ind.id] = r, standing(r, series, month)
    cu.content = content


def consolidate(folder, register: Register, catalogue: Catalogue, period: str | None = None,
                prikk: int | None = None, outdir=None, targets: dict | None = None,
                workers: int | None = None, progress=None, history: bool = True) -> ConsolidationResult:
    """Consolidate every office målekort under ``folder`` into each county unit and the nation.

    ``targets`` is the per-unit Mål table ({(enhet, indikator): mål}). One bad office file
    never stops the run: it is listed in ``rejected`` (and in Innlevering).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(Problem("Mappen finnes ikke. Oppgi mappen med kontorenes målekort.",
                                 file=str(folder)))
    workdir = work_folder(folder)
    outdir = Path(outdir) if outdir is not None else workdir / "konsolidert"
    # the folders held cover every folder written (and cleaned after a killed run)
    with folders_lock([folder, outdir] + ([workdir] if history else []), "konsolider"):
        targets = dict(targets or {})
        month = int(period[5:7]) if period else None
        paths = candidate_files(folder, outdir)
        with reading_pool(workers or default_workers(len(paths)), catalogue, targets, month) as pool:
            offices = read_offices(paths, catalogue, targets, month, pool=pool, progress=progress)
            period = period or _default_period(offices)
            result = ConsolidationResult(period, outdir, register=register.source or "",
                                         catalogue=catalogue.source or "")
            _consolidate_all(offices, register, catalogue, targets, prikk, folder, workdir, pool,
                             history, result)
        return result


def _consolidate_all(offices, register, catalogue, targets, prikk, folder, workdir, pool, history,
                     result: ConsolidationResult) -> None:
    """Every county unit, then the nation: each one's numbers, and its workbook rendered in the
    pool as soon as they are known (while this process goes on with the next unit and the
    history); then every workbook stored."""
    period = result.period
    month, year = int(period[5:7]), int(period[:4])
    accepted = _accept(offices, register, period, result, folder)
    result.offices = accepted
    tree = register.tree(period)
    for office in accepted.values():
        result.warnings += office.warnings  # the reader's notes on typed values (guesses)
        if office.month != month:  # read before the period was known, for another month
            prepare_office(office, catalogue, targets, month)
    partials = {ind.id: {u: o.partials[ind.id] for u, o in accepted.items() if ind.id in o.partials}
                for ind in catalogue}
    result.office_standings = {u: o.standings for u, o in accepted.items()}
    deliveries = _deliveries(tree, accepted, offices, catalogue, period, folder, result)

    pending = []  # (unit, its workbook's bytes to come)
    units = tree.counties() + ([tree.nation()] if tree.nation() is not None else [])
    for unit in units:  # the counties first: the nation's Enheter lists them
        path = result.outdir / unit.id / f"målekort_{unit.id}_{year}.xlsx"
        cu = ConsolidatedUnit(unit, tree.leaves(unit.id), path)
        cu.carried = _read_carried(cu.path, catalogue, result)
        members = [u.id for u in tree.leaves(unit.id, done=result.units)]  # counties for the nation
        _consolidate_unit(cu, partials, members, catalogue, targets, period)
        result.units[unit.id] = cu
        if (lock := lock_file_for(cu.path)) is not None:  # the county has it open: not now
            result.rejected.append((cu.path, locked_message(lock, then="kjør konsolider på nytt")))
            continue
        sheets = _side_sheets(cu, tree, result, deliveries, catalogue, prikk, folder, offices)
        pending.append((cu, _render_later(pool, (cu.content, sheets))))
    if history:
        from .history import history_path, write_history
        try:
            result.history = write_history(workdir, result, catalogue)
        except InputError as exc:  # a full disk, a folder we may not write: one rejected file
            result.rejected.append((history_path(workdir, year), _reason(exc)))
    for cu, rendered in pending:
        try:
            _store(cu, rendered(), result)
        except InputError as exc:  # changed while we worked, read-only, a full disk …: said so
            result.rejected.append((cu.path, _reason(exc)))


def _reason(exc: InputError) -> str:
    """A rejected file's reason, shown after its path (so without the file's name again)."""
    return "; ".join(p.message for p in exc.errors or exc.problems)


def _deliveries(tree, accepted, offices, catalogue, period, folder, result) -> dict[str, Delivery]:
    """Innlevering rows per office in the register, and per file of an unknown unit."""
    month = int(period[5:7])
    due = locals_due(catalogue, month)
    rejected_by_unit: dict[str, OfficeFile] = {}
    for o in offices:
        if o.rejected is not None and o.unit_id:
            rejected_by_unit.setdefault(o.unit_id, o)
    out: dict[str, Delivery] = {}
    for unit in tree.offices():
        county = next((a.id for a in tree.ancestors(unit.id) if a.level == "fylke"), "")
        o = accepted.get(unit.id)
        if o is not None:
            done = local_delivery(o, due, month)
            status = DELIVERED if o.period >= period else LATE
            reason = "" if status == DELIVERED else f"Målekortet står på {o.period}; fyll inn {period}."
            out[unit.id] = Delivery(unit.id, unit.name, county, _rel(o.path, folder), status, o.period,
                                    f"{done} av {len(due)}", "ja" if o.month_comment else "nei",
                                    reason)
        elif unit.id in rejected_by_unit:
            bad = rejected_by_unit[unit.id]
            out[unit.id] = Delivery(unit.id, unit.name, county, _rel(bad.path, folder), REJECTED,
                                    bad.period, reason=bad.rejected)
        else:
            out[unit.id] = Delivery(unit.id, unit.name, county, "", MISSING,
                                    reason="Fant ikke noe målekort for enheten.")
            result.missing.append(unit.id)
        result.delivery[unit.id] = out[unit.id].status
    for o in offices:  # files that belong to no office of the register, or that are unreadable
        if o.rejected is not None and (not o.unit_id or o.unit_id not in tree):
            key = f"fil:{_rel(o.path, folder)}"
            out[key] = Delivery(o.unit_id, o.unit_name, "", _rel(o.path, folder),
                                UNKNOWN if o.unit_id else REJECTED, o.period, reason=o.rejected)
    if result.missing:
        result.warnings.append(Problem(
            f"{len(result.missing)} kontor i registeret har ikke levert målekort: "
            f"{', '.join(result.missing[:10])}{' …' if len(result.missing) > 10 else ''}.",
            severity=WARNING))
    return out


def _rel(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def _side_sheets(cu, tree, result, deliveries, catalogue, prikk, folder, offices):
    """The Enheter/Rangering members and the rows of Innlevering, Kilder and Kommentarer."""
    national = cu.unit.level == "nasjonal"
    leaf_ids = {u.id for u in cu.leaves}
    if national:
        members = [Member(c.unit, c.standings, c.carried.risk_assessed)
                   for c in result.units.values() if c.unit.level == "fylke"]
    else:
        members = [Member(u, result.office_standings.get(u.id, {}))
                   for u in cu.leaves]
    rows = [d for key, d in deliveries.items() if key in leaf_ids or (national and key.startswith("fil:"))]
    files = [o for o in offices if (o.unit_id in leaf_ids or (national and o.unit_id not in tree))
             and o.sha256]
    sources = [(_rel(o.path, folder), o.sha256, o.modified, o.rows_read) for o in files]
    comments = []
    if national:
        for c in result.units.values():
            if c.unit.level == "fylke":
                comments += _comment_rows(c.unit, c.carried.month_comment, c.carried.comments,
                                          c.carried.risk_assessed, catalogue)
    for u in cu.leaves:
        o = result.offices.get(u.id)
        if o is not None:
            comments += _comment_rows(u, o.month_comment, o.comments, o.risk_assessed, catalogue)
    total = Member(cu.unit, cu.standings, cu.carried.risk_assessed)
    return SideSheets(cu.unit, result.period, catalogue, members, rows, sources, comments, prikk,
                      show_risk=national, total=total)


def _comment_rows(unit, month_comment, comments, risks, catalogue):
    rows = []
    if month_comment:
        rows.append((unit.id, unit.name, "", "Månedskommentar", month_comment))
    for ind in catalogue:
        if ind.id in risks:
            rows.append((unit.id, unit.name, ind.id, "Risiko (vurdering)", risks[ind.id]))
        if ind.id in comments:
            rows.append((unit.id, unit.name, ind.id, "Kommentar", comments[ind.id]))
    return rows


def _render_later(pool, job):
    """A function that returns the job's workbook bytes: rendered in ``pool`` from now on, or
    (without a pool) here when asked."""
    return pool.submit(render, job).result if pool is not None else lambda: render(job)


def render(job: tuple[ScorecardContent, SideSheets]) -> bytes:
    """The bytes of one consolidated workbook."""
    content, sheets = job
    return scorecard_bytes(content, extra_sheets=sheets.write)


def _store(cu: ConsolidatedUnit, data: bytes, result: ConsolidationResult) -> None:
    """Bring a workbook up to date: unchanged when it already holds ``data``; else updated in
    place when its shape allows, else written anew (the old one backed up first)."""
    path = cu.path
    current = path.read_bytes() if path.exists() else None
    if current == data:
        result.unchanged.append(path)
        return
    reason = None
    if current is not None and cu.carried.file is not None:
        update = update_in_place(cu.carried.file, cu.content, data)
        if update.patch is not None:
            (result.written if update.patch.written else result.unchanged).append(path)
            if update.patch.backup is not None:
                result.backups.append(update.patch.backup)
            return
        reason = update.reason
    backup = backup_file(path) if current is not None else None
    try:
        write_bytes_atomic(path, data, current=current)
    except InputError:  # nothing changed: no backup of it either
        if backup is not None:
            backup.unlink(missing_ok=True)
        raise
    result.written.append(path)
    if backup is not None:
        result.backups.append(backup)
    if reason is not None:
        result.warnings.append(Problem(
            f"Det konsoliderte målekortet ble laget på nytt fordi {reason}. Risiko (vurdering), "
            "kommentarer og månedskommentar er tatt med over; annet som var lagt til i filen "
            f"(diagrammer, bilder, egne ark) finnes i den gamle filen: {backup}.",
            file=str(path), severity=WARNING))
