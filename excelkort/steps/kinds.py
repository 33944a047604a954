"""What a file is, from its content: header labels, sheet names, Parquet columns (``sjekk``
says it; ``fyll``, ``konsolider`` and ``rapport`` skip excelkort's other workbooks by it)."""
from __future__ import annotations

from pathlib import Path

from ..actionplan.layout import ACTION_SHEET
from ..errors import InputError
from ..scorecard.layout import (CATALOGUE_SHEET, DATA_SHEET, LOG_SHEET, RANKING_SHEET,
                                SCORECARD_SHEET, UNITS_SHEET)
from ..textfile import DecodeError, decode_text
from ..xlsx.package import open_package

#: bytes read to find a CSV's header; cut back to a whole line before decoding
_HEAD_BYTES = 65536


def _head_text(path: Path) -> str:
    """The file's first lines, decoded as the extract reader decodes (textfile.decode_text);
    "" when it is not text."""
    with path.open("rb") as f:
        data = f.read(_HEAD_BYTES + 1)
    if len(data) > _HEAD_BYTES:  # cut at a line end, never inside a character
        data = data[:_HEAD_BYTES]
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            data = data[:len(data) // 2 * 2]
            end = max(data.rfind(b"\n\x00"), data.rfind(b"\x00\n"))
            data = data[:end + 2] if end > 0 and end % 2 == 0 else data
        else:
            data = data[:data.rfind(b"\n") + 1] or data
    try:
        return decode_text(data)
    except DecodeError:
        return ""


def _header_words(path: Path) -> set[str]:
    text = _head_text(path)
    first = next((line for line in text.splitlines()
                  if line.strip() and not line.strip('"').lower().startswith("sep=")), "")
    for sep in (";", ",", "\t"):
        first = first.replace(sep, "|")
    return {w.strip().strip('"').casefold() for w in first.split("|")}


def workbook_kind(path: Path) -> str:
    """«målekort», «konsolidert», «tiltaksplan», «kontroll», «katalog» or «uttrekk» (a workbook
    of none of these); a file that does not open is a målekort, so its reader says why."""
    try:
        package = open_package(path, allow_locked=True)
        sheets = set(package.sheet_names())
        names = set(package.defined_names())
    except InputError:
        return "målekort"  # let the reader give the precise message
    if SCORECARD_SHEET in sheets or {"Enhet", "Periode"} <= names:  # also a renamed sheet
        return "konsolidert" if {UNITS_SHEET, RANKING_SHEET} & sheets else "målekort"
    if {DATA_SHEET, LOG_SHEET} & sheets:  # a målekort with its main sheet renamed or lost
        return "målekort"
    if ACTION_SHEET in sheets:
        return "tiltaksplan"
    if {"Sammendrag", "Avvik"} <= sheets:
        return "kontroll"
    if CATALOGUE_SHEET in sheets:
        return "katalog"
    return "uttrekk"


def _parquet_kind(path: Path) -> str:
    import pyarrow.parquet as pq

    try:
        names = set(pq.read_schema(path).names)
    except Exception:  # noqa: BLE001 - the extract reader says what is wrong with the file
        return "uttrekk"
    return "historikk" if {"nivå", "kilde", "verdi"} <= names else "uttrekk"


def detect_kind(path: Path) -> str:
    """What a file is, from its content (header labels, sheet names, Parquet columns).

    A text file of no other kind is an extract: it is checked by the extract reader, so sjekk
    says what ``fyll`` says about it (a header it cannot find, an encoding, binary data)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return workbook_kind(path)
    if suffix == ".pptx":
        return "statusrapport"
    if suffix == ".parquet":
        return _parquet_kind(path)
    words = _header_words(path)
    if {"teller", "periode"} & words:
        return "uttrekk"
    if {"perspektiv", "måletype"} & words:
        return "katalog"
    if {"nivå", "overordnet"} & words:
        return "register"
    if {"enhet", "indikator", "mål"} <= words:
        return "mål"
    return "uttrekk"
