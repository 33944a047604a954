"""The statusrapport template's layouts, declared once (SPEC §5): the builder
(``scripts/build_status_template.py``) draws them, the deck finds them here by name and fills
their placeholders by ``idx``. A user may restyle ``templates/status.pptx`` (theme colours and
fonts, a logo on the master, backgrounds, placeholders moved or resized): the deck places
everything through these layouts and placeholders, so it takes the new style and geometry.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

SLIDE_WIDTH, SLIDE_HEIGHT = 960, 540  # points (16:9, 13,333 × 7,5 in)

# placeholder idx values (the title is the layout's title placeholder, idx 0)
TITLE = 0
SUBTITLE = 1
NOTE = 10  # the title slide's small print
TABLE = 11
COMMENT = 12
LEGEND = 13
CHART = 14
FACTS = 15
MEASURES = 16


@dataclass(frozen=True)
class Placeholder:
    idx: int
    kind: str  # ctrTitle, subTitle, title, body, tbl, chart
    name: str  # the name a user sees in PowerPoint's selection pane
    box: tuple[float, float, float, float]  # x, y, width, height in points


@dataclass(frozen=True)
class Layout:
    key: str
    name: str
    placeholders: tuple[Placeholder, ...]


_TITLE_BAR = Placeholder(TITLE, "title", "Tittel", (36, 20, 888, 52))
_LEGEND = Placeholder(LEGEND, "body", "Forklaring", (36, 492, 888, 34))


def _table_layout(key: str, name: str) -> Layout:
    """A title, a table as wide as the slide, and the explanation below it."""
    table = Placeholder(TABLE, "tbl", "Tabell", (36, 84, 888, 400))
    return Layout(key, name, (_TITLE_BAR, table, _LEGEND))


LAYOUTS = (
    Layout("title", "Statusrapport – tittel", (
        Placeholder(TITLE, "ctrTitle", "Tittel", (72, 150, 816, 120)),
        Placeholder(SUBTITLE, "subTitle", "Undertittel", (72, 282, 816, 80)),
        Placeholder(NOTE, "body", "Merknad", (72, 420, 816, 70)),
    )),
    Layout("overview", "Statusrapport – oversikt", (
        _TITLE_BAR,
        Placeholder(TABLE, "tbl", "Statustabell", (36, 88, 540, 300)),
        Placeholder(COMMENT, "body", "Leders kommentar", (600, 88, 324, 392)),
        _LEGEND,
    )),
    _table_layout("table", "Statusrapport – målekort"),
    Layout("indicator", "Statusrapport – indikator med graf", (
        _TITLE_BAR,
        Placeholder(CHART, "chart", "Graf", (36, 84, 560, 286)),
        Placeholder(FACTS, "body", "Nøkkeltall", (612, 84, 312, 286)),
        Placeholder(MEASURES, "body", "Tiltak", (36, 380, 888, 106)),
        _LEGEND,
    )),
    _table_layout("measures", "Statusrapport – tiltak"),
    _table_layout("units", "Statusrapport – enheter side om side"),
)
LAYOUT_BY_KEY = {layout.key: layout for layout in LAYOUTS}


def default_template() -> Path:
    """The package's ``templates/status.pptx``."""
    return Path(str(resources.files("excelkort") / "templates" / "status.pptx"))
