"""What goes on the statusrapport's slides (SPEC §5), decided without any file or geometry:
``deck_content`` turns a unit's numbers, its measures and (for county units and the nation) its
units side by side into a list of slide descriptions; ``report.deck`` places them.

Numbers are shown as the målekort shows them (rounded to Desimaler, decimal comma); a status is
always a colour *and* its word, a trend an arrow *and* its word (SPEC §4 "never colour alone").
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..actionplan.reader import Measure
from ..model import MONTHS, PERSPECTIVES, Indicator
from ..numbers.rules import GREEN, GREY, HIGH, RED, YELLOW, Result, effective_risk, round_shown
from .fit import Para

STATUS_ORDER = (GREEN, YELLOW, RED, GREY)
MONTH_NAMES = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
               "oktober", "november", "desember")
LEVEL_WORDS = {"kontor": "Nav-kontor", "fylke": "Fylkesenhet", "nasjonal": "Nasjonalt"}
KEY_COLUMNS = 7  # indicators per units-side-by-side slide


# --- what the deck is made from -------------------------------------------------------------------

@dataclass
class IndicatorLine:
    """One indicator of the unit: its definition, its numbers and what people wrote."""

    ind: Indicator
    result: Result
    risk_assessed: str | None = None
    comment: str = ""
    last_year: tuple | None = None  # 12 month values of last year (history), None when unknown

    @property
    def risk(self) -> str | None:
        return effective_risk(self.risk_assessed, self.result.risk)

    @property
    def on_slide(self) -> bool:
        """rød, or Høy risk: the indicator gets a slide of its own."""
        return self.result.status == RED or self.risk == HIGH


@dataclass
class UnitRow:
    """One unit in the units-side-by-side table: Hittil i år shown and status per indicator."""

    unit_id: str
    name: str
    cells: dict[str, tuple[str, str]]  # indicator → (value as shown, status)
    total: bool = False  # the consolidated unit itself (first row)


@dataclass
class ReportInputs:
    unit_id: str
    unit_name: str
    level: str  # kontor / fylke / nasjonal
    period: str
    indicators: list[IndicatorLine]
    month_comment: str = ""
    line: str | None = None  # Styringslinje kept (statlig / kommunal), None = all
    measures: list[Measure] | None = None  # None: no tiltaksplan found
    plan_name: str = ""
    source_name: str = ""
    today: dt.date | None = None  # «overdue» means a Frist before this day
    units: list[UnitRow] = field(default_factory=list)  # county units and the nation
    unit_indicators: list[Indicator] = field(default_factory=list)  # every indicator of ``units``


# --- what a slide holds ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    text: str
    status: str | None = None  # fill the cell with this status's colour
    bold: bool = False
    colour: str | None = None  # text colour of a status (a trend's arrow)


@dataclass(frozen=True)
class Column:
    label: str
    weight: float  # share of the table's width
    align: str = "l"  # l / c / r
    max_lines: int = 1  # longer text is cut with «…»


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Cell]]
    group_rows: set[int] = field(default_factory=set)  # perspective headings (bold, shaded)
    header: list[Cell] | None = None  # header cells (default: the column labels)
    size: float = 11.0  # font size of the rows (the header one point smaller)


@dataclass
class TitleSlide:
    title: str
    subtitle: str
    note: str
    layout: str = "title"


@dataclass
class OverviewSlide:
    title: str
    table: Table
    comment: list[Para]
    legend: str
    layout: str = "overview"
    empty: str = ""


@dataclass
class TableSlide:
    layout: str  # table / measures / units
    title: str
    table: Table
    legend: str
    empty: str = ""  # said where the table would be when it has no rows


@dataclass
class ChartSeries:
    name: str
    values: tuple  # 12 × float | None
    style: str  # this_year / last_year / target / prognosis


@dataclass
class Chart:
    categories: tuple[str, ...]
    series: list[ChartSeries]
    number_format: str  # of the values in the chart's workbook
    axis_format: str  # of the value axis


@dataclass
class IndicatorSlide:
    title: str
    chart: Chart
    facts: list[Para]
    measures: list[Para]
    legend: str
    layout: str = "indicator"


# --- numbers as text ------------------------------------------------------------------------------

def fmt_number(x: float, decimals: int) -> str:
    """58.25 → «58,3»; 1234 → «1 234» (a no-break space groups thousands)."""
    text = f"{round_shown(x, decimals):,.{decimals}f}"
    return text.replace(",", "\u00a0").replace(".", ",").replace("-", "\u2212")


def fmt_value(ind: Indicator, x) -> str:
    """A value in the indicator's unit as the målekort shows it; words as they are."""
    if x is None or x == "":
        return ""
    if isinstance(x, str):
        return x
    text = fmt_number(x, ind.decimals)
    return text + "\u00a0%" if ind.measure == "andel" else text


def fmt_date(d: dt.date | None) -> str:
    return d.strftime("%d.%m.%Y") if d else ""


def period_words(period: str) -> str:
    """«2026-10» → «oktober 2026»."""
    return f"{MONTH_NAMES[int(period[5:7]) - 1]} {period[:4]}"


def period_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:7])
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _line_words(line: str | None) -> str:
    return f"styringslinje {line} (og felles)" if line else "alle styringslinjer"


# --- the slides -------------------------------------------------------------------------------------

def deck_content(inputs: ReportInputs) -> list:
    """Every slide of the deck, in order."""
    slides: list = [title_slide(inputs), overview_slide(inputs), scorecard_table(inputs)]
    slides += [indicator_slide(inputs, line) for line in inputs.indicators if line.on_slide]
    slides.append(measures_slide(inputs))
    if inputs.level in ("fylke", "nasjonal") and inputs.units:
        slides += units_slides(inputs)
        slides.append(ranking_slide(inputs))
    return slides


def title_slide(inputs: ReportInputs) -> TitleSlide:
    level = LEVEL_WORDS.get(inputs.level, inputs.level)
    subtitle = f"{inputs.unit_name or inputs.unit_id} ({inputs.unit_id}) · {level}"
    if inputs.line:
        subtitle += f" · styringslinje {inputs.line}"
    note = (f"Tall per {period_words(inputs.period)} fra {inputs.source_name or 'målekortet'}"
            + (f" og {inputs.plan_name}" if inputs.plan_name else "")
            + ". Laget med excelkort.")
    return TitleSlide(f"Statusrapport {period_words(inputs.period)}", subtitle, note)


def _status_header(first: str, extra: tuple[str, ...] = ()) -> tuple[list[Column], list[Cell]]:
    columns = [Column(first, 2.2)] + [Column(s, 1, "c") for s in STATUS_ORDER]
    columns += [Column(x, 1.3, "c") for x in extra]
    header = [Cell(first)] + [Cell(s, status=s, bold=True) for s in STATUS_ORDER]
    header += [Cell(x) for x in extra]
    return columns, header


def overview_slide(inputs: ReportInputs) -> OverviewSlide:
    columns, header = _status_header("Perspektiv", ("Høy risiko",))
    rows = []
    for perspective in PERSPECTIVES + ("Totalt",):
        lines = [x for x in inputs.indicators if perspective in ("Totalt", x.ind.perspective)]
        if not lines:
            continue
        counts = [sum(1 for x in lines if x.result.status == s) for s in STATUS_ORDER]
        high = sum(1 for x in lines if x.risk == HIGH)
        total = perspective == "Totalt"
        rows.append([Cell(perspective, bold=total)] + [Cell(str(c), bold=total) for c in counts]
                    + [Cell(str(high), bold=total)])
    comment = inputs.month_comment.strip()
    paras = [Para("Leders kommentar", bold=True, scale=1.1),
             Para(comment or "Ingen månedskommentar er skrevet i målekortet.", space_before=4)]
    legend = (f"Antall indikatorer per status for hittil i år ({_line_words(inputs.line)}). "
              "Høy risiko: Risiko (vurdering) Høy, eller forslaget Høy der enheten ikke har vurdert.")
    return OverviewSlide(f"Oversikt – {period_words(inputs.period)}",
                         Table(columns, rows, header=header, size=14), paras, legend)


def scorecard_table(inputs: ReportInputs) -> TableSlide:
    columns = [Column("ID", 0.55), Column("Indikator", 4.6, max_lines=2), Column("Mål", 1, "r"),
               Column("Hittil i år", 1.15, "r"), Column("Status", 0.9, "c"),
               Column("Trend", 1.45, "l"), Column("Prognose", 1.1, "r"),
               Column("Risiko", 1.05, "c")]
    rows: list[list[Cell]] = []
    groups: set[int] = set()
    for perspective in PERSPECTIVES:
        lines = [x for x in inputs.indicators if x.ind.perspective == perspective]
        if not lines:
            continue
        groups.add(len(rows))
        rows.append([Cell(""), Cell(perspective, bold=True)] + [Cell("")] * 6)
        for x in lines:
            r = x.result
            target = r.target if r.target is not None else x.ind.target
            rows.append([
                Cell(x.ind.id), Cell(x.ind.name), Cell(fmt_value(x.ind, target)),
                Cell(fmt_value(x.ind, r.ytd)), Cell(r.status, status=r.status),
                Cell(r.trend, colour=r.trend_colour), Cell(fmt_value(x.ind, r.prognosis)),
                Cell(x.risk or "", bold=x.risk == HIGH)])
    legend = ("Status for hittil i år mot målet: grønn = nådd, gul = innenfor toleransen, rød = "
              "utenfor, grå = ingen tall. Trend: siste måned mot snittet av de tre før. Prognose: "
              "hittil i år ved årets slutt. Risiko: vurderingen, ellers forslaget.")
    return TableSlide("table", f"Målekortet – {period_words(inputs.period)}",
                      Table(columns, rows, groups), legend)


def _chart(x: IndicatorLine, period: str) -> Chart:
    """This year's months, last year's (history), the month target and the prognose, over the
    indicator's reporting months (Jan…Des for måned, Mar/Jun/Sep/Des for kvartal, …)."""
    ind, r = x.ind, x.result
    months = ind.reporting_months
    year = int(period[:4])

    def pick(values) -> tuple:
        return tuple(values[m - 1] if isinstance(values[m - 1], (int, float)) else None for m in months)

    this_year = pick(r.month_values)
    series = [ChartSeries(str(year), this_year, "this_year")]
    if x.last_year and any(v is not None for v in pick(x.last_year)):
        series.append(ChartSeries(str(year - 1), pick(x.last_year), "last_year"))
    if r.month_target is not None:
        series.append(ChartSeries("Mål", tuple(r.month_target for _m in months), "target"))
    rate = prognosis_rate(x)
    last = r.last_month
    if rate is not None and last and last < months[-1]:
        values = [None] * 12
        values[last - 1] = r.month_values[last - 1]
        for m in months:
            if m > last:
                values[m - 1] = rate
        series.append(ChartSeries("Prognose", pick(values), "prognosis"))
    digits = "0" + ("." + "0" * ind.decimals if ind.decimals else "")
    if ind.measure == "andel":
        number_format, axis_format = digits + '" %"', '0" %"'
    elif ind.measure == "antall":
        number_format = axis_format = "#,##0"
    else:
        number_format = axis_format = digits
    return Chart(tuple(MONTHS[m - 1] for m in months), series, number_format, axis_format)


def prognosis_rate(x: IndicatorLine) -> float | None:
    """The month value the prognose continues with: the mean level of the last up to three
    months with data (SPEC §4 Prognose), as a month value; None without data."""
    r = x.result
    months = r.months_with_data[-3:]
    values = [r.month_values[m - 1] for m in months]
    values = [v for v in values if isinstance(v, (int, float))]
    if not values:
        return None
    if x.ind.ytd_mode == "siste" and isinstance(r.prognosis, (int, float)):
        return r.prognosis
    return sum(values) / len(values)


def _facts(x: IndicatorLine) -> list[Para]:
    ind, r = x.ind, x.result
    target = r.target if r.target is not None else ind.target
    req = r.requirement
    req_text = fmt_value(ind, req) if not isinstance(req, str) else req
    prob = r.probability
    prob_text = f"{round(prob * 100):d} %" if isinstance(prob, float) else (prob or "")
    risk_src = "vurdering" if x.risk_assessed else "forslag"
    paras = [
        Para(f"Hittil i år: {fmt_value(ind, r.ytd) or '–'} (mål {fmt_value(ind, target)})", bold=True),
        Para(f"Status: {r.status}"),
        Para(f"Trend: {r.trend}"),
        Para(f"Prognose for året: {fmt_value(ind, r.prognosis) or '–'}"),
        Para(f"Krav resten av året: {req_text or '–'}"),
        Para(f"Sannsynlighet for grønt år: {prob_text or '–'}"),
        Para(f"Risiko: {x.risk or '–'}" + (f" ({risk_src})" if x.risk else "")),
    ]
    if ind.goal:
        role = "effektindikator for" if ind.type == "Effekt" else "måleindikator som driver"
        paras.append(Para(f"Resultatkrav ({role}): {ind.goal}", space_before=6, scale=0.9))
    if x.comment:
        paras.append(Para(f"Kommentar: {x.comment}", space_before=6, scale=0.9))
    return paras


def _measure_line(m: Measure, today: dt.date | None) -> str:
    parts = [m.action or "(tiltaket er ikke beskrevet)"]
    if m.owner:
        parts.append(m.owner)
    if m.deadline:
        parts.append(f"frist {fmt_date(m.deadline)}")
    status = m.status or "uten status"
    if today and m.is_overdue(today):
        status += ", forfalt"
    return " – ".join(parts) + f" ({status})"


def measures_for(inputs: ReportInputs, ind_id: str) -> list[Measure]:
    """The indicator's measures: open ones first, then the rest, each in the plan's order."""
    own = [m for m in inputs.measures or [] if m.indicator_id == ind_id]
    return [m for m in own if m.is_open] + [m for m in own if not m.is_open]


def indicator_slide(inputs: ReportInputs, x: IndicatorLine) -> IndicatorSlide:
    paras = [Para("Tiltak i tiltaksplanen", bold=True)]
    if inputs.measures is None:
        paras.append(Para("Fant ingen tiltaksplan for enheten."))
    else:
        own = measures_for(inputs, x.ind.id)
        paras += [Para("• " + _measure_line(m, inputs.today)) for m in own] or [
            Para("Ingen tiltak for indikatoren. Legg inn et tiltak i tiltaksplanen "
                 "(excelkort tiltak foreslår ett).")]
    reason = "rød" if x.result.status == RED else "høy risiko"
    legend = (f"Vises fordi indikatoren er {reason}. Grafen: månedsverdier i år"
              + (" og i fjor" if x.last_year and any(v is not None for v in x.last_year) else "")
              + ", målet per måned og prognosen (snittet av de tre siste månedene året ut).")
    return IndicatorSlide(f"{x.ind.id} {x.ind.name}", _chart(x, inputs.period), _facts(x), paras,
                          legend)


def measures_slide(inputs: ReportInputs) -> TableSlide:
    columns = [Column("Nr", 0.5), Column("Indikator", 2.4, max_lines=2),
               Column("Tiltak", 4.0, max_lines=3), Column("Ansvarlig", 1.5, max_lines=2),
               Column("Frist", 1.05, "c"), Column("Status", 1.2, "c"), Column("Forfalt", 0.9, "c")]
    today = inputs.today
    keep = {x.ind.id for x in inputs.indicators}
    chosen = [m for m in inputs.measures or []
              if (m.is_open or (today and m.is_overdue(today))) and m.indicator_id in keep]
    chosen.sort(key=lambda m: not (today and m.is_overdue(today)))  # overdue first, else plan order
    rows = []
    for m in chosen:
        overdue = bool(today and m.is_overdue(today))
        rows.append([Cell(m.nr), Cell(m.indicator), Cell(m.action), Cell(m.owner),
                     Cell(fmt_date(m.deadline)), Cell(m.status),
                     Cell("forfalt" if overdue else "", status=RED if overdue else None)])
    legend = (f"Åpne tiltak (Ikke startet, Pågår) og tiltak med frist før {fmt_date(today)} som "
              "ikke er fullført eller avbrutt (forfalte først)"
              + (f", fra {inputs.plan_name}." if inputs.plan_name else "."))
    if inputs.measures is None:
        empty = ("Fant ingen tiltaksplan for enheten (tiltaksplan_<enhet>_<år>.xlsx ved siden av "
                 "målekortet, eller --tiltaksplan F).")
    else:
        empty = "Ingen åpne eller forfalte tiltak i tiltaksplanen."
    return TableSlide("measures", "Åpne og forfalte tiltak", Table(columns, rows), legend, empty)


def key_indicators(inputs: ReportInputs) -> list[Indicator]:
    """The units table's columns: the effect indicators (all when there are none)."""
    kept = {x.ind.id for x in inputs.indicators}
    chosen = [i for i in inputs.unit_indicators if i.id in kept]
    effect = [i for i in chosen if i.type == "Effekt"]
    return effect or chosen


def units_slides(inputs: ReportInputs) -> list[TableSlide]:
    """Units × key indicators, Hittil i år with its status colour and word, as many slides as
    the columns need (the rows are split by the deck)."""
    indicators = key_indicators(inputs)
    slides = []
    for start in range(0, len(indicators), KEY_COLUMNS):
        part = indicators[start:start + KEY_COLUMNS]
        columns = [Column("Enhet", 2.6, max_lines=1)] + [
            Column(f"{i.id} {i.name}", 1.35, "c", max_lines=1) for i in part]
        header = [Cell("Enhet")] + [Cell(f"{i.id} {i.name}") for i in part]
        rows = []
        for unit in inputs.units:
            cells = [Cell(unit.name or unit.unit_id, bold=unit.total)]
            for i in part:
                shown, status = unit.cells.get(i.id, ("", GREY))
                cells.append(Cell(f"{shown} {status}".strip(), status=status, bold=unit.total))
            rows.append(cells)
        legend = ("Hittil i år per enhet, farget og merket med status mot enhetens eget mål "
                  "(grønn, gul, rød; grå uten tall). Første rad er " + (inputs.unit_name or "enheten")
                  + " samlet. Effektindikatorene vises; alle står i arket Enheter i målekortet.")
        slides.append(TableSlide("units", "Enhetene side om side",
                                 Table(columns, rows, header=header), legend))
    return slides


def ranking_slide(inputs: ReportInputs) -> TableSlide:
    kept = [i.id for i in inputs.unit_indicators if i.id in {x.ind.id for x in inputs.indicators}]
    scored = []
    for unit in inputs.units:
        if unit.total:
            continue
        counts = [sum(1 for i in kept if unit.cells.get(i, ("", GREY))[1] == s) for s in STATUS_ORDER]
        scored.append((counts, unit))
    scored.sort(key=lambda cu: (-cu[0][0], cu[0][2], -cu[0][1], cu[1].unit_id))
    columns, header = _status_header("Enhet")
    columns = [Column("Plass", 0.7, "c")] + columns
    header = [Cell("Plass")] + header
    rows = [[Cell(str(place)), Cell(unit.name or unit.unit_id)] + [Cell(str(c)) for c in counts]
            for place, (counts, unit) in enumerate(scored, start=1)]
    legend = ("Enhetene rangert etter antall grønne indikatorer (hittil i år mot eget mål), så færrest "
              "røde, så flest gule. Rangering per indikator står i arket Rangering i målekortet.")
    return TableSlide("units", "Rangering av enhetene",
                      Table(columns, rows, header=header, size=12), legend)
