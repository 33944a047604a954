"""Native, editable line charts (SPEC §5): a chart part whose data lives in its embedded
workbook, so a leader can right-click → Rediger data in PowerPoint. Colours are theme colours,
so a restyled template recolours the charts too. The embedded workbook is dated by the period,
never the clock (re-runs give the same bytes).
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE_DASH_STYLE, MSO_THEME_COLOR
from pptx.util import Pt
from xlsxwriter import Workbook

from .content import Chart

#: (theme colour, brightness, width pt, dash, marker) per series style
STYLES = {
    "this_year": (MSO_THEME_COLOR.ACCENT_1, 0.0, 2.5, None, XL_MARKER_STYLE.CIRCLE),
    "last_year": (MSO_THEME_COLOR.TEXT_1, 0.55, 1.5, MSO_LINE_DASH_STYLE.DASH, XL_MARKER_STYLE.NONE),
    "target": (MSO_THEME_COLOR.ACCENT_2, 0.0, 1.75, MSO_LINE_DASH_STYLE.LONG_DASH, XL_MARKER_STYLE.NONE),
    "prognosis": (MSO_THEME_COLOR.ACCENT_1, 0.4, 2.0, MSO_LINE_DASH_STYLE.ROUND_DOT, XL_MARKER_STYLE.NONE),
}


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


class DatedChartData(CategoryChartData):
    """Category chart data whose embedded workbook is dated ``created``."""

    def __init__(self, created: dt.datetime, number_format: str):
        super().__init__(number_format)
        self._created = created

    @property
    def _workbook_writer(self):
        writer = _DatedWorkbookWriter(self)
        writer.created = self._created
        return writer


def add_line_chart(placeholder, chart: Chart, created: dt.datetime):
    """Insert ``chart`` into a chart placeholder; returns the graphic frame."""
    data = DatedChartData(created, chart.number_format)
    data.categories = list(chart.categories)
    for series in chart.series:
        data.add_series(series.name, list(series.values))
    frame = placeholder.insert_chart(XL_CHART_TYPE.LINE_MARKERS, data)
    c = frame.chart
    c.has_title = False
    c.has_legend = True
    c.legend.position = XL_LEGEND_POSITION.BOTTOM
    c.legend.include_in_layout = False
    c.legend.font.size = Pt(11)
    c.font.size = Pt(11)
    axis = c.value_axis
    axis.tick_labels.number_format = chart.axis_format
    axis.tick_labels.number_format_is_linked = False
    axis.has_major_gridlines = True
    axis.major_gridlines.format.line.color.rgb = RGBColor(0xD9, 0xD9, 0xD9)
    for plot_series, spec in zip(c.plots[0].series, chart.series):
        colour, brightness, width, dash, marker = STYLES[spec.style]
        line = plot_series.format.line
        line.color.theme_color = colour
        line.color.brightness = brightness
        line.width = Pt(width)
        if dash is not None:
            line.dash_style = dash
        plot_series.smooth = False
        plot_series.marker.style = marker
        if marker != XL_MARKER_STYLE.NONE:
            plot_series.marker.size = 6
            plot_series.marker.format.fill.solid()
            plot_series.marker.format.fill.fore_color.theme_color = colour
    return frame
