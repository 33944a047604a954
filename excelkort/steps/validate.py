"""``excelkort sjekk``: validate workbooks, extracts, catalogues and registers; change nothing."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..inputs.catalogue import check_catalogue, check_unit_targets
from ..errors import ERROR, WARNING, InputError, Problem
from ..files import MSG_MISSING
from ..model import Catalogue
from ..scorecard.reader import read_scorecard
from ..inputs.register import check_register
from ..xlsx.package import lock_app, lock_file_for, open_package

MSG_OPEN = ("Filen er åpen i {app} (låsefilen «{lock}» finnes). Sjekken gjelder filen slik den sist "
            "ble lagret; lagre i {app} for å sjekke endringene dine. «fyll» hopper over filen til "
            "den er lukket.")

KINDS = {
    "målekort": "målekort", "uttrekk": "uttrekk", "katalog": "indikatorkatalog",
    "register": "enhetsregister", "mål": "mål per enhet", "ukjent": "ukjent filtype",
    "tiltaksplan": "tiltaksplan", "kontroll": "kontrollarbeidsbok",
}


@dataclass
class CheckResult:
    path: Path
    kind: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def kind_label(self) -> str:
        """What the file is, in words a user reads (e.g. «indikatorkatalog»)."""
        return KINDS[self.kind]


def _header_words(path: Path) -> set[str]:
    raw = path.read_bytes()[:4096]
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        return set()
    first = next((line for line in text.splitlines() if line.strip() and not line.startswith("sep=")), "")
    for sep in (";", ",", "\t"):
        first = first.replace(sep, "|")
    return {w.strip().strip('"').casefold() for w in first.split("|")}


def detect_kind(path: Path) -> str:
    """What a file is, from its content (header labels, sheet names)."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        try:
            package = open_package(path, allow_locked=True)
            sheets = set(package.sheet_names())
            names = set(package.defined_names())
        except InputError:
            return "målekort"  # let the reader give the precise message
        if "Målekort" in sheets or {"Enhet", "Periode"} <= names:  # a målekort with a renamed sheet
            return "målekort"
        if "Indikatorer" in sheets:
            return "katalog"
        return "uttrekk"
    if path.suffix.lower() == ".parquet":
        return "uttrekk"
    words = _header_words(path)
    if {"teller", "periode"} & words:
        return "uttrekk"
    if {"perspektiv", "måletype"} & words:
        return "katalog"
    if {"nivå", "overordnet"} & words:
        return "register"
    if {"enhet", "indikator", "mål"} <= words:
        return "mål"
    return "ukjent"


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
        elif kind == "målekort":
            if (lock := lock_file_for(path)) is not None:
                app = lock_app(lock)
                result.problems.append(Problem(MSG_OPEN.format(app=app, lock=lock.name),
                                               file=str(path), severity=WARNING))
            result.problems += read_scorecard(path, catalogue).warnings
        elif kind == "uttrekk":
            result.problems += read_extract(path, catalogue, unit_ids).problems
        elif kind == "katalog":
            result.problems += check_catalogue(path)
        elif kind == "register":
            result.problems += check_register(path)
        elif kind == "mål":
            result.problems += check_unit_targets(path, catalogue)
        elif kind in ("tiltaksplan", "kontroll"):
            pass  # excelkort's own workbooks: they opened cleanly, which is what sjekk can say
        else:
            result.problems.append(Problem(
                "Kjenner ikke igjen filen: forventet et målekort (.xlsx), et uttrekk, en "
                "indikatorkatalog, et enhetsregister eller en måltabell.", file=str(path)))
    except InputError as exc:
        result.problems += exc.problems
    if kind == "ukjent" and not result.errors:
        result.problems = [Problem(p.message, p.file, severity=ERROR) for p in result.problems]
    return result
