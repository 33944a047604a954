"""Surgical edits of a user's workbook file (SPEC §5 "Writing into a user's workbook", §9).

A user's workbook is never loaded and re-saved by a library: ``patch_workbook`` splices the
cells excelkort owns into each sheet's XML (``sheetpatch``) and rebuilds the zip copying every
other member's compressed bytes unchanged (``zipcopy``). Only the patched sheets and
``xl/workbook.xml`` (the ``fullCalcOnLoad`` flag, and an autofilter's hidden name) change, and the calculation chain when it
must go: ``xl/calcChain.xml`` is removed (with its relationship and content type) when a patch
adds or removes a formula, because Excel repairs a file whose chain names a cell without a
formula; with ``fullCalcOnLoad`` Excel rebuilds the chain on open. A patch that only changes
values or cached results keeps the chain byte-identical.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_bytes_atomic
from .autofilter import set_autofilter, set_filter_database
from .backup import backup_file
from .package import Package, lock_file_for, locked_message, open_package, refuse
from .rowheight import set_row_heights
from .celledit import CellEdit, SheetEdits, sheet_edits
from .sheetpatch import check_sheet_xml, patch_sheet_xml
from .xmltext import decode_part, encode_part, root_prefix, tag_attrs, to_raw
from .zipcopy import build_zip, check_copyable

MSG_CHANGED_MEANWHILE = "Filen ble endret mens excelkort arbeidet med den. Prøv igjen."


@dataclass
class PatchResult:
    """What ``patch_workbook`` did."""

    path: Path
    written: bool  # False: the destination already held exactly these bytes
    changed_members: list[str] = field(default_factory=list)  # members that differ from src
    appended_rows: dict[str, list[int]] = field(default_factory=dict)  # sheet → 1-based rows
    backup: Path | None = None  # where the old file was copied (patch_workbook(backup=True))

    @property
    def unchanged(self) -> bool:
        return not self.written


def patch_workbook(src: str | Path | Package, dst: str | Path | None = None,
                   edits: dict[str, dict[str, CellEdit | object]] | None = None, *,
                   append_rows: dict[str, list[list]] | None = None,
                   autofilters: dict[str, str | None] | None = None,
                   row_heights: dict[str, dict[int, float]] | None = None,
                   full_calc_on_load: bool = True, backup: bool = False) -> PatchResult:
    """Write ``edits`` (sheet → {``"C7"``: CellEdit or plain value}) into a copy of ``src`` at
    ``dst`` (default: ``src`` itself, in place), changing nothing else.

    ``append_rows`` (sheet → rows of values, from column A) adds rows after the sheet's last row
    that holds a value or formula (a log). ``autofilters`` (sheet → range such as ``A1:D26``, or
    None for none) sets each sheet's autofilter range and the hidden name Excel keeps for it,
    keeping a person's filter criteria (``autofilter``). ``row_heights`` (sheet → {row number
    from 1: points}) makes rows that high at least (``rowheight``: text written into a row
    wraps). With ``full_calc_on_load`` the workbook asks Excel and
    LibreOffice to recalculate on open. With ``backup`` a copy of the old ``dst`` goes to
    ``.excelkort/backup/`` first, but only when ``dst`` is really rewritten.

    The file is written atomically and only when its bytes change: re-running the same patch
    reports ``unchanged``. Any failure leaves ``src`` and ``dst`` as they were. Raises
    ``InputError`` for a file or sheet the user must fix, ``EditError`` for a bad edit.
    """
    src_path = src.path if isinstance(src, Package) else Path(src)
    dst = Path(dst) if dst is not None else src_path
    in_place = dst.resolve() == src_path.resolve()
    # reading a file that is open in Excel is harmless; writing one is not
    package = src if isinstance(src, Package) else open_package(src, allow_locked=not in_place)
    if (lock := lock_file_for(dst)) is not None:
        refuse(dst, locked_message(lock))
    keyed = {sheet: sheet_edits(sheet, cells) for sheet, cells in (edits or {}).items()}
    autofilters = autofilters or {}
    replaced, appended, formulas_changed = _patch_sheets(package, keyed, append_rows or {}, autofilters,
                                                         row_heights or {})
    removed: set[str] = set()
    if replaced:
        old = raw_part(package, package.workbook_member)
        new = _full_calc_on_load(old) if full_calc_on_load else old
        for sheet, ref in autofilters.items():
            new = set_filter_database(new, sheet, ref)
        if new != old:
            replaced[package.workbook_member] = encode_part(new)
        if formulas_changed:
            _drop_calc_chain(package, replaced, removed)
    output = build_zip(package, replaced, removed) if replaced or removed else package.data
    changed = [m for m in package.members() if m in replaced or m in removed]
    current = dst.read_bytes() if dst.exists() else None
    if current == output:
        return PatchResult(dst, False, changed, appended)
    if in_place and current != package.data:
        refuse(dst, MSG_CHANGED_MEANWHILE)
    # the old file is kept as a hard link: the write below renames a new file over ``dst``
    backup_path = backup_file(dst, link=True) if backup and current is not None else None
    try:
        write_bytes_atomic(dst, output, current=current)
    except BaseException:
        if backup_path is not None:  # nothing changed; the link must not outlive a failed write
            backup_path.unlink(missing_ok=True)
        raise
    return PatchResult(dst, True, changed, appended, backup_path)


def check_patchable(package: Package, sheets: list[str]) -> None:
    """Raise the InputError ``patch_workbook`` raises for these sheets, whichever of their cells
    are edited: each sheet exists and is UTF-8 XML without a DTD that the splicer can follow;
    so are the workbook part and the parts a dropped calculation chain changes; every other
    member can be copied as it is. A writer calls
    it before it plans anything, and ``sjekk`` calls it to say what that writer will say."""
    for sheet in sheets:
        member = package.sheet_member(sheet)
        xml = raw_part(package, member)
        check_sheet_xml(xml, path=package.path, member=member, sheet=sheet,
                        shape=package.sheet_shape(sheet, xml))  # worked out once per file
    raw_part(package, package.workbook_member)
    check_copyable(package)
    if package.member_of("/calcChain") is not None:
        for member in _calc_chain_parts(package):
            raw_part(package, member)


#: the parts of each open package decoded so far: a writer checks its parts, then patches them
_RAW: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def raw_part(package: Package, member: str) -> str:
    """A part's raw text (``decode_part``), read and decoded once per package."""
    parts = _RAW.setdefault(package, {})
    if member not in parts:
        parts[member] = decode_part(member, package.read(member), package.path)
    return parts[member]


def _patch_sheets(package: Package, edits: dict[str, SheetEdits], append_rows: dict[str, list[list]],
                  autofilters: dict[str, str | None], row_heights: dict[str, dict[int, float]]):
    """(member → new bytes of each sheet that changed, sheet → appended row numbers, whether
    any formula was added or removed)."""
    replaced: dict[str, bytes] = {}
    appended: dict[str, list[int]] = {}
    formulas_changed = False
    for sheet in dict.fromkeys([*edits, *append_rows, *autofilters, *row_heights]):
        member = package.sheet_member(sheet)
        old = raw_part(package, member)
        spliced = patch_sheet_xml(old, edits.get(sheet, {}), append_rows.get(sheet),
                                  path=package.path, member=member, sheet=sheet,
                                  shape=package.sheet_shape(sheet, old))
        if sheet in append_rows:
            appended[sheet] = spliced.appended_rows
        xml = set_autofilter(spliced.xml, autofilters[sheet]) if sheet in autofilters else spliced.xml
        if sheet in row_heights:
            xml = set_row_heights(xml, row_heights[sheet])
        if xml != old:
            replaced[member] = encode_part(xml)
        formulas_changed |= spliced.formulas_changed
    return replaced, appended, formulas_changed


_CALCPR_SUCCESSORS = ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                      "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")


def _full_calc_on_load(xml: str) -> str:
    """Set ``<calcPr fullCalcOnLoad="1"/>``, keeping calcPr's other attributes."""
    p = root_prefix(xml, "workbook")
    m = re.search(rf"<{re.escape(p)}calcPr(\s[^>]*?)?\s*(/?)>", xml)
    if m is None:
        names = "|".join(_CALCPR_SUCCESSORS)
        after = re.search(rf"<{re.escape(p)}(?:{names})[\s/>]|</{re.escape(p)}workbook>", xml)
        if after is None:
            return xml
        return xml[:after.start()] + f'<{p}calcPr fullCalcOnLoad="1"/>' + xml[after.start():]
    attrs = tag_attrs(m.group(1))
    if attrs.get("fullCalcOnLoad") in ("1", "true"):
        return xml
    if "fullCalcOnLoad" in attrs:
        tag = re.sub(r"""(\sfullCalcOnLoad\s*=\s*)("[^"]*"|'[^']*')""", r'\1"1"', m.group(0))
        return xml[:m.start()] + tag + xml[m.end():]
    at = m.end(1) if m.group(1) is not None else m.start() + len(f"<{p}calcPr")
    return xml[:at] + ' fullCalcOnLoad="1"' + xml[at:]


def _drop_calc_chain(package: Package, replaced: dict[str, bytes], removed: set[str]) -> None:
    """Remove xl/calcChain.xml, its relationship and its content-type override."""
    chain = package.member_of("/calcChain")
    if chain is None:
        return
    removed.add(chain)
    rels, types = _calc_chain_parts(package, existing=False)
    for member, pattern in (
            (rels, r"<(?:\w+:)?Relationship\s[^>]*?Type=\"[^\"]*/calcChain\"[^>]*?/>"),
            (types, rf"<(?:\w+:)?Override\s[^>]*?PartName=\"/{re.escape(to_raw(chain))}\"[^>]*?/>")):
        if member in package:
            text = (decode_part(member, replaced[member], package.path) if member in replaced
                    else raw_part(package, member))
            new = re.sub(pattern, "", text)
            if new != text:
                replaced[member] = encode_part(new)


def _calc_chain_parts(package: Package, *, existing: bool = True) -> list[str]:
    """The workbook's relationships part and [Content_Types].xml (those that exist, unless
    ``existing`` is False): what dropping the calculation chain edits."""
    folder, name = package.workbook_member.rsplit("/", 1) if "/" in package.workbook_member else ("", package.workbook_member)
    rels = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    parts = [rels, "[Content_Types].xml"]
    return [m for m in parts if m in package] if existing else parts
