"""The indicator catalogue (SPEC §3) and per-unit targets: load, check and write.

A catalogue comes from a CSV file (``;`` or ``,``, decimal comma or point, UTF-8 with or without
BOM, or Windows-1252) or from the sheet ``Indikatorer`` of a workbook. Every problem is collected
and located (file, line or sheet and cell, column) with a Norwegian message that says what is
wrong and what to do.

The first half of this module reads *tables* (a header row found by its labels, then data rows)
from CSV or xlsx; ``register.py`` uses the same reader.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..atomic import write_bytes_atomic
from ..numtext import format_number, parse_number_text
from ..textfile import DecodeError, decode_text
from ..errors import ERROR, WARNING, Problem, raise_if_errors
from ..model import (DIRECTIONS, FREQUENCIES, INDICATOR_TYPES, LINES, MEASURES, PERSPECTIVES,
                    SOURCES, YTD_MODES, Catalogue, Indicator)
from ..xlsx.refs import cell_ref

# ---------------------------------------------------------------------------------------------
# Reading tables from CSV or xlsx
# ---------------------------------------------------------------------------------------------

#: rows scanned for the header row
HEADER_SCAN_ROWS = 30
#: an xlsx whose members unpack to more than this is refused (zip bomb)
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_CSV_BYTES = 50 * 1024 * 1024

_TRANSLIT = str.maketrans({"å": "a", "ø": "o", "æ": "ae"})


def norm_label(text: object) -> str:
    """A header label or enum value, compared case- and whitespace-insensitively."""
    s = unicodedata.normalize("NFC", str(text)).casefold()
    return " ".join(s.split())


def _label_keys(label: str) -> set[str]:
    """The spellings accepted for a label: as written, and without æ, ø, å (``Maletype``)."""
    n = norm_label(label)
    return {n, n.translate(_TRANSLIT), n.replace("å", "aa").replace("ø", "oe").replace("æ", "ae")}


@dataclass(frozen=True)
class TableRow:
    """One data row: raw values by canonical column label (str, float or date; None = blank)."""

    values: dict[str, object]
    index: int  # 1-based: the CSV file line or the sheet row


@dataclass
class Table:
    """A table read from a CSV file or a sheet, with what is needed to locate a cell."""

    file: str
    sheet: str | None  # None for CSV
    header_index: int  # 1-based CSV line or sheet row of the header
    columns: dict[str, int] = field(default_factory=dict)  # canonical label -> 0-based column
    rows: list[TableRow] = field(default_factory=list)

    @property
    def is_csv(self) -> bool:
        return self.sheet is None

    def where(self, row: TableRow | int | None = None, column: str | None = None) -> dict:
        """Keyword arguments for ``Problem`` locating a cell (or a row, or the whole table)."""
        index = row.index if isinstance(row, TableRow) else row
        loc: dict = {"file": self.file, "column": column}
        if self.is_csv:
            loc["line"] = index
        else:
            loc["sheet"] = self.sheet
            if index is not None and column in self.columns:
                loc["cell"] = cell_ref(index - 1, self.columns[column])
        return loc

    def ref(self, row: TableRow, column: str) -> str:
        """How a message names another cell: ``på linje 2`` or ``i celle A5``."""
        if self.is_csv:
            return f"på linje {row.index}"
        return f"i celle {cell_ref(row.index - 1, self.columns[column])}"


def join_or(items) -> str:
    """``a, b eller c`` – Norwegian enumeration."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " eller " + items[-1]


def join_and(items) -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def read_table(path, *, labels: tuple[str, ...], required: tuple[str, ...],
               sheet_names: tuple[str, ...] = (), first_sheet: bool = False,
               what: str = "tabellen") -> tuple[Table | None, list[Problem]]:
    """Read a table with the given column labels from a CSV file or a workbook sheet.

    The header row is the first of the first rows holding every required label (matched
    case-insensitively, any order, extra columns ignored). For a workbook the sheet is the first
    whose name matches ``sheet_names`` (case-insensitive), else the first sheet when
    ``first_sheet``. Returns the table (None when it cannot be read) and the problems found.
    """
    path = Path(path)
    opened = _open_rows(path, sheet_names, first_sheet)
    if isinstance(opened, Problem):
        return None, [opened]
    sheet, candidates = opened
    return table_from_rows(str(path), sheet, candidates, labels=labels, required=required, what=what)


def table_from_rows(file: str, sheet: str | None, candidates: list, *, labels: tuple[str, ...],
                    required: tuple[str, ...], what: str) -> tuple[Table | None, list[Problem]]:
    """``read_table`` for rows already read: ``candidates`` is [(tag, [(index, cells), …]), …]."""
    problems: list[Problem] = []
    keys = {k: label for label in labels for k in _label_keys(label)}

    def where(index=None, column=None):
        return Table(file, sheet, 0).where(index, column)

    best = None  # (matches, index, cells, sep-tag)
    for tag, rows in candidates:
        for index, cells in rows[:HEADER_SCAN_ROWS]:
            found = {keys[norm_label(c)] for c in cells if c is not None and norm_label(c) in keys}
            score = (all(r in found for r in required), len(found))
            if best is None or score > best[0]:
                best = (score, index, cells, tag)
    if best is None or best[0][1] < 2:
        hint = " Sjekk også at kolonnene er skilt med semikolon eller komma." if sheet is None else ""
        problems.append(Problem(
            f"Fant ikke overskriftsraden i {what}. Den må ha kolonnene {join_and(required)}."
            + hint, **where()))
        return None, problems
    _score, header_index, header_cells, tag = best
    rows = dict(candidates)[tag]
    table = Table(file, sheet, header_index)
    for col, cell in enumerate(header_cells):
        if cell is None or norm_label(cell) not in keys:
            continue
        label = keys[norm_label(cell)]
        if label in table.columns:
            problems.append(Problem(
                f"Kolonnen «{label}» står to ganger i overskriftsraden. Fjern den ene.",
                **table.where(header_index if sheet is None else None, label)))
            continue
        table.columns[label] = col
    for label in required:
        if label not in table.columns:
            problems.append(Problem(
                f"Mangler kolonnen «{label}». Legg den til i overskriftsraden.",
                **table.where(header_index if sheet is None else None, None)))
    width = len(header_cells)
    for index, cells in rows:
        if index <= header_index or all(c is None for c in cells):
            continue
        if sheet is None and any(c is not None for c in cells[width:]):
            problems.append(Problem(
                f"Linjen har {len(cells)} felt, men overskriftsraden har {width}. Sjekk "
                "skilletegnet: et tall med desimalkomma i en kommaseparert fil må stå i "
                "anførselstegn.", **table.where(index)))
            continue
        values = {label: (cells[col] if col < len(cells) else None)
                  for label, col in table.columns.items()}
        table.rows.append(TableRow(values, index))
    return table, problems


def _open_rows(path: Path, sheet_names, first_sheet):
    """Rows of a file as (index, cells) lists, per candidate separator for CSV.

    Returns (sheet name or None, [(tag, rows), …]) or a Problem.
    """
    file = str(path)
    if path.name.startswith("~$"):
        return Problem("Dette er Excels låsefil for en åpen arbeidsbok, ikke en fil med data. "
                       "Bruk selve arbeidsboken (uten «~$» i navnet).", file=file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Problem("Finner ikke filen. Sjekk navnet og mappen.", file=file)
    except IsADirectoryError:
        return Problem("Dette er en mappe, ikke en fil.", file=file)
    except OSError as exc:
        return Problem(f"Kan ikke lese filen ({exc.strerror}). Sjekk at den ikke er åpen i et "
                       "annet program, og at du har tilgang til den.", file=file)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return Problem("Filen er en gammel .xls-arbeidsbok eller er passordbeskyttet. Åpne den i "
                       "Excel, fjern eventuelt passordet og lagre som .xlsx eller CSV.", file=file)
    if data.startswith(b"PK"):
        return _open_xlsx(path, data, sheet_names, first_sheet)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return Problem("Filen er ikke en gyldig Excel-arbeidsbok (den kan være skadet). Åpne den i "
                       "Excel og lagre den på nytt som .xlsx.", file=file)
    text = _decode(data)
    if isinstance(text, str) and "\x00" in text:
        text = None
    if text is None:
        return Problem("Filen ser ikke ut som en tekstfil (CSV). Lagre den som CSV (UTF-8) "
                       "eller .xlsx.", file=file)
    if len(data) > MAX_CSV_BYTES:
        return Problem("Filen er for stor til å være en tabell av denne typen.", file=file)
    return None, [(sep, _csv_rows(text, sep)) for sep in (";", ",", "\t")]


def _decode(data: bytes) -> str | None:
    """The file's text (``textfile.decode_text``), or None when it is not text we accept."""
    try:
        return decode_text(data)
    except DecodeError:
        return None


def _csv_rows(text: str, sep: str) -> list[tuple[int, list]]:
    """Rows as (first file line of the record, cells); blank cells None."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows = []
    line = 1
    try:
        for record in reader:
            cells = [c if c.strip() else None for c in record]
            rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error:
        pass  # an unterminated quote: keep what was read
    return rows


def _open_xlsx(path: Path, data: bytes, sheet_names, first_sheet):
    file = str(path)
    bad = Problem("Filen er ikke en gyldig Excel-arbeidsbok (den kan være skadet). Åpne den i "
                  "Excel og lagre den på nytt som .xlsx.", file=file)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if sum(i.file_size for i in zf.infolist()) > MAX_UNPACKED_BYTES:
                return Problem("Arbeidsboken pakker seg ut til mer enn 200 MB og blir ikke lest "
                               "(mulig zip-bombe).", file=file)
    except zipfile.BadZipFile:
        return bad
    import python_calamine

    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(wb.sheet_names)
        chosen = None
        wanted = [norm_label(n) for n in sheet_names]
        for want in wanted:
            chosen = next((n for n in names if norm_label(n) == want), None)
            if chosen:
                break
        if chosen is None and first_sheet and names:
            chosen = names[0]
        if chosen is None:
            return Problem(f"Arbeidsboken har ikke arket «{sheet_names[0]}». Legg til arket, "
                           "eller gi det riktig navn.", file=file)
        values = wb.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except Exception:  # calamine raises several types for broken files
        return bad
    return chosen, [("xlsx", sheet_rows(values))]


def sheet_rows(values: list[list]) -> list[tuple[int, list]]:
    """A sheet's cell values as (1-based row, cells), blank text as None."""
    return [(i, [None if (c is None or (isinstance(c, str) and not c.strip())) else c for c in cells])
            for i, cells in enumerate(values, start=1)]


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------



def parse_number(value: object) -> float:
    """A number as a user or Excel writes it: ``65``, ``4,5``, ``4.5``, ``1 234,5``, ``−2``.

    Raises ValueError for anything else (``65 %``, ``ikke klar``, ``-``).
    """
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(value)
        return float(value)
    number = parse_number_text(str(value))
    if number is None:
        raise ValueError(value)
    return number


def decimals_of(x: float) -> int:
    """Decimals of the shortest representation of x (65.25 → 2, 65.0 → 0)."""
    exp = Decimal(repr(float(x))).normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def cell_text(value: object) -> str:
    """A cell's value as text (a number Excel stored for a text column loses nothing visible)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value))


def quote(text: object, limit: int = 40) -> str:
    """Text for a message, shortened: «…»."""
    s = cell_text(text) if not isinstance(text, str) else text
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return f"«{s}»"


def unsafe_text(text: str) -> str | None:
    """A message when free text is unsafe in a cell or CSV: formula-like, or control characters."""
    for ch in text:
        if (ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127:
            return (f"Teksten inneholder et kontrolltegn (U+{ord(ch):04X}) som ikke hører hjemme "
                    "i en celle. Fjern det.")
    first = text.lstrip()[:1]
    if first and first in "=+-@":
        return (f"Teksten {quote(text)} begynner med «{first}» og kan bli lest som en formel i "
                f"Excel. Fjern tegnet «{first}» i starten.")
    return None


def _enum_map(values) -> dict[str, str]:
    return {k: v for v in values for k in _label_keys(v)}


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
        return parse_number(raw)
    except ValueError:
        hint = (" Skriv tallet uten «%»: 65 betyr 65 %." if "%" in str(raw)
                else " Skriv et tall, f.eks. 65 eller 4,5.")
        add(label, f"{label} {quote(raw)} er ikke et tall.{hint}")
        return None


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


def find_in_folder(folder, name: str) -> Path | None:
    """A file in ``folder`` whose name equals ``name`` up to case and Unicode normalisation."""
    if folder is None:
        return None
    folder = Path(folder)
    exact = folder / name
    if exact.is_file():
        return exact
    want = norm_label(name)
    try:
        for entry in sorted(folder.iterdir()):
            if entry.is_file() and norm_label(entry.name) == want:
                return entry
    except OSError:
        return None
    return None


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


def write_csv_rows(path, header, rows) -> None:
    """Write a table as Norwegian Excel does: ``;``, UTF-8 with BOM, CRLF, decimal comma."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else format_number(v)
                         if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
                         for v in row])
    write_bytes_atomic(path, ("\ufeff" + out.getvalue()).encode("utf-8"))


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
            hint = f" Mente du «{guess}»?" if guess else " Sjekk id-en mot enhetsregisteret."
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
