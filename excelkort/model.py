"""The domain vocabulary as plain data: indicators, catalogue, units, series.

English identifiers; the Norwegian words users see are the *values* (e.g. ``"høyere"``), and
the README's glossary maps the two.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

PERSPECTIVES = ("Bruker", "Produksjon", "Medarbeider", "Økonomi")
INDICATOR_TYPES = ("Effekt", "Måle")
MEASURES = ("andel", "snitt", "antall")
DIRECTIONS = ("høyere", "lavere", "nær")
YTD_MODES = ("akkumulert", "siste")
SOURCES = ("automatisk", "lokal")
FREQUENCIES = ("måned", "kvartal", "tertial", "år")
LINES = ("statlig", "kommunal", "felles")
LEVELS = ("kontor", "fylke", "nasjonal")

MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Des")

#: reporting months per Frekvens, and f = months per reporting period
REPORTING_MONTHS = {
    "måned": tuple(range(1, 13)),
    "kvartal": (3, 6, 9, 12),
    "tertial": (4, 8, 12),
    "år": (12,),
}
MONTHS_PER_PERIOD = {"måned": 1, "kvartal": 3, "tertial": 4, "år": 12}


@dataclass(frozen=True)
class Indicator:
    """One row of the indicator catalogue (SPEC §3)."""

    id: str
    name: str
    perspective: str
    type: str  # Effekt / Måle
    measure: str  # Måletype: andel / snitt / antall
    direction: str  # Retning: høyere / lavere / nær
    target: float  # Mål
    tolerance: float | None = None  # Toleranse; None = 5 % of |Mål|
    ytd_mode: str = "akkumulert"  # Hittil: akkumulert / siste
    source: str = "automatisk"  # Kilde: automatisk / lokal
    frequency: str = "måned"  # Frekvens
    decimals_given: int | None = None  # Desimaler as given (None = default)
    lag: int = 0  # Etterslep
    line: str = "felles"  # Styringslinje
    goal: str = ""  # Resultatkrav
    responsible: str = ""  # Ansvarlig
    data_source: str = ""  # Datakilde
    description: str = ""  # Beskrivelse

    @property
    def decimals(self) -> int:
        """Desimaler: display and comparison precision (default 1 for andel/snitt, 0 for antall)."""
        if self.decimals_given is not None:
            return self.decimals_given
        return 0 if self.measure == "antall" else 1

    @property
    def reporting_months(self) -> tuple[int, ...]:
        return REPORTING_MONTHS[self.frequency]

    @property
    def months_per_period(self) -> int:
        return MONTHS_PER_PERIOD[self.frequency]

    @property
    def is_automatic(self) -> bool:
        return self.source == "automatisk"


@dataclass(frozen=True)
class Catalogue:
    """The indicator catalogue, in catalogue order."""

    indicators: tuple[Indicator, ...]
    source: str = ""

    def __iter__(self):
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    @cached_property
    def _by_id(self) -> dict[str, Indicator]:
        return {ind.id: ind for ind in self.indicators}

    def __getitem__(self, indicator_id: str) -> Indicator:
        return self._by_id[indicator_id]

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self._by_id

    def ids(self) -> list[str]:
        return [ind.id for ind in self.indicators]

    def by_perspective(self) -> list[tuple[str, list[Indicator]]]:
        """Indicators grouped by perspective, in the canonical perspective order."""
        groups = []
        for p in PERSPECTIVES:
            members = [i for i in self.indicators if i.perspective == p]
            if members:
                groups.append((p, members))
        return groups


@dataclass(frozen=True)
class Unit:
    """One row of the unit register (SPEC §2)."""

    id: str
    name: str
    level: str  # nivå: kontor / fylke / nasjonal
    parent: str | None = None  # overordnet
    type: str = ""  # e.g. NAV-kontor / forvaltningsenhet
    valid_from: str | None = None  # gyldig_fra YYYY-MM
    valid_to: str | None = None  # gyldig_til YYYY-MM

    def in_force(self, period: str) -> bool:
        """True when the unit exists in the month ``period`` (YYYY-MM)."""
        if self.valid_from and period < self.valid_from:
            return False
        if self.valid_to and period > self.valid_to:
            return False
        return True


@dataclass(slots=True)
class Series:
    """Raw data for one unit and indicator over a year: teller and nevner per month 1–12.

    ``None`` is missing, never 0. A bare value (typed without nevner) is held as a teller with
    no nevner. ``weighted=False`` marks an aggregate of unweighted values (``uvektet``):
    teller is the sum of the units' values and nevner the number of units. The months are a
    list, or a tuple where nothing changes them (an office's series in konsolider: cheap to
    send from a worker process and nothing for the garbage collector to walk). Slotted: a
    konsolider run holds one per office and indicator.
    """

    teller: list[float | None] | tuple = field(default_factory=lambda: [None] * 12)
    nevner: list[float | None] | tuple = field(default_factory=lambda: [None] * 12)
    weighted: bool = True

    def __post_init__(self):
        if len(self.teller) != 12 or len(self.nevner) != 12:
            raise ValueError("Series needs 12 months of teller and nevner")
