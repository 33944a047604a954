"""The side sheets of a consolidated målekort (SPEC §7): Enheter, Rangering, Innlevering,
Kilder and Kommentarer, written into the workbook ``scorecard.writer`` makes.

Each sheet is a plain table a county can print: frozen header, landscape, text at a readable
size (a wide table over several pages with its first columns on each), no text cut.
Values are written as values (they come from other files, not from this workbook's formulas).
A cell's style never depends on its value: status colours come from conditional formatting on
the status word, so a re-run that updates the values in place (``consolidate_update``) changes
no style, and the colours follow what the cells say (also when a person edits them in Excel).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat

from ..model import Catalogue, Indicator, Unit
from ..numbers.rules import GREEN, GREY, RED, YELLOW, Standing, round_shown
from ..scorecard.writer import number_format
from ..xlsx.refs import cell_ref
from ..xlsx.writer import (A3, ClassicFormulaWorksheet, GREEN_FILL, GREEN_FONT, GREY_FILL, GREY_FONT, HEADER_FILL, RED_FILL,
                           RED_FONT, YELLOW_FILL, YELLOW_FONT, print_setup)

SUPPRESSED = ":"
STATUS_COLOURS = {GREEN: (GREEN_FILL, GREEN_FONT), YELLOW: (YELLOW_FILL, YELLOW_FONT),
                  RED: (RED_FILL, RED_FONT), GREY: (GREY_FILL, GREY_FONT)}
RANKING_NOTE = (
    "Slik rangeres enhetene: hver enhet er én rad og teller likt, uansett størrelse. Andeler og "
    "snitt rangeres etter avstanden mellom hittil i år (avrundet slik den vises) og enhetens mål, "
    "i indikatorens enhet: for «høyere» er avstanden verdi − mål, for «lavere» mål − verdi, og for "
    "«nær» −|verdi − mål|. Antall rangeres etter avstanden i prosent av enhetens eget mål (hittil "
    "i år), så store og små enheter kan sammenlignes. Enheter uten tall står nederst. "
    "Med prikking (--prikk N) vises verdier med nevner under N som «:» og rangeres ikke.")


@dataclass
class Member:
    """One unit in the Enheter and Rangering sheets."""

    unit: Unit
    standings: dict[str, Standing]
    risk: dict[str, str] = field(default_factory=dict)  # Risiko (vurdering)
    _shown: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def shown(self, ind: Indicator):
        """``shown_value`` of the unit's result, once per indicator (Enheter and Rangering show
        it, Rangering ranks by it)."""
        if ind.id not in self._shown:
            self._shown[ind.id] = shown_value(ind, self.standings.get(ind.id))
        return self._shown[ind.id]


@dataclass
class Delivery:
    """One row of Innlevering: a unit of the register (or a file for an unknown unit)."""

    unit_id: str
    name: str
    county: str
    file: str
    status: str  # levert / sen / mangler / avvist / ukjent enhet
    period: str = ""
    local: str = ""  # «7 av 9»
    month_comment: str = ""  # ja / nei
    reason: str = ""


@dataclass
class SideSheets:
    """Everything the side sheets of one consolidated workbook show."""

    unit: Unit
    period: str
    catalogue: Catalogue
    members: list[Member]
    deliveries: list[Delivery]
    sources: list[tuple[str, str, str, int]]  # (file, SHA-256, modified, rows read)
    comments: list[tuple[str, str, str, str, str]]  # (enhet, navn, indikator, hva, tekst)
    prikk: int | None = None
    show_risk: bool = False  # the national workbook shows each county's Risiko (vurdering)
    total: Member | None = None  # the consolidated unit itself, the first row of Enheter

    def write(self, wb, st) -> None:
        """The ``extra_sheets`` hook of ``write_scorecard``."""
        styles = _Styles(wb, st)
        write_units_sheet(wb.add_worksheet("Enheter", worksheet_class=ClassicFormulaWorksheet),
                          self, styles)
        write_ranking_sheet(wb.add_worksheet("Rangering", worksheet_class=ClassicFormulaWorksheet),
                            self, styles)
        write_table(wb.add_worksheet("Innlevering", worksheet_class=ClassicFormulaWorksheet), styles, DELIVERY_LABELS,
                    [[d.unit_id, d.name, d.county, d.file, d.status, d.period, d.local,
                      d.month_comment, d.reason] for d in self.deliveries],
                    widths=(8, 24, 12, 34, 10, 9, 16, 16, 40))
        write_table(wb.add_worksheet("Kilder", worksheet_class=ClassicFormulaWorksheet), styles, SOURCE_LABELS,
                    [list(s) for s in self.sources], widths=(48, 66, 20, 10))
        write_table(wb.add_worksheet("Kommentarer", worksheet_class=ClassicFormulaWorksheet), styles, COMMENT_LABELS,
                    [list(c) for c in self.comments], widths=(8, 30, 10, 20, 90))


DELIVERY_LABELS = ("Enhet", "Navn", "Overordnet", "Fil", "Status", "Periode",
                   "Lokale indikatorer med verdi", "Månedskommentar", "Årsak")
SOURCE_LABELS = ("Fil", "SHA-256", "Endret", "Rader lest")
COMMENT_LABELS = ("Enhet", "Navn", "Indikator", "Hva", "Tekst")
RANKING_WIDTHS = (6, 8, 30, 11, 9, 14, 8)
#: the widest table (in characters) printed one page wide on A4 landscape at a readable size
ONE_PAGE_WIDTH = 170  # at about 80 %


class _Styles:
    def __init__(self, wb, st):
        base = st.base
        self.header = st.header
        self.header_wrap = st.add(bold=True, font_color="#FFFFFF", font_size=9,
                                  bg_color=HEADER_FILL, text_wrap=True, align="center",
                                  valign="top", border=1)
        self.text = st.add(border=1, border_color="#BFBFBF")
        self.wrap = st.add(border=1, border_color="#BFBFBF", text_wrap=True, valign="top")
        self.bold = st.add(bold=True)
        self.bold_cell = st.add(bold=True, border=1, border_color="#BFBFBF")
        self.note = st.add(text_wrap=True, valign="top", italic=True)
        self.italic = st.add(italic=True)
        self.title = st.add(bold=True, font_size=14, font_color=HEADER_FILL)
        self.wb, self.base = wb, base
        self.quoted = st.quoted  # formula-like text stays text (quote prefix)
        self._add = st.add
        self._cache: dict[tuple, object] = {}
        self._rule_formats: dict[str, object] = {}

    def cell(self, num_format: str | None = None, center=False):
        key = (num_format, center)
        if key not in self._cache:
            spec = {**self.base, "border": 1, "border_color": "#BFBFBF"}
            if num_format:
                spec["num_format"] = num_format
                spec["align"] = "right"
            if center:
                spec["align"] = "center"
            self._cache[key] = self._add(**spec)
        return self._cache[key]

    def status_rules(self, ws, first_row: int, last_row: int, cols: list[int], status_offset: int,
                     only_if_col: int | None = None) -> None:
        """Colour the cells of ``cols`` by the status word ``status_offset`` columns to their
        right (0: their own) in the same row (only where ``only_if_col`` of the row is not
        empty, when given): one rule per word over all the columns (a relative reference)."""
        if last_row < first_row or not cols:
            return
        word_ref = cell_ref(first_row, cols[0] + status_offset)
        ranges = " ".join(f"{cell_ref(first_row, c)}:{cell_ref(last_row, c)}" for c in cols)
        for word, (fill, font) in STATUS_COLOURS.items():
            if word not in self._rule_formats:
                self._rule_formats[word] = self.wb.add_format({"bg_color": fill, "font_color": font})
            test = f'{word_ref}="{word}"'
            if only_if_col is not None:
                test = f'AND({cell_ref(first_row, only_if_col, abs_col=True)}<>"",{test})'
            ws.conditional_format(first_row, cols[0], last_row, cols[0], {
                "type": "formula", "criteria": "=" + test, "format": self._rule_formats[word],
                "multi_range": ranges})


def _print_setup(ws, header_row: int, widths) -> None:
    """Landscape A4 with the header on every page: one page wide when the columns fit at a
    readable size, else over several pages with the first two columns on each."""
    wide = sum(widths) > ONE_PAGE_WIDTH
    print_setup(ws, header_row, narrow_margins=True, repeat_columns=(0, 1) if wide else None)


def write_table(ws, styles: _Styles, labels, rows, widths) -> None:
    """A plain table; text wraps in its column, so long paths and reasons print whole."""
    for col, label in enumerate(labels):
        ws.write_string(0, col, label, styles.header)
    for r, values in enumerate(rows, start=1):
        ws.write_values(r, 0, values, repeat(styles.wrap), styles.quoted)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.set_row(0, 28)  # two lines for a wrapped label
    ws.freeze_panes(1, 1)
    if rows:
        ws.autofilter(0, 0, len(rows), len(labels) - 1)
    _print_setup(ws, 0, widths)


def suppressed(member: Member, ind_id: str, prikk: int | None) -> bool:
    """Whether the unit's value is shown as «:» (nevner below the prikk limit)."""
    if not prikk:
        return False
    s = member.standings.get(ind_id)
    return s is not None and s.nevner is not None and s.nevner < prikk


def shown_value(ind: Indicator, result: Standing | None):
    """Hittil i år as shown (rounded to Desimaler), a word (``ikke klar``), or None."""
    if result is None or result.ytd is None:
        return None
    if isinstance(result.ytd, str):
        return result.ytd
    return round_shown(result.ytd, ind.decimals)


def write_units_sheet(ws, sheets: SideSheets, styles: _Styles) -> None:
    """Enheter: one row per unit, per indicator Hittil i år coloured by status, the status word
    (and in the national workbook each county's Risiko (vurdering))."""
    per = 3 if sheets.show_risk else 2
    ws.write_string(0, 0, f"Enheter – hittil i år per {sheets.period} – {sheets.unit.name}", styles.title)
    head, sub = 2, 3
    ws.write_string(sub, 0, "Enhet", styles.header)
    ws.write_string(sub, 1, "Navn", styles.header)
    ws.write_blank(head, 0, None, styles.header)
    ws.write_blank(head, 1, None, styles.header)
    indicators = list(sheets.catalogue)
    for i, ind in enumerate(indicators):
        col = 2 + i * per
        ws.merge_range(head, col, head, col + per - 1, f"{ind.id} {ind.name}", styles.header_wrap)
        ws.write_string(sub, col, "Hittil i år", styles.header)
        ws.write_string(sub, col + 1, "Status", styles.header)
        if sheets.show_risk:
            ws.write_string(sub, col + 2, "Risiko (vurdering)", styles.header)
    row = first = sub + 1
    formats = []  # of a row's indicator cells
    for ind in indicators:
        formats += [styles.cell(number_format(ind))] + [styles.cell(center=True)] * (per - 1)
    for member in ([sheets.total] if sheets.total else []) + sheets.members:
        label = styles.bold_cell if member is sheets.total else styles.text
        values = [member.unit.id, member.unit.name]
        for ind in indicators:
            result = member.standings.get(ind.id)
            if suppressed(member, ind.id, sheets.prikk):
                values += [SUPPRESSED, SUPPRESSED]
            else:
                values += [member.shown(ind), result.status if result is not None else GREY]
            if sheets.show_risk:
                values.append(member.risk.get(ind.id))
        ws.write_values(row, 0, values, [label, label] + formats, styles.quoted)
        row += 1
    value_cols = [2 + i * per for i in range(len(indicators))]
    styles.status_rules(ws, first, row - 1, value_cols, 1)  # Hittil i år, by its status word
    styles.status_rules(ws, first, row - 1, [c + 1 for c in value_cols], 0)  # the word itself
    ws.set_column(0, 0, 7)
    ws.set_column(1, 1, 26)
    for i in range(len(indicators)):
        col = 2 + i * per
        ws.set_column(col, col, 8)
        ws.set_column(col + 1, col + per - 1, 7)
    ws.set_row(head, 58)
    ws.freeze_panes(sub + 1, 2)
    # printed over as many A3 pages as it needs, the unit columns and the header on each page
    print_setup(ws, None, narrow_margins=True, paper=A3, repeat_columns=(0, 1))
    ws.repeat_rows(head, sub)
    ws.write_string(row + 1, 1, "Fargen og ordet viser status for hittil i år mot enhetens mål "
                    "(grønn, gul, rød; grå uten tall)." + (" «:» = prikket (nevner under "
                    f"{sheets.prikk})." if sheets.prikk else ""), styles.italic)


def gap_of(ind: Indicator, result: Standing | None, shown) -> float | None:
    """The gap to target used for ranking (SPEC §7) of the value ``shown`` (``shown_value``);
    antall relative to the unit's own target."""
    if result is None or not isinstance(shown, (int, float)) or result.target is None:
        return None
    y, t = shown, result.target
    if ind.direction == "høyere":
        gap = y - t
    elif ind.direction == "lavere":
        gap = t - y
    else:
        gap = -abs(y - t)
    if ind.measure == "antall":
        return 100 * gap / abs(t) if t else None
    return gap


def write_ranking_sheet(ws, sheets: SideSheets, styles: _Styles) -> None:
    """Rangering: per indicator, the units best first by their gap to target."""
    ws.write_string(0, 0, f"Rangering per indikator – {sheets.period} – {sheets.unit.name}", styles.title)
    ws.merge_range(1, 0, 1, 6, RANKING_NOTE, styles.note)
    ws.set_row(1, 75)
    labels = ("Plass", "Enhet", "Navn", "Hittil i år", "Mål", "Avstand til mål", "Status")
    for col, label in enumerate(labels):
        ws.write_string(3, col, label, styles.header)
    row = first = 4
    for ind in sheets.catalogue:
        ws.merge_range(row, 0, row, 6, f"{ind.id} {ind.name} ({ind.direction} er bedre)", styles.bold)
        row += 1
        ranked, rest = [], []
        for m in sheets.members:
            gap = gap_of(ind, m.standings.get(ind.id), m.shown(ind))
            if gap is None or suppressed(m, ind.id, sheets.prikk):
                rest.append(m)
            else:
                ranked.append((gap, m))
        ranked.sort(key=lambda gm: (-round(gm[0], 9), gm[1].unit.id))
        fmt = number_format(ind)
        gap_fmt = '0.0" %"' if ind.measure == "antall" else fmt.replace('" %"', '" p.p."')
        # every row of the block has the same styles, ranked or not (a re-run moves units)
        formats = [styles.text] * 3 + [styles.cell(fmt), styles.cell(fmt), styles.cell(gap_fmt),
                                       styles.cell(center=True)]
        for place, (gap, m) in [*enumerate(ranked, start=1), *((None, (None, m)) for m in rest)]:
            if place is None:
                shown = SUPPRESSED if suppressed(m, ind.id, sheets.prikk) else None
                values = ["", m.unit.id, m.unit.name, shown, None, None, shown or GREY]
            else:
                result = m.standings[ind.id]
                values = [place, m.unit.id, m.unit.name, m.shown(ind), result.target,
                          round(gap, 9), result.status]
            ws.write_values(row, 0, values, formats, styles.quoted)
            row += 1
        row += 1
    # a ranked unit's value and status are coloured by its status (unranked ones stay plain)
    styles.status_rules(ws, first, row - 1, [3], 6 - 3, only_if_col=0)
    styles.status_rules(ws, first, row - 1, [6], 0, only_if_col=0)
    for col, width in enumerate(RANKING_WIDTHS):
        ws.set_column(col, col, width)
    ws.freeze_panes(4, 0)
    _print_setup(ws, 3, RANKING_WIDTHS)
