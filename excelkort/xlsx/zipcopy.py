"""Rebuilding an xlsx zip with a few members replaced (SPEC §9 "nothing lost").

``build_zip`` writes the replaced members deflated and copies every other member's local
record (header, compressed bytes, data descriptor) byte for byte from the source, keeping
order, names, dates, flags and attributes: the same inputs always give the same bytes, and
what excelkort does not own is never re-compressed.
"""
from __future__ import annotations

import io
import struct
import zlib
from zipfile import ZIP_DEFLATED

from .package import MSG_BAD_MEMBER, Package, refuse

try:  # ISA-L's deflate: ~10× faster than zlib at a ~20 % larger member (SPEC §10's fill target)
    from isal.isal_zlib import compress as _isal_compress

    def deflate(content: bytes) -> bytes:
        """Raw deflate data for a zip member."""
        return _isal_compress(content, 2, -15)
except ImportError:  # a platform without an isal wheel: zlib, a little slower
    def deflate(content: bytes) -> bytes:
        """Raw deflate data for a zip member."""
        return zlib.compress(content, 1, -15)

_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s4B4H3L5H2L")
_END = struct.Struct("<4s4H2LH")


def _dos_time(date_time) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return h << 11 | mi << 5 | s // 2, (y - 1980) << 9 | mo << 5 | d


def _extra_fields(extra: bytes):
    """(header id, raw field) of each field of a zip extra block."""
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, i)
        yield tag, extra[i:i + 4 + size]
        i += 4 + size


def _strip_zip64(extra: bytes) -> bytes:
    return b"".join(field_ for tag, field_ in _extra_fields(extra) if tag != 0x0001)


def _raw_record(package: Package, info) -> bytes:
    """A member's local header, compressed data and data descriptor, exactly as in the source."""
    data, off = package.data, info.header_offset
    try:
        sig, *_x, name_len, extra_len = _LOCAL.unpack_from(data, off)
    except struct.error:
        sig = None
    if sig != b"PK\x03\x04":
        refuse(package.path, MSG_BAD_MEMBER.format(member=info.filename))
    extra_at = off + _LOCAL.size + name_len
    end = extra_at + extra_len + info.compress_size
    if info.flag_bits & 0x08:  # a data descriptor follows: [signature] crc, sizes (8 bytes each in zip64)
        zip64 = any(tag == 0x0001 for tag, _f in _extra_fields(data[extra_at:extra_at + extra_len]))
        end += (4 if data[end:end + 4] == b"PK\x07\x08" else 0) + (20 if zip64 else 12)
    if end > len(data):  # the sizes point past the file's end: copying would cut the record
        refuse(package.path, MSG_BAD_MEMBER.format(member=info.filename))
    return data[off:end]


def check_copyable(package: Package) -> None:
    """Raise the InputError ``build_zip`` raises for a member whose record it cannot copy as it is
    (a local header not where the central directory says, sizes past the end of the file)."""
    for info in package.infos():
        _raw_record(package, info)


def build_zip(package: Package, replaced: dict[str, bytes], removed: set[str] = frozenset()) -> bytes:
    """The package with some members' contents replaced (deflated) and some removed.

    Every other member's compressed bytes are copied as they are; order, names, dates, flags and
    attributes are kept, so the same inputs always give the same bytes.
    """
    out = io.BytesIO()
    central = []
    for info in package.infos():
        if info.filename in removed:
            continue
        offset = out.tell()
        name = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        dostime, dosdate = _dos_time(info.date_time)
        if info.filename in replaced:
            content = replaced[info.filename]
            compressed = deflate(content)
            crc, csize, usize = zlib.crc32(content), len(compressed), len(content)
            flags, method, needed = info.flag_bits & 0x800, ZIP_DEFLATED, 20
            out.write(_LOCAL.pack(b"PK\x03\x04", needed, flags, method, dostime, dosdate, crc, csize, usize,
                                  len(name), 0) + name + compressed)
        else:
            out.write(_raw_record(package, info))
            crc, csize, usize = info.CRC, info.compress_size, info.file_size
            flags, method, needed = info.flag_bits, info.compress_type, info.extract_version
        extra = _strip_zip64(info.extra)
        central.append(_CENTRAL.pack(
            b"PK\x01\x02", info.create_version, info.create_system, needed, info.reserved, flags,
            method, dostime, dosdate, crc, csize, usize, len(name), len(extra), len(info.comment),
            0, info.internal_attr, info.external_attr, offset) + name + extra + info.comment)
    start = out.tell()
    for record in central:
        out.write(record)
    comment = package.zip.comment
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start,
                        len(comment)) + comment)
    return out.getvalue()


def stamp_zip_times(data: bytes, date_time: tuple[int, int, int, int, int, int]) -> bytes:
    """A zip (without zip64 or a comment, as ``zipfile`` writes small files) with every member's
    time set to ``date_time``, in its local header and in the central directory; nothing else
    changes, so a generated document's bytes follow from its content and period, not the clock."""
    end = len(data) - _END.size
    sig, _d, _s, _n, count, _size, start, _c = _END.unpack_from(data, end)
    if sig != b"PK\x05\x06":
        raise ValueError("not a plain zip (zip64 or a comment)")
    out = bytearray(data)
    stamp = struct.pack("<HH", *_dos_time(date_time))
    at = start
    for _ in range(count):
        fields = _CENTRAL.unpack_from(data, at)
        if fields[0] != b"PK\x01\x02":
            raise ValueError("broken central directory")
        name_len, extra_len, comment_len, local = fields[12], fields[13], fields[14], fields[18]
        out[at + 12:at + 16] = stamp
        out[local + 10:local + 14] = stamp
        at += _CENTRAL.size + name_len + extra_len + comment_len
    return bytes(out)
