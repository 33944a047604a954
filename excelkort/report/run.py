"""``rapport``: one statusrapport deck, or one for every målekort under a folder (SPEC §8).

A deck is written atomically and only when its bytes change; one målekort that cannot be read
is one rejected file, never a stopped run. Big batches use worker processes (both cores).
"""
from __future__ import annotations

import datetime as dt
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_bytes_atomic
from ..errors import InputError, Problem, internal_file_error
from ..files import ZIP_ERRORS
from ..runlock import folders_lock, process_pool
from ..steps.consolidate_read import candidate_files
from ..steps.fill import default_workers, other_workbook_kind
from .content import deck_content
from .deck import build_deck
from .source import read_source
from .template import default_template

LINES = ("statlig", "kommunal")


def deck_name(unit_id: str, period: str, line: str | None = None) -> str:
    """``statusrapport_<enhet>_<periode>.pptx`` (``_<linje>`` before the suffix with a line)."""
    return f"statusrapport_{unit_id}_{period}" + (f"_{line}" if line else "") + ".pptx"


def load_template(template: str | Path | None) -> bytes:
    """The template's bytes (default ``templates/status.pptx``); InputError when it is no pptx."""
    path = Path(template) if template is not None else default_template()
    try:
        data = path.read_bytes()
        with zipfile.ZipFile(path) as z:
            ok = "ppt/presentation.xml" in z.namelist()
    except ZIP_ERRORS:
        ok = False
    if not ok:
        raise InputError(Problem("Malen kan ikke leses som en PowerPoint-fil (.pptx). Oppgi en "
                                 ".pptx lagret fra PowerPoint, eller la være å oppgi mal.",
                                 file=str(path)))
    return data


def _check_line(line: str | None) -> str | None:
    if line is not None and line not in LINES:
        raise InputError(Problem(f"Ukjent styringslinje «{line}». Bruk statlig eller kommunal."))
    return line


@dataclass
class ReportResult:
    """One deck: where it went, whether its bytes changed, and what reading found."""

    path: Path
    written: bool
    slides: int
    unit_id: str
    period: str
    warnings: list[Problem] = field(default_factory=list)


def make_report(scorecard: str | Path, action_plan: str | Path | None = None, line: str | None = None,
                output: str | Path | None = None, *, template: bytes | str | Path | None = None,
                today: dt.date | None = None, outdir: str | Path | None = None) -> ReportResult:
    """Read a målekort (and its tiltaksplan) and write its deck."""
    line = _check_line(line)
    tpl = template if isinstance(template, bytes) else load_template(template)
    source = read_source(scorecard, action_plan, line, today)
    inputs = source.inputs
    slides = deck_content(inputs)
    title = f"Statusrapport {inputs.unit_name or inputs.unit_id} {inputs.period}"
    data, count = build_deck(slides, tpl, inputs.period, title)
    name = deck_name(inputs.unit_id, inputs.period, line)
    if output is not None:
        path = Path(output)
    else:
        path = (Path(outdir) if outdir is not None else Path(scorecard).parent) / name
    written = write_bytes_atomic(path, data)
    return ReportResult(path, written, count, inputs.unit_id, inputs.period, source.warnings)


@dataclass
class ReportBatch:
    """``rapport --alle``: the decks written, unchanged, and the files rejected or skipped."""

    decks: list[ReportResult] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def written(self) -> list[Path]:
        return [d.path for d in self.decks if d.written]

    @property
    def unchanged(self) -> list[Path]:
        return [d.path for d in self.decks if not d.written]

    @property
    def exit_code(self) -> int:
        return 3 if self.rejected else 0


_WORKER: dict = {}


def _init(options: dict) -> None:
    _WORKER.clear()
    _WORKER.update(options)


def _one(path: Path):
    """(path, ReportResult | None, rejected reason | None, skipped note | None)."""
    try:
        return path, make_report(path, **_WORKER), None, None
    except InputError as exc:
        kind = other_workbook_kind(path) if path.exists() else None
        if kind:
            return path, None, None, f"{path.name} er en {kind}, ikke et målekort."
        return path, None, "; ".join(p.message if p.file in (None, str(path)) else str(p)
                                     for p in (exc.errors or exc.problems)), None
    except OSError as exc:
        return path, None, f"Filen kan ikke leses ({exc.__class__.__name__}: {exc}).", None
    except Exception as exc:  # noqa: BLE001 - one odd file never stops the run
        return path, None, internal_file_error(path, "i rapport", exc), None


MSG_SAME_NAME = ("{count} målekort heter {name} ({paths}) og ville gitt den samme statusrapporten i "
                 "utmappen; ingen av dem får rapport. Flytt eller slett de som ikke hører hjemme her, "
                 "og kjør på nytt.")


def _one_per_name(paths: list[Path], folder: Path, batch: ReportBatch) -> list[Path]:
    """The paths whose file name no other path has; the others rejected (their decks would
    overwrite each other in one output folder, whichever came last)."""
    by_name: dict[str, list[Path]] = {}
    for path in paths:
        by_name.setdefault(path.name, []).append(path)
    keep = []
    for path in paths:
        same = by_name[path.name]
        if len(same) == 1:
            keep.append(path)
            continue
        shown = ", ".join(str(p.relative_to(folder)) if p.is_relative_to(folder) else str(p) for p in same)
        batch.rejected.append((path, MSG_SAME_NAME.format(count=len(same), name=path.name, paths=shown)))
    return keep


def report_all(folder: str | Path, outdir: str | Path | None = None, progress=None,
               workers: int | None = None, *, line: str | None = None,
               template: str | Path | None = None, today: dt.date | None = None) -> ReportBatch:
    """A deck for every målekort under ``folder`` (offices, county units, the nation)."""
    folder = Path(folder)
    with folders_lock([folder] + ([outdir] if outdir is not None else []), "rapport --alle"):
        options = {"line": _check_line(line), "template": load_template(template), "today": today,
                   "outdir": Path(outdir) if outdir is not None else None}
        paths = candidate_files(folder, Path(outdir) if outdir is not None else None)
        batch = ReportBatch()
        if outdir is not None:  # every deck in one folder: two målekort of one name, one deck
            paths = _one_per_name(paths, folder, batch)
        workers = workers or default_workers(len(paths))
        with ExitStack() as stack:
            if workers <= 1:
                _init(options)
                outcomes = map(_one, paths)
            else:
                pool = stack.enter_context(process_pool(workers, _init, (options,)))
                outcomes = pool.map(_one, paths, chunksize=4)
            for i, (path, result, rejected, skipped) in enumerate(outcomes, start=1):
                if result is not None:
                    batch.decks.append(result)
                elif skipped:
                    batch.skipped.append((path, skipped))
                else:
                    batch.rejected.append((path, rejected))
                if progress:
                    progress(i, len(paths))
        return batch
