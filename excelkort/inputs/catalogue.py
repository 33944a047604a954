"""The indicator catalogue (SPEC §3) and per-unit targets: load, check and write.

A catalogue comes from a CSV file or from the sheet ``Indikatorer`` of a workbook, read as a
table (``tables.read_table``). Every problem is collected and located (file, line or sheet and
cell, column) with a Norwegian message that says what is wrong and what to do.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from importlib import resources

from ..numtext import MAX_MAGNITUDE, format_number
from ..errors import ERROR, WARNING, Problem, raise_if_errors
from ..model import (DIRECTIONS, FREQUENCIES, INDICATOR_TYPES, LINES, MEASURES, PERSPECTIVES,
                    SOURCES, YTD_MODES, Catalogue, Indicator)
from .hints import did_you_mean
from .tables import (Table, TableRow, cell_text, find_in_folder, join_or, label_keys, norm_label,
                     parse_number, quote, read_table, sheet_rows, table_from_rows, unsafe_text,
                     write_csv_rows)


def decimals_of(x: float) -> int:
    """Decimals of the shortest representation of x (65.25 → 2, 65.0 → 0)."""
    exp = Decimal(repr(float(x))).normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def _enum_map(values) -> dict[str, str]:
    return {k: v for v in values for k in label_keys(v)}


# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------

COLUMNS = ("ID", "Indikator", "Perspektiv", "Type", "Måletype", "Retning", "Mål", "Toleranse",
           "Hittil", "Kilde", "Frekvens", "Desimaler", "Etterslep", "Styringslinje",
           "Resultatkrav", "Ansvarlig", "Datakilde", "Beskrivelse")
REQUIRED = ("ID", "Indikator", "Perspektiv", "Type", "Måletype", "Retning", "Mål")
SHEET = "Indikatorer"
MAX_DECIMALS = 6
MAX_LAG = 11
_ID_MAX = 20

#: enum columns: label → (allowed values, the noun a message uses, default when blank)
_ENUMS = {
    "Perspektiv": (PERSPECTIVES, "perspektiv", None),
    "Type": (INDICATOR_TYPES, "type", None),
    "Måletype": (MEASURES, "måletype", None),
    "Retning": (DIRECTIONS, "retning", None),
    "Hittil": (YTD_MODES, "verdi for Hittil", "akkumulert"),
    "Kilde": (SOURCES, "kilde", "automatisk"),
    "Frekvens": (FREQUENCIES, "frekvens", "måned"),
    "Styringslinje": (LINES, "styringslinje", "felles"),
}
_ENUM_MAPS = {label: _enum_map(spec[0]) for label, spec in _ENUMS.items()}
_TEXTS = ("Indikator", "Resultatkrav", "Ansvarlig", "Datakilde", "Beskrivelse")


def check_catalogue(path) -> list[Problem]:
    """Every problem in a catalogue file (errors and warnings); never raises for bad input."""
    return _read_catalogue(path)[1]


def load_catalogue(path, warnings: list[Problem] | None = None) -> Catalogue:
    """Load a catalogue from CSV or from a workbook's sheet ``Indikatorer``.

    Raises InputError (with every problem found) when there is an error; warnings are appended
    to ``warnings`` when given.
    """
    catalogue, problems = _read_catalogue(path)
    raise_if_errors(problems, into=warnings)
    assert catalogue is not None
    return catalogue


def _read_catalogue(path) -> tuple[Catalogue | None, list[Problem]]:
    table, problems = read_table(path, labels=COLUMNS, required=REQUIRED, sheet_names=(SHEET,),
                                 what="indikatorkatalogen")
    return _catalogue_from_table(table, problems, str(path))


def catalogue_from_sheet(file: str, values: list[list]) -> Catalogue | None:
    """The catalogue in a workbook's Indikatorer sheet, from its cell values; None when it does
    not read cleanly (``load_catalogue`` on the file gives the reasons)."""
    table, problems = table_from_rows(file, SHEET, [("xlsx", sheet_rows(values))], labels=COLUMNS,
                                      required=REQUIRED, what="indikatorkatalogen")
    catalogue, _problems = _catalogue_from_table(table, problems, file)
    return catalogue


def _catalogue_from_table(table: Table | None, problems: list[Problem],
                          source: str) -> tuple[Catalogue | None, list[Problem]]:
    if table is None or not all(label in table.columns for label in REQUIRED):
        return None, problems
    indicators: list[Indicator] = []
    seen: dict[str, TableRow] = {}
    for row in table.rows:
        if not _is_indicator_row(row):
            continue  # a perspective heading, or the notes under the table
        ind, row_problems = _parse_indicator(table, row)
        problems.extend(row_problems)
        if ind is None:
            continue
        key = ind.id.casefold()
        if key in seen:
            other = seen[key]
            first = cell_text(other.values["ID"]).strip()
            if first == ind.id:
                msg = (f"ID «{ind.id}» finnes også {table.ref(other, 'ID')}. Gi hver indikator "
                       "sin egen ID.")
            else:
                msg = (f"ID «{ind.id}» er lik «{first}» {table.ref(other, 'ID')} "
                       "(Excel skiller ikke mellom store og små bokstaver). Gi hver indikator sin "
                       "egen ID.")
            problems.append(Problem(msg, **table.where(row, "ID")))
            continue
        seen[key] = row
        indicators.append(ind)
    if not indicators and not any(p.is_error for p in problems):
        problems.append(Problem("Katalogen har ingen indikatorer. Legg til minst én rad under "
                                "overskriftsraden.", **table.where()))
    if any(p.is_error for p in problems):
        return None, problems
    return Catalogue(tuple(indicators), source=source), problems


def _is_indicator_row(row: TableRow) -> bool:
    return any(row.values.get(c) is not None
               for c in ("ID", "Perspektiv", "Type", "Måletype", "Retning", "Mål"))


def _parse_indicator(table: Table, row: TableRow) -> tuple[Indicator | None, list[Problem]]:
    problems: list[Problem] = []
    v = row.values

    def add(column, message, severity=ERROR):
        problems.append(Problem(message, severity=severity, **table.where(row, column)))

    # ID
    ind_id = cell_text(v.get("ID")).strip()
    if not ind_id:
        add("ID", "ID mangler. Gi indikatoren en kort, unik ID, f.eks. B1.")
    elif msg := unsafe_text(ind_id):
        add("ID", msg)
    elif len(ind_id) > _ID_MAX or not all(c.isalnum() or c in "-_." for c in ind_id):
        add("ID", f"Ugyldig ID {quote(ind_id)}. Bruk bare bokstaver, sifre, «-», «_» og «.» "
                  f"(høyst {_ID_MAX} tegn), f.eks. B1.")

    # free text
    texts = {}
    for label in _TEXTS:
        text = cell_text(v.get(label)).strip()
        if text and (msg := unsafe_text(text)):
            add(label, msg)
        texts[label] = text
    if not texts["Indikator"]:
        add("Indikator", "Indikator mangler. Skriv navnet brukerne skal se.")

    # enums
    enums = {}
    for label, (allowed, noun, default) in _ENUMS.items():
        raw = v.get(label)
        if raw is None:
            if default is None:
                add(label, f"{label} mangler. Bruk {join_or(allowed)}.")
            enums[label] = default
            continue
        value = _ENUM_MAPS[label].get(norm_label(cell_text(raw)))
        if value is None:
            add(label, f"Ukjent {noun} {quote(raw)}. Bruk {join_or(allowed)}.")
        enums[label] = value
    measure = enums["Måletype"]

    # numbers
    target = _number(v.get("Mål"), "Mål", add, required=True)
    tolerance = _number(v.get("Toleranse"), "Toleranse", add)
    if tolerance is not None and tolerance < 0:
        add("Toleranse", f"Toleranse kan ikke være negativ ({format_number(tolerance)}). Skriv "
                         "et tall fra 0 og oppover, eller la feltet stå tomt for 5 % av målet.")
    if target == 0 and v.get("Toleranse") is None:
        add("Toleranse", "Toleranse må fylles ut når Mål er 0 (5 % av 0 gir ikke noe gult "
                         "bånd). Skriv bredden på det gule båndet, f.eks. 1.")
    decimals = _whole(v.get("Desimaler"), "Desimaler", MAX_DECIMALS, add,
                      "eller la feltet stå tomt for standardverdien")
    lag = _whole(v.get("Etterslep"), "Etterslep", MAX_LAG, add, "eller la feltet stå tomt for 0")

    if any(p.is_error for p in problems):
        return None, problems
    ind = Indicator(
        id=ind_id, name=texts["Indikator"], perspective=enums["Perspektiv"], type=enums["Type"],
        measure=measure, direction=enums["Retning"], target=target, tolerance=tolerance,
        ytd_mode=enums["Hittil"], source=enums["Kilde"], frequency=enums["Frekvens"],
        decimals_given=decimals, lag=lag or 0, line=enums["Styringslinje"],
        goal=texts["Resultatkrav"], responsible=texts["Ansvarlig"],
        data_source=texts["Datakilde"], description=texts["Beskrivelse"])

    # warnings
    if decimals_of(target) > ind.decimals:
        add("Mål", f"Mål {format_number(target)} har flere desimaler enn Desimaler "
                   f"({ind.decimals}). Tallet som vises blir avrundet; øk Desimaler eller rund "
                   "av målet.", WARNING)
    if measure == "andel" and ind.direction != "nær":
        if target < 0 or target > 100:
            add("Mål", f"Mål {format_number(target)} for en andel ligger utenfor 0–100 %. Sjekk "
                       "målet.", WARNING)
        elif 0 < target < 1:
            add("Mål", f"Mål {format_number(target)} ser ut som en brøk. Andeler skrives i "
                       "prosentpoeng: 65 betyr 65 %.", WARNING)
    return ind, problems


def _number(raw, label, add, required=False) -> float | None:
    if raw is None:
        if required:
            add(label, f"{label} mangler. Skriv et tall, f.eks. 65 eller 4,5.")
        return None
    try:
        x = parse_number(raw)
    except ValueError:
        hint = (" Skriv tallet uten «%»: 65 betyr 65 %." if "%" in str(raw)
                else " Skriv et tall, f.eks. 65 eller 4,5.")
        add(label, f"{label} {quote(raw)} er ikke et tall.{hint}")
        return None
    if not abs(x) < MAX_MAGNITUDE:
        add(label, out_of_range(label, raw))
        return None
    return x


def out_of_range(label: str, raw) -> str:
    """The message for a number of 1e15 or more (numtext.MAX_MAGNITUDE) in a table."""
    return (f"{label} {quote(raw)} er utenfor det excelkort kan regne med (høyst 15 sifre). Skriv "
            "et mindre tall.")


def _whole(raw, label, maximum, add, blank_hint) -> int | None:
    if raw is None:
        return None
    try:
        x = parse_number(raw)
    except ValueError:
        x = None
    if x is None or not x.is_integer() or not 0 <= x <= maximum:
        add(label, f"{label} {quote(raw)} må være et helt tall fra 0 til {maximum}, "
                   f"{blank_hint}.")
        return None
    return int(x)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The package's default catalogue (``excelkort/data/indikatorer.csv``)."""
    ref = resources.files("excelkort") / "data" / "indikatorer.csv"
    with resources.as_file(ref) as path:
        return load_catalogue(path)


def resolve_catalogue(katalog=None, workdir=None) -> Catalogue:
    """``--katalog F`` where given, else ``indikatorer.csv`` in the work folder, else the default."""
    if katalog is not None:
        return load_catalogue(katalog)
    found = find_in_folder(workdir, "indikatorer.csv")
    if found is not None:
        return load_catalogue(found)
    return default_catalogue()


# ---------------------------------------------------------------------------------------------
# Writing the catalogue
# ---------------------------------------------------------------------------------------------

def catalogue_to_rows(catalogue: Catalogue) -> list[dict]:
    """One dict per indicator, column label → value in SPEC order (None = blank cell)."""
    rows = []
    for ind in catalogue:
        rows.append({
            "ID": ind.id, "Indikator": ind.name, "Perspektiv": ind.perspective,
            "Type": ind.type, "Måletype": ind.measure, "Retning": ind.direction,
            "Mål": ind.target, "Toleranse": ind.tolerance, "Hittil": ind.ytd_mode,
            "Kilde": ind.source, "Frekvens": ind.frequency, "Desimaler": ind.decimals_given,
            "Etterslep": ind.lag, "Styringslinje": ind.line, "Resultatkrav": ind.goal,
            "Ansvarlig": ind.responsible, "Datakilde": ind.data_source,
            "Beskrivelse": ind.description,
        })
    return rows


def write_catalogue_csv(catalogue: Catalogue, path) -> None:
    """Write the catalogue as CSV; ``load_catalogue`` reads back the same indicators."""
    write_csv_rows(path, COLUMNS, ([r[c] for c in COLUMNS] for r in catalogue_to_rows(catalogue)))


# ---------------------------------------------------------------------------------------------
# Per-unit targets (the table ``Mål``: enhet, indikator, mål)
# ---------------------------------------------------------------------------------------------

TARGET_COLUMNS = ("enhet", "indikator", "mål")


def check_unit_targets(path, catalogue: Catalogue | None = None, register=None) -> list[Problem]:
    """Every problem in a per-unit target table; never raises for bad input."""
    return _read_unit_targets(path, catalogue, register)[1]


def load_unit_targets(path, catalogue: Catalogue | None = None, register=None,
                      warnings: list[Problem] | None = None) -> dict[tuple[str, str], float]:
    """Per-unit targets {(unit id, indicator id): target} from CSV or a workbook (sheet ``Mål``).

    With a catalogue, unknown indicators are errors; with a register (``register.Register``),
    unknown units are errors naming the likely match. A row with a blank ``mål`` is skipped.
    """
    targets, problems = _read_unit_targets(path, catalogue, register)
    raise_if_errors(problems, into=warnings)
    return targets


def _read_unit_targets(path, catalogue, register):
    table, problems = read_table(path, labels=TARGET_COLUMNS, required=TARGET_COLUMNS,
                                 sheet_names=("Mål",), first_sheet=True, what="måltabellen")
    targets: dict[tuple[str, str], float] = {}
    if table is None or not all(label in table.columns for label in TARGET_COLUMNS):
        return targets, problems
    seen: dict[tuple[str, str], TableRow] = {}
    for row in table.rows:
        v = row.values

        def add(column, message, severity=ERROR):
            problems.append(Problem(message, severity=severity, **table.where(row, column)))

        unit = cell_text(v.get("enhet")).strip()
        ind = cell_text(v.get("indikator")).strip()
        raw = v.get("mål")
        ok = True
        if not unit:
            add("enhet", "Enhet mangler. Skriv enhetens id, f.eks. 0101.")
            ok = False
        elif isinstance(v.get("enhet"), float):
            add("enhet", f"Enhet {unit} er lagret som et tall i Excel, så en ledende null kan ha "
                         "falt bort. Formater kolonnen «enhet» som tekst.", WARNING)
        if register is not None and unit and register.find_unit(unit) is None:
            guess = register.suggest(unit)
            hint = f" {did_you_mean([guess])}" if guess else " Sjekk id-en mot enhetsregisteret."
            add("enhet", f"Ukjent enhet «{unit}».{hint}")
            ok = False
        if not ind:
            add("indikator", "Indikator mangler. Skriv indikatorens ID, f.eks. B1.")
            ok = False
        elif catalogue is not None and ind not in catalogue:
            add("indikator", f"Ukjent indikator «{ind}». Bruk en ID fra katalogen, f.eks. "
                             f"{catalogue.ids()[0]}.")
            ok = False
        if raw is None:
            continue
        try:
            target = parse_number(raw)
        except ValueError:
            hint = (" Skriv tallet uten «%»: 65 betyr 65 %." if "%" in str(raw)
                    else " Skriv et tall, f.eks. 65 eller 4,5.")
            add("mål", f"Mål {quote(raw)} er ikke et tall.{hint}")
            continue
        if not abs(target) < MAX_MAGNITUDE:
            add("mål", out_of_range("Mål", raw))
            continue
        if not ok:
            continue
        key = (unit, ind)
        if key in seen:
            add("enhet", f"Enhet «{unit}» og indikator «{ind}» står også "
                         f"{table.ref(seen[key], 'enhet')}. Behold én rad per enhet og "
                         "indikator.")
            continue
        seen[key] = row
        targets[key] = target
    return targets, problems


def resolve_unit_targets(mal=None, workdir=None, catalogue: Catalogue | None = None,
                         register=None) -> dict[tuple[str, str], float]:
    """``--mal F`` where given, else ``mål.csv`` in the work folder, else no per-unit targets."""
    if mal is not None:
        return load_unit_targets(mal, catalogue, register)
    found = find_in_folder(workdir, "mål.csv")
    if found is not None:
        return load_unit_targets(found, catalogue, register)
    return {}


def write_unit_targets_csv(targets: dict[tuple[str, str], float], path) -> None:
    """Write per-unit targets as CSV (``;``, UTF-8 with BOM, decimal comma)."""
    write_csv_rows(path, TARGET_COLUMNS, ([u, i, t] for (u, i), t in targets.items()))
