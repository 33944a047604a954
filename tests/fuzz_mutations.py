"""The mutations of the fuzzer (``tests/fuzz.py``): each takes a seeded ``random.Random`` and the
bytes of a good file and returns the bytes of a bad (or odd, or still good) one, and a label.

Extracts are mutated as CSV bytes (bytes, lines, fields, encodings, separators, quotes, numbers,
symbols, BOMs); workbooks at the zip level (members dropped or doubled, XML broken, sheet values,
attributes and types changed, parts re-encoded, DTDs, truncation, small zip bombs).
"""
from __future__ import annotations

import io
import random
import re
import warnings
import zipfile

# -- extracts ------------------------------------------------------------------------------------
NUMBERS = ["1e24", "1e309", "-1e309", "1e15", "9999999999999999", "nan", "inf", "-inf", "Infinity",
           "1,5e3", "0x10", "1 234,5", "1\u00a0234,5", "1.000.000", "00012", "-0", "+5", "1e-400",
           "-3", "0", "1,2,3", "12.5.3", "١٢٣", "½", "1e308", "4,9E-324", "  7  ", "7 %", "abc"]
SYMBOLS = [":", "..", "...", ".", "-", "x", "–", "", " ", "NULL", "#N/A", "=1+1", "@SUM(A1)",
           "+cmd", "'7", '"7"', "\t", "\x1b", "\x0b7"]
PERIODS = ["2026-13", "2026-00", "202610", "okt 2026", "2026-10-01", "10.2026", "2099-01", "1899-12",
           "46000", "2026-1", "", "2026–10", "2025-10", "2027-01"]
KEYS = ["", "0101 ", "101", "ØØ", "B1\u00a0", "b1", "=cmd", "0101;", "\ufeff0101", "B1\x00", "Z99",
        "0102", "9999"]
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "cp1252", "utf-8", "latin-1", "utf-8-sig-twice",
             "utf-32"]


def _text(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _field(rng: random.Random, data: bytes, columns: tuple[int, ...], values: list[str]) -> bytes:
    """One field (of the given 0-based columns) of one data line replaced by a value."""
    text = _text(data)
    lines = text.split("\n")
    rows = [i for i, ln in enumerate(lines[1:], 1) if ln.count(";") >= 4]
    if not rows:
        return data
    i = rng.choice(rows)
    cells = lines[i].split(";")
    col = rng.choice([c for c in columns if c < len(cells)] or [0])
    cells[col] = rng.choice(values)
    lines[i] = ";".join(cells)
    return "\n".join(lines).encode("utf-8")


def flip_byte(rng, data):
    if not data:
        return b"\xff"
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ rng.randrange(1, 256)]) + data[i + 1:]


def truncate(rng, data):
    return data[:rng.randrange(len(data) + 1)]


def duplicate_line(rng, data):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines.insert(rng.randrange(len(lines) + 1), lines[i])
    return b"\n".join(lines)


def remove_line(rng, data):
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def swap_lines(rng, data):
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def encoding(rng, data):
    enc = rng.choice(ENCODINGS)
    text = _text(data)
    if enc == "utf-8-sig-twice":
        return b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(enc, errors="replace")


def stray_quote(rng, data):
    i = rng.randrange(len(data) + 1)
    return data[:i] + rng.choice([b'"', b'""', b'"x', b'";']) + data[i:]


def number(rng, data):
    return _field(rng, data, (3, 4), NUMBERS)


def symbol(rng, data):
    return _field(rng, data, (0, 2, 3, 4, 5), SYMBOLS)


def period(rng, data):
    return _field(rng, data, (1,), PERIODS)


def key(rng, data):
    return _field(rng, data, (0, 2), KEYS)


def separator(rng, data):
    new = rng.choice([b",", b"\t", b"|", b";;", b" "])
    if rng.random() < 0.5:
        return data.replace(b";", new)
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i] = lines[i].replace(b";", new)
    return b"\n".join(lines)


def bom(rng, data):
    mark = rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])
    if rng.random() < 0.5:
        return mark + data
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i] = mark + lines[i]
    return b"\n".join(lines)


def nul(rng, data):
    i = rng.randrange(len(data) + 1)
    return data[:i] + b"\x00" + data[i:]


def line_endings(rng, data):
    return rng.choice([data.replace(b"\n", b"\r\n"), data.replace(b"\n", b"\r"),
                       data.replace(b"\r\n", b"\n"), data + b"\n\n\n", data.rstrip(b"\r\n")])


def header(rng, data):
    lines = _lines(data)
    head = _text(lines[0]).lstrip("\ufeff")
    cells = head.split(";")
    op = rng.randrange(5)
    if op == 0:
        cells[rng.randrange(len(cells))] = cells[rng.randrange(len(cells))]
    elif op == 1:
        del cells[rng.randrange(len(cells))]
    elif op == 2:
        i = rng.randrange(len(cells))
        cells[i] = cells[i].upper()
    elif op == 3:
        cells.append(rng.choice(["ekstra", "teller", "", "merknad"]))
    else:
        rng.shuffle(cells)
    lines[0] = ";".join(cells).encode("utf-8")
    return b"\n".join(lines)


def long_field(rng, data):
    """A merknad long enough to put a multi-byte letter across a read boundary (4 096, 65 536)."""
    lines = _lines(data)
    i = rng.randrange(1, len(lines)) if len(lines) > 1 else 0
    before = len(b"\n".join(lines[:i])) + 1 + len(lines[i])
    target = rng.choice([4096, 65536, 65537, 4097])
    pad = max(0, target - before - 1)
    filler = "ø" * (pad // 2) + ("x" if pad % 2 else "")
    lines[i] = lines[i].rstrip(b"\r") + filler.encode("utf-8") + "ø".encode("utf-8")
    return b"\n".join(lines)


def sep_line(rng, data):
    return rng.choice([b"sep=;\n", b'"sep=;"\r\n', b"sep=,\n", b"Uttrekk oktober\n"]) + data


def control(rng, data):
    i = rng.randrange(len(data) + 1)
    return data[:i] + rng.choice([b"\x1b", b"\x0b", b"\x0c", b"\xc2\x85", b"\xe2\x80\xa8", b"\x7f"]) + data[i:]


def empty(rng, data):
    return rng.choice([b"", b" ", b"\n", b"\xef\xbb\xbf", b"\xff\xfe", b";;;;;\n"])


EXTRACT_MUTATIONS = [flip_byte, truncate, duplicate_line, remove_line, swap_lines, encoding,
                     stray_quote, number, symbol, period, key, separator, bom, nul, line_endings,
                     header, long_field, sep_line, control, empty]


def mutate_extract(rng: random.Random, data: bytes) -> tuple[bytes, list[str]]:
    """1–3 mutations of an extract's bytes, and their names."""
    names = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        m = rng.choice(EXTRACT_MUTATIONS)
        data = m(rng, data)
        names.append(m.__name__)
    return data, names


# -- workbooks -----------------------------------------------------------------------------------
class Members:
    """A zip's members as (name, bytes) in order, written back with the same compression."""

    def __init__(self, data: bytes):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self.items = [(i.filename, z.read(i)) for i in z.infolist()]
        self.extra_raw: bytes | None = None

    def names(self, pattern: str = "") -> list[str]:
        return [n for n, _d in self.items if re.search(pattern, n)]

    def get(self, name: str) -> bytes:
        return next(d for n, d in self.items if n == name)

    def set(self, name: str, data: bytes) -> None:
        self.items = [(n, data if n == name else d) for n, d in self.items]

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate names are a mutation
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for name, data in self.items:  # a fixed date: the same case, the same bytes
                    z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        return buf.getvalue()


SHEETS = r"^xl/worksheets/sheet\d+\.xml$"
XML = r"\.(xml|rels)$"
CELL_VALUES = ["abc", "", "1e309", "-1", "1e24", "NaN", "99999999", "0", "3.5", "TRUE", "#DIV/0!",
               "1e-320", "١", "-0", "1E+400", "2026-10", "\u00a0", "&amp;", "x" * 40000]
TYPES = ["s", "b", "e", "str", "inlineStr", "n", "d", "x", ""]
REFS = ["XFD1048576", "A0", "AAAA1", "", "a1", "C1048576", "CI5000", "A1", "$B$3", "ZZ9",
        "B2:C3", "1A"]


def _pick(rng, m: Members, pattern: str) -> str | None:
    names = m.names(pattern)
    return rng.choice(names) if names else None


def drop_member(rng, m):
    name = _pick(rng, m, "")
    m.items = [(n, d) for n, d in m.items if n != name]
    return f"drop_member:{name}"


def duplicate_member(rng, m):
    name = _pick(rng, m, "")
    data = m.get(name)
    if rng.random() < 0.5:
        data = data[: len(data) // 2]
    m.items.insert(rng.randrange(len(m.items) + 1), (name, data))
    return f"duplicate_member:{name}"


def corrupt_xml(rng, m):
    name = _pick(rng, m, XML)
    data = m.get(name)
    i = rng.randrange(len(data) + 1)
    op = rng.randrange(5)
    if op == 0:
        data = data[:i]
    elif op == 1:
        j = data.find(b">", i)
        data = data[:j] + data[j + 1:] if j >= 0 else data[:i]
    elif op == 2:
        data = data[:i] + rng.choice([b"<", b"&", b"</row>", b"<c>", b"]]>", b"\x00", b"\xff"]) + data[i:]
    elif op == 3:
        data = re.sub(rb"</(\w+:)?(row|c|v|sheetData|worksheet|si|t)>", b"", data, count=1)
    else:
        data = data.replace(b'"', b"'", 1 + rng.randrange(20))
    m.set(name, data)
    return f"corrupt_xml:{name}:{op}"


def _sub_nth(rng, pattern: bytes, data: bytes, replace) -> bytes:
    found = list(re.finditer(pattern, data))
    if not found:
        return data
    f = rng.choice(found)
    return data[:f.start()] + replace(f) + data[f.end():]


def cell_value(rng, m):
    name = _pick(rng, m, SHEETS + "|sharedStrings")
    value = rng.choice(CELL_VALUES).encode("utf-8")
    m.set(name, _sub_nth(rng, rb"<(v|t)(\s[^>]*)?>[^<]*</\1>", m.get(name),
                         lambda f: b"<" + f[1] + (f[2] or b"") + b">" + value + b"</" + f[1] + b">"))
    return f"cell_value:{name}"


def cell_type(rng, m):
    name = _pick(rng, m, SHEETS)
    t = rng.choice(TYPES).encode()

    def change(f):
        attrs = re.sub(rb'\st="[^"]*"', b"", f[1])
        return b"<c" + attrs + (b' t="' + t + b'"' if t else b"") + f[2]
    m.set(name, _sub_nth(rng, rb"<c(\s[^>]*?)(/?>)", m.get(name), change))
    return f"cell_type:{name}:{t.decode()}"


def cell_ref(rng, m):
    name = _pick(rng, m, SHEETS)
    ref = rng.choice(REFS).encode()
    m.set(name, _sub_nth(rng, rb'<c r="[^"]*"', m.get(name), lambda f: b'<c r="' + ref + b'"'))
    return f"cell_ref:{name}:{ref.decode()}"


def cell_style(rng, m):
    name = _pick(rng, m, SHEETS)
    s = rng.choice([b"999999", b"-1", b"x", b"0", b"4294967296"])
    m.set(name, _sub_nth(rng, rb'\ss="[^"]*"', m.get(name), lambda f: b' s="' + s + b'"'))
    return f"cell_style:{name}"


def shared_index(rng, m):
    name = _pick(rng, m, SHEETS)
    idx = rng.choice([b"99999", b"-1", b"1.5", b"", b"4294967296"])
    m.set(name, _sub_nth(rng, rb'(t="s"[^>]*>)<v>\d+</v>', m.get(name),
                         lambda f: f[1] + b"<v>" + idx + b"</v>"))
    return f"shared_index:{name}"


def defined_name(rng, m):
    data = m.get("xl/workbook.xml") if "xl/workbook.xml" in m.names() else b""
    new = rng.choice([b"Data!$A$1", b"'M\xc3\xa5lekort'!$ZZ$99999", b"#REF!", b"", b"Nope!A1",
                      b"'M\xc3\xa5lekort'!$C$2:$D$3", b"XFD1048576"])
    m.set("xl/workbook.xml", _sub_nth(rng, rb"(<definedName [^>]*>)[^<]*(</definedName>)", data,
                                      lambda f: f[1] + new + f[2]))
    return "defined_name"


def sheet_name(rng, m):
    if "xl/workbook.xml" not in m.names():
        return "sheet_name:none"
    new = rng.choice(["Logg2", "logg", "Data ", "Målekort", "Data", "Tiltak", ""]).encode("utf-8")
    m.set("xl/workbook.xml", _sub_nth(rng, rb'<sheet name="[^"]*"', m.get("xl/workbook.xml"),
                                      lambda f: b'<sheet name="' + new + b'"'))
    return f"sheet_name:{new.decode()}"


#: ways to re-encode a part: UTF-16, a declared Latin-1, a byte that is not UTF-8, a BOM
REENCODINGS = [
    lambda d: d.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode("utf-8").encode("utf-16"),
    lambda d: d.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'),
    lambda d: d.replace("å".encode(), b"\xe5", 1).replace(b"</v>", b"\xe5</v>", 1),
    lambda d: b"\xef\xbb\xbf" + d,
]


def reencode(rng, m):
    name = _pick(rng, m, XML)
    op = rng.randrange(len(REENCODINGS))
    m.set(name, REENCODINGS[op](m.get(name)))
    return f"reencode:{name}:{op}"


def doctype(rng, m):
    name = _pick(rng, m, XML)
    data = m.get(name)
    decl = rng.choice([b'<!DOCTYPE worksheet>', b'<!DOCTYPE x [<!ENTITY a "aaaa">]>',
                       b'<!DOCTYPE x SYSTEM "file:///etc/passwd">'])
    end = data.find(b"?>")
    m.set(name, data[:end + 2] + decl + data[end + 2:] if end >= 0 else decl + data)
    return f"doctype:{name}"


def _renumber(rng, data):
    n = str(rng.choice([0, 1, 3, 99999, 1048577, 5001])).encode()
    return _sub_nth(rng, rb'<row r="\d+"', data, lambda f: b'<row r="' + n + b'"')


#: rows removed, doubled or renumbered
ROW_CHANGES = [
    lambda rng, d: _sub_nth(rng, rb"<row [^>]*>.*?</row>", d, lambda f: b""),
    lambda rng, d: _sub_nth(rng, rb"<row [^>]*>.*?</row>", d, lambda f: f[0] + f[0]),
    _renumber,
]


def rows(rng, m):
    """Rows removed, doubled or renumbered (renumbered and doubled rows are issue 14 point 10)."""
    name = _pick(rng, m, SHEETS)
    op = rng.randrange(len(ROW_CHANGES))
    m.set(name, ROW_CHANGES[op](rng, m.get(name)))
    return f"rows:{name}:{op}"


def formula(rng, m):
    name = _pick(rng, m, SHEETS)
    f_text = rng.choice([b"", b"SUM(", b"1/0", b"A1", b'"x"', b"Data!ZZ99", b"INDIRECT(\"A1\")"])
    m.set(name, _sub_nth(rng, rb"<f>[^<]*</f>", m.get(name), lambda f: b"<f>" + f_text + b"</f>"))
    return f"formula:{name}"


def attr_value(rng, m):
    """Any attribute of any XML part (styles, workbook, sheets) given an odd value."""
    name = _pick(rng, m, r"^xl/.*\.xml$")
    value = rng.choice([b"abc", b"-1", b"", b"99999999999", b"1.5", b"A1:", b"0", b"true", b"\xc3\xb8"])
    m.set(name, _sub_nth(rng, rb'(\s[\w:]+=")[^"]*"', m.get(name), lambda f: f[1] + value + b'"'))
    return f"attr_value:{name}"


def drop_r(rng, m):
    """Rows or cells without their r attribute (allowed: the patcher numbers them first)."""
    name = _pick(rng, m, SHEETS)
    what = rng.choice([rb'(<row) r="\d+"', rb'(<c) r="[A-Z]+\d+"'])
    data = m.get(name)
    for _ in range(rng.choice([1, 5, 50])):
        data = _sub_nth(rng, what, data, lambda f: f[1])
    m.set(name, data)
    return f"drop_r:{name}"


def shared_formula(rng, m):
    """A formula made the master or a dependent of a shared-formula group (maybe one without a
    master, or a master whose range is odd)."""
    name = _pick(rng, m, SHEETS)
    ref = rng.choice([b"F9:F30", b"A1:XFD1048576", b"x", b"F9"])
    kind = rng.choice([b'<f t="shared" ref="' + ref + b'" si="0">', b'<f t="shared" si="0"/>',
                       b'<f t="shared" si="7"/>'])

    def change(f):
        return kind + (f[1] + b"</f>" if not kind.endswith(b"/>") else b"")
    m.set(name, _sub_nth(rng, rb"<f>([^<]*)</f>", m.get(name), change))
    return f"shared_formula:{name}"


def prefix(rng, m):
    """A sheet written with a namespace prefix (<x:worksheet xmlns:x=…>), as some producers do."""
    name = _pick(rng, m, SHEETS)
    data = m.get(name).replace(b'<worksheet xmlns="', b'<worksheet xmlns:x="', 1)
    data = re.sub(rb"<(/?)(?!\?)([A-Za-z]\w*)([\s/>])", rb"<\1x:\2\3", data)
    m.set(name, data)
    return f"prefix:{name}"


def inline_string(rng, m):
    """A number cell made an inline string or a formula string."""
    name = _pick(rng, m, SHEETS)
    text = rng.choice([b"12", b"abc", b" 7 ", b"1e24", b"", b"=1+1"])
    form = rng.choice([b'<c\\1 t="inlineStr"><is><t>' + text + b"</t></is></c>",
                       b'<c\\1 t="str"><v>' + text + b"</v></c>"])
    data = m.get(name)
    m.set(name, _sub_nth(rng, rb'<c( r="[A-Z]+\d+"(?: s="\d+")?)><v>[^<]*</v></c>', data,
                         lambda f: form.replace(b"\\1", f[1])))
    return f"inline_string:{name}"


MUTATIONS = [drop_member, duplicate_member, corrupt_xml, cell_value, cell_value, cell_type, cell_ref,
             cell_style, shared_index, defined_name, sheet_name, reencode, doctype, rows, formula,
             attr_value, attr_value, drop_r, shared_formula, shared_formula, prefix, inline_string,
             inline_string]


def zip_bytes_flip(rng, data: bytes) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ rng.randrange(1, 256)]) + data[i + 1:]


def zip_bomb(rng, data: bytes) -> bytes:
    """A small zip bomb: a member of zeros compressed far past the ratio limit, or many members."""
    m = Members(data)
    if rng.random() < 0.5:
        m.items.append(("xl/media/image1.png", bytes(rng.choice([2, 8, 30]) << 20)))
    else:
        m.items += [(f"xl/x/{i}.xml", b"") for i in range(rng.choice([9_990, 10_001]))]
    return m.to_bytes()


def mutate_workbook(rng: random.Random, data: bytes) -> tuple[bytes, list[str]]:
    """1–3 mutations of a workbook's bytes (zip level), and their names."""
    roll = rng.random()
    if roll < 0.06:
        return truncate(rng, data), ["truncate"]
    if roll < 0.12:
        return zip_bytes_flip(rng, data), ["zip_bytes_flip"]
    if roll < 0.15:
        return zip_bomb(rng, data), ["zip_bomb"]
    m = Members(data)
    names = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        mutation = rng.choice(MUTATIONS)
        try:
            names.append(mutation(rng, m))
        except (StopIteration, TypeError, ValueError):  # nothing left to mutate this way
            names.append(f"{mutation.__name__}:none")
    return m.to_bytes(), names
