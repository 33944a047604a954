"""The Python API a statistics officer can script; the command line is a thin layer over it.

One function per command, each returning a result object a script can use:

=====================  ==================  ==================================================
function               command             returns
=====================  ==================  ==================================================
``new_scorecard``      ``ny``              ``NewFiles`` (the paths, what was carried over)
``build_demo``         ``demo``            ``DemoSummary``
``fill``               ``fyll``            ``FillReport`` (changed, unchanged, rejected …)
``control``            ``kontroll``        ``ControlResult`` (the report and the workbook)
``validate``           ``sjekk``           ``list[CheckResult]``, one per file
``restore``            ``gjenopprett``     ``RestoreResult``
``consolidate``        ``konsolider``      ``ConsolidationResult`` (files, delivery, rejected)
``plan_measures``      ``tiltak``          ``MeasuresResult`` (proposals, overdue, effect cells)
``plan_measures_all``  ``tiltak`` (all)    ``MeasuresBatch`` (one result per plan, rejected)
``report``             ``rapport``         ``ReportResult`` (the deck, written or unchanged)
``report_all``         ``rapport --alle``  ``ReportBatch`` (decks, rejected, skipped)
``cycle``              ``syklus``          ``CycleResult`` (each step, files written, to_json())
=====================  ==================  ==================================================

and the inputs every command resolves the same way (SPEC §3, §8): ``load_catalogue``,
``load_register``, ``load_unit_targets``. For a statistics officer's own analysis,
``history_frame`` returns the consolidation history and ``scorecards_frame`` any målekort files
as tidy pandas DataFrames (enhet, nivå, periode, indikator, teller, nevner, verdi, status,
kilde). Errors are ``excelkort.errors.InputError`` (the user's input is wrong; nothing was
done) or another ``ExcelkortError``; every message is Norwegian and names the file. Example,
inside a work folder made by ``excelkort demo``::

    from excelkort import api
    files = api.new_scorecard("0101", "2026-10", outdir="kontor/0101", replace=True)
    report = api.fill("uttrekk/uttrekk_2026-10.csv", [files.scorecard])
    updated = report.changed                 # the målekort that were written
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .inputs.catalogue import resolve_catalogue, resolve_unit_targets
from .inputs.register import Register, resolve_register
from .errors import InputError, Problem
from .model import Catalogue
from .period import check_period
from .steps.demo import DEMO_PERIOD, DEMO_SEED, DemoSummary
from .steps.newfiles import NewFiles, action_plan_name, new_scorecard, scorecard_name

__all__ = [
    "VERSION", "DEMO_PERIOD", "DEMO_SEED", "check_period",
    "load_catalogue", "load_register", "load_unit_targets", "demo_register", "inputs_used",
    "new_scorecard", "scorecard_name", "action_plan_name", "NewFiles",
    "build_demo", "DemoSummary", "fill", "control", "ControlResult", "validate", "restore",
    "consolidate", "history_frame", "scorecards_frame", "plan_measures", "plan_measures_all",
    "report", "report_all", "cycle",
]

VERSION = __version__


# -- the inputs a command uses -------------------------------------------------------------------
def load_catalogue(katalog: str | Path | None = None, workdir: str | Path | None = None) -> Catalogue:
    """The indicator catalogue: ``katalog`` where given, else ``indikatorer.csv`` in
    ``workdir`` (default: the current folder), else the package's default."""
    return resolve_catalogue(katalog, Path.cwd() if workdir is None else workdir)


def load_register(register: str | Path | None = None, workdir: str | Path | None = None, *,
                  required: bool = False) -> Register | None:
    """The unit register: ``register`` where given, else ``enheter.csv``/``.xlsx`` in
    ``workdir`` (default: the current folder); else None, or with ``required`` an InputError.
    The demo's register is never used silently: pass ``demo_register()`` yourself for that."""
    return resolve_register(register, Path.cwd() if workdir is None else Path(workdir),
                            required=required)


def demo_register() -> Register:
    """The demo's register: ≈255 offices in NAV's 12 county units and Norway (an approximation
    for demos and tests, not an official list)."""
    from .inputs.register import demo_register as _demo_register

    return _demo_register()


def inputs_used(catalogue: Catalogue | str | None = None, register: Register | str | None = None) -> str:
    """Which catalogue and register a command used, for its summary (SPEC §8); each given as
    the object or its ``source``."""
    parts = []
    if catalogue is not None:
        parts.append(f"katalog {_source_name(getattr(catalogue, 'source', catalogue), 'standardkatalogen')}")
    if register is not None:
        parts.append(f"register {_source_name(getattr(register, 'source', register), 'oppgitt fra Python')}")
    return "Brukte " + " og ".join(parts) + "." if parts else ""


def _source_name(source: str, unnamed: str) -> str:
    if not source:
        return unnamed
    path = Path(source)
    if path.name == "indikatorer.csv" and path.parent.name == "data" and path.parent.parent.name == "excelkort":
        return "standardkatalogen (excelkort/data/indikatorer.csv)"
    if "(demo)" in source:
        return "demoregisteret (excelkort/data/nav_kontor_approx.csv)"
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_unit_targets(mal: str | Path | None = None, workdir: str | Path | None = None,
                      catalogue: Catalogue | None = None) -> dict[tuple[str, str], float]:
    """Per-unit targets (``enhet``, ``indikator``) → mål: ``mal`` where given, else
    ``mål.csv`` in ``workdir``, else none."""
    return resolve_unit_targets(mal, Path.cwd() if workdir is None else workdir, catalogue)


# -- the commands ----------------------------------------------------------------------------------
def build_demo(folder: str | Path, period: str = DEMO_PERIOD, seed: int = DEMO_SEED,
               progress=None) -> DemoSummary:
    """A whole synthetic month for all of Norway in the work folder ``folder`` (``demo``).

    ``progress(done, total)`` is called as the office workbooks are written.
    """
    from .steps.demo import build_demo as _build_demo

    return _build_demo(folder, period, seed, progress=progress)


def fill(extract: str | Path, workbooks: list[str | Path], catalogue: Catalogue | None = None, *,
         progress=None, workers: int | None = None):
    """Fill an extract's automatic indicators into målekort, in place (``fyll``).

    Only the cells excelkort owns change; each changed file is backed up first. Returns a
    ``FillReport``; one bad workbook is listed in ``report.rejected``, never a stopped run.
    """
    from .steps.fill import fill_workbooks

    catalogue = catalogue if catalogue is not None else load_catalogue()
    return fill_workbooks(extract, list(workbooks), catalogue, progress=progress, workers=workers)


@dataclass
class ControlResult:
    """The county's check of an extract: the findings and the workbook written."""

    report: object  # steps.control.ControlReport
    workbook: Path

    def summary_lines(self, worst: int = 5) -> list[str]:
        """The terminal summary, worst findings first."""
        from .steps.control_report import summary_lines

        return summary_lines(self.report, worst)


def control(extract: str | Path, previous: list[str | Path] = (), catalogue: Catalogue | None = None,
            register: Register | None = None, output: str | Path | None = None) -> ControlResult:
    """Check an extract against earlier ones (``kontroll``) and write the check workbook
    (default ``kontroll_<periode>.xlsx`` beside the extract).

    Without ``previous``, last month and the same month last year come from the work folder's
    consolidation history (``historikk/``), where it exists: the folder holding the extract's
    ``uttrekk/`` folder, else the extract's own folder.
    """
    from .steps.control import run_control
    from .steps.control_report import write_control_workbook

    catalogue = catalogue if catalogue is not None else load_catalogue()
    register = register if register is not None else load_register(required=True)
    extract = Path(extract)
    workdir = extract.parent.parent if extract.parent.name == "uttrekk" else extract.parent
    history = workdir if not previous and (workdir / "historikk").is_dir() else None
    report = run_control(extract, list(previous), catalogue, register, history=history)
    return ControlResult(report, write_control_workbook(report, output))


def validate(files: list[str | Path], catalogue: Catalogue | None = None,
             register: Register | None = None) -> list:
    """Validate workbooks, extracts, catalogues and registers (``sjekk``); changes nothing.

    Returns one ``CheckResult`` per file (``kind``, ``kind_label``, ``problems``, ``errors``).
    """
    from .steps.validate import check_file

    catalogue = catalogue if catalogue is not None else load_catalogue()
    unit_ids = set(register.ids()) if register is not None else None
    return [check_file(path, catalogue, unit_ids) for path in files]


def backups(path: str | Path):
    """The backups of a file excelkort changed, newest first (``gjenopprett --liste``): each a
    ``Backup`` with ``nr``, ``time``, ``size`` and, for a målekort, ``period``."""
    from .steps.restore import list_backups

    return list_backups(path)


def restore(path: str | Path, *, nr: int | None = None, at: str | None = None):
    """Put back a backup of a file excelkort changed (``gjenopprett``): the newest, number
    ``nr`` of ``backups(path)``, or the newest taken at or before ``at`` (``"2026-10-05
    14:03"``). The current version is kept as a backup too. Returns a ``RestoreResult``."""
    from .steps.restore import restore as _restore

    return _restore(path, nr=nr, at=at)


def consolidate(folder: str | Path, *, register=None, catalogue=None, targets=None,
                period: str | None = None, prikk: int | None = None, outdir=None, progress=None,
                workers: int | None = None):
    """Office målekort under ``folder`` → every county unit and the nation (``konsolider``).

    ``register``, ``catalogue`` and ``targets`` may be objects or file paths; where not given
    they come from the work folder (``enheter.csv``, ``indikatorer.csv``, ``mål.csv``; the
    catalogue else the package's default). Returns a ``ConsolidationResult``; one bad office
    file is listed in ``result.rejected``, never a stopped run.
    """
    from .steps.consolidate import consolidate as run, work_folder

    folder = Path(folder)
    workdir = work_folder(folder)
    if period is not None:
        period = check_period(period)
    if not isinstance(catalogue, Catalogue):
        catalogue = load_catalogue(catalogue, workdir)
    if not isinstance(register, Register):
        register = load_register(register, workdir)
        if register is None:
            raise InputError(Problem(
                f"Fant ikke noe enhetsregister (enheter.csv) i {workdir}. Oppgi registeret med "
                "--register F.", file=str(folder)))
    if not isinstance(targets, dict):
        targets = load_unit_targets(targets, workdir, catalogue)
    return run(folder, register, catalogue, period=period, prikk=prikk, outdir=outdir,
               targets=targets, progress=progress, workers=workers)


def history_frame(workdir: str | Path, year: int | None = None):
    """The consolidation history (``historikk/målekort_<år>.parquet``) as a tidy pandas
    DataFrame: enhet, nivå, periode, indikator, teller, nevner, verdi, status, kilde. Without
    ``year``, every year in the folder."""
    from .steps.history import read_history

    return read_history(workdir, year)


def scorecards_frame(paths: list[str | Path], catalogue: Catalogue | None = None):
    """Målekort files as one tidy pandas DataFrame, in the history's columns: one row per unit,
    indicator and month up to each file's Periode. Without ``catalogue`` each workbook's own
    Indikatorer sheet is used. A file that cannot be read raises ``InputError``."""
    from .steps.history import frame, scorecard_rows

    rows = []
    for path in paths:
        rows += scorecard_rows(path, catalogue)
    return frame(rows)


def plan_measures(scorecard: str | Path, action_plan: str | Path | None = None, today=None,
                  catalogue: Catalogue | None = None):
    """The tiltaksplan at work (``tiltak``): a proposal for every indicator whose own Status is
    rød or whose risk is Høy and that has no open measure, ``Verdi ved start`` set once and
    ``Verdi nå`` kept current, and the overdue measures (past Frist, not Fullført/Avbrutt).

    ``action_plan`` defaults to ``tiltaksplan_<enhet>_<år>.xlsx`` beside the målekort (made from
    the template when missing); ``today`` (a ``datetime.date``) to the clock's date. Only
    proposal rows and the two effect cells are written, surgically and with a backup; a re-run
    that changes nothing leaves the file as it was. Returns a ``MeasuresResult``; raises
    ``InputError`` when a file cannot be read or the plan is open in Excel.
    """
    from .steps.plan_measures import plan_measures as run

    return run(scorecard, action_plan, today=today, catalogue=catalogue)


def plan_measures_all(folder: str | Path, today=None, catalogue: Catalogue | None = None,
                      progress=None):
    """``tiltak`` for every målekort under ``folder`` (``kontor/`` and ``konsolidert/``), each
    with the tiltaksplan beside it. One file that cannot be read is listed in
    ``batch.rejected`` (``batch.exit_code`` 3), never a stopped run. Returns a ``MeasuresBatch``.
    """
    from .steps.plan_measures import plan_measures_all as run

    return run(folder, today=today, catalogue=catalogue, progress=progress)


def report(scorecard: str | Path, action_plan: str | Path | None = None, line: str | None = None,
           output: str | Path | None = None, *, template: str | Path | None = None, today=None):
    """The statusrapport deck of one målekort (``rapport``): ``statusrapport_<enhet>_<periode>.pptx``
    beside the målekort, or ``output``. ``action_plan`` defaults to the tiltaksplan beside the
    målekort; ``line`` (statlig / kommunal) keeps that Styringslinje's indicators and the felles
    ones; ``template`` is a restyled copy of ``templates/status.pptx``; ``today`` (a date) is
    the day measures are overdue against (default: the period's last day). Returns a
    ``ReportResult`` (``path``, ``written``, ``slides``, ``warnings``)."""
    from .report.run import make_report

    return make_report(scorecard, action_plan, line, output, template=template, today=today)


def report_all(folder: str | Path, outdir: str | Path | None = None, progress=None,
               workers: int | None = None, *, line: str | None = None,
               template: str | Path | None = None, today=None):
    """A deck for every målekort under ``folder`` (``rapport --alle``): offices, county units
    and the nation, beside each målekort or in ``outdir``, in worker processes for big batches.
    Returns a ``ReportBatch``; one bad file is listed in ``batch.rejected`` (exit code 3)."""
    from .report.run import report_all as run

    return run(folder, outdir, progress, workers, line=line, template=template, today=today)


def cycle(folder: str | Path, period: str, *, proceed: bool = False, today=None, progress=None):
    """The month's machine steps on a work folder (``syklus``): kontroll → fyll → konsolider →
    tiltak → rapport. Stops before ``fyll`` when the check finds errors in the extract, unless
    ``proceed``. ``today`` (a date) is the day measures are overdue against (default: today);
    ``progress(step, done, total)`` reports long steps. Returns a ``CycleResult`` (each step's
    exit status, files written, warnings, errors; ``to_json()`` for a scheduler)."""
    from .steps.cycle import run_cycle

    return run_cycle(folder, check_period(period), proceed=proceed, today=today, progress=progress)
