"""The Python API a statistics officer can script; the command line is a thin layer over it.

One function per command, each returning a result object a script can use:

=====================  ===============  ===================================================
function               command          returns
=====================  ===============  ===================================================
``new_scorecard``      ``ny``           ``NewFiles`` (the målekort and tiltaksplan paths)
``build_demo``         ``demo``         ``DemoSummary``
``fill``               ``fyll``         ``FillReport`` (changed, unchanged, rejected …)
``control``            ``kontroll``     ``ControlResult`` (the report and the workbook)
``validate``           ``sjekk``        ``list[CheckResult]``, one per file
``restore``            ``gjenopprett``  ``RestoreResult``
``consolidate``        ``konsolider``   ``ConsolidationResult`` (files, delivery, rejected)
``report``             ``rapport``      ``ReportResult`` (the deck, written or unchanged)
``report_all``         ``rapport --alle``  ``ReportBatch`` (decks, rejected, skipped)
=====================  ===============  ===================================================

and the inputs every command resolves the same way (SPEC §3, §8): ``load_catalogue``,
``load_register``, ``load_unit_targets``; ``history`` returns the consolidation history as a
pandas DataFrame. Errors are ``excelkort.errors.InputError`` (the
user's input is wrong; nothing was done) or another ``ExcelkortError``; every message is
Norwegian and names the file. Example, inside a work folder made by ``excelkort demo``::

    from excelkort import api
    files = api.new_scorecard("0101", "2026-10", outdir="kontor/0101", replace=True)
    report = api.fill("uttrekk/uttrekk_2026-10.csv", [files.scorecard])
    print(len(report.changed), "målekort oppdatert")
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .inputs.catalogue import resolve_catalogue, resolve_unit_targets
from .inputs.register import Register, demo_register, resolve_register
from .errors import InputError, Problem
from .model import Catalogue
from .period import check_period
from .steps.demo import DEMO_PERIOD, DEMO_SEED, DemoSummary
from .steps.newfiles import NewFiles, action_plan_name, new_scorecard, scorecard_name

__all__ = [
    "VERSION", "DEMO_PERIOD", "DEMO_SEED", "check_period",
    "load_catalogue", "load_register", "load_unit_targets",
    "new_scorecard", "scorecard_name", "action_plan_name", "NewFiles",
    "build_demo", "DemoSummary", "fill", "control", "ControlResult", "validate", "restore",
    "consolidate", "history", "report", "report_all",
]

VERSION = __version__


# -- the inputs a command uses -------------------------------------------------------------------
def load_catalogue(katalog: str | Path | None = None, workdir: str | Path | None = None) -> Catalogue:
    """The indicator catalogue: ``katalog`` where given, else ``indikatorer.csv`` in
    ``workdir`` (default: the current folder), else the package's default."""
    return resolve_catalogue(katalog, Path.cwd() if workdir is None else workdir)


def load_register(register: str | Path | None = None, workdir: str | Path | None = None, *,
                  demo_fallback: bool = False) -> Register | None:
    """The unit register: ``register`` where given, else ``enheter.csv``/``.xlsx`` in
    ``workdir``; else the demo register with ``demo_fallback``, or None."""
    found = resolve_register(register, Path.cwd() if workdir is None else workdir)
    if found is None and demo_fallback:
        return demo_register()
    return found


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
    (default ``kontroll_<periode>.xlsx`` beside the extract)."""
    from .steps.control import run_control
    from .steps.control_report import write_control_workbook

    catalogue = catalogue if catalogue is not None else load_catalogue()
    register = register if register is not None else load_register(demo_fallback=True)
    report = run_control(extract, list(previous), catalogue, register)
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


def restore(path: str | Path):
    """Put back the newest backup of a file excelkort changed (``gjenopprett``); the
    current version is kept as a backup too. Returns a ``RestoreResult``."""
    from .steps.restore import restore as _restore

    return _restore(path)


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


def history(workdir: str | Path, year: int | None = None):
    """The consolidation history (``historikk/målekort_<år>.parquet``) as a tidy pandas
    DataFrame: enhet, nivå, periode, indikator, teller, nevner, verdi, status, kilde. Without
    ``year``, every year in the folder."""
    from .steps.history import read_history

    return read_history(workdir, year)


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
