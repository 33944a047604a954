"""A user's file, checked before anything reads it: one set of size limits, one wording each.

Every reader (the xlsx opener, the table reader of the catalogue, register and unit targets, the
extract reader) calls ``check_file`` first: missing, a folder, Excel's lock file given instead of
the workbook, too large on disk. Then ``read_bytes`` reads it, and ``check_unpacked`` refuses a
zip that would unpack to more than its limit (a zip bomb) before anything unpacks it. So a
missing file reads the same whichever command met it, and every limit is here.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from .errors import InputError, Problem
from .numtext import format_fixed

_MB = 2**20

#: bytes on disk of a workbook (a målekort is tens of KB)
MAX_FILE_SIZE = 200 * _MB
#: an xlsx's members together, as the zip declares them
MAX_UNPACKED = 200 * _MB
#: a CSV or xlsx table (catalogue, register, unit targets: hundreds of rows), on disk
MAX_TABLE_SIZE = 50 * _MB
#: an extract, on disk or unpacked. Larger than a workbook's limit: an extract is the data
#: warehouse's table for every unit and month (a national year is ~15 MB unpacked; several
#: years of history in one file must still open), a målekort is one unit's workbook.
MAX_EXTRACT_SIZE = 512 * _MB
#: data rows of an extract: four national years (a year is ~500,000 rows). The memory a read
#: needs grows with the rows (about 200 bytes each), so more are refused, never swapped.
MAX_EXTRACT_ROWS = 2_000_000
#: more members than any real workbook has
MAX_MEMBERS = 10_000
#: uncompressed : compressed, checked for xlsx members above RATIO_MIN_SIZE
MAX_RATIO = 100
RATIO_MIN_SIZE = 1 * _MB

MSG_MISSING = "Filen finnes ikke. Sjekk navnet og mappen."
MSG_DIRECTORY = "Dette er en mappe, ikke en fil. Oppgi {kind}."
MSG_LOCK_FILE = ("Dette er Excels låsefil for en åpen arbeidsbok, ikke en fil med data. Bruk selve "
                 "arbeidsboken («{name}»).")
MSG_UNREADABLE = ("Kan ikke lese filen ({reason}). Sjekk at den ikke er åpen i et annet program, og "
                  "at du har tilgang til den.")
MSG_TOO_MANY_MEMBERS = ("Filen har {count} deler i zip-arkivet, flere enn {limit} som noen ekte "
                        "arbeidsbok har; den kan være skadet eller laget for å skade. Kontroller "
                        "filen.")
MSG_TOO_LARGE = ("Filen er større enn {limit} MB{unpacked} og er for stor for {what}; den kan være "
                 "skadet eller laget for å skade. Kontroller filen.")

#: what opening or reading a damaged zip raises: a flipped byte can give any of these (an
#: unknown zip version or compression method is a NotImplementedError, a RuntimeError)
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, ValueError,
              RuntimeError)

#: what the directory message asks for
XLSX_FILE = "en .xlsx-fil"
TABLE_FILE = "en CSV- eller .xlsx-fil"
EXTRACT_FILE = "en CSV-, .xlsx- eller Parquet-fil"


def too_large_message(limit: int, what: str, *, unpacked: bool) -> str:
    """The one message for a file over a size limit (``what``: «et målekort», «et uttrekk»)."""
    return MSG_TOO_LARGE.format(limit=limit // _MB, unpacked=" (utpakket)" if unpacked else "",
                                what=what)


def _fail(path: Path, message: str) -> None:
    raise InputError(Problem(message, file=str(path)))


def check_file(path: str | Path, *, kind: str, what: str, max_size: int) -> None:
    """Raise InputError (naming the file) when ``path`` cannot be the file a reader wants:
    missing, a folder (``kind`` says what to give instead), Excel's lock file ``~$…``, or larger
    than ``max_size`` bytes on disk (too large for ``what``)."""
    path = Path(path)
    if not path.exists():
        _fail(path, MSG_MISSING)
    if path.is_dir():
        _fail(path, MSG_DIRECTORY.format(kind=kind))
    if path.name.startswith("~$"):
        _fail(path, MSG_LOCK_FILE.format(name=path.name[2:]))
    if path.stat().st_size > max_size:
        _fail(path, too_large_message(max_size, what, unpacked=False))


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes; InputError naming the file when the system refuses to read it."""
    path = Path(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        _fail(path, MSG_UNREADABLE.format(reason=exc.strerror or exc))


def check_unpacked(infos: list[zipfile.ZipInfo], path: str | Path, *, what: str,
                   limit: int) -> None:
    """Refuse a zip whose members, as it declares them, are too many or unpack to more than
    ``limit`` bytes: checked before anything unpacks it."""
    if len(infos) > MAX_MEMBERS:
        _fail(Path(path), MSG_TOO_MANY_MEMBERS.format(count=format_fixed(len(infos), 0),
                                                      limit=format_fixed(MAX_MEMBERS, 0)))
    if sum(i.file_size for i in infos) > limit:
        _fail(Path(path), too_large_message(limit, what, unpacked=True))
