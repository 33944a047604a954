"""The målekort workbook's layout, declared once (SPEC §5).

The template builder, the writer, the reader and the surgical filler all take sheet names,
labels, positions and defined names from here. Readers never trust the positions: they find
the header rows by their labels (a user may insert columns or move the table); the positions
are where *we* put things in a new workbook.
"""
from __future__ import annotations

from ..model import MONTHS
from ..numbers.rules import UNWEIGHTED

# --- sheets -----------------------------------------------------------------------------------
SCORECARD_SHEET = "Målekort"
DATA_SHEET = "Data"
CATALOGUE_SHEET = "Indikatorer"
LOG_SHEET = "Logg"
#: a konsolidert målekort's side sheets: its units, and their ranking
UNITS_SHEET, RANKING_SHEET = "Enheter", "Rangering"
SHEETS = (SCORECARD_SHEET, DATA_SHEET, CATALOGUE_SHEET, LOG_SHEET)

MONTHS_BY_NUMBER = {m: name for m, name in enumerate(MONTHS, start=1)}

# --- Målekort ---------------------------------------------------------------------------------
COL_ID, COL_NAME, COL_PERSPECTIVE, COL_TYPE, COL_TARGET = (
    "ID", "Indikator", "Perspektiv", "Type", "Mål")
COL_YTD, COL_STATUS, COL_TREND = "Hittil i år", "Status", "Trend"
COL_PROGNOSIS, COL_REQUIREMENT, COL_PROBABILITY = (
    "Prognose", "Krav resten av året", "Sannsynlighet")
COL_RISK_SUGGESTED, COL_RISK_ASSESSED, COL_COMMENT = (
    "Risiko (forslag)", "Risiko (vurdering)", "Kommentar")

SCORECARD_LABELS = (
    COL_ID, COL_NAME, COL_PERSPECTIVE, COL_TYPE, COL_TARGET, *MONTHS,
    COL_YTD, COL_STATUS, COL_TREND, COL_PROGNOSIS, COL_REQUIREMENT, COL_PROBABILITY,
    COL_RISK_SUGGESTED, COL_RISK_ASSESSED, COL_COMMENT,
)

#: hidden helper columns after Kommentar (their labels sit in the header row, hidden)
HELPER_PREFIX = "hj:"
HELPER_SCALARS = ("Pw", "harN", "e", "em", "tm", "n", "M", "sumT", "sumN", "rl", "rb", "farge")
HELPER_MONTHLY = ("v", "T", "N", "i")  # month value, teller used, nevner used, month index


def helper_label(name: str, month: int | None = None) -> str:
    return f"{HELPER_PREFIX}{name}{month if month else ''}"


HELPER_LABELS = tuple(helper_label(h) for h in HELPER_SCALARS) + tuple(
    helper_label(h, m) for h in HELPER_MONTHLY for m in range(1, 13))

#: where a new workbook puts things (row/col from 0, as ``xlsx.refs``; A1 text in names)
TITLE_CELL = (0, 0)
INFO_LABELS = (("Enhet", 1), ("Enhetsnavn", 2), ("Periode", 3), ("År", 4))  # (name, row)
INFO_LABEL_COL = 1  # column B (the wide Indikator column)
INFO_VALUE_COL = 2  # column C
MONTH_COMMENT_LABEL_CELL = (0, 5)  # F1
MONTH_COMMENT_RANGE = (1, 5, 4, 16)  # F2:Q5, merged input for the month comment
SCORECARD_HEADER_ROW = 6  # row 7
#: the legend sits over the columns from Hittil i år on (the second printed page), rows 1–5
LEGEND_RANGE = (0, SCORECARD_LABELS.index(COL_YTD), 4, SCORECARD_LABELS.index(COL_COMMENT))
FIRST_HELPER_COL = len(SCORECARD_LABELS) + 1  # one spacer column after Kommentar

DEFINED_NAMES = {
    "Enhet": f"'{SCORECARD_SHEET}'!$C$2",
    "Enhetsnavn": f"'{SCORECARD_SHEET}'!$C$3",
    "Periode": f"'{SCORECARD_SHEET}'!$C$4",
    "År": f"'{SCORECARD_SHEET}'!$C$5",
    "Månedskommentar": f"'{SCORECARD_SHEET}'!$F$2",
}

LEGEND_TITLE = "Slik leser du målekortet."
LEGEND = (
    "Status: Hittil i år mot Mål – grønn = nådd, gul = innenfor toleransen, rød = utenfor. "
    "Trend: siste måned mot snittet av de tre før (↑ eller ↓ med bedring eller forverring, "
    "→ stabil). Krav resten av året: snittet de gjenstående månedene må ha for at året skal ende "
    "på målet; der lavere er bedre (f.eks. sykefravær) er kravet et tak – høyst så mye. "
    "«umulig»: målet kan ikke lenger nås i år, selv om status nå er gul. Sannsynlighet: sjansen "
    "for at året ender grønt (gul teller ikke), så en gul indikator kan stå med 0 % og Risiko Høy. "
    "Pek på en kolonneoverskrift for mer; hele beregningen står nederst i arket Indikatorer."
)

#: the notes (cell comments) on the Målekort's column headers
HEADER_NOTES = {
    COL_ID: "Indikatorens ID i katalogen (arket Indikatorer).",
    COL_TARGET: "Målet for året. Om høyere, lavere eller nær målet er bedre, står i kolonnen "
                "Retning i arket Indikatorer.",
    COL_YTD: "Summen av teller delt på summen av nevner for månedene med tall, eller siste "
             "måned for indikatorer som måles på siste verdi.",
    COL_STATUS: "Hittil i år mot Mål: grønn = nådd, gul = innenfor toleransen, rød = utenfor, "
                "grå = ingen tall ennå.",
    COL_TREND: "Siste måned mot snittet av de inntil tre månedene før: → stabil (innenfor en halv "
               "toleranse), ellers ↑ eller ↓ med bedring eller forverring. Fargen viser om siste "
               "måned når målet.",
    COL_PROGNOSIS: "Året ut med snittet av de tre siste månedene.",
    COL_REQUIREMENT: "Snittet de gjenstående månedene må ha for at året skal ende på målet. Der "
                     "lavere er bedre (f.eks. sykefravær) er kravet et tak: høyst så mye, ikke et "
                     "tall å nå opp til. «nådd»: målet er sikret. «umulig»: målet kan ikke nås i "
                     "år – også når status nå er gul.",
    COL_PROBABILITY: "Sjansen for at året ender grønt. Gul teller ikke: en gul indikator med krav "
                     "«umulig» har 0 %. Under tre måneder med tall: «for lite data».",
    COL_RISK_SUGGESTED: "Fra sannsynligheten: Lav ≥ 75 %, Høy < 25 %, ellers Middels.",
    COL_RISK_ASSESSED: "Enhetens egen vurdering (Lav, Middels eller Høy). Går foran forslaget.",
    COL_COMMENT: "Enhetens kommentar til indikatoren denne måneden.",
}

# --- Data ---------------------------------------------------------------------------------------
DATA_LABELS = (COL_ID, COL_NAME) + tuple(
    f"{m} {part}" for m in MONTHS for part in ("teller", "nevner"))
DATA_HEADER_ROW = 0  # row 1


def data_label(month: int, part: str) -> str:
    """``Jan teller`` … ``Des nevner``."""
    return f"{MONTHS[month - 1]} {part}"


# --- Logg ---------------------------------------------------------------------------------------
LOG_LABELS = ("Tidspunkt", "Ark", "Celle", "Indikator", "Gammel verdi", "Ny verdi", "Kilde")

# --- Indikatorer ----------------------------------------------------------------------------------
CATALOGUE_LABELS = (
    "ID", "Indikator", "Perspektiv", "Type", "Måletype", "Retning", "Mål", "Toleranse",
    "Hittil", "Kilde", "Frekvens", "Desimaler", "Etterslep", "Styringslinje", "Resultatkrav",
    "Ansvarlig", "Datakilde", "Beskrivelse",
)

MODEL_NOTES = (
    "Slik regner målekortet",
    "Alle tall bygger på teller og nevner per måned. En måned uten tall mangler – den teller "
    "aldri som 0.",
    "Hittil i år: summen av teller delt på summen av nevner for månedene med tall (andel i "
    "prosentpoeng), eller siste måned der indikatoren måles på siste verdi.",
    "Fargene sammenligner tallet slik det vises (avrundet til indikatorens desimaler) med målet: "
    "grønn = nådd, gul = innenfor toleransen, rød = utenfor. For «nær» er det avstanden til målet "
    "som teller. Antall som summeres over året sammenlignes med målet fordelt på månedene.",
    "Trendpilen sammenligner siste måned med snittet av de inntil tre månedene før: → stabil når "
    "endringen er innenfor en halv toleranse; ellers ↑ eller ↓ med bedring eller forverring. "
    "Fargen på pilen viser om siste måned når målet.",
    "Prognose: året ut med snittet av de tre siste månedene. Krav resten av året: hva resten av "
    "månedene i snitt må ligge på for å ende på målet («nådd» eller «umulig» når det er avgjort).",
    "Sannsynlighet: hvor sannsynlig det er at året ender grønt. Resten av året antas å ligge rundt "
    "nivået de tre siste månedene, med spredningen de seks siste månedene har vist. Under tre "
    "måneder med tall: «for lite data». Risiko (forslag): Lav ≥ 75 %, Høy < 25 %, ellers Middels. "
    "Risiko (vurdering) er enhetens egen vurdering og går foran forslaget.",
    "Måneder som ennå ikke er klare (etterslep) vises som «ikke klar». Prognose, Krav, "
    "Sannsynlighet og Risiko (forslag) regnes av excelkort når tallene fylles; de andre "
    "kolonnene er formler som oppdateres med én gang.",
)


def unit_text(ind) -> str:
    """The unit a value of ``ind`` is shown with (``" %"``, ``" dager"`` or nothing): the suffix
    of its number format, and of the numbers ``tiltak`` writes as text (Avvik)."""
    if ind.measure == "andel":
        return " %"
    if ind.measure == "snitt" and "dager" in ind.name.lower():
        return " dager"
    return ""


#: a consolidated row aggregated as an unweighted mean says so after its name (SPEC §5)
UNWEIGHTED_MARK = f" ({UNWEIGHTED})"


def row_name(name: str, weighted: bool = True) -> str:
    """The text of an indicator's Indikator cell: its name, marked ``(uvektet)`` when unweighted."""
    return name if weighted else name + UNWEIGHTED_MARK


def is_weighted_name(text: str) -> bool:
    """Whether an Indikator cell's text is a weighted row (not marked ``(uvektet)``)."""
    return not text.endswith(UNWEIGHTED_MARK.strip())
