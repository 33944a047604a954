"""An xlsx part's XML as *raw text* for splicing, and the escapes of text put into it.

The surgical writers (``sheetpatch``, ``workbookpatch``) never parse and re-serialise a part:
they search and splice its text. ``decode_part`` gives a UTF-8 part (what Excel and LibreOffice
write) one character per byte (Latin-1), so the markup is searched as fast as bytes and every
byte not touched goes back as it was (``encode_part``). Text put in goes through ``to_raw``.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from .package import MSG_BAD_XML, check_xml, refuse

MSG_ENCODING = ("Delen «{member}» bruker en annen tegnkoding enn UTF-8, og excelkort kan ikke endre "
                "den. Åpne filen i Excel og lagre den på nytt.")

_XSTRING_SPECIAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]|_x[0-9A-Fa-f]{4}_")
_NOT_CHARACTER = re.compile("[\ud800-\udfff\ufffe\uffff]")
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*')""")


def decode_part(member: str, data: bytes, path: Path) -> str:
    """A part's bytes as raw text; InputError for a DTD, another encoding or broken UTF-8."""
    check_xml(member, data, path)
    decl = re.match(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=[\"']([^\"']+)", data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (decl and decl.group(1).lower() not in (b"utf-8", b"utf8")):
        refuse(path, MSG_ENCODING.format(member=member))
    if not data.isascii():
        try:
            data.decode("utf-8")  # refuse a broken part rather than pass its bytes on
        except UnicodeDecodeError:
            refuse(path, MSG_BAD_XML.format(member=member))
    return data.decode("latin-1")


def encode_part(raw: str) -> bytes:
    """The bytes of raw text made by ``decode_part``."""
    return raw.encode("latin-1")


def to_raw(text: str) -> str:
    """Text (already XML-escaped) as raw text: its UTF-8 bytes, one character each."""
    return text if text.isascii() else text.encode("utf-8").decode("latin-1")


def from_raw(raw: str) -> str:
    """Raw text back to text."""
    return raw if raw.isascii() else raw.encode("latin-1").decode("utf-8")


#: What text starts with that Excel takes as a formula when the cell is edited, and a CSV export
#: or reader makes live (=, +, -, @, and the tab and CR of CSV injection).
FORMULA_CHARS = "=+-@\t\r"


def looks_like_formula(text: str) -> bool:
    """Whether ``text`` would turn into a formula in Excel: written as text, it needs a mark."""
    return text[:1] in FORMULA_CHARS if text else False


def text_mark(text: str) -> str:
    """Text for a record that is not data (a Logg row): formula-like text with one leading
    apostrophe, so it stays text when the cell is edited or the sheet exported as CSV."""
    return "'" + text if looks_like_formula(text) else text


def escape_text(text: str) -> str:
    """XML-escape element text (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_xstring(text: str) -> str:
    """Text for a cell, as Excel stores it: control characters (illegal in XML) as ``_xHHHH_``,
    a literal ``_xHHHH_`` protected as ``_x005F_xHHHH_``, CR as ``&#13;`` (so no parser folds
    it), lone surrogates and U+FFFE/U+FFFF as U+FFFD, then the XML escapes."""
    text = _NOT_CHARACTER.sub("\ufffd", text)
    text = _XSTRING_SPECIAL.sub(
        lambda m: "_x005F" + m.group() if len(m.group()) > 1 else f"_x{ord(m.group()):04X}_", text)
    return escape_text(text).replace("\r", "&#13;")


def unescape_xml(text: str) -> str:
    """Element or attribute text with its XML escapes undone."""
    return html.unescape(text) if "&" in text else text


def root_prefix(xml: str, root: str) -> str:
    """The namespace prefix of a part's root element ``root`` (``x:`` in ``<x:worksheet …>``;
    "" for the default namespace): the prefix its other elements are written with too."""
    m = re.search(rf"<(\w+:)?{root}[\s>]", xml)
    return (m.group(1) or "") if m else ""


def tag_attrs(text: str | None) -> dict[str, str]:
    """Attributes of a start tag (raw, still escaped, without quotes), in document order."""
    return {k: v[1:-1] for k, v in _ATTR.findall(text or "")}
