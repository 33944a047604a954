"""The tiltaksplan's layout (SPEC §5), declared once for the writer, the reader and the
proposals: the sheet, its labels, the statuses and where the table starts in a new plan."""
from __future__ import annotations

ACTION_SHEET = "Tiltak"
ACTION_LABELS = ("Nr", "Indikator", "Avvik", "Tiltak", "Ansvarlig", "Start", "Frist", "Status",
                 "Forventet effekt", "Kommentar", "Sist oppdatert", "Verdi ved start", "Verdi nå")
ACTION_STATUSES = ("Ikke startet", "Pågår", "Fullført", "Avbrutt")
OPEN_STATUSES = ("Ikke startet", "Pågår")
PROPOSAL_COMMENT = "Forslag fra excelkort"
ACTION_HEADER_ROW = 3  # row 4; rows above hold the title
ACTION_INPUT_ROWS = 200
CLOSED_STATUSES = ("Fullført", "Avbrutt")
#: the columns a person fills; excelkort writes only into a proposal's row and the two it keeps
KEPT_BY_EXCELKORT = ("Verdi ved start", "Verdi nå")
DATE_LABELS = ("Start", "Frist", "Sist oppdatert")
PROPOSAL_STATUS = ACTION_STATUSES[0]  # a proposal is open (Ikke startet), so it is not proposed again


def column_of(label: str) -> int:
    """The column (0-based) of ``label`` in a plan made from the template."""
    return ACTION_LABELS.index(label)
