"""The check of an extract as a terminal summary and as a workbook (``excelkort kontroll``).

``summary_lines`` gives a short Norwegian summary; ``write_control_workbook`` writes the sheets
Sammendrag (counts and the rules in words), Avvik (the findings, worst first), Alle (every
expected unit × checked indicator with its comparisons) and Mangler (missing rows and unknown
units and indicators).
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from ..errors import InputError, Problem
from ..model import Indicator
from ..xlsx.writer import (GREEN_FILL, GREEN_FONT, GREY_FILL, GREY_FONT, RED_FILL, RED_FONT, YELLOW_FILL,
                           YELLOW_FONT, Formats, new_workbook, print_setup)
from .control_result import (KIND_LABELS, KINDS, MISSING_KINDS, SEVERITIES, SEVERITY_ERROR,
                             SEVERITY_INFO, SEVERITY_OF, SEVERITY_RANK, SEVERITY_WARNING,
                             ControlReport, lines_text, num_text)

__all__ = ["summary_lines", "write_control_workbook", "OUTLIER_RULE_TEXT"]

OUTLIER_RULE_TEXT = (
    "Uteligger: for hver indikator og måned sammenlignes endringen fra forrige måned med de "
    "andre kontorenes endring. Robust z = 0,6745 · (endring − median) / MAD, der MAD er "
    "medianen av avstandene fra medianen. Endringen er en uteligger når |z| er over 3,5 og "
    "endringen samtidig er mer enn tre ganger den tilfeldige variasjonen kontorets egne tall "
    "kan gi (andel: binomisk, snitt: spredning per sak lik snittet, antall: Poisson; "
    "budsjettandeler med retning «nær» har ingen slik variasjon). Da blir ikke et lite kontor "
    "med nevner 2 en uteligger hver måned. Er MAD 0, brukes gjennomsnittlig absoluttavvik "
    "(z = (endring − median) / (1,2533 · gjennomsnittsavvik)); er også det 0, er alle "
    "endringene like og ingenting flagges. Med færre enn 5 kontor blir det ingen test. En måned "
    "som skiller seg ut både fra måneden før og til måneden etter (en topp eller et fall som "
    "går tilbake), meldes på den måneden; endringen måneden etter er en følge av den."
)
_RULE_TEXTS = (
    ("Periode", "Perioden er den siste måneden i uttrekket. For hver automatisk indikator "
     "kontrolleres måneden periode − etterslep, og bare når den er en rapporteringsmåned for "
     "indikatorens frekvens. Forrige måned er forrige rapporteringsmåned; samme måned i fjor er "
     "12 måneder før. Tallene tas fra uttrekket selv, ellers fra --forrige-uttrekkene (det "
     "nyeste først)."),
    ("Verdi", "Verdien er 100 · teller / nevner for andel (i prosent), teller / nevner for snitt "
     "og teller for antall. Endring i andel er i prosentpoeng."),
    ("Forventet", "Hvert kontor i enhetsregisteret som er i kraft i måneden, under de "
     "fylkesenhetene som har minst én enhet i uttrekket, skal ha en rad for hver kontrollert "
     "indikator. En rad som ikke er levert, er en mangel (advarsel); et kontor eller en "
     "indikator uten en eneste rad er en feil."),
    ("Uteligger", OUTLIER_RULE_TEXT),
    ("Nevner", "Nevneren hopper når den har doblet seg eller falt til under halvparten, "
     "sammenlignet med den vanlige endringen for alle kontorene den måneden (så ferien i juli "
     "ikke teller), og endringen er større enn tilfeldig variasjon (tre ganger Poisson-"
     "standardavviket)."),
    ("Alvorlighet", "feil: det fyll avviser eller ikke kan bruke (feil i linjer, duplikater, "
     "ukjente enheter og indikatorer, et kontor eller en indikator som mangler helt). "
     "advarsel: det som bør sjekkes (uteligger, nevnerhopp, manglende rader). info: merknader "
     "(SSB-symboler, merknader i uttrekket, tall endret siden forrige uttrekk, lokale "
     "indikatorer). Avvik er sortert med det verste først: alvorlighet, så |robust z|."),
    ("Duplikater og feil", "En linje med feil eller en enhet + periode + indikator som står "
     "flere ganger stopper ikke kontrollen: de meldes som feil, og resten av uttrekket "
     "kontrolleres. Et duplikat brukes i sammenligningene bare når alle kopiene har like tall. "
     "excelkort fyll avviser uttrekket til slike feil er rettet."),
)



# --------------------------------------------------------------------------------------------
# The terminal summary
# --------------------------------------------------------------------------------------------
def summary_lines(report: ControlReport, worst: int = 5) -> list[str]:
    """A short Norwegian summary for the terminal."""
    counts = report.count_by_severity()
    inds = len(report.checked)
    lines = [
        f"Kontroll av {report.source.name} for {report.period}: "
        f"{num_text(report.rows_read, 0)} rader lest, {len(report.units_in_extract)} enheter i "
        f"uttrekket, {report.expected_units} kontor forventet, {inds} indikatorer kontrollert.",
        f"Funn: {counts[SEVERITY_ERROR]} feil, {counts[SEVERITY_WARNING]} "
        f"{'advarsel' if counts[SEVERITY_WARNING] == 1 else 'advarsler'}, "
        f"{counts[SEVERITY_INFO]} til informasjon.",
    ]
    if report.findings:
        lines.append(f"Verst først ({min(worst, len(report.findings))} av "
                     f"{len(report.findings)}):")
        for i, f in enumerate(report.findings[:worst], 1):
            who = " ".join(x for x in (f.unit, f.unit_name) if x)
            what = " ".join(x for x in (f.indicator, f.period) if x)
            head = ", ".join(x for x in (who, what) if x)
            msg = f.message  # in full: the hint at the end («Mente du …») is the point
            where = f" – {head}" if head else ""
            lines.append(f"  {i}. {f.severity} – {f.label}{where}: {msg}")
    else:
        lines.append("Ingen funn.")
    return lines


# --------------------------------------------------------------------------------------------
# The workbook
# --------------------------------------------------------------------------------------------
def _finish_sheet(ws, n_rows: int, n_cols: int, freeze_cols: int) -> None:
    """Frozen header, autofilter, and A4 landscape at a readable size over as many pages as the
    table needs, the header and the frozen columns on every page."""
    ws.freeze_panes(1, freeze_cols)
    ws.autofilter(0, 0, max(1, n_rows), n_cols - 1)
    print_setup(ws, 0, repeat_columns=(0, freeze_cols - 1))


def write_control_workbook(report: ControlReport, path: str | os.PathLike | None = None) -> Path:
    """Write the check as a workbook (atomically; byte-identical when re-run). Returns the
    path (default ``kontroll_<periode>.xlsx`` beside the extract)."""
    from ..atomic import atomic_output
    from ..runlock import folder_lock
    from ..xlsx.package import lock_file_for, locked_message

    out = Path(path) if path is not None else report.default_output
    with folder_lock(out.parent, "kontroll"):
        if (lock := lock_file_for(out)) is not None:  # the county has last run's check open
            raise InputError(Problem(locked_message(lock), file=str(out)))
        with atomic_output(out) as tmp:
            _write_workbook(report, str(tmp))
    return out


_AVVIK_COLUMNS = (
    ("Enhet", 8), ("Enhetsnavn", 26), ("Fylke", 22), ("Indikator", 9), ("Periode", 9),
    ("Verdi", 11), ("Forrige måned", 11), ("Endring", 12), ("Samme måned i fjor", 11),
    ("Nevner", 10), ("Robust z", 9), ("Funn", 22), ("Alvorlighet", 11), ("Linje", 10),
    ("Forklaring", 120),
)
_ALLE_COLUMNS = (
    ("Enhet", 8), ("Enhetsnavn", 26), ("Fylke", 22), ("Indikator", 9), ("Indikatornavn", 34),
    ("Periode", 9), ("Teller", 10), ("Nevner", 10), ("Verdi", 11), ("Forrige måned", 11),
    ("Endring", 12), ("Nevner forrige måned", 11), ("Endring nevner", 10),
    ("Samme måned i fjor", 11), ("Endring fra i fjor", 12), ("Robust z", 9), ("Status", 14),
    ("Funn", 30), ("Alvorlighet", 11), ("Merknad", 20), ("Linje", 8), ("Forrige måned fra", 24),
)
_MANGLER_COLUMNS = (
    ("Type", 24), ("Alvorlighet", 11), ("Enhet", 8), ("Enhetsnavn", 26), ("Fylke", 22),
    ("Indikator", 9), ("Periode", 9), ("Mente du", 10), ("Linjer", 24), ("Forklaring", 120),
)
_MAX_TEXT = 32000  # Excel's cell limit is 32 767 characters


class _Formats(Formats):
    """The control workbook's formats: the house base with text tables aligned to the top,
    labels, wrapped text and the severity colours."""

    def __init__(self, wb):
        super().__init__(wb, header={"valign": "top"})
        self.label = self.add(bold=True, valign="top")
        self.wrap = self.add(text_wrap=True, valign="top")
        self.severity_colours = {
            SEVERITY_ERROR: (RED_FILL, RED_FONT),
            SEVERITY_WARNING: (YELLOW_FILL, YELLOW_FONT),
            SEVERITY_INFO: (GREY_FILL, GREY_FONT),
            None: (GREEN_FILL, GREEN_FONT),
        }

    def get(self, num_format: str | None = None, severity: str | None = "", bold=False):
        key = (num_format, severity, bold)
        if key not in self._cache:
            spec = {}
            if num_format:
                spec["num_format"] = num_format
            if severity != "":
                fill, font = self.severity_colours[severity]
                spec.update(bg_color=fill, font_color=font)
            if bold:
                spec["bold"] = True
            self._cache[key] = self.add(**spec)
        return self._cache[key]


def _change_format(ind: Indicator) -> str:
    d = "0" + ("." + "0" * ind.decimals if ind.decimals else "")
    if ind.measure == "andel":
        return f'+{d}" pp";-{d}" pp";{d}" pp"'
    if ind.measure == "antall":
        g = "#,##0" + ("." + "0" * ind.decimals if ind.decimals else "")
        return f"+{g};-{g};{g}"
    if "dager" in ind.name.lower():
        return f'+{d}" dager";-{d}" dager";{d}" dager"'
    return f"+{d};-{d};{d}"


def _text(s: str | None) -> str:
    s = "" if s is None else str(s)
    return s if len(s) <= _MAX_TEXT else s[:_MAX_TEXT - 1] + "…"


class _Sheet:
    """Cells of one sheet: blanks for None, numbers as numbers, text cut to Excel's limit."""

    def __init__(self, ws, fm: _Formats, plain):
        self.ws, self.fm, self.plain = ws, fm, plain

    def put(self, r: int, c: int, value, fmt=None) -> None:
        fmt = fmt or self.plain
        ws = self.ws
        if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
            ws.write_blank(r, c, None, fmt)
        elif isinstance(value, (int, float)):
            ws.write_number(r, c, value, fmt)
        else:
            self.fm.write_text(ws, r, c, _text(value), fmt)

    def header(self, row: int, columns) -> None:
        for c, (label, width) in enumerate(columns):
            self.ws.write_string(row, c, label, self.fm.header)
            self.ws.set_column(c, c, width)
        self.ws.set_row(row, 30)


_Z_FORMAT, _NEVNER_FORMAT, _PCT_FORMAT = "0.0", "#,##0", "+0 %;-0 %;0 %"


def _write_workbook(report: ControlReport, filename: str) -> None:
    from ..scorecard.writer import number_format

    wb = new_workbook(filename, f"Kontroll av uttrekk {report.period}", report.period)
    fm = _Formats(wb)
    value_fmt = {ind.id: number_format(ind) for ind in report.catalogue}
    change_fmt = {ind.id: _change_format(ind) for ind in report.catalogue}
    plain = fm.get(None)

    def sheet(name: str) -> _Sheet:
        return _Sheet(wb.add_worksheet(name), fm, plain)

    _write_summary_sheet(sheet("Sammendrag"), report)
    _write_findings_sheet(sheet("Avvik"), report, value_fmt, change_fmt)
    _write_rows_sheet(sheet("Alle"), report, value_fmt, change_fmt)
    _write_missing_sheet(sheet("Mangler"), report)
    wb.close()


def _write_summary_sheet(sheet: _Sheet, report: ControlReport) -> None:
    """Sammendrag: the extract, the counts by severity and kind, and the rules in words."""
    ws, fm = sheet.ws, sheet.fm
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 12)
    ws.set_column(3, 3, 90)
    ws.write_string(0, 0, f"Kontroll av uttrekk – {report.period}", fm.title)
    r = 2
    for label, value in _summary_info(report):
        ws.write_string(r, 0, label, fm.label)
        if isinstance(value, int):
            sheet.put(r, 1, value, fm.get("#,##0"))
        else:  # long lists wrap in B:D instead of running off the printed page
            ws.merge_range(r, 1, r, 3, _text(value), fm.for_text(value, fm.wrap))
            ws.set_row(r, 13 * math.ceil(len(value) / 150) + 2)
        r += 1
    r += 1
    ws.write_string(r, 0, "Alvorlighet", fm.header)
    ws.write_string(r, 1, "Antall funn", fm.header)
    r += 1
    counts = report.count_by_severity()
    for sev in SEVERITIES:
        ws.write_string(r, 0, sev, fm.get(None, sev))
        ws.write_number(r, 1, counts[sev], fm.get("#,##0"))
        r += 1
    r += 1
    ws.write_string(r, 0, "Funn", fm.header)
    ws.write_string(r, 1, "Alvorlighet", fm.header)
    ws.write_string(r, 2, "Antall", fm.header)
    r += 1
    by_kind = report.count_by_kind()
    for kind in KINDS:
        sev = SEVERITY_OF[kind]
        ws.write_string(r, 0, KIND_LABELS[kind], sheet.plain)
        ws.write_string(r, 1, sev, fm.get(None, sev) if by_kind[kind] else sheet.plain)
        ws.write_number(r, 2, by_kind[kind], fm.get("#,##0"))
        r += 1
    r += 1
    for c in range(4):
        ws.write_string(r, c, "Reglene" if c == 0 else "", fm.header)
    r += 1
    for label, text in _RULE_TEXTS:
        ws.write_string(r, 0, label, fm.label)
        ws.merge_range(r, 1, r, 3, text, fm.wrap)
        ws.set_row(r, 13 * max(2, math.ceil(len(text) / 150)) + 4)
        r += 1
    print_setup(ws)


def _summary_info(report: ControlReport) -> list[tuple[str, object]]:
    """The label/value lines at the top of Sammendrag."""
    return [
        ("Uttrekk", report.source.name),
        ("SHA-256", report.sha256),
        ("Periode", report.period),
        ("Rader lest", report.rows_read),
        ("Rader brukt", report.rows_used),
        ("Enheter i uttrekket", len(report.units_in_extract)),
        ("Kontor forventet", report.expected_units),
        ("Fylkesenheter i uttrekket",
         f"{sum(1 for c in report.counties if c[2])} av {len(report.counties)}"),
        ("Indikatorer kontrollert",
         ", ".join(f"{i} ({p})" for i, p in report.checked) or "ingen"),
        ("Ikke kontrollert", "; ".join(f"{i}: {why}" for i, why in report.not_checked) or "–"),
        ("Forrige uttrekk", ", ".join(p.name if p.suffix != ".parquet" else f"{p.parent.name}/{p.name}"
                                      for p in report.previous) or "ingen"),
    ]


def _write_findings_sheet(sheet: _Sheet, report: ControlReport, value_fmt: dict,
                          change_fmt: dict) -> None:
    """Avvik: every finding, worst first, with the numbers of its row."""
    fm, cat = sheet.fm, report.catalogue
    sheet.header(0, _AVVIK_COLUMNS)
    for i, f in enumerate(report.findings, 1):
        row = f.row
        ind_id = f.indicator if f.indicator in cat else None
        vf = fm.get(value_fmt[ind_id]) if ind_id else None
        cf = fm.get(change_fmt[ind_id]) if ind_id else None
        sev_fmt = fm.get(None, f.severity)
        cells = [
            (f.unit, None), (f.unit_name, None), (f.county, None), (f.indicator, None),
            (f.period, None),
            (row.value if row else None, vf), (row.previous_value if row else None, vf),
            (row.change if row else None, cf), (row.last_year_value if row else None, vf),
            (row.nevner if row else None, fm.get(_NEVNER_FORMAT)),
            (f.z, fm.get(_Z_FORMAT)), (f.label, sev_fmt), (f.severity, sev_fmt),
            (", ".join(map(str, f.lines[:20])) + (" …" if len(f.lines) > 20 else ""),
             fm.get("@")),
            (f.message, None),
        ]
        for c, (value, fmt) in enumerate(cells):
            sheet.put(i, c, value, fmt)
    _finish_sheet(sheet.ws, len(report.findings), len(_AVVIK_COLUMNS), freeze_cols=2)


def _write_rows_sheet(sheet: _Sheet, report: ControlReport, value_fmt: dict,
                      change_fmt: dict) -> None:
    """Alle: every expected unit × checked indicator with its comparisons."""
    fm = sheet.fm
    sheet.header(0, _ALLE_COLUMNS)
    for i, row in enumerate(report.rows, 1):
        vf = fm.get(value_fmt[row.indicator])
        cf = fm.get(change_fmt[row.indicator])
        sev_fmt = fm.get(None, row.severity) if row.severity else None
        teller_fmt = _NEVNER_FORMAT if float(row.teller or 0).is_integer() else "#,##0.00"
        cells = [
            (row.unit, None), (row.unit_name, None), (row.county, None), (row.indicator, None),
            (row.indicator_name, None), (row.period, None),
            (row.teller, fm.get(teller_fmt)),
            (row.nevner, fm.get(_NEVNER_FORMAT)), (row.value, vf), (row.previous_value, vf),
            (row.change, cf), (row.previous_nevner, fm.get(_NEVNER_FORMAT)),
            (row.nevner_change, fm.get(_PCT_FORMAT)), (row.last_year_value, vf),
            (row.last_year_change, cf), (row.z, fm.get(_Z_FORMAT)), (row.status, None),
            (", ".join(KIND_LABELS[k] for k in dict.fromkeys(row.kinds)), sev_fmt),
            (row.severity, sev_fmt), (row.merknad, None), (row.line, None),
            (row.previous_source, None),
        ]
        for c, (value, fmt) in enumerate(cells):
            sheet.put(i, c, value, fmt)
    _finish_sheet(sheet.ws, len(report.rows), len(_ALLE_COLUMNS), freeze_cols=2)


def _write_missing_sheet(sheet: _Sheet, report: ControlReport) -> None:
    """Mangler: missing rows, unknown units and indicators, units not in force or not offices."""
    sheet.header(0, _MANGLER_COLUMNS)
    missing = sorted(report.missing, key=lambda f: (SEVERITY_RANK[f.severity],
                                                    MISSING_KINDS.index(f.kind),
                                                    f.unit, f.indicator, f.period))
    for i, f in enumerate(missing, 1):
        sev_fmt = sheet.fm.get(None, f.severity)
        lines = lines_text(f.lines, limit=20)[len("linje "):] if f.lines else ""
        cells = [f.label, f.severity, f.unit, f.unit_name, f.county, f.indicator, f.period,
                 f.hint, lines, f.message]
        for c, value in enumerate(cells):
            sheet.put(i, c, value or None, sev_fmt if c < 2 else None)
    _finish_sheet(sheet.ws, len(missing), len(_MANGLER_COLUMNS), freeze_cols=1)
