"""The Python API a statistics officer can script; the command line is a thin layer over it.

    from excelkort import api
    files = api.new_scorecard("0101", "2026-10", outdir="kontor/0101")
    summary = api.build_demo("arbeidsmappe")
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .inputs.catalogue import default_catalogue, write_catalogue_csv, write_unit_targets_csv
from .errors import InputError, Problem
from .inputs.extract import write_extract_csv
from .period import check_period, shift
from .model import Catalogue, Unit
from .inputs.register import Register, demo_register, write_register_csv
from .actionplan.writer import write_action_plan
from .scorecard.writer import ScorecardContent, period_datetime, write_scorecard

DEMO_PERIOD = "2026-10"
DEMO_SEED = 2026

#: what office leaders have typed in the demo (month comment, risk judgement, indicator comment),
#: cycled over the offices: most type nothing, some a little
DEMO_LEADER_INPUT = (
    {"month_comment": "Høsten preges av mange nye brukere; vi har flyttet to veiledere til "
                      "oppfølging og forventer bedring i november.",
     "risk_assessed": {"P1": "Middels"}, "comments": {"P1": "Ekstra oppfølgingsdager i november"}},
    {}, {}, {},
    {"month_comment": "Sykefraværet er høyt etter sommeren. Restansene er på vei ned.",
     "risk_assessed": {"M1": "Høy"}, "comments": {"P9": "Restanser ryddet i september"}},
    {}, {}, {}, {}, {},
)


def scorecard_name(unit_id: str, year: int) -> str:
    return f"målekort_{unit_id}_{year}.xlsx"


def action_plan_name(unit_id: str, year: int) -> str:
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
        more = f" Mente du «{hint}»?" if hint else ""
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
    from .xlsx.package import lock_file_for, locked_message
    from .xlsx.sheetpatch import backup_file

    existing = [p for p in paths if p.exists()]
    if existing and not replace:
        raise InputError([Problem(
            "Filen finnes allerede og blir ikke overskrevet. Bruk --erstatt for å lage den på nytt "
            "(den gamle tas vare på i .excelkort/backup/).", file=str(p)) for p in existing])
    for p in existing:
        if (lock := lock_file_for(p)) is not None:
            raise InputError(Problem(locked_message(lock), file=str(p)))
    for p in existing:
        backup_file(p)


@dataclass
class DemoSummary:
    folder: Path
    period: str
    offices: int
    counties: int
    extract_rows: int
    files: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    fill: object = None  # the FillReport of the month's fill
    control: object = None  # the ControlReport of the county's check


def build_demo(folder: str | Path, period: str = DEMO_PERIOD, seed: int = DEMO_SEED,
               progress=None) -> DemoSummary:
    """A whole synthetic month for all of Norway in a work folder (SPEC §8 ``demo``).

    Writes the register, the catalogue, per-unit targets, the month's extract and every
    office's målekort and tiltaksplan with the local values the office has typed.
    """
    from .steps.synth import extract_rows, generate_year, local_values, typed_forms

    period = check_period(period)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    register = demo_register()
    catalogue = default_catalogue()
    tree = register.tree(period)
    offices: list[Unit] = tree.offices()
    year = generate_year(catalogue, offices, int(period[:4]), seed=seed)
    summary = DemoSummary(folder, period, len(offices), len(tree.counties()), 0)

    write_register_csv(register, folder / "enheter.csv")
    write_catalogue_csv(catalogue, folder / "indikatorer.csv")
    targets = dict(year.targets)
    write_unit_targets_csv(targets, folder / "mål.csv")
    rows = extract_rows(year, catalogue, period)
    (folder / "uttrekk").mkdir(exist_ok=True)
    extract_path = folder / "uttrekk" / f"uttrekk_{period}.csv"
    write_extract_csv(rows, extract_path)
    summary.extract_rows = len(rows)
    summary.files += [folder / "enheter.csv", folder / "indikatorer.csv", folder / "mål.csv",
                      extract_path]

    # the office workbooks as last month ended: last month's delivery in, local values typed
    typed = local_values(year, catalogue, period)
    month = int(period[5:7])
    delivered: dict[tuple[str, str], tuple[list, list]] = {}
    if month > 1:
        previous = shift(period, -1)
        for row in extract_rows(year, catalogue, previous):
            if not row["periode"].startswith(period[:4]):
                continue
            t, n = delivered.setdefault((row["enhet"], row["indikator"]), ([None] * 12, [None] * 12))
            m = int(row["periode"][5:7])
            t[m - 1], n[m - 1] = row["teller"], row["nevner"]
    workbooks = []
    for i, office in enumerate(offices):
        teller, nevner, bare = typed_forms(typed, catalogue, office.id, month)
        for ind in catalogue:
            if ind.is_automatic and (office.id, ind.id) in delivered:
                teller[ind.id], nevner[ind.id] = delivered[(office.id, ind.id)]
        leader = DEMO_LEADER_INPUT[i % len(DEMO_LEADER_INPUT)]  # what some leaders have typed
        files = new_scorecard(office.id, previous if month > 1 else period, catalogue=catalogue,
                              register=register, targets=targets,
                              outdir=folder / "kontor" / office.id,
                              teller=teller, nevner=nevner, bare=bare, replace=True, **leader)
        workbooks.append(files.scorecard)
        summary.files += [files.scorecard, files.action_plan]
        if progress:
            progress(i + 1, len(offices))

    # this month's machine steps: the county checks the extract, then fills it in
    from .steps.control import run_control, write_control_workbook
    from .steps.fill import fill_workbooks

    summary.control = run_control(extract_path, (), catalogue, register)
    summary.files.append(write_control_workbook(
        summary.control, folder / "kontroll" / f"kontroll_{period}.xlsx"))

    summary.fill = fill_workbooks(extract_path, workbooks, catalogue, now=period_datetime(period))
    summary.warnings += summary.fill.warnings
    for sub in ("konsolidert", "rapporter"):
        (folder / sub).mkdir(exist_ok=True)
    return summary


def consolidate(folder: str | Path, *, register=None, catalogue=None, targets=None,
                period: str | None = None, prikk: int | None = None, outdir=None, progress=None,
                workers: int | None = None):
    """Office målekort under ``folder`` → every county unit and the nation (SPEC §7 ``konsolider``).

    ``register``, ``catalogue`` and ``targets`` may be objects or file paths; where not given
    they come from the work folder (``enheter.csv``, ``indikatorer.csv``, ``mål.csv``; the
    catalogue else the package's default). Returns a ``ConsolidationResult``.
    """
    from .inputs.catalogue import resolve_catalogue, resolve_unit_targets
    from .inputs.register import resolve_register
    from .steps.consolidate import consolidate as run, work_folder

    folder = Path(folder)
    workdir = work_folder(folder)
    if period is not None:
        period = check_period(period)
    if not isinstance(catalogue, Catalogue):
        catalogue = resolve_catalogue(catalogue, workdir)
    if not isinstance(register, Register):
        register = resolve_register(register, workdir)
        if register is None:
            raise InputError(Problem(
                f"Fant ikke noe enhetsregister (enheter.csv) i {workdir}. Oppgi registeret med "
                "--register F.", file=str(folder)))
    if not isinstance(targets, dict):
        targets = resolve_unit_targets(targets, workdir, catalogue)
    return run(folder, register, catalogue, period=period, prikk=prikk, outdir=outdir,
               targets=targets, progress=progress, workers=workers)


def history(workdir: str | Path, year: int | None = None):
    """The consolidation history (``historikk/målekort_<år>.parquet``) as a tidy pandas
    DataFrame: enhet, nivå, periode, indikator, teller, nevner, verdi, status, kilde. Without
    ``year``, every year in the folder."""
    from .steps.history import read_history

    return read_history(workdir, year)
