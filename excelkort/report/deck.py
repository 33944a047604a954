"""Placing the slides (``report.content``) on the template's layouts and placeholders with
python-pptx, and writing the deck with bytes that follow from its content and period.

Every text gets a font size chosen by ``report.fit`` for its placeholder's size (the template's
geometry, whatever a user made it), tables are split over as many slides as their rows need and
repeat their header, and words that cannot fit are cut with «…».
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from lxml import etree
from pptx import Presentation
from pptx.util import Pt

from ..numbers.rules import GREEN, GREY, RED, YELLOW
from ..xlsx.writer import (GREEN_FILL, GREEN_FONT, GREY_FILL, GREY_FONT, RED_FILL, RED_FONT,
                           YELLOW_FILL, YELLOW_FONT, period_datetime)
from ..xlsx.zipcopy import stamp_zip_times
from . import template as T
from .charts import add_line_chart
from .content import Cell, IndicatorSlide, OverviewSlide, Table, TableSlide, TitleSlide
from .fit import LINE, Para, clip_lines, fit_paragraphs

FILLS = {GREEN: (GREEN_FILL, GREEN_FONT), YELLOW: (YELLOW_FILL, YELLOW_FONT),
         RED: (RED_FILL, RED_FONT), GREY: (GREY_FILL, GREY_FONT)}
ALIGN = {"l": "l", "c": "ctr", "r": "r"}
EMU = 12700  # per point
INSET_X, INSET_Y = 7.2, 3.6  # a text placeholder's default insets (points)
CELL_X, CELL_Y = 4.0, 2.0  # table cell margins (points)
BODY_SIZES = (16, 15, 14, 13, 12, 11, 10, 9)
TITLE_SIZES = (26, 24, 22, 20, 18)


TABLE_STYLE = "{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}"  # Medium Style 2 – Accent 1: theme colours
_QN_TBL = "{http://schemas.openxmlformats.org/drawingml/2006/main}tbl"


class _Slide:
    """A new slide with its placeholders by idx and their sizes (from the layout)."""

    def __init__(self, slide, boxes: dict[int, tuple[float, float, float, float]]):
        self.slide = slide
        self.boxes = boxes
        self._placeholders = {ph.placeholder_format.idx: ph for ph in slide.placeholders}
        self.shapes = {idx: ph._element for idx, ph in self._placeholders.items()}

    def placeholder(self, idx: int):
        return self._placeholders.get(idx)

    def say_instead(self, idx: int, text: str) -> None:
        """Replace a table or chart placeholder by a text box saying ``text``."""
        width, height, left, top = self.boxes[idx]
        self.shapes.pop(idx).getparent().remove(self._placeholders.pop(idx)._element)
        box = self.slide.shapes.add_textbox(Pt(left), Pt(top), Pt(width), Pt(height))
        box.text_frame.word_wrap = True
        self.shapes[idx], self.boxes[idx] = box._element, (width, height, left, top)
        put_text(self, idx, [Para(text)], (20, 18, 16, 14, 12))

    def drop_empty(self) -> None:
        """Placeholders left empty would show their prompt in PowerPoint's editing view."""
        for idx, ph in self._placeholders.items():
            el = ph._element
            if el is None or el.getparent() is None or not el.tag.endswith("}sp"):
                continue
            if not "".join(el.itertext()).strip():
                el.getparent().remove(el)


@dataclass
class _Deck:
    prs: object
    layouts: dict  # key → slide layout
    boxes: dict  # key → {idx: (width, height, left, top) in points}
    created: object  # datetime of the period
    slides: list = field(default_factory=list)

    def new_slide(self, key: str) -> _Slide:
        slide = _Slide(self.prs.slides.add_slide(self.layouts[key]), self.boxes[key])
        self.slides.append(slide)
        return slide


def _find_layouts(prs) -> dict:
    """The template's layouts by key: by name, else by position (a renamed layout)."""
    by_name = {layout.name: layout for layout in prs.slide_layouts}
    out = {}
    for i, spec in enumerate(T.LAYOUTS):
        layout = by_name.get(spec.name)
        if layout is None:
            layout = prs.slide_layouts[min(i, len(prs.slide_layouts) - 1)]
        out[spec.key] = layout
    return out


def _boxes(layout) -> dict[int, tuple[float, float, float, float]]:
    """Each placeholder's width, height, left and top in points, as the layout (or its master)
    places it."""
    out = {}
    for ph in layout.placeholders:
        if None not in (ph.width, ph.height, ph.left, ph.top):
            out[ph.placeholder_format.idx] = (ph.width.pt, ph.height.pt, ph.left.pt, ph.top.pt)
    return out


_NS = ('xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
       'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"')
_QN_P = "{http://schemas.openxmlformats.org/drawingml/2006/main}p"
_QN_TXBODY = "{http://schemas.openxmlformats.org/presentationml/2006/main}txBody"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _esc(text: str) -> str:
    return escape(_CONTROL.sub("", text))


def _rpr(tag: str, size: float, bold: bool, colour: str | None) -> str:
    fill = f'<a:solidFill><a:srgbClr val="{colour.lstrip("#")}"/></a:solidFill>' if colour else ""
    return f'<a:{tag} lang="nb-NO" sz="{round(size * 100)}" b="{int(bold)}" dirty="0">{fill}</a:{tag}>'


def _paragraph(text: str, size: float, bold: bool, align: str | None = None, space_before: float = 0,
               colour: str | None = None) -> str:
    """One ``a:p`` at ``size`` points (a «\\n» in the text becomes a line break). The paragraph
    end carries the size too: an empty cell would otherwise be as tall as the default font."""
    ppr = ""
    if align or space_before:
        algn = f' algn="{align}"' if align else ""
        spc = (f'<a:spcBef><a:spcPts val="{round(space_before * 100)}"/></a:spcBef>'
               if space_before else "")
        ppr = f"<a:pPr{algn}>{spc}</a:pPr>"
    rpr = _rpr("rPr", size, bold, colour)
    runs = f"<a:br>{rpr}</a:br>".join(f"<a:r>{rpr}<a:t>{_esc(part)}</a:t></a:r>"
                                      for part in text.split("\n")) if text else ""
    return f"<a:p>{ppr}{runs}{_rpr('endParaRPr', size, bold, colour)}</a:p>"


def _set_paragraphs(sp, xml: str) -> None:
    """Replace the paragraphs of a shape's text body with ``xml`` (one or more ``a:p``)."""
    body = sp.find(_QN_TXBODY)
    if body is None:  # a table or chart placeholder holding a sentence instead
        body = etree.fromstring(f"<p:txBody {_NS}><a:bodyPr/><a:lstStyle/></p:txBody>")
        sp.append(body)
    for p in body.findall(_QN_P):
        body.remove(p)
    for p in etree.fromstring(f"<x {_NS}>{xml}</x>"):
        body.append(p)


def put_text(slide: "_Slide", idx: int, paras: list[Para], sizes=BODY_SIZES, align=None) -> bool:
    """Fill a text placeholder with ``paras`` at the largest size that fits (cut with «…» at the
    smallest); False when the layout has no such placeholder."""
    sp = slide.shapes.get(idx)
    box = slide.boxes.get(idx)
    if sp is None or box is None:
        return False
    width, height = box[0] - 2 * INSET_X - 2, box[1] - 2 * INSET_Y - 2
    fitted = fit_paragraphs(paras, width, height, tuple(sizes))
    _set_paragraphs(sp, "".join(
        _paragraph(p.text, round(fitted.size * p.scale * 2) / 2, p.bold, align, p.space_before)
        for p in fitted.paras))
    return True


def put_title(slide: "_Slide", text: str, sizes=TITLE_SIZES) -> None:
    put_text(slide, T.TITLE, [Para(text, bold=True)], sizes)


# --- tables -------------------------------------------------------------------------------------

@dataclass
class _Laid:
    widths: list[float]
    header: list[tuple[str, int]]  # (text, lines)
    rows: list[list[tuple[str, int]]]
    row_heights: list[float]
    header_height: float
    size: float


def _height(lines: int, size: float) -> float:
    return lines * size * LINE + 2 * CELL_Y + 1.5


def lay_out_table(table: Table, width: float) -> _Laid:
    """Column widths, every cell's text cut to its column and lines, and each row's height."""
    size, head_size = table.size, table.size - 1
    total = sum(c.weight for c in table.columns)
    widths = [width * c.weight / total for c in table.columns]
    header_cells = table.header or [Cell(c.label) for c in table.columns]
    header = [clip_lines(cell.text, w - 2 * CELL_X, head_size, 3, True)[:2]
              for cell, w in zip(header_cells, widths)]
    rows, heights = [], []
    for cells in table.rows:
        laid = [clip_lines(cell.text, w - 2 * CELL_X, size, col.max_lines, cell.bold)[:2]
                for cell, col, w in zip(cells, table.columns, widths)]
        rows.append(laid)
        heights.append(_height(max(n for _t, n in laid), size))
    header_height = _height(max(n for _t, n in header), head_size)
    return _Laid(widths, header, rows, heights, header_height, size)


def paginate(laid: _Laid, height: float, groups: set[int]) -> list[list[int]]:
    """Row indexes per slide: as many as fit under the header; a group heading never ends a page."""
    pages, page, used = [], [], laid.header_height
    for i, h in enumerate(laid.row_heights):
        if page and used + h > height:
            if page[-1] in groups and len(page) > 1:
                page.pop()
                pages.append(page)
                page, used = [i - 1], laid.header_height + laid.row_heights[i - 1]
            else:
                pages.append(page)
                page, used = [], laid.header_height
        page.append(i)
        used += h
    if page or not pages:
        pages.append(page)
    return pages


def _cell_xml(text: str, size: float, spec: Cell, align: str, group: bool) -> str:
    colour = fill = None
    if spec.status in FILLS:
        fill, colour = FILLS[spec.status]
    elif spec.colour in FILLS:
        colour = FILLS[spec.colour][1]
    para = _paragraph(text, size, spec.bold or group, ALIGN[align], 0, colour)
    if fill:
        fill_xml = f'<a:solidFill><a:srgbClr val="{fill.lstrip("#")}"/></a:solidFill>'
    elif group:
        fill_xml = '<a:solidFill><a:schemeClr val="bg2"/></a:solidFill>'
    else:
        fill_xml = ""
    mx, my = round(CELL_X * EMU), round(CELL_Y * EMU)
    return (f'<a:tc><a:txBody><a:bodyPr/><a:lstStyle/>{para}</a:txBody><a:tcPr marL="{mx}" '
            f'marR="{mx}" marT="{my}" marB="{my}" anchor="ctr">{fill_xml}</a:tcPr></a:tc>')


def put_table(slide: "_Slide", table: Table, laid: _Laid, rows: list[int]) -> None:
    """The table's header and ``rows`` into the slide's table placeholder, as one ``a:tbl``."""
    ph = slide.placeholder(T.TABLE)
    frame = ph.insert_table(rows=1, cols=1)
    header_cells = table.header or [Cell(c.label) for c in table.columns]
    grid = "".join(f'<a:gridCol w="{round(w * EMU)}"/>' for w in laid.widths)
    parts = [f'<a:tbl {_NS}><a:tblPr firstRow="1" bandRow="1"><a:tableStyleId>{TABLE_STYLE}'
             f'</a:tableStyleId></a:tblPr><a:tblGrid>{grid}</a:tblGrid>',
             f'<a:tr h="{round(laid.header_height * EMU)}">']
    parts += [_cell_xml(laid.header[c][0], laid.size - 1, header_cells[c], col.align, False)
              for c, col in enumerate(table.columns)]
    parts.append("</a:tr>")
    for i in rows:
        group = i in table.group_rows
        parts.append(f'<a:tr h="{round(laid.row_heights[i] * EMU)}">')
        parts += [_cell_xml(laid.rows[i][c][0], laid.size, table.rows[i][c], col.align, group)
                  for c, col in enumerate(table.columns)]
        parts.append("</a:tr>")
    parts.append("</a:tbl>")
    old = frame._element.find(".//" + _QN_TBL)
    old.getparent().replace(old, etree.fromstring("".join(parts)))
    frame.width = Pt(sum(laid.widths))
    frame.height = Pt(laid.header_height + sum(laid.row_heights[i] for i in rows))


def _table_slides(deck: _Deck, spec: TableSlide | OverviewSlide, layout_key: str):
    """One slide per page of the table; the title says «(2/3)» when it runs over."""
    width, height, left, top = deck.boxes[layout_key][T.TABLE]
    laid = lay_out_table(spec.table, width)
    pages = paginate(laid, height, spec.table.group_rows) if spec.table.rows else [[]]
    for n, rows in enumerate(pages, start=1):
        slide = deck.new_slide(layout_key)
        title = spec.title + (f" ({n}/{len(pages)})" if len(pages) > 1 else "")
        put_title(slide, title)
        if rows:
            put_table(slide, spec.table, laid, rows)
        else:  # nothing to list: say so in a text box where the table would be
            slide.say_instead(T.TABLE, spec.empty)
        put_text(slide, T.LEGEND, [Para(spec.legend)], (11, 10, 9, 8))
        yield slide


# --- the slides -----------------------------------------------------------------------------------

def _title_slide(deck: _Deck, spec: TitleSlide) -> None:
    slide = deck.new_slide("title")
    put_title(slide, spec.title, (40, 36, 32, 28, 24))
    put_text(slide, T.SUBTITLE, [Para(spec.subtitle)], (24, 22, 20, 18, 16))
    put_text(slide, T.NOTE, [Para(spec.note)], (14, 12, 11, 10))


def _overview_slide(deck: _Deck, spec: OverviewSlide) -> None:
    for slide in _table_slides(deck, spec, "overview"):
        put_text(slide, T.COMMENT, spec.comment, (16, 15, 14, 13, 12, 11))


def _indicator_slide(deck: _Deck, spec: IndicatorSlide) -> None:
    slide = deck.new_slide("indicator")
    put_title(slide, spec.title)
    ph = slide.placeholder(T.CHART)
    if ph is not None:
        add_line_chart(ph, spec.chart, deck.created)
    put_text(slide, T.FACTS, spec.facts, (15, 14, 13, 12, 11, 10))
    put_text(slide, T.MEASURES, spec.measures, (14, 13, 12, 11, 10, 9))
    put_text(slide, T.LEGEND, [Para(spec.legend)], (11, 10, 9, 8))


def build_deck(slides: list, template: bytes, period: str, title: str) -> tuple[bytes, int]:
    """The deck's bytes (``slides`` placed on ``template``'s layouts, dated by ``period``) and
    the number of slides."""
    prs = Presentation(io.BytesIO(template))
    created = period_datetime(period)
    layouts = _find_layouts(prs)
    deck = _Deck(prs, layouts, {key: _boxes(layout) for key, layout in layouts.items()}, created)
    for spec in slides:
        if isinstance(spec, TitleSlide):
            _title_slide(deck, spec)
        elif isinstance(spec, OverviewSlide):
            _overview_slide(deck, spec)
        elif isinstance(spec, IndicatorSlide):
            _indicator_slide(deck, spec)
        elif isinstance(spec, TableSlide):
            for _slide in _table_slides(deck, spec, spec.layout):
                pass
    for slide in deck.slides:
        slide.drop_empty()
    core = prs.core_properties
    core.title, core.author, core.last_modified_by = title, "excelkort", "excelkort"
    core.created = core.modified = core.last_printed = created
    core.revision = 1
    buffer = io.BytesIO()
    prs.save(buffer)
    return stamp_zip_times(buffer.getvalue(), created.timetuple()[:6]), len(deck.slides)
