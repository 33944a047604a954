"""Build the statusrapport template reproducibly (same input → byte-identical file):

    python scripts/build_status_template.py

templates/status.pptx starts from python-pptx's own blank presentation: 16:9, a theme with
NAV-like colours and Calibri, a master with a thin accent bar, and the six layouts that
``excelkort.report.template.LAYOUTS`` declares (title, overview, målekort table, indicator with
chart, measures, units side by side), each with named placeholders. Restyle the result in
PowerPoint (Vis → Lysbildemal) to change colours, fonts, logo or where things sit.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree
from pptx import Presentation
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.util import Pt

from excelkort.report.template import LAYOUTS, SLIDE_HEIGHT, SLIDE_WIDTH, Layout, Placeholder
from excelkort.xlsx.zipcopy import stamp_zip_times

TEMPLATES = Path(__file__).resolve().parent.parent / "excelkort" / "templates"
TEMPLATE_DATE = dt.datetime(2026, 1, 1, 12, 0, 0)
NS = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "p": "http://schemas.openxmlformats.org/presentationml/2006/main"}
XMLNS = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
EMU = 12700  # per point

COLOURS = {  # theme colour scheme «excelkort»: text, background, NAV blue, NAV red, …
    "dk1": "262626", "lt1": "FFFFFF", "dk2": "3E3832", "lt2": "F1F1F1",
    "accent1": "0067C5", "accent2": "C30000", "accent3": "06893A", "accent4": "FF9100",
    "accent5": "66CBEC", "accent6": "634689", "hlink": "0067C5", "folHlink": "634689",
}
PROMPTS = {"ctrTitle": "Tittel", "title": "Tittel", "subTitle": "Undertittel", "body": "Tekst",
           "tbl": "Tabell", "chart": "Graf"}


def _xfrm(box) -> str:
    x, y, w, h = (round(v * EMU) for v in box)
    return f'<a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{w}" cy="{h}"/></a:xfrm>'


def _placeholder(shape_id: int, ph: Placeholder) -> str:
    kind = ph.kind
    idx = f' idx="{ph.idx}"' if ph.idx else ""
    size = ' sz="quarter"' if kind in ("body", "tbl", "chart") else ""
    body = '<a:bodyPr/><a:lstStyle/>'
    if kind == "body":  # plain paragraphs: no bullets, no indent, top anchored, wrapped
        body = ('<a:bodyPr wrap="square" anchor="t"><a:noAutofit/></a:bodyPr><a:lstStyle>'
                '<a:lvl1pPr marL="0" indent="0"><a:spcBef><a:spcPts val="0"/></a:spcBef><a:buNone/>'
                '<a:defRPr sz="1400"/></a:lvl1pPr></a:lstStyle>')
    elif kind == "ctrTitle":
        body = ('<a:bodyPr anchor="b"><a:noAutofit/></a:bodyPr><a:lstStyle><a:lvl1pPr algn="l">'
                '<a:defRPr sz="4000" b="1"><a:solidFill><a:schemeClr val="tx2"/></a:solidFill>'
                '</a:defRPr></a:lvl1pPr></a:lstStyle>')
    elif kind == "subTitle":
        body = ('<a:bodyPr anchor="t"><a:noAutofit/></a:bodyPr><a:lstStyle><a:lvl1pPr marL="0" '
                'indent="0" algn="l"><a:buNone/><a:defRPr sz="2400"><a:solidFill><a:schemeClr '
                'val="accent1"/></a:solidFill></a:defRPr></a:lvl1pPr></a:lstStyle>')
    return (f'<p:sp><p:nvSpPr><p:cNvPr id="{shape_id}" name="{escape(ph.name)}"/><p:cNvSpPr>'
            f'<a:spLocks noGrp="1"/></p:cNvSpPr><p:nvPr><p:ph type="{kind}"{size}{idx}/></p:nvPr>'
            f'</p:nvSpPr><p:spPr>{_xfrm(ph.box)}</p:spPr><p:txBody>{body}<a:p><a:r>'
            f'<a:rPr lang="nb-NO"/><a:t>{PROMPTS[kind]}</a:t></a:r></a:p></p:txBody></p:sp>')


def _rect(shape_id: int, name: str, box, colour: str) -> str:
    """A plain filled rectangle without text (decoration on the master or a layout)."""
    return (f'<p:sp><p:nvSpPr><p:cNvPr id="{shape_id}" name="{name}"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr>'
            f'<p:spPr>{_xfrm(box)}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill>'
            f'<a:schemeClr val="{colour}"/></a:solidFill><a:ln><a:noFill/></a:ln></p:spPr></p:sp>')


_GROUP = ('<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr>'
          '<a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/>'
          '<a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>')


def _layout_csld(layout: Layout) -> etree._Element:
    shapes = []
    if layout.key == "title":  # a band down the left edge of the title slide
        shapes.append(_rect(2, "Fargefelt", (0, 0, 24, SLIDE_HEIGHT), "accent1"))
    shapes += [_placeholder(10 + i, ph) for i, ph in enumerate(layout.placeholders)]
    xml = (f'<p:cSld {XMLNS} name="{escape(layout.name)}"><p:spTree>{_GROUP}{"".join(shapes)}'
           '</p:spTree></p:cSld>')
    return etree.fromstring(xml)


def _restyle_master(prs) -> None:
    master = prs.slide_master._element
    tree = master.find("p:cSld/p:spTree", NS)
    for sp in tree.findall("p:sp", NS):
        ph = sp.find(".//p:ph", NS)
        kind = ph.get("type") if ph is not None else None
        if kind in ("dt", "ftr", "sldNum"):
            tree.remove(sp)
            continue
        box = (36, 20, 888, 52) if kind == "title" else (36, 84, 888, 400)
        old = sp.find("p:spPr/a:xfrm", NS)
        old.getparent().replace(old, etree.fromstring(f"<a:xfrm {XMLNS}>" + _xfrm(box)[7:]))
        body = sp.find("p:txBody/a:bodyPr", NS)
        for child in list(body):
            body.remove(child)
        etree.SubElement(body, f"{{{NS['a']}}}noAutofit")
        if kind == "title":
            body.set("anchor", "b")
    tree.append(etree.fromstring(_rect(90, "Aksentlinje", (0, 0, SLIDE_WIDTH, 6), "accent2")
                                 .replace("<p:sp>", f"<p:sp {XMLNS}>", 1)))
    title_style = master.find("p:txStyles/p:titleStyle/a:lvl1pPr", NS)
    title_style.set("algn", "l")
    rpr = title_style.find("a:defRPr", NS)
    rpr.set("sz", "2600")
    rpr.set("b", "1")
    for clr in rpr.findall("a:solidFill", NS):
        clr.find("a:schemeClr", NS).set("val", "tx2")
    for lvl in master.find("p:txStyles/p:bodyStyle", NS):
        rpr = lvl.find("a:defRPr", NS)
        if rpr is not None and rpr.get("sz"):
            rpr.set("sz", str(max(1000, int(rpr.get("sz")) * 2 // 3 // 100 * 100)))


def _restyle_theme(prs) -> None:
    part = prs.slide_master.part.part_related_by(RT.THEME)
    text = part.blob.decode("utf-8")
    text = text.replace('name="Office Theme"', 'name="excelkort"', 1)
    text = text.replace('<a:clrScheme name="Office">', '<a:clrScheme name="excelkort">', 1)
    for key, rgb in COLOURS.items():
        text = re.sub(rf"<a:{key}>.*?</a:{key}>", f'<a:{key}><a:srgbClr val="{rgb}"/></a:{key}>',
                      text, count=1, flags=re.S)
    part._blob = text.encode("utf-8")


def build_bytes() -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = Pt(SLIDE_WIDTH), Pt(SLIDE_HEIGHT)
    _restyle_theme(prs)
    _restyle_master(prs)
    layouts = list(prs.slide_layouts)
    for layout, spec in zip(layouts, LAYOUTS):
        el = layout._element
        el.attrib.pop("type", None)
        el.replace(el.find("p:cSld", NS), _layout_csld(spec))
    for extra in layouts[len(LAYOUTS):]:
        prs.slide_layouts.remove(extra)
    core = prs.core_properties
    core.title, core.author, core.last_modified_by = "Statusrapport (mal)", "excelkort", "excelkort"
    core.created = core.modified = core.last_printed = TEMPLATE_DATE
    core.revision = 1
    core.language = "nb-NO"
    buffer = io.BytesIO()
    prs.save(buffer)
    return stamp_zip_times(buffer.getvalue(), TEMPLATE_DATE.timetuple()[:6])


def build(folder: Path = TEMPLATES) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "status.pptx"
    path.write_bytes(build_bytes())
    return [path]


if __name__ == "__main__":
    for path in build():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(f"{path.relative_to(TEMPLATES.parent.parent)}  sha256 {digest}")
