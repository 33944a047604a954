"""Decoding text files as Norwegian offices and data warehouses write them: one rule for all."""
from __future__ import annotations

from .errors import ExcelkortError


class DecodeError(ExcelkortError):
    """The bytes are not text in an encoding we accept. ``pos`` is the offending byte offset;
    ``bom`` tells that a UTF-8 byte-order mark promised UTF-8; ``nul`` that the data is binary.

    Every reader catches it and reports the file in its own words (line, what to do), so one
    that escapes is a bug: it exits as an internal error, like any ExcelkortError not an
    InputError."""

    def __init__(self, pos: int, *, bom: bool = False, nul: bool = False):
        super().__init__(pos)
        self.pos, self.bom, self.nul = pos, bom, nul


def decode_text(data: bytes, *, refuse_nul: bool = False) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252. A BOM is a promise:
    broken bytes after it are an error, never guessed around."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(exc.start + 3, bom=True) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DecodeError(exc.start) from None
    if refuse_nul and b"\x00" in data[:4096]:
        raise DecodeError(data.index(b"\x00"), nul=True)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise DecodeError(exc.start) from None
