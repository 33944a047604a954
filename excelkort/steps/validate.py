"""``excelkort sjekk``: validate workbooks, extracts, catalogues and registers; change nothing."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..inputs.catalogue import check_catalogue, check_unit_targets
from ..errors import WARNING, InputError, Problem
from ..files import MSG_MISSING
from ..model import Catalogue
from ..scorecard.reader import read_scorecard
from .fill import read_for_fill
from ..inputs.register import check_register
from ..actionplan.reader import read_action_plan
from ..xlsx.package import lock_app, lock_file_for
from .kinds import detect_kind

MSG_OPEN = ("Filen er åpen i {app} (låsefilen «{lock}» finnes). Sjekken gjelder filen slik den sist "
            "ble lagret; lagre i {app} for å sjekke endringene dine. «fyll» hopper over filen til "
            "den er lukket.")

KINDS = {
    "målekort": "målekort", "konsolidert": "konsolidert målekort", "uttrekk": "uttrekk",
    "katalog": "indikatorkatalog", "register": "enhetsregister", "mål": "mål per enhet",
    "tiltaksplan": "tiltaksplan", "kontroll": "kontrollarbeidsbok",
    "statusrapport": "statusrapport (PowerPoint)", "historikk": "historikk (konsolider)",
    "ukjent": "ukjent filtype",
}
#: files excelkort writes and nobody types into: sjekk names them and checks nothing more
OUTPUTS = ("kontroll", "statusrapport", "historikk")


@dataclass
class CheckResult:
    path: Path
    kind: str
    problems: list[Problem] = field(default_factory=list)
    checked: bool = True  # False for excelkort's own outputs (OUTPUTS): named, not checked

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def kind_label(self) -> str:
        """What the file is, in words a user reads (e.g. «indikatorkatalog»)."""
        return KINDS[self.kind]


def check_file(path: str | Path, catalogue: Catalogue, unit_ids: set[str] | None = None) -> CheckResult:
    """Validate one file of any kind we know; ``unit_ids`` (from the register) checks an
    extract's units too."""
    from ..inputs.extract import read_extract

    path = Path(path)
    kind = detect_kind(path) if path.exists() else "ukjent"
    result = CheckResult(path, kind)
    try:
        if not path.exists():
            result.problems.append(Problem(MSG_MISSING, file=str(path)))
        elif kind == "konsolidert":
            # it opens as a målekort; its numbers are konsolider's own (an uvektet andel sums
            # the units' values over their count), so the typing checks do not apply
            read_scorecard(path, catalogue)
        elif kind == "målekort":
            if (lock := lock_file_for(path)) is not None:
                app = lock_app(lock)
                result.problems.append(Problem(MSG_OPEN.format(app=app, lock=lock.name),
                                               file=str(path), severity=WARNING))
            result.problems += read_for_fill(path, catalogue).warnings  # what fyll checks
        elif kind == "uttrekk":
            result.problems += read_extract(path, catalogue, unit_ids).problems
        elif kind == "katalog":
            result.problems += check_catalogue(path)
        elif kind == "register":
            result.problems += check_register(path)
        elif kind == "mål":
            result.problems += check_unit_targets(path, catalogue)
        elif kind == "tiltaksplan":
            result.problems += read_action_plan(path).problems
        elif kind in OUTPUTS:
            result.checked = False
    except InputError as exc:
        result.problems += exc.problems
    return result
