"""Native, editable line charts (SPEC §5): a chart part whose data lives in its embedded
workbook, so a leader can right-click → Rediger data in PowerPoint. Colours are theme colours,
so a restyled template recolours the charts too. The embedded workbook is dated by the period,
never the clock (re-runs give the same bytes).
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from xml.sax.saxutils import escape

from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.enum.chart import XL_CHART_TYPE
from xlsxwriter import Workbook

from .content import Chart

#: (theme colour, brightness, width pt, dash, marker) per series style
STYLES = {
    "this_year": ("accent1", 0.0, 2.5, None, "circle"),
    "last_year": ("tx1", 0.55, 1.5, "dash", "none"),
    "target": ("accent2", 0.0, 1.75, "lgDash", "none"),
    "prognosis": ("accent1", 0.4, 2.0, "sysDot", "none"),
}
FONT_SIZE = 11


class _DatedWorkbookWriter(CategoryWorkbookWriter):
    """python-pptx's writer of the embedded workbook, with its document date fixed."""

    created: dt.datetime = dt.datetime(2026, 1, 1)

    @contextmanager
    def _open_worksheet(self, xlsx_file):
        workbook = Workbook(xlsx_file, {"in_memory": True})
        workbook.set_properties({"created": self.created, "author": "excelkort"})
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


def _colour(theme: str, brightness: float) -> str:
    if not brightness:
        return f'<a:schemeClr val="{theme}"/>'
    mod, off = round((1 - brightness) * 100000), round(brightness * 100000)
    return f'<a:schemeClr val="{theme}"><a:lumMod val="{mod}"/><a:lumOff val="{off}"/></a:schemeClr>'


def _series_style(style: str) -> str:
    """The ``c:spPr`` and ``c:marker`` of a series (they follow its ``c:tx``)."""
    theme, brightness, width, dash, marker = STYLES[style]
    colour = _colour(theme, brightness)
    dash_xml = f'<a:prstDash val="{dash}"/>' if dash else ""
    line = (f'<c:spPr><a:ln w="{round(width * 12700)}" cap="rnd"><a:solidFill>{colour}</a:solidFill>'
            f'{dash_xml}<a:round/></a:ln></c:spPr>')
    if marker == "none":
        return line + '<c:marker><c:symbol val="none"/></c:marker>'
    return (line + f'<c:marker><c:symbol val="{marker}"/><c:size val="6"/><c:spPr><a:solidFill>'
            f'{colour}</a:solidFill><a:ln><a:solidFill>{colour}</a:solidFill></a:ln></c:spPr></c:marker>')


class DatedChartData(CategoryChartData):
    """Category chart data whose embedded workbook is dated ``created`` and whose chart XML
    carries excelkort's look (theme colours, legend below, the axis format), written as XML
    once rather than through python-pptx's object model (which is slow for this)."""

    def __init__(self, created: dt.datetime, chart: Chart):
        super().__init__(chart.number_format)
        self._created = created
        self._chart = chart
        self.categories = list(chart.categories)
        for series in chart.series:
            self.add_series(series.name, list(series.values))

    @property
    def _workbook_writer(self):
        writer = _DatedWorkbookWriter(self)
        writer.created = self._created
        return writer

    def xml_bytes(self, chart_type):
        xml = super().xml_bytes(chart_type).decode("utf-8")
        parts = xml.split("</c:tx>")
        styled = parts[0]
        for spec, rest in zip(self._chart.series, parts[1:]):
            styled += "</c:tx>" + _series_style(spec.style) + rest
        fmt = escape(self._chart.axis_format, {'"': "&quot;"})
        grid = ('<c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="D9D9D9"/>'
                f'</a:solidFill></a:ln></c:spPr></c:majorGridlines><c:numFmt formatCode="{fmt}" '
                'sourceLinked="0"/>')
        styled = (styled.replace('<c:autoTitleDeleted val="0"/>', '<c:autoTitleDeleted val="1"/>')
                  .replace("<c:majorGridlines/>", grid)
                  .replace('<c:legendPos val="r"/>', '<c:legendPos val="b"/>')
                  .replace('<a:defRPr sz="1800"/>', f'<a:defRPr sz="{FONT_SIZE * 100}"/>'))
        return styled.encode("utf-8")


def add_line_chart(placeholder, chart: Chart, created: dt.datetime):
    """Insert ``chart`` into a chart placeholder; returns the graphic frame."""
    return placeholder.insert_chart(XL_CHART_TYPE.LINE_MARKERS, DatedChartData(created, chart))
