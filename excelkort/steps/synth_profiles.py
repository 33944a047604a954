"""The synthetic year's model constants: seasons, budget periodisation, working days, the
example catalogue's indicator profiles and the big offices' sizes (see ``synth``'s docstring)."""
from __future__ import annotations

import numpy as np

MONTHS = np.arange(1, 13)
PROGRESS = (MONTHS - 1) / 11.0  # 0 in January, 1 in December

# volume (nevner) by month: July holidays, Christmas, Easter
VOLUME = np.array([1.05, 1.0, 1.05, 0.95, 0.97, 1.0, 0.6, 0.9, 1.05, 1.05, 1.05, 0.8])
# penalty on performance by month, in tolerance units (positive = worse)
SEASONS = {
    "sommer": np.array([0.15, 0, 0, 0, 0, 0.1, 0.8, 0.35, 0, 0, 0, 0.45]),
    "mild": np.array([0.05, 0, 0, 0, 0, 0, 0.4, 0.15, 0, 0, 0, 0.25]),
    "vinter": np.array([0.7, 0.8, 0.4, 0.1, -0.2, -0.3, -0.6, -0.3, 0, 0.2, 0.4, 0.6]),
    "opplæring": 1.6 * (1 - PROGRESS) - 0.4,  # training completes through the year
    "ingen": np.zeros(12),
}
# periodisation of a budget over months (sums to 12)
BUDGET_W = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 0.7, 0.95, 1.0, 1.0, 1.1, 1.15])
BUDGET_W = BUDGET_W * 12 / BUDGET_W.sum()
# tiltaksmidler: spend relative to the periodised frame, in tolerance units
TILTAK_SEASON = np.array([-1.5, -0.8, -0.2, 0, 0, 0, -1.0, -0.3, 0.2, 0.3, 0.4, 1.2])
# agreed working days by month (sick leave's nevner: vacation is not agreed work)
WORKDAYS = np.array([21, 20, 21, 18, 19, 20, 11, 18, 21, 22, 20, 16], dtype=float)

#: per-indicator knowledge of the example catalogue; unknown indicators get defaults by Måletype
PROFILES: dict[str, dict] = {
    "B1": {"share": 0.45, "season": "mild"},
    "B2": {"share": 0.2, "season": "mild"},
    "B3": {"share": 0.9, "season": "mild", "cv": 0.9},
    "B4": {"share": 0.15, "season": "mild"},
    "B5": {"kind": "survey"},
    "B6": {"share": 0.12, "season": "ingen"},
    "B7": {"share": 0.15},
    "P1": {"share": 1.2},
    "P2": {"share": 0.9},
    "P3": {"share": 0.15},
    "P4": {"share": 0.6},
    "P5": {"share": 0.5},
    "P6": {"share": 0.35},
    "P7": {"share": 0.25},
    "P8": {"share": 0.3, "cv": 0.7},
    "P9": {"kind": "backlog"},
    "P10": {"share": 2.5},
    "M1": {"kind": "sickleave", "season": "vinter"},
    "M2": {"kind": "staff", "season": "ingen"},
    "M3": {"kind": "survey"},
    "M4": {"kind": "staff", "season": "opplæring"},
    "Ø1": {"kind": "budget", "per_staff": 75_000.0, "season": "ingen"},
    "Ø2": {"kind": "budget", "per_case": 2_500.0, "season": "tiltak", "sd": 1.0},
    "Ø3": {"kind": "staffcount"},
}

# approximate monthly cases of the big offices (names as in data/nav_kontor_approx.csv,
# lower-case, without "Nav ")
BIG_OFFICES = {
    "bærum": 2000, "kristiansand": 1900, "falkenborg": 1900, "lerkendal": 1800, "drammen": 1800,
    "gamle oslo": 1700, "alna": 1700, "bergen sør": 1700, "fredrikstad": 1600, "bergenhus": 1600,
    "lillestrøm": 1500, "grünerløkka": 1500, "søndre nordstrand": 1500, "bergen nord": 1500,
    "tromsø": 1400, "sandnes": 1400, "stovner": 1400, "årstad": 1400, "asker": 1300,
    "bergen vest": 1300, "sarpsborg": 1200, "ålesund": 1200, "grorud": 1200, "bjerke": 1200,
    "østensjø": 1200, "frogner": 1100, "sagene": 1100, "skien": 1100,
    "hundvåg og storhaug": 1100, "hillevåg og hinna": 1100, "st. hanshaugen": 1000,
    "nordstrand": 1000, "nordre aker": 1000, "eiganes og tasta": 1000, "bodø": 1000,
    "sandefjord": 1000, "tønsberg": 1000, "moss": 1000, "nordre follo": 1000, "larvik": 900,
    "arendal": 900, "lørenskog": 900, "haugesund-utsira": 900, "indre østfold": 900,
    "vestre aker": 800, "madla": 800, "ullensaker": 800, "karmøy-bokn": 800, "ullern": 700,
    "halden-aremark": 700, "porsgrunn": 700, "hamar": 700, "ringsaker": 700, "gjøvik": 700,
    "lillehammer-gausdal": 700, "øygarden": 700, "ringerike": 700, "molde": 600,
    "kristiansund": 600, "askøy": 600, "sola": 600, "kongsberg": 600, "horten": 600,
    "rana": 550, "færder": 500, "narvik": 500, "alta-kvænangen-loppa": 500, "lier": 500,
    "grimstad": 500, "orkland": 500, "stord": 500, "heim": 200,
}
