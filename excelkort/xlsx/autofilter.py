"""A sheet's autofilter range, set surgically (SPEC §5 "Writing into a user's workbook").

An autofilter is stored twice: the sheet's ``<autoFilter ref="A1:D26">`` (which also holds the
columns a person filtered on) and a hidden name in the workbook part,
``<definedName name="_xlnm._FilterDatabase" localSheetId="7" hidden="1">Kilder!$A$1:$D$26``,
``localSheetId`` being the sheet's place among the workbook's sheets. A table that grows or
shrinks needs both set to its new rows, or Excel's filter leaves the new rows out.

``set_autofilter`` and ``set_filter_database`` change only these (raw text, see ``xmltext``):
an existing ``<autoFilter>`` keeps its other attributes and its children (a person's filter
criteria), and a new one or a new name goes where XlsxWriter puts it, so a range set here reads
as the one a freshly written workbook has. With ``None`` both are removed.
"""
from __future__ import annotations

import re

from xlsxwriter.utility import quote_sheetname

from .xmltext import escape_text, from_raw, root_prefix, tag_attrs, to_raw, unescape_xml

FILTER_NAME = "_xlnm._FilterDatabase"
#: what may follow ``<autoFilter>`` in a worksheet (ECMA-376 CT_Worksheet, in order)
_SHEET_SUCCESSORS = (
    "sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
    "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
    "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches",
    "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF",
    "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")
#: what may follow ``<definedNames>`` in a workbook (CT_Workbook, in order)
_BOOK_SUCCESSORS = ("calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
                    "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects",
                    "extLst")


def _first(xml: str, p: str, names: tuple[str, ...], root: str, start: int = 0) -> int:
    """Where the first of ``names`` (or the root's end tag) starts, from ``start``."""
    alts = "|".join(names)
    m = re.compile(rf"<{p}(?:{alts})[\s/>]|</{p}{root}\s*>").search(xml, start)
    return m.start() if m else len(xml)


def _sheet_filter(xml: str) -> tuple[int, int, re.Match | None, str]:
    """(where the sheet's own ``<autoFilter>`` is or would go, where it ends, its start tag,
    the namespace prefix). A custom view's autoFilter, further on, is not the sheet's."""
    p = root_prefix(xml, "worksheet")
    data = re.compile(rf"</{p}sheetData\s*>|<{p}sheetData\s*/>").search(xml)
    after = data.end() if data else 0
    at = _first(xml, p, ("autoFilter", *_SHEET_SUCCESSORS), "worksheet", after)
    tag = re.compile(rf"<{p}autoFilter(\s[^>]*?)?\s*(/?)>").match(xml, at)
    if tag is None:
        return at, at, None, p
    if tag.group(2):
        return at, tag.end(), tag, p
    close = re.compile(rf"</{p}autoFilter\s*>").search(xml, tag.end())
    return at, close.end() if close else tag.end(), tag, p


def autofilter_ref(xml: str) -> str | None:
    """The range of the sheet's autofilter (``A1:D26``), or None when it has none."""
    _at, _end, tag, _p = _sheet_filter(xml)
    return tag_attrs(tag.group(1)).get("ref") if tag is not None else None


def set_autofilter(xml: str, ref: str | None) -> str:
    """The sheet's XML with its autofilter over ``ref`` (None: no autofilter)."""
    at, end, tag, p = _sheet_filter(xml)
    if tag is None:
        return xml if ref is None else xml[:at] + f'<{p}autoFilter ref="{ref}"/>' + xml[at:]
    if ref is None:
        return xml[:at] + xml[end:]
    attrs = tag_attrs(tag.group(1))
    if attrs.get("ref") == ref:
        return xml
    start = tag.group(0)
    if "ref" in attrs:
        start = re.sub(r"""(\sref\s*=\s*)("[^"]*"|'[^']*')""", rf'\1"{ref}"', start, count=1)
    else:
        start = start.replace(f"<{p}autoFilter", f'<{p}autoFilter ref="{ref}"', 1)
    return xml[:at] + start + xml[tag.end():]


def filter_range_text(sheet: str, ref: str) -> str:
    """The defined name's text for ``ref`` on ``sheet``: ``Kilder!$A$1:$D$26``."""
    absolute = ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))
    return f"{quote_sheetname(sheet)}!{absolute}"


def _attr(tag: re.Match, name: str) -> str:
    """An attribute of a matched start tag (its attributes in group 1), as text."""
    return unescape_xml(from_raw(tag_attrs(tag.group(1)).get(name, "")))


def _sort_key(name: str, text: str) -> str:
    """XlsxWriter's order of defined names (``Workbook._sort_defined_names``)."""
    return name.replace("_xlnm.", "").lower() + "::" + text.lstrip("'").lower()


def set_filter_database(xml: str, sheet: str, ref: str | None) -> str:
    """The workbook part's XML with ``sheet``'s ``_xlnm._FilterDatabase`` name over ``ref``
    (None: no such name). ``sheet`` must be one of the workbook's sheets."""
    p = root_prefix(xml, "workbook")
    local = str([_attr(m, "name") for m in re.finditer(rf"<{p}sheet(\s[^>]*?)/?>", xml)].index(sheet))
    text = None if ref is None else filter_range_text(sheet, ref)
    entries = list(re.finditer(rf"<{p}definedName(\s[^>]*?)?(?<!/)>(.*?)</{p}definedName\s*>", xml, re.S))
    for m in entries:
        attrs = tag_attrs(m.group(1))
        if attrs.get("name") == FILTER_NAME and attrs.get("localSheetId") == local:
            if text is None:
                return re.sub(rf"<{p}definedNames\s*>\s*</{p}definedNames\s*>", "",
                              xml[:m.start()] + xml[m.end():])
            raw = to_raw(escape_text(text))
            return xml if m.group(2) == raw else xml[:m.start(2)] + raw + xml[m.end(2):]
    if text is None:
        return xml
    element = (f'<{p}definedName name="{FILTER_NAME}" localSheetId="{local}" hidden="1">'
               f"{to_raw(escape_text(text))}</{p}definedName>")
    return _insert_name(xml, p, element, _sort_key(FILTER_NAME, text), entries)


def _insert_name(xml: str, p: str, element: str, key: str, entries: list[re.Match]) -> str:
    """``element`` (a definedName) put among the workbook's names where XlsxWriter's order
    (``key``) puts it; into a new ``<definedNames>`` when there is none."""
    later = next((m for m in entries
                  if _sort_key(_attr(m, "name"), unescape_xml(from_raw(m.group(2)))) > key), None)
    if later is not None:
        return xml[:later.start()] + element + xml[later.start():]
    if entries:
        return xml[:entries[-1].end()] + element + xml[entries[-1].end():]
    wrapper = re.compile(rf"<{p}definedNames\s*(/?)>").search(xml)
    if wrapper is not None and not wrapper.group(1):
        return xml[:wrapper.end()] + element + xml[wrapper.end():]
    names_part = f"<{p}definedNames>{element}</{p}definedNames>"
    if wrapper is not None:  # <definedNames/>
        return xml[:wrapper.start()] + names_part + xml[wrapper.end():]
    at = _first(xml, p, _BOOK_SUCCESSORS, "workbook")
    return xml[:at] + names_part + xml[at:]
