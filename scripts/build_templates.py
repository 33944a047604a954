"""Build the committed templates reproducibly (same input → byte-identical files):

    python scripts/build_templates.py

templates/målekort.xlsx carries the layout, styles, print set-up and the default catalogue
(sheet Indikatorer, where users can edit it); templates/tiltaksplan.xlsx the action plan.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from excelkort.actionplan.writer import write_action_plan
from excelkort.inputs.catalogue import default_catalogue
from excelkort.scorecard.writer import ScorecardContent, write_scorecard

TEMPLATES = Path(__file__).resolve().parent.parent / "excelkort" / "templates"
TEMPLATE_PERIOD = "2026-01"


def build(folder: Path = TEMPLATES) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    content = ScorecardContent("ENHET", "Enhetens navn", TEMPLATE_PERIOD, default_catalogue())
    scorecard = folder / "målekort.xlsx"
    write_scorecard(content, scorecard)
    plan = write_action_plan(folder / "tiltaksplan.xlsx", "ENHET", "Enhetens navn", TEMPLATE_PERIOD)
    return [scorecard, plan]


if __name__ == "__main__":
    for path in build():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(f"{path.relative_to(TEMPLATES.parent.parent)}  sha256 {digest}")
