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
from ..actionplan.layout import ACTION_SHEET
from ..actionplan.reader import read_action_plan
from ..scorecard.layout import CATALOGUE_SHEET, SCORECARD_SHEET
from ..textfile import DecodeError, decode_text
from ..xlsx.package import lock_app, lock_file_for, open_package
from .consolidate_update import RANKING_SHEET, UNITS_SHEET

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
#: bytes read to find a CSV's header; cut back to a whole line before decoding
_HEAD_BYTES = 65536


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


def _head_text(path: Path) -> str:
    """The file's first lines, decoded as the extract reader decodes (textfile.decode_text);
    "" when it is not text."""
    with path.open("rb") as f:
        data = f.read(_HEAD_BYTES + 1)
    if len(data) > _HEAD_BYTES:  # cut at a line end, never inside a character
        data = data[:_HEAD_BYTES]
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            data = data[:len(data) // 2 * 2]
            end = max(data.rfind(b"\n\x00"), data.rfind(b"\x00\n"))
            data = data[:end + 2] if end > 0 and end % 2 == 0 else data
        else:
            data = data[:data.rfind(b"\n") + 1] or data
    try:
        return decode_text(data)
    except DecodeError:
        return ""


def _header_words(path: Path) -> set[str]:
    text = _head_text(path)
    first = next((line for line in text.splitlines()
                  if line.strip() and not line.strip('"').lower().startswith("sep=")), "")
    for sep in (";", ",", "\t"):
        first = first.replace(sep, "|")
    return {w.strip().strip('"').casefold() for w in first.split("|")}


def _workbook_kind(path: Path) -> str:
    try:
        package = open_package(path, allow_locked=True)
        sheets = set(package.sheet_names())
        names = set(package.defined_names())
    except InputError:
        return "målekort"  # let the reader give the precise message
    if SCORECARD_SHEET in sheets or {"Enhet", "Periode"} <= names:  # also a renamed sheet
        return "konsolidert" if {UNITS_SHEET, RANKING_SHEET} & sheets else "målekort"
    if ACTION_SHEET in sheets:
        return "tiltaksplan"
    if {"Sammendrag", "Avvik"} <= sheets:
        return "kontroll"
    if CATALOGUE_SHEET in sheets:
        return "katalog"
    return "uttrekk"


def _parquet_kind(path: Path) -> str:
    import pyarrow.parquet as pq

    try:
        names = set(pq.read_schema(path).names)
    except Exception:  # noqa: BLE001 - the extract reader says what is wrong with the file
        return "uttrekk"
    return "historikk" if {"nivå", "kilde", "verdi"} <= names else "uttrekk"


def detect_kind(path: Path) -> str:
    """What a file is, from its content (header labels, sheet names, Parquet columns)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return _workbook_kind(path)
    if suffix == ".pptx":
        return "statusrapport"
    if suffix == ".parquet":
        return _parquet_kind(path)
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
        elif kind == "konsolidert":
            # it opens as a målekort; its numbers are konsolider's own (an uvektet andel sums
            # the units' values over their count), so the typing checks do not apply
            read_scorecard(path, catalogue)
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
        elif kind == "tiltaksplan":
            result.problems += read_action_plan(path).problems
        elif kind in OUTPUTS:
            result.checked = False
        else:
            result.problems.append(Problem(
                "Kjenner ikke igjen filen: forventet et målekort (.xlsx), en tiltaksplan, et "
                "uttrekk, en indikatorkatalog, et enhetsregister eller en måltabell.",
                file=str(path)))
    except InputError as exc:
        result.problems += exc.problems
    if kind == "ukjent" and not result.errors:
        result.problems = [Problem(p.message, p.file, severity=ERROR) for p in result.problems]
    return result
