"""``excelkort demo``: a whole synthetic month for all of Norway in a work folder (SPEC §8)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem
from ..inputs.catalogue import default_catalogue, write_catalogue_csv, write_unit_targets_csv
from ..inputs.extract import write_extract_csv
from ..inputs.register import demo_register, write_register_csv
from ..actionplan.layout import ACTION_HEADER_ROW, ACTION_SHEET, column_of
from ..actionplan.reader import date_serial
from ..model import Catalogue, Unit
from ..period import check_period, shift
from ..runlock import folder_lock
from ..xlsx.refs import cell_ref
from ..xlsx.workbookpatch import patch_workbook
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
    measures: object = None  # the MeasuresBatch of ``tiltak`` over every unit
    reports: object = None  # the ReportBatch: a statusrapport for every unit
    cycle: object = None  # the CycleResult of the month's steps (``syklus``)


def build_demo(folder: str | Path, period: str = DEMO_PERIOD, seed: int = DEMO_SEED,
               progress=None, run_month: bool = True) -> DemoSummary:
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
    with folder_lock(folder, "demo"):  # one lock for the whole folder: the steps' own pass through
        _, targets = _write_inputs(folder, register, catalogue, year, period, summary)
        workbooks = _write_offices(folder, register, catalogue, year, targets, offices, period,
                                   summary, progress)
        if run_month:  # False: the work folder as the month begins (the cycle benchmark runs it)
            _run_month(folder, workbooks, period, summary)
    return summary


def _write_inputs(folder: Path, register, catalogue, year, period: str, summary: DemoSummary):
    """The work folder's register, catalogue, per-unit targets and the month's extract."""
    from .synth_forms import extract_rows

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
    from .synth_forms import extract_rows, local_values, typed_forms

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
        type_measures(files.action_plan, demo_measures(period, catalogue, i))  # some leaders' measures
        workbooks.append(files.scorecard)
        summary.files += [files.scorecard, files.action_plan]
        if progress:
            progress(i + 1, len(offices))
    return workbooks


def _run_month(folder: Path, workbooks: list[Path], period: str, summary: DemoSummary) -> None:
    """This month's machine steps, as ``syklus`` runs them: the county checks the extract and
    fills it in, the offices are consolidated into the county units and Norway, every unit's
    tiltaksplan gets its proposals and every unit its statusrapport."""
    from .cycle import run_cycle

    summary.cycle = run_cycle(folder, period, today=demo_today(period))
    details = {step.name: step.detail for step in summary.cycle.steps}
    summary.control, summary.fill = details.get("kontroll"), details.get("fyll")
    summary.consolidation, summary.measures = details.get("konsolider"), details.get("tiltak")
    summary.reports = details.get("rapport")
    summary.warnings += summary.fill.warnings
    summary.files += summary.cycle.files
    first = workbooks[0] if workbooks else None
    nation = next((cu.path for cu in summary.consolidation.units.values() if cu.unit.level == "nasjonal"), None)
    summary.start_here = [p for p in (first, nation, folder / "kontroll" / f"kontroll_{period}.xlsx")
                          if p is not None and p.exists()]


# -- measures the demo's leaders have typed into their tiltaksplan -----------------------------
DEMO_MEASURE_CYCLE = 10  # offices 3, 13, 23 … have measures (the cycle of DEMO_LEADER_INPUT)
DEMO_MEASURE_OFFSET = 3


def demo_today(period: str) -> dt.date:
    """The date ``tiltak`` runs on in the demo (Frist is compared with it): the period's first
    day, as the demo's other files are dated by the period, never the clock."""
    return period_datetime(period).date()


def demo_measures(period: str, catalogue: Catalogue, index: int) -> list[dict[str, object]]:
    """The measures the leader of the demo's office number ``index`` has typed into the
    tiltaksplan before ``period``'s numbers came (label → value, as a person types them:
    dates as date cells, one typed as text): one under way that started months ago, one
    overdue and one Fullført. Most offices have none ([]); deterministic by ``index``."""
    if index % DEMO_MEASURE_CYCLE != DEMO_MEASURE_OFFSET:
        return []
    # indicators that are in the målekort every month from January (so Verdi ved start and
    # Verdi nå both have a number and differ)
    monthly = [ind for ind in catalogue if ind.is_automatic and ind.lag == 0
               and len(ind.reporting_months) == 12]
    first, second, third = (monthly[(index // DEMO_MEASURE_CYCLE + k) % len(monthly)] for k in range(3))
    year, month = int(period[:4]), int(period[5:7])
    today = demo_today(period)

    def day(m: int, d: int = 1) -> dt.date:
        return dt.date(year, max(1, m), d)

    return [
        {"Nr": 1, "Indikator": f"{first.id} {first.name}", "Tiltak": "Ukentlige oppfølgingsmøter "
         "med veilederne", "Ansvarlig": "Kari Nordmann", "Start": date_serial(day(month - 5)),
         "Frist": date_serial(dt.date(year, 12, 31)), "Status": "Pågår",
         "Forventet effekt": "Bedre resultat før årsskiftet",
         "Sist oppdatert": date_serial(day(month - 1, 15))},
        {"Nr": 2, "Indikator": f"{second.id} {second.name}", "Tiltak": "Rydde restanser",
         "Ansvarlig": "Ola Hansen", "Start": date_serial(day(month - 4)),
         "Frist": date_serial(today - dt.timedelta(days=31)), "Status": "Pågår",
         "Forventet effekt": "Kortere ventetid", "Kommentar": "Forsinket av sykefravær",
         "Sist oppdatert": date_serial(day(month - 2, 10))},
        {"Nr": 3, "Indikator": f"{third.id} {third.name}", "Tiltak": "Opplæring i nye rutiner",
         "Ansvarlig": "Kari Nordmann", "Start": day(month - 8, 15).strftime("%d.%m.%Y"),
         "Frist": date_serial(day(month - 3, 28)), "Status": "Fullført",
         "Forventet effekt": "Færre feil i vedtakene",
         "Sist oppdatert": date_serial(day(month - 3, 28))},
    ]


def type_measures(path: str | Path, rows: list[dict[str, object]]) -> None:
    """Type ``rows`` (label → value) into a tiltaksplan made from the template, from the first
    row under the header, as a person would: values into cells, in place."""
    edits = {cell_ref(ACTION_HEADER_ROW + 1 + i, column_of(label)): value
             for i, row in enumerate(rows) for label, value in row.items()}
    if edits:
        patch_workbook(path, edits={ACTION_SHEET: edits})
