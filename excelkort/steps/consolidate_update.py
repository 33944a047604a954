"""Re-running ``konsolider`` on a consolidated workbook that exists: updated in place (SPEC §5, §7).

A county works in its consolidated workbook: it types Risiko (vurdering) and comments, and may
add charts, pictures, notes, sheets and colours. So when the workbook exists and has the same
shape (the same indicators, the same units), a re-run changes only the cells excelkort owns, as
``fyll`` does, and every other part of the file stays byte-identical:

- the Målekort and Data: the planning is ``fill.plan_fill``, with every indicator filled from
  the aggregated Data (teller and nevner), the Målekort's cached values, Periode and Logg rows;
- the side sheets Enheter, Rangering, Innlevering, Kilder and Kommentarer (excelkort's own): the
  values that differ from the freshly made workbook. Their styles never depend on a value (the
  status colours are conditional formats), so only values change. A table (Innlevering, Kilder,
  Kommentarer) may have more or fewer rows than before: its autofilter (and the hidden name
  Excel keeps for it) is set to the fresh workbook's range, so the county's filter covers
  exactly the table's rows and keeps the columns it filtered on.

When the shape differs (``shape_change`` says why) the caller makes the workbook anew.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..inputs.extract_values import ExtractRow
from ..scorecard import layout as L
from ..scorecard.reader import ScorecardFile
from ..scorecard.writer import ScorecardContent
from ..xlsx.grid import open_workbook, sheet_values
from ..xlsx.package import Package
from ..xlsx.refs import cell_ref, parse_ref
from ..xlsx.celledit import CellEdit
from ..xlsx.autofilter import autofilter_ref
from ..xlsx.workbookpatch import PatchResult, raw_part
from ..xlsx.xmltext import tag_attrs
from .consolidate_sheets import COMMENT_LABELS, DELIVERY_LABELS, SOURCE_LABELS
from .fill import apply_plan, plan_fill, same_cached

UNITS_SHEET, RANKING_SHEET = L.UNITS_SHEET, L.RANKING_SHEET
#: the table sheets (header in row 1, a row per item) and their width; their length varies
TABLES = {"Innlevering": len(DELIVERY_LABELS), "Kilder": len(SOURCE_LABELS),
          "Kommentarer": len(COMMENT_LABELS)}
SIDE_SHEETS = (UNITS_SHEET, RANKING_SHEET, *TABLES)
UNITS_FIRST_ROW = 4  # Enheter: the consolidated unit's row, then its members (0-based)
#: the first row (0-based) of each side sheet's table; above it (the title, Rangering's note)
#: excelkort owns only the cells it writes, so a person's note beside the title stays
TABLE_ROW = {UNITS_SHEET: 2, RANKING_SHEET: 3, **{sheet: 0 for sheet in TABLES}}
LOG_SOURCE = "konsolider"


@dataclass
class Update:
    """What updating a consolidated workbook in place did (``patch`` is None: not done, see
    ``reason``)."""

    patch: PatchResult | None = None
    reason: str | None = None


def update_in_place(sc: ScorecardFile, content: ScorecardContent, fresh: bytes) -> Update:
    """Bring the existing workbook ``sc`` up to date with ``content`` (and ``fresh``, the same
    workbook made anew), changing only excelkort's cells; or say why its shape does not allow it."""
    fresh_package = Package(sc.path.with_name("fresh.xlsx"), fresh)
    fresh_book = Book(fresh_package, open_workbook(fresh, fresh_package.path, fresh_package))
    existing = Book(sc.package, open_workbook(sc.package.data, sc.path, sc.package))
    reason = shape_change(sc, content, fresh_book, existing)
    if reason is not None:
        return Update(reason=reason)
    year = content.year
    rows = [ExtractRow(content.unit_id, f"{year}-{m:02d}", ind.id, content.teller[ind.id][m - 1],
                       content.nevner[ind.id][m - 1])
            for ind in content.catalogue for m in range(1, 13)]
    plan = plan_fill(sc, rows, content.catalogue, LOG_SOURCE, filled=_every_indicator,
                     row_inputs=lambda ind, _item: content.row_inputs(ind), period=content.period)
    for sheet, cells in side_sheet_edits(fresh_book, existing).items():
        if cells:
            plan.edits[sheet] = cells
    plan.autofilters = {sheet: autofilter_ref(raw_part(fresh_package, fresh_package.sheet_member(sheet)))
                        for sheet in TABLES}
    return Update(apply_plan(plan))


def _every_indicator(_ind) -> bool:
    return True


@dataclass(frozen=True)
class Book:
    """A workbook's checked package and calamine's view of the same bytes."""

    package: Package
    wb: object


def _values(book: Book, sheet: str) -> list[list]:
    return sheet_values(book.package, sheet, book.wb)


def shape_change(sc: ScorecardFile, content: ScorecardContent, fresh: Book,
                 existing: Book) -> str | None:
    """Why the existing workbook cannot be updated in place (Norwegian, for the warning), or None:
    the indicators (catalogue, rows, weighting) or the units differ from this run's."""
    if (content.unit_name != sc.unit_name or sc.period[:4] != content.period[:4]
            or any(s not in existing.package.sheet_names() for s in (*SIDE_SHEETS, L.CATALOGUE_SHEET))):
        return "enheten eller arbeidsboken har endret seg"
    if b"conditionalFormatting" not in sc.package.read(sc.package.sheet_member(UNITS_SHEET)):
        return "statusfargene i Enheter er laget av en eldre versjon av excelkort"
    if _values(fresh, L.CATALOGUE_SHEET) != _values(existing, L.CATALOGUE_SHEET):
        return "indikatorene er endret"
    for ind in content.catalogue:
        item = sc.rows.get(ind.id)
        name = L.row_name(ind.name, ind.id not in content.unweighted)
        if item is None or item.data_row is None or item.name != name:
            return "indikatorene er endret"
    if len(sc.rows) != len(content.catalogue):
        return "indikatorene er endret"
    new, old = _values(fresh, UNITS_SHEET), _values(existing, UNITS_SHEET)
    if _unit_column(new) != _unit_column(old) or new[2:4] != old[2:4]:
        return "enhetene er endret"
    return None


def _unit_column(rows: list[list]) -> list:
    """Enheter's unit ids, from the first unit row to the first empty one."""
    out = []
    for row in rows[UNITS_FIRST_ROW:]:
        if not row or row[0] in (None, ""):
            break
        out.append(row[0])
    return out


def side_sheet_edits(fresh: Book, existing: Book) -> dict[str, dict[str, CellEdit]]:
    """Per side sheet, the cells whose value differs from the fresh workbook's.

    Enheter and Rangering have the same layout (the shape is the same): the fresh sheet's cells
    are compared (above the table, only the cells excelkort writes). A table may grow or shrink: rows past its new end are emptied, and new rows'
    cells take the style of the table's last row (or, in a table that had none, the fresh
    workbook's style when both files have the same style table). A person's own cells outside
    these ranges are never touched.
    """
    fresh_package, package = fresh.package, existing.package
    same_styles = _member(fresh_package, "/styles") == _member(package, "/styles")
    out: dict[str, dict[str, CellEdit]] = {}
    for sheet in SIDE_SHEETS:
        new, old = _values(fresh, sheet), _values(existing, sheet)
        width = TABLES.get(sheet) or max((len(r) for r in new), default=0)
        height = max(len(new), _table_end(old, width)) if sheet in TABLES else len(new)
        template: dict[int, str] = {}
        if sheet in TABLES and height > len(old):
            last = _table_end(old, width) - 1
            if last >= 1:
                template = _row_styles(package, sheet, last)
            elif same_styles:
                template = _row_styles(fresh_package, sheet, 1)
        cells: dict[str, CellEdit] = {}
        for r in range(height):
            for c in range(width):
                value, current = _at(new, r, c), _at(old, r, c)
                if same_cached(current, value) or (value == "" and r < TABLE_ROW[sheet]):
                    continue
                style = template.get(c) if r >= len(old) or not _row_used(old, r, width) else None
                cells[cell_ref(r, c)] = CellEdit(None if value == "" else value, style=style)
        out[sheet] = cells
    return out


def _at(rows: list[list], r: int, c: int):
    value = rows[r][c] if r < len(rows) and c < len(rows[r]) else ""
    return "" if value is None else value


def _row_used(rows: list[list], r: int, width: int) -> bool:
    return r < len(rows) and any(_at(rows, r, c) != "" for c in range(width))


def _table_end(rows: list[list], width: int) -> int:
    """The number of rows of a table (its header and the rows after it up to the first empty)."""
    end = 0
    while _row_used(rows, end, width):
        end += 1
    return end


def _member(package: Package, rel_suffix: str) -> bytes | None:
    member = package.member_of(rel_suffix)
    return package.read(member) if member is not None else None


_CELL_TAG = re.compile(r"<(?:\w+:)?c(\s[^>]*?)/?>")


def _row_styles(package: Package, sheet: str, row: int) -> dict[int, str]:
    """The style index of each cell of a row (0-based) of a sheet, by column (0-based)."""
    xml = package.read(package.sheet_member(sheet)).decode("utf-8")
    out: dict[int, str] = {}
    for m in _CELL_TAG.finditer(xml):
        attrs = tag_attrs(m.group(1))
        try:
            r, c = parse_ref(attrs.get("r", ""))
        except ValueError:
            continue
        if r == row and "s" in attrs:
            out[c] = attrs["s"]
    return out
