"""Reading an extract tolerantly for ``excelkort kontroll`` (SPEC §6).

``read_extract`` rejects a whole extract for one bad line or one duplicate, which is right for
``fyll`` but not for a check whose job is to list such lines. Here the extract's raw table is
read once and validated as ``read_extract`` validates it; when that raises, the table is
validated again without the lines that failed (each becomes a row error with the reader's own
message), and the lines of a duplicated unit + period + indicator are validated
one by one and returned as one ``Duplicate``. A duplicate's row is kept only when all its copies
have the same numbers. File-level problems (cannot be read, wrong columns, encoding) still raise
InputError: there is nothing to check.

``read_extracts`` reads the month's extract and the earlier ones (``--forrige``); its
``Extracts.lookup`` finds a month's numbers in the month's extract first, then in the earlier
ones, the one with the latest period first.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InputError, Problem
from ..inputs.extract import validated
from ..inputs.extract_files import read_table, rows_read, table_keys
from ..inputs.extract_validate import validate_table
from ..inputs.extract_values import Extract, ExtractRow
from ..model import Catalogue
from ..period import index

__all__ = ["Duplicate", "ReadResult", "Extracts", "read_tolerant", "read_extracts", "file_sha256"]

_MAX_PASSES = 5  # each pass removes the lines that failed; a row error never needs more


@dataclass
class Duplicate:
    """One unit + period + indicator that stands on several lines."""

    key: tuple[str, str, str]
    lines: list[int]
    rows: list[ExtractRow]  # the copies that are valid rows of a known indicator

    @property
    def identical(self) -> bool:
        vals = {(r.teller, r.nevner, r.teller_reason, r.nevner_reason) for r in self.rows}
        return len(vals) <= 1


@dataclass
class ReadResult:
    """An extract read tolerantly: the usable rows and what was left out."""

    extract: Extract
    raw: list[tuple[int, str, str | None, str]]  # (line, unit, period, indicator) of every record
    row_errors: list[Problem]
    duplicates: list[Duplicate]


@dataclass
class Extracts:
    """The extracts of one check, read tolerantly, and where a month's numbers come from: the
    main extract first, then the earlier ones (``--forrige``), newest period first."""

    source: Path
    main: ReadResult
    previous: list[tuple[Path, ReadResult]]  # newest period first

    def __post_init__(self):
        self.main_lookup = {r.key: r for r in self.main.extract.rows}
        self.sources: list[tuple[str, dict]] = [(self.source.name, self.main_lookup)]
        self.sources += [(p.name, {r.key: r for r in rr.extract.rows}) for p, rr in self.previous]

    def add_history(self, history: list[tuple[Path, list[ExtractRow]]]) -> None:
        """Look in the consolidation history's office rows (per file) after every extract."""
        self.sources += [(f"{p.parent.name}/{p.name}", {r.key: r for r in rows}) for p, rows in history]

    def lookup(self, key: tuple[str, str, str]) -> tuple[ExtractRow | None, str]:
        """The row of (unit, period, indicator) and the name of the file it came from."""
        for name, rows in self.sources:
            r = rows.get(key)
            if r is not None:
                return r, name
        return None, ""


def read_extracts(source: Path, previous: list[Path], catalogue: Catalogue) -> Extracts:
    """Read the main extract and the earlier ones tolerantly."""
    main = read_tolerant(source, catalogue)
    reads = [(p, read_tolerant(p, catalogue)) for p in previous]
    ordered = sorted(enumerate(reads),
                     key=lambda t: (-_period_number(t[1][1].extract.latest_period()), t[0]))
    return Extracts(source, main, [pr for _, pr in ordered])


def _period_number(period: str | None) -> int:
    return index(period) if period else -1


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _subtable(table, indexes: list[int]):
    return replace(table, lines=[table.lines[i] for i in indexes],
                   records=[table.records[i] for i in indexes])


def read_tolerant(path: Path, catalogue: Catalogue) -> ReadResult:
    """read_extract, but bad lines and duplicates become findings instead of a rejection."""
    name = str(path)
    first_error: InputError | None = None
    table = read_table(path)  # read once: a national extract is large
    try:
        ext = validated(table, catalogue, None, name=name)
    except InputError as exc:
        ext, first_error = None, exc
        if any(p.line is None for p in exc.errors):
            raise  # the file cannot be read at all
    raw = table_keys(table)
    if not raw and table.records:
        if first_error is not None:
            raise first_error
        raise InputError(Problem("uttrekket mangler kolonner.", file=name))
    if first_error is None:
        return ReadResult(ext, raw, [], [])
    if any(p.line == table.header_line for p in first_error.errors):
        raise first_error  # a header problem (e.g. a column twice): nothing to check
    return _read_around_bad_lines(table, raw, catalogue, name, first_error)


def _read_around_bad_lines(table, raw, catalogue: Catalogue, name: str,
                           first_error: InputError) -> ReadResult:
    """Validate the table without its duplicated and failing lines, then the duplicates."""
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, (line, unit, period, ind) in enumerate(raw):
        if unit and period and ind:
            groups[(unit, period, ind)].append(i)
    in_dup = {i for members in groups.values() if len(members) > 1 for i in members}
    base = [i for i in range(len(raw)) if i not in in_dup]
    row_errors: list[Problem] = []
    ext = _validate_without_bad_lines(table, base, catalogue, name, first_error, row_errors)
    rows = list(ext.rows)
    duplicates: list[Duplicate] = []
    for key, members in groups.items():
        if len(members) < 2:
            continue
        dup = _duplicate(table, key, members, catalogue, name, row_errors)
        duplicates.append(dup)
        if dup.rows and dup.identical:
            rows.append(dup.rows[0])
    rows.sort(key=lambda r: r.line or 0)
    warnings = [p for p in ext.problems if not p.is_error]
    result = Extract(source=name, format=table.format, rows=rows, problems=warnings,
                     rows_read=rows_read(table))
    return ReadResult(result, raw, row_errors, duplicates)


def _validate_without_bad_lines(table, base: list[int], catalogue: Catalogue, name: str,
                                first_error: InputError, row_errors: list[Problem]) -> Extract:
    """Validate the records ``base``, dropping the lines that fail (added to ``row_errors``)
    until the rest validates."""
    for _ in range(_MAX_PASSES):
        try:
            return validate_table(_subtable(table, base), catalogue, name=name)
        except InputError as exc:
            errs = exc.errors
            if not errs or any(p.line is None or p.line == table.header_line for p in errs):
                raise first_error from None
            bad = {p.line for p in errs}
            row_errors += errs
            base = [i for i in base if table.lines[i] not in bad]
    raise first_error  # pragma: no cover - every pass removes the lines that failed


def _duplicate(table, key: tuple[str, str, str], members: list[int], catalogue: Catalogue,
               name: str, row_errors: list[Problem]) -> Duplicate:
    """The copies of one duplicated key, each validated on its own (errors to ``row_errors``)."""
    valid: list[ExtractRow] = []
    for i in members:
        try:
            one = validate_table(_subtable(table, [i]), catalogue, name=name)
        except InputError as exc:
            row_errors += [p for p in exc.errors if p.line is not None]
            continue
        valid += one.rows
    return Duplicate(key, [table.lines[i] for i in members], valid)
