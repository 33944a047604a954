"""The data-warehouse extract (SPEC §6): reading, validating and writing it.

This module is the entry: ``read_extract`` (file → validated rows) and ``write_extract_csv``.
The work is done in ``extract_files`` (file → raw table), ``extract_validate`` (raw table →
rows, in named steps) and ``extract_values`` (columns, symbols, the row types, one cell).

An extract is long: one row per unit (``enhet``), month (``periode``) and indicator
(``indikator``) with ``teller`` and ``nevner`` and an optional free-text ``merknad``.

Formats
    * CSV as Norwegian Excel and data warehouses write it: ``;`` (or ``,`` or tab) separator,
      decimal comma or point, UTF-8 with or without BOM (UTF-16 with BOM too), else
      Windows-1252. The header row is found by its labels among the first lines (a title line
      or Excel's ``sep=;`` line before it is skipped).
    * ``.xlsx``: the first sheet, header row found by its labels wherever it is.
    * Parquet.
    The format is recognised from the file's first bytes, not only from its name.

Values
    Every column is read as text first: unit ids stay text (``0101`` never becomes ``101``).
    Numbers may be written ``1 234,5``, ``1234.5``, ``1234,5`` (also with non-breaking spaces
    as thousand separators). Statistics Norway's symbols are explicit missing values with a
    reason, never numbers: ``:`` prikket, ``..`` mangler, ``...`` ikke klar (not yet
    available), ``.`` umulig; ``-`` is zero. A value is therefore ``float | None`` plus a reason
    code (``None`` when the value is present or simply blank).
    Formula-like text (``=HYPERLINK(…)``, ``+cmd``, ``@SUM``) is data: in a text field it is
    kept as text, in a number field it is an error ("tekst i tallfelt").

What rejects the extract
    Errors reject the whole extract — :func:`read_extract` raises :class:`InputError` carrying
    every problem found (errors and warnings), each naming file, line and column, so a command
    leaves every input untouched (exit code 2). Errors are structural (wrong columns, encoding,
    unreadable file, wrong number of fields) and value errors (text in a number field, bad
    periode, missing enhet/indikator, nevner 0 with teller > 0, negative teller or nevner,
    andel over 100 % except for ``nær`` indicators, duplicate unit+period+indicator).
    Every row must be well-formed, including rows that are then skipped.
    Warnings never reject: rows whose indicator is unknown or ``lokal``, or whose unit is not
    in the register, are skipped and reported (grouped: one warning per unknown value); a
    ``nevner`` on an ``antall`` row is ignored with a warning.

Line numbers
    CSV: the physical 1-based line in the file (the header's line is where the header is,
    normally 1). xlsx: the sheet's row number. Parquet has no lines: row *i* (0-based) is
    numbered *i* + 2, as if the table were a CSV with its header on line 1.
"""
from __future__ import annotations

import csv
import gc
import io
import math
import os
from typing import Any, Iterable, Mapping

from ..atomic import write_bytes_atomic
from ..model import Catalogue
from ..numtext import format_number
from ..period import parse_period
from .extract_files import ExtractTable, read_table
from .extract_validate import validate_table
from .extract_values import COLUMNS, SYMBOL_FOR_REASON, Extract, ExtractRow, escape_text


def read_extract(
    path: str | os.PathLike,
    catalogue: Catalogue,
    unit_ids: set[str] | None = None,
) -> Extract:
    """Read and validate an extract (CSV, .xlsx or Parquet).

    ``catalogue`` decides which indicators are known, automatic and of which Måletype;
    ``unit_ids`` (optional) the units that exist. Returns the rows to use and the warnings;
    raises :class:`InputError` with every problem (warnings too) when there is any error.
    """
    return validated(read_table(path), catalogue, unit_ids, name=str(path))


def validated(table: ExtractTable, catalogue: Catalogue, unit_ids: set[str] | None = None, *,
              name: str) -> Extract:
    """``validate_table`` of a table read (for a caller that keeps the table too)."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # tens of thousands of small tuples: the cyclic GC would double the time
    try:
        return validate_table(table, catalogue, unit_ids, name=name)
    finally:
        if gc_was_enabled:
            gc.enable()


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def _format_value(value: float | None, reason: str | None) -> str:
    if value is None:
        return SYMBOL_FOR_REASON.get(reason, "") if reason else ""
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"not a finite number: {value!r}")
    return format_number(x)


def _as_row(row: ExtractRow | Mapping[str, Any]) -> ExtractRow:
    if isinstance(row, ExtractRow):
        return row
    get = row.get
    return ExtractRow(
        unit=str(get("enhet", get("unit"))),
        period=str(get("periode", get("period"))),
        indicator=str(get("indikator", get("indicator"))),
        teller=get("teller"),
        nevner=get("nevner"),
        teller_reason=get("teller_reason"),
        nevner_reason=get("nevner_reason"),
        merknad=get("merknad"),
    )


def write_extract_csv(rows: Iterable[ExtractRow | Mapping[str, Any]], path: str | os.PathLike
                      ) -> bool:
    """Write rows as Norwegian Excel writes CSV: ``;``, decimal comma, UTF-8 with BOM, CRLF.

    Rows are :class:`ExtractRow` or mappings with the keys ``enhet``, ``periode``,
    ``indikator``, ``teller``, ``nevner`` and optionally ``merknad``, ``teller_reason``,
    ``nevner_reason``. Missing values with a reason are written as Statistics Norway's symbol.
    Formula-like text is written with a leading apostrophe (as Excel marks text), which
    :func:`read_extract` removes, so every row round-trips. The write is atomic, and the file
    is left untouched when its content would not change. Returns True when it was written.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for raw in rows:
        r = _as_row(raw)
        period = parse_period(r.period)
        if period is None:
            raise ValueError(f"bad period: {r.period!r}")
        writer.writerow((
            escape_text(r.unit),
            period,
            escape_text(r.indicator),
            _format_value(r.teller, r.teller_reason),
            _format_value(r.nevner, r.nevner_reason),
            escape_text(r.merknad) if r.merknad else "",
        ))
    return write_bytes_atomic(path, buf.getvalue().encode("utf-8-sig"))
