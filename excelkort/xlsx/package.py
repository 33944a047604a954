"""Opening an xlsx package safely (SPEC §9), shared by every reader and writer.

``open_package`` checks a file before anything parses it and turns every problem into one
Norwegian ``InputError`` naming the file: missing, open in Excel (lock file), old ``.xls``,
password-protected, macros, not a zip or corrupt, zip bombs, XML with DTD/entity declarations.
The whole file is read into memory (a målekort is tens of KB), so a ``Package`` holds no open
file handle and a writer can copy untouched members' compressed bytes as they are.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from functools import cached_property
from pathlib import Path
from typing import NoReturn

from lxml import etree

from ..atomic import real_path
from ..errors import InputError, Problem
from ..files import (MAX_FILE_SIZE, MAX_RATIO, MAX_UNPACKED, RATIO_MIN_SIZE, XLSX_FILE, ZIP_ERRORS,
                     check_file, check_unpacked, read_bytes)
from .sheetshape import Shape, check_unique, sheet_shape

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_REL_OFFICE_DOCUMENT = "/officeDocument"
_PERCENT_BUILTIN_FORMATS = {9, 10}
_WHAT = "et målekort"  # what a file too large is too large for

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                          load_dtd=False, dtd_validation=False)

MSG_LOCKED = ("Filen er åpen i {app} (låsefilen «{lock}» finnes). Lukk den i {app} og {then}. "
              "Er filen ikke åpen, kan du slette låsefilen.")
MSG_XLS = ("Filen er i det gamle .xls-formatet. Åpne den i Excel og lagre den som .xlsx "
           "(Fil → Lagre som → Excel-arbeidsbok).")
MSG_ENCRYPTED = ("Filen er passordbeskyttet (kryptert). Åpne den i Excel, fjern passordet "
                 "(Fil → Info → Beskytt arbeidsbok → Krypter med passord) og lagre den.")
MSG_NOT_ZIP = ("Filen er ikke en Excel-arbeidsbok (.xlsx), eller den er skadet. Åpne den i Excel "
               "og lagre den på nytt som .xlsx.")
MSG_NOT_WORKBOOK = ("Filen er en zip-fil, men ikke en Excel-arbeidsbok (arbeidsbokdelen mangler). "
                    "Åpne den i Excel og lagre den som .xlsx.")
MSG_XLSB = ("Filen er en binær Excel-arbeidsbok (.xlsb). Åpne den i Excel og lagre den som .xlsx "
            "(Fil → Lagre som → Excel-arbeidsbok).")
MSG_MACROS = ("Filen inneholder makroer (.xlsm). excelkort kjører og endrer aldri makroer. Lagre en "
              "kopi uten makroer som .xlsx (Fil → Lagre som → Excel-arbeidsbok) og bruk den.")
MSG_EXTENSION = ("Filen har endelsen «{suffix}»; excelkort leser bare Excel-arbeidsbøker (.xlsx). "
                 "Lagre den som .xlsx.")
MSG_BOMB = ("Delen «{member}» i filen er mistenkelig sterkt komprimert (over {ratio}:1) og kan være "
            "en «zip-bombe». Filen leses ikke; kontroller den.")
MSG_DTD = ("Delen «{member}» inneholder en DOCTYPE- eller ENTITY-erklæring, som Excel aldri skriver. "
           "Filen kan være laget for å angripe og leses ikke; lag den på nytt eller lagre den på nytt "
           "i Excel.")
MSG_BAD_MEMBER = ("Filen er skadet (delen «{member}» kan ikke leses). Åpne den i Excel og lagre den "
                  "på nytt, eller hent en sikkerhetskopi.")
MSG_BAD_XML = ("Filen er skadet (delen «{member}» er ikke gyldig XML). Åpne den i Excel og lagre den "
               "på nytt, eller hent en sikkerhetskopi.")
MSG_SHARED_PART = ("Arkene «{first}» og «{second}» er lagret i samme del av filen («{member}»), så det "
                   "som skrives i det ene arket, havner i det andre. Filen er skadet og brukes ikke: legg "
                   "tilbake en sikkerhetskopi (excelkort gjenopprett) eller lag filen på nytt.")
MSG_SHEET_TWICE = ("To ark heter «{name}» (navnet står to ganger i filen), så det er uklart hvilket som "
                   "menes. Filen er skadet og brukes ikke: legg tilbake en sikkerhetskopi (excelkort "
                   "gjenopprett) eller lag filen på nytt.")
MSG_NO_SHEET = "Arket «{sheet}» mangler (arkene i filen er {names}). Gi arket tilbake navnet «{sheet}»."


def lock_app(lock: Path) -> str:
    """Which program keeps a lock file: «Excel» (``~$name``) or «LibreOffice»."""
    return "Excel" if lock.name.startswith("~$") else "LibreOffice"


def locked_message(lock: Path, then: str = "prøv igjen") -> str:
    """The one message for a file someone has open; ``then`` says what to do once it is closed."""
    return MSG_LOCKED.format(app=lock_app(lock), lock=lock.name, then=then)


def lock_file_for(path: str | Path) -> Path | None:
    """The lock file Excel (``~$name``) or LibreOffice (``.~lock.name#``) keeps beside an open file
    (beside a symlink, or beside the file it points to: either may be the one opened)."""
    path = Path(path)
    for named in dict.fromkeys((path, real_path(path))):
        for lock in (named.with_name("~$" + named.name), named.with_name(f".~lock.{named.name}#")):
            if lock.exists():
                return lock
    return None


def open_package(path: str | Path, *, allow_locked: bool = False) -> "Package":
    """Open and check an xlsx file; raises InputError (Norwegian, naming the file) when unusable.

    ``allow_locked=True`` skips the lock-file check (reading a file someone has open is harmless;
    writing it is not).
    """
    path = Path(path)
    check_file(path, kind=XLSX_FILE, what=_WHAT, max_size=MAX_FILE_SIZE)
    if not allow_locked and (lock := lock_file_for(path)) is not None:
        _failer(path)(locked_message(lock))
    return Package(path, read_bytes(path))


def refuse(path: str | Path, message: str, **where) -> NoReturn:
    """Raise the one InputError for a file excelkort cannot use, naming the file (and where)."""
    raise InputError(Problem(message, file=str(path), **where))


def _failer(path: Path):
    def fail(message: str, **where) -> NoReturn:
        refuse(path, message, **where)
    return fail


def _ole_message(data: bytes, suffix: str) -> str:
    """An OLE2 compound file is either an old .xls or an encrypted OOXML package."""
    if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
        return MSG_ENCRYPTED
    if suffix == ".xls" or "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return MSG_XLS
    return MSG_ENCRYPTED


def check_xml(member: str, data: bytes, path: Path) -> None:
    """Refuse XML with a DTD (entity expansion and external entity attacks)."""
    if b"<!" in data and (b"<!DOCTYPE" in data or b"<!ENTITY" in data):  # one scan when clean
        _failer(path)(MSG_DTD.format(member=member))


def localname(el) -> str:
    return etree.QName(el).localname


def _attr(el, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (transitional or strict OOXML)."""
    for key, value in el.attrib.items():
        if key == name or key.endswith("}" + name):
            return value
    return None


class Package:
    """A checked xlsx package held in memory. Use ``open_package`` to make one."""

    def __init__(self, path: Path, data: bytes):
        self.path = path
        self.data = data
        self._shapes: dict[str, Shape] = {}
        fail = _failer(path)
        suffix = path.suffix.lower()
        if data[:8] == OLE_SIGNATURE:
            fail(_ole_message(data, suffix))
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except ZIP_ERRORS:
            fail(MSG_XLS if suffix == ".xls" else MSG_NOT_ZIP)
        infos = self.zip.infolist()
        check_unpacked(infos, path, what=_WHAT, limit=MAX_UNPACKED)
        for info in infos:
            if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                fail(MSG_BOMB.format(member=info.filename, ratio=MAX_RATIO))
            if info.flag_bits & 0x1:
                fail(MSG_ENCRYPTED)
        self._infos = {i.filename: i for i in infos}
        names_lower = [n.lower() for n in self._infos]
        if suffix == ".xlsm" or any(n.endswith("vbaproject.bin") for n in names_lower):
            fail(MSG_MACROS)
        if "[Content_Types].xml" in self._infos and b"macroEnabled" in self.read("[Content_Types].xml"):
            fail(MSG_MACROS)
        self.workbook_member = self._find_workbook()
        if self.workbook_member.lower().endswith(".bin") or suffix == ".xlsb":
            fail(MSG_XLSB)
        if suffix != ".xlsx":
            fail(MSG_EXTENSION.format(suffix=path.suffix or "(ingen)"))
        _ = self.sheets  # parse the workbook now, so a broken one is reported at open

    # -- members ---------------------------------------------------------------------------
    def __enter__(self) -> "Package":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.zip.close()

    def members(self) -> list[str]:
        """Member names in the order of the zip's central directory."""
        return list(self._infos)

    def infos(self) -> list[zipfile.ZipInfo]:
        return list(self._infos.values())

    def info(self, member: str) -> zipfile.ZipInfo:
        return self._infos[member]

    def __contains__(self, member: str) -> bool:
        return member in self._infos

    def read(self, member: str) -> bytes:
        """A member's uncompressed bytes (bounded by the sizes checked at open)."""
        if member not in self._infos:
            _failer(self.path)(MSG_BAD_MEMBER.format(member=member))
        try:
            return self.zip.read(self._infos[member])
        except ZIP_ERRORS:
            _failer(self.path)(MSG_BAD_MEMBER.format(member=member))

    def xml(self, member: str):
        """A member parsed safely with lxml (no DTD, no entities, no network)."""
        data = self.read(member)
        check_xml(member, data, self.path)
        try:
            root = etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError:
            _failer(self.path)(MSG_BAD_XML.format(member=member))
        if root.getroottree().docinfo.internalDTD is not None:
            _failer(self.path)(MSG_DTD.format(member=member))
        return root

    def rels(self, member: str) -> dict[str, tuple[str, str]]:
        """Relationships of a part: Id → (type, resolved member path). Empty when it has none."""
        folder, name = posixpath.split(member)
        rels_member = posixpath.join(folder, "_rels", name + ".rels")
        if rels_member not in self._infos:
            return {}
        out = {}
        for rel in self.xml(rels_member):
            if localname(rel) != "Relationship" or rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
            out[rel.get("Id", "")] = (rel.get("Type", ""), resolved)
        return out

    def _find_workbook(self) -> str:
        if "_rels/.rels" in self._infos:
            for rel_type, target in self.rels("").values():
                if rel_type.endswith(_REL_OFFICE_DOCUMENT) and target in self._infos:
                    return target
        if "xl/workbook.xml" in self._infos:
            return "xl/workbook.xml"
        _failer(self.path)(MSG_NOT_WORKBOOK)

    # -- workbook ----------------------------------------------------------------------------
    @cached_property
    def _workbook_root(self):
        return self.xml(self.workbook_member)

    @cached_property
    def sheets(self) -> dict[str, str]:
        """Worksheet name → member path, in the workbook's tab order (chart sheets left out).
        Two sheets stored in one part refuse the file (a write to one would land in the other),
        and so do two sheets of one name (Excel's names are the same in any case)."""
        rels = self.rels(self.workbook_member)
        out: dict[str, str] = {}
        for el in self._workbook_root.iter(etree.Element):
            if localname(el) == "sheet":
                rel = rels.get(_attr(el, "id") or "")
                if rel and rel[0].endswith("/worksheet") and rel[1] in self._infos:
                    name = el.get("name", "")
                    if any(name.casefold() == other.casefold() for other in out):
                        _failer(self.path)(MSG_SHEET_TWICE.format(name=name))
                    first = next((other for other, member in out.items() if member == rel[1]), None)
                    if first is not None:
                        _failer(self.path)(MSG_SHARED_PART.format(first=first, second=name, member=rel[1]))
                    out[name] = rel[1]
        return out

    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def sheet_member(self, sheet: str) -> str:
        """The member path of a worksheet; InputError (naming file and sheet) when missing."""
        if sheet not in self.sheets:
            names = ", ".join(f"«{n}»" for n in self.sheets) or "ingen"
            _failer(self.path)(MSG_NO_SHEET.format(sheet=sheet, names=names), sheet=sheet)
        return self.sheets[sheet]

    def sheet_shape(self, sheet: str, xml: bytes | None = None) -> Shape:
        """How a worksheet's rows and cells are laid out (``sheetshape``), worked out once from
        ``xml`` (its part, when the caller has read it); InputError naming file, sheet and row or
        cell when one is there twice."""
        member = self.sheet_member(sheet)
        if member not in self._shapes:
            self._shapes[member] = sheet_shape(self.read(member) if xml is None else xml)
        return check_unique(self._shapes[member], self.path, sheet)

    def defined_names(self) -> dict[str, str]:
        """Workbook-scoped defined names → reference text (``'Målekort'!$C$2``).

        Names scoped to one sheet (``localSheetId``, e.g. print areas) are left out.
        """
        out = {}
        for el in self._workbook_root.iter(etree.Element):
            if localname(el) == "definedName" and el.get("localSheetId") is None:
                out[el.get("name", "")] = (el.text or "").strip()
        return out

    def member_of(self, rel_suffix: str) -> str | None:
        """The workbook's related part of a type (e.g. ``/sharedStrings``, ``/styles``)."""
        for rel_type, target in self.rels(self.workbook_member).values():
            if rel_type.endswith(rel_suffix) and target in self._infos:
                return target
        return None

    @cached_property
    def _shared_strings(self) -> list[str]:
        member = self.member_of("/sharedStrings")
        if member is None:
            return []
        return [string_item_text(si) for si in self.xml(member) if localname(si) == "si"]

    def shared_strings(self) -> list[str]:
        """The shared string table (plain text of each item; parsed once, on first use)."""
        return self._shared_strings

    @cached_property
    def _percent_styles(self) -> frozenset[int]:
        member = self.member_of("/styles")
        if member is None:
            return frozenset()
        root = self.xml(member)
        custom = {}
        xfs: list[int] = []
        for el in root:
            if localname(el) == "numFmts":
                custom = {int(f.get("numFmtId", "-1")): f.get("formatCode", "") for f in el}
            elif localname(el) == "cellXfs":
                xfs = [int(xf.get("numFmtId", "0")) for xf in el if localname(xf) == "xf"]
        return frozenset(i for i, fmt in enumerate(xfs)
                         if fmt in _PERCENT_BUILTIN_FORMATS or is_percent_format(custom.get(fmt, "")))

    def percent_style_cells(self, sheet: str) -> set[str]:
        """Refs (``C7``) of the sheet's cells whose number format is a percent format."""
        styles = self._percent_styles
        if not styles:
            return set()
        data = self.read(self.sheet_member(sheet))
        check_xml(self.sheet_member(sheet), data, self.path)
        alternatives = "|".join(str(s) for s in sorted(styles))
        pattern = re.compile(rb'<(?:\w+:)?c\s[^>]*?\bs="(?:' + alternatives.encode() + rb')"[^>]*>')
        ref = re.compile(rb'\br="([A-Z]+[0-9]+)"')
        out = set()
        for match in pattern.finditer(data):
            found = ref.search(match.group(0))
            if found:
                out.add(found.group(1).decode())
        return out


def is_percent_format(code: str) -> bool:
    """Whether a number format code shows values as percent (a ``%`` outside quotes and escapes)."""
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    return "%" in code


def string_item_text(si) -> str:
    """Plain text of a shared string item or inline string (runs joined; phonetic runs left out)."""
    parts = []
    for el in si.iter(etree.Element):
        if localname(el) == "t" and localname(el.getparent()) != "rPh":
            parts.append(el.text or "")
    return unescape_ooxml("".join(parts))


_X_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape_ooxml(text: str) -> str:
    """Undo OOXML's ``_xHHHH_`` escapes (how Excel stores control characters)."""
    if "_x" not in text:
        return text
    return _X_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
