"""``excelkort demo``: a whole synthetic month for all of Norway in a work folder (SPEC §8)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem
from ..inputs.catalogue import default_catalogue, write_catalogue_csv, write_unit_targets_csv
from ..inputs.extract import write_extract_csv
from ..inputs.register import demo_register, write_register_csv
from ..model import Unit
from ..period import check_period, shift
from ..xlsx.writer import period_datetime
from .newfiles import new_scorecard

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
    consolidation: object = None  # the ConsolidationResult: county units and Norway
    start_here: list[Path] = field(default_factory=list)  # the files a newcomer opens first


def build_demo(folder: str | Path, period: str = DEMO_PERIOD, seed: int = DEMO_SEED,
               progress=None) -> DemoSummary:
    """A whole synthetic month for all of Norway in a work folder (SPEC §8 ``demo``).

    Writes the register, the catalogue, per-unit targets, the month's extract and every
    office's målekort and tiltaksplan with the local values the office has typed; then runs
    the month's machine steps (``kontroll``, ``fyll``, ``konsolider``).
    """
    from .synth import generate_year

    period = check_period(period)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    register = demo_register()
    catalogue = default_catalogue()
    tree = register.tree(period)
    offices: list[Unit] = tree.offices()
    year = generate_year(catalogue, offices, int(period[:4]), seed=seed)
    summary = DemoSummary(folder, period, len(offices), len(tree.counties()), 0)
    extract_path, targets = _write_inputs(folder, register, catalogue, year, period, summary)
    workbooks = _write_offices(folder, register, catalogue, year, targets, offices, period, summary,
                               progress)
    _run_month(folder, register, catalogue, targets, extract_path, workbooks, period, summary)
    return summary


def _write_inputs(folder: Path, register, catalogue, year, period: str, summary: DemoSummary):
    """The work folder's register, catalogue, per-unit targets and the month's extract."""
    from .synth import extract_rows

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
    return extract_path, targets


def _write_offices(folder: Path, register, catalogue, year, targets, offices, period: str,
                   summary: DemoSummary, progress) -> list[Path]:
    """The office workbooks as last month ended: last month's delivery in, local values typed."""
    from .synth import extract_rows, local_values, typed_forms

    typed = local_values(year, catalogue, period)
    month = int(period[5:7])
    previous = shift(period, -1) if month > 1 else period
    delivered: dict[tuple[str, str], tuple[list, list]] = {}
    if month > 1:
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
        files = new_scorecard(office.id, previous, catalogue=catalogue,
                              register=register, targets=targets,
                              outdir=folder / "kontor" / office.id,
                              teller=teller, nevner=nevner, bare=bare, replace=True, **leader)
        workbooks.append(files.scorecard)
        summary.files += [files.scorecard, files.action_plan]
        if progress:
            progress(i + 1, len(offices))
    return workbooks


def _run_month(folder: Path, register, catalogue, targets, extract_path: Path,
               workbooks: list[Path], period: str, summary: DemoSummary) -> None:
    """This month's machine steps: the county checks the extract and fills it in, then the
    statistics officer consolidates the offices into the county units and Norway."""
    from .consolidate import consolidate
    from .control import run_control
    from .control_report import write_control_workbook
    from .fill import fill_workbooks

    summary.control = run_control(extract_path, (), catalogue, register)
    summary.files.append(write_control_workbook(
        summary.control, folder / "kontroll" / f"kontroll_{period}.xlsx"))

    summary.fill = fill_workbooks(extract_path, workbooks, catalogue, now=period_datetime(period))
    summary.warnings += summary.fill.warnings

    summary.consolidation = consolidate(folder / "kontor", register, catalogue, period,
                                        outdir=folder / "konsolidert", targets=targets)
    summary.files += summary.consolidation.written
    if summary.consolidation.history is not None:
        summary.files.append(summary.consolidation.history)
    (folder / "rapporter").mkdir(exist_ok=True)
    first = workbooks[0] if workbooks else None
    nation = next((cu.path for cu in summary.consolidation.units.values() if cu.unit.level == "nasjonal"), None)
    summary.start_here = [p for p in (first, nation, folder / "kontroll" / f"kontroll_{period}.xlsx")
                          if p is not None and p.exists()]
