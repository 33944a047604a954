"""``excelkort syklus``: the month's machine steps on a work folder, in order (SPEC §1, §8).

kontroll → fyll → konsolider → tiltak → rapport: the county checks the extract, fills it into
the offices' målekort, consolidates them into the county units and Norway, proposes measures in
every unit's tiltaksplan and writes every unit's statusrapport. It stops before ``fyll`` when
the check finds errors in the extract, unless told to go on (``proceed``).

Which files a step wrote is measured, not reported by the step: the work folder is listed
(size and modification time of each file, backups left out) before and after each step. So a
second run with the same inputs can be seen to change no file.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EXIT_OK, EXIT_PARTIAL, InputError, Problem, count_word
from ..runlock import folder_lock

STEPS = ("kontroll", "fyll", "konsolider", "tiltak", "rapport")
EXTRACT_SUFFIXES = (".csv", ".xlsx", ".parquet")
BACKUP_FOLDER = ".excelkort"


@dataclass
class StepResult:
    """One step of the cycle: its exit status, the files it wrote and its own summary."""

    name: str
    exit_code: int = EXIT_OK
    files: list[Path] = field(default_factory=list)  # new or changed (backups not counted)
    warnings: int = 0
    errors: int = 0
    seconds: float = 0.0
    lines: list[str] = field(default_factory=list)  # the step's summary, Norwegian
    detail: object = field(default=None, repr=False)  # the step's own result object


@dataclass
class CycleResult:
    """The month's run: each step, where it stopped, and what the county chases."""

    folder: Path
    period: str
    steps: list[StepResult] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped before fyll (errors in the extract)
    not_delivered: list[str] = field(default_factory=list)  # «0101 Nav Halden-Aremark: mangler»
    worst: list[str] = field(default_factory=list)  # the check's worst findings

    @property
    def exit_code(self) -> int:
        return max([EXIT_PARTIAL if self.stopped else EXIT_OK] + [s.exit_code for s in self.steps])

    @property
    def files(self) -> list[Path]:
        return sorted({f for s in self.steps for f in s.files})

    def step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.name == name), None)

    def to_json(self) -> dict:
        """A machine-readable summary for a script or a scheduler."""
        return {
            "kommando": "syklus", "mappe": str(self.folder), "periode": self.period,
            "avslutningskode": self.exit_code,
            "stoppet": self.stopped,
            "steg": [{"navn": s.name, "avslutningskode": s.exit_code, "sekunder": round(s.seconds, 2),
                      "filer_skrevet": [str(f) for f in s.files], "advarsler": s.warnings,
                      "feil": s.errors} for s in self.steps],
            "filer_skrevet": len(self.files),
            "ikke_levert": self.not_delivered,
        }


def find_extract(folder: Path, period: str) -> Path:
    """The month's extract: ``uttrekk/uttrekk_<periode>`` (.csv, .xlsx or .parquet)."""
    for suffix in EXTRACT_SUFFIXES:
        path = folder / "uttrekk" / f"uttrekk_{period}{suffix}"
        if path.is_file():
            return path
    raise InputError(Problem(
        f"Fant ikke månedens uttrekk: {folder / 'uttrekk' / f'uttrekk_{period}.csv'} (eller .xlsx, "
        ".parquet). Legg uttrekket der, eller sjekk perioden.", file=str(folder)))


def _listing(folder: Path) -> dict[Path, tuple[int, int]]:
    """Every file of the work folder (backups and lock files left out) → (size, mtime)."""
    out = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != BACKUP_FOLDER]
        for name in files:
            if name.startswith(("~$", ".~")):
                continue
            path = Path(root) / name
            st = path.stat()
            out[path] = (st.st_size, st.st_mtime_ns)
    return out


@dataclass
class _Month:
    """What every step of one run needs: the work folder, its inputs and the result so far."""

    folder: Path
    period: str
    extract: Path
    catalogue: object
    register: object
    targets: dict
    today: dt.date
    result: CycleResult


def run_cycle(folder: str | Path, period: str, *, proceed: bool = False, today: dt.date | None = None,
              progress=None) -> CycleResult:
    """Run the month's steps on the work folder ``folder`` for ``period`` (``ÅÅÅÅ-MM``).

    ``proceed`` fills even when the check finds errors in the extract; ``today`` is the day
    measures are overdue against (default: the clock's date); ``progress(step, done, total)``
    is called on long steps. Raises InputError when the work folder lacks what the month
    needs (the extract, the register); one bad office file is one rejected file in its step.
    """
    from ..inputs.catalogue import resolve_catalogue, resolve_unit_targets
    from ..inputs.register import resolve_register

    folder = Path(folder)
    with folder_lock(folder, "syklus"):
        extract = find_extract(folder, period)
        catalogue = resolve_catalogue(None, folder)
        month = _Month(folder, period, extract, catalogue, resolve_register(None, folder, required=True),
                       resolve_unit_targets(None, folder, catalogue), today or dt.date.today(),
                       CycleResult(folder, period))
        checked = _step(month, "kontroll", _control, progress)
        if checked.errors and not proceed:
            month.result.stopped = (
                f"Kontrollen fant {count_word(checked.errors, 'feil', 'feil')} i uttrekket, så fyll og de "
                "neste stegene ble ikke kjørt. Rett uttrekket, eller kjør med --fortsett for å fylle "
                "likevel (radene med feil blir ikke fylt).")
            return month.result
        for name, run in (("fyll", _fill), ("konsolider", _consolidate), ("tiltak", _measures),
                          ("rapport", _reports)):
            _step(month, name, run, progress)
        return month.result


def _step(month: _Month, name: str, run, progress) -> StepResult:
    """Run one step, timing it and listing the files it wrote."""
    before = _listing(month.folder)
    start = time.perf_counter()
    outcome = StepResult(name)
    run(month, outcome, (lambda done, total: progress(name, done, total)) if progress else None)
    outcome.seconds = time.perf_counter() - start
    after = _listing(month.folder)
    outcome.files = sorted(p for p, stamp in after.items() if before.get(p) != stamp)
    month.result.steps.append(outcome)
    return outcome


def _control(month: _Month, out: StepResult, bar) -> None:
    from .control import run_control
    from .control_report import summary_lines, write_control_workbook

    folder = month.folder
    history = folder if (folder / "historikk").is_dir() else None
    report = run_control(month.extract, (), month.catalogue, month.register, history=history)
    counts = report.count_by_severity()
    out.detail, out.errors, out.warnings = report, counts.get("feil", 0), counts.get("advarsel", 0)
    out.exit_code = EXIT_PARTIAL if out.errors else EXIT_OK
    out.lines = summary_lines(report)
    month.result.worst = out.lines[2:]
    try:  # the findings stand (and gate fyll) when their workbook cannot be written
        write_control_workbook(report, folder / "kontroll" / f"kontroll_{month.period}.xlsx")
    except InputError as exc:
        out.exit_code = EXIT_PARTIAL
        out.lines += [f"Avvist: {p}" for p in exc.problems]


def _fill(month: _Month, out: StepResult, bar) -> None:
    from .consolidate_read import candidate_files
    from .fill import fill_workbooks

    workbooks = [p for p in candidate_files(month.folder / "kontor") if p.name.startswith("målekort_")]
    report = fill_workbooks(month.extract, workbooks, month.catalogue, progress=bar)
    out.detail, out.warnings, out.errors = report, len(report.warnings), len(report.rejected)
    out.exit_code = EXIT_PARTIAL if report.rejected else EXIT_OK
    out.lines = [f"{count_word(len(report.changed), 'målekort', 'målekort')} oppdatert, "
                 f"{len(report.unchanged)} uendret, {len(report.rejected)} avvist"]
    out.lines += [f"Avvist: {reason}" for _, reason in report.rejected]


def _consolidate(month: _Month, out: StepResult, bar) -> None:
    from .consolidate import consolidate

    cons = consolidate(month.folder / "kontor", month.register, month.catalogue, month.period,
                       outdir=month.folder / "konsolidert", targets=month.targets, progress=bar)
    out.detail, out.warnings, out.errors = cons, len(cons.warnings), len(cons.rejected)
    out.exit_code = cons.exit_code
    out.lines = [f"{count_word(len(cons.units), 'konsolidert målekort', 'konsoliderte målekort')}, "
                 f"{len(cons.rejected)} avvist"]
    out.lines += [f"Avvist: {path.name}: {reason}" for path, reason in cons.rejected]
    names = {u.id: u.name for u in month.register.tree(month.period).offices()}
    month.result.not_delivered = [f"{unit_id} {names.get(unit_id, '')}".strip() + f": {status}"
                                  for unit_id, status in sorted(cons.delivery.items()) if status != "levert"]


def _measures(month: _Month, out: StepResult, bar) -> None:
    from .plan_measures import plan_measures_all

    batch = plan_measures_all(month.folder, today=month.today, progress=bar)
    out.detail, out.errors = batch, len(batch.rejected)
    out.warnings = sum(len(r.warnings) for r in batch.results)
    out.exit_code = batch.exit_code
    out.lines = [f"{sum(len(r.proposals) for r in batch.results)} forslag og "
                 f"{sum(len(r.overdue) for r in batch.results)} forfalte tiltak i "
                 f"{len(batch.results)} tiltaksplaner, {len(batch.rejected)} avvist"]


def _reports(month: _Month, out: StepResult, bar) -> None:
    from ..report.run import report_all

    batch = report_all(month.folder, month.folder / "rapporter", progress=bar)
    out.detail, out.errors = batch, len(batch.rejected)
    out.warnings = sum(len(d.warnings) for d in batch.decks)
    out.exit_code = EXIT_PARTIAL if batch.rejected else EXIT_OK
    out.lines = [f"{count_word(len(batch.decks), 'statusrapport', 'statusrapporter')}, "
                 f"{len(batch.rejected)} avvist"]
