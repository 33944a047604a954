"""Reading a målekort workbook, tolerant of what users do to it (SPEC §5).

Tables are found by their header labels, not fixed addresses: a user may insert columns, move
the table down or add rows of their own. Values are read with python-calamine (fast, cached
values); number formats and defined names come from the package XML. Typed local values are
read in the forms people type, with a warning wherever the reader had to guess.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook

from . import layout as L
from ..inputs.tables import norm_label
from ..numtext import parse_number_text
from ..errors import WARNING, InputError, Problem
from ..model import Catalogue
from ..period import parse_period
from ..numbers.rules import RISKS
from ..xlsx.package import open_package
from ..xlsx.refs import cell_ref, parse_ref, range_ref

REQUIRED_SCORECARD = (L.COL_ID, L.COL_NAME, *L.MONTHS_BY_NUMBER.values(), L.COL_YTD,
                      L.COL_STATUS, L.COL_RISK_ASSESSED, L.COL_COMMENT)
REQUIRED_DATA = L.DATA_LABELS
MISSING_TEXT = {"", "-", "–", "ikke klar", ".", "..", "...", ":", "x", "n/a"}


@dataclass
class IndicatorRow:
    """What one indicator row of a målekort holds."""

    id: str
    name: str
    row: int  # 0-based row in Målekort
    data_row: int | None  # 0-based row in Data
    target: float | None
    teller: list = field(default_factory=lambda: [None] * 12)
    nevner: list = field(default_factory=lambda: [None] * 12)
    bare: list = field(default_factory=lambda: [None] * 12)
    risk_assessed: str | None = None
    comment: str = ""
    cached: dict[str, object] = field(default_factory=dict)  # visible output columns as cached


@dataclass
class ScorecardFile:
    """A målekort as read: identity, table positions, rows, and the reader's warnings."""

    path: Path
    unit_id: str
    unit_name: str
    period: str
    year: int | None
    month_comment: str
    cols: dict[str, int]
    data_cols: dict[str, int]
    header_row: int
    data_header_row: int
    rows: dict[str, IndicatorRow]
    warnings: list[Problem] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # defined name → reference as stored
    values: dict[str, list[list]] = field(default_factory=dict, repr=False)  # sheet → cached cells
    package: object = field(default=None, repr=False, compare=False)  # the file as read (xlsx.package.Package)
    own_catalogue: Catalogue | None = field(default=None, repr=False, compare=False)  # its Indikatorer sheet

    @property
    def period_month(self) -> int:
        return int(self.period[5:7])


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def find_header(rows: list[list], labels: tuple[str, ...], required: tuple[str, ...],
                file: Path, sheet: str) -> tuple[int, dict[str, int]]:
    """The header row (0-based) and column of each label found, searched by labels."""
    wanted = {norm_label(lab): lab for lab in labels}
    best_row, best_hits = -1, {}
    for r, row in enumerate(rows[:200]):
        hits = {}
        for c, v in enumerate(row):
            if isinstance(v, str) and v:
                lab = wanted.get(norm_label(v))
                if lab is not None and lab not in hits:
                    hits[lab] = c
        if len(hits) > len(best_hits):
            best_row, best_hits = r, hits
            if len(hits) == len(wanted):
                break
    missing = [lab for lab in required if lab not in best_hits]
    if best_row < 0 or len(best_hits) < max(2, len(required) // 2):
        raise InputError(Problem(
            f"Fant ikke overskriftsraden (med {', '.join('«' + x + '»' for x in required[:3])} …). "
            "Sett tilbake overskriftene slik malen har dem.", file=str(file), sheet=sheet))
    if missing:
        raise InputError([Problem(
            f"Overskriften «{lab}» mangler i rad {best_row + 1}. Gi kolonnen tilbake navnet «{lab}».",
            file=str(file), sheet=sheet) for lab in missing])
    return best_row, best_hits


def _check_merged(sheet_obj, rows: list[int], cols: list[int], file: Path, sheet: str):
    """Refuse merged cells that cover one of our columns in the header row or an indicator row
    (a user's own merged notes, titles or perspective headings elsewhere are harmless)."""
    for (r0, c0), (r1, c1) in getattr(sheet_obj, "merged_cell_ranges", None) or []:
        if any(r0 <= r <= r1 for r in rows) and any(c0 <= c <= c1 for c in cols):
            rng = range_ref(r0, c0, r1, c1)
            raise InputError(Problem(
                f"Sammenslåtte celler ({rng}) ligger inne i tabellen. Del opp cellene "
                "(Hjem → Slå sammen og midtstill → Del celler) og prøv igjen.",
                file=str(file), sheet=sheet, cell=cell_ref(r0, c0)))


def _comma(v: float) -> str:
    """A number as Norwegians write it (decimal comma), for messages."""
    return f"{v:.10g}".replace(".", ",")


def parse_typed_number(value, *, percent_format: bool, andel: bool, where: dict,
                       warnings: list[Problem]) -> float | None:
    """A value typed in an input cell → a number in the indicator's unit, or None (missing)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        warnings.append(Problem("Sannhetsverdi i tallcelle leses som tom.", severity=WARNING, **where))
        return None
    if isinstance(value, (int, float)):
        v = float(value)
        if andel and percent_format:
            warnings.append(Problem(
                f"Cellen er formatert som prosent ({_comma(v)}); leses som {_comma(v * 100)} %. "
                f"Skriv tallet på nytt som {_comma(v * 100)} uten %-tegn, så regner Excel likt.",
                severity=WARNING, **where))
            return round(v * 100, 10)  # 0.07 * 100 is 7.000000000000001
        return v
    text = str(value).strip()
    if text.casefold() in MISSING_TEXT:
        warnings.append(Problem(f"Teksten «{text}» leses som manglende verdi.", severity=WARNING, **where))
        return None
    cleaned = text.rstrip("%").strip()
    number = parse_number_text(cleaned)
    if number is not None:
        warnings.append(Problem(f"Tallet er skrevet som tekst («{text}»); leses som {cleaned}.",
                                severity=WARNING, **where))
        return number
    warnings.append(Problem(f"Teksten «{text}» er ikke et tall og leses som manglende verdi.",
                            severity=WARNING, **where))
    return None


def plausibility_warnings(ind, item: "IndicatorRow", path: Path, cols: dict[str, int],
                          data_cols: dict[str, int]) -> list[Problem]:
    """Values typed in a workbook that cannot be right (SPEC §9): warnings naming the cell."""
    out: list[Problem] = []
    andel_capped = ind.measure == "andel" and ind.direction != "nær"

    def warn(message: str, sheet: str, row: int, col: int) -> None:
        out.append(Problem(message, file=str(path), sheet=sheet, cell=cell_ref(row, col),
                           severity=WARNING))

    for m in range(1, 13):
        v = item.bare[m - 1]
        if v is not None:
            col = cols[L.MONTHS_BY_NUMBER[m]]
            if v < 0:
                warn(f"Negativ verdi ({_comma(v)}) kan ikke stemme. Rett tallet.", L.SCORECARD_SHEET, item.row, col)
            elif andel_capped and v > 100:
                warn(f"Andelen {_comma(v)} % er over 100 %. Skriv andelen i prosent mellom 0 og 100.",
                     L.SCORECARD_SHEET, item.row, col)
        if item.data_row is None:
            continue
        t, n = item.teller[m - 1], item.nevner[m - 1]
        t_col = data_cols[L.data_label(m, "teller")]
        n_col = data_cols[L.data_label(m, "nevner")]
        if t is not None and t < 0:
            warn(f"Negativ teller ({_comma(t)}) kan ikke stemme. Rett tallet.", L.DATA_SHEET, item.data_row, t_col)
        if n is not None and n < 0:
            warn(f"Negativ nevner ({_comma(n)}) kan ikke stemme. Rett tallet.", L.DATA_SHEET, item.data_row, n_col)
        if n == 0 and t is not None and t > 0:
            warn(f"Nevner er 0, men teller er {_comma(t)}; måneden regnes ikke med. Rett nevneren.",
                 L.DATA_SHEET, item.data_row, n_col)
        if andel_capped and t is not None and n is not None and n > 0 and t > n:
            warn(f"Teller ({_comma(t)}) er større enn nevner ({_comma(n)}): andelen blir over 100 %. "
                 "Rett tallene.", L.DATA_SHEET, item.data_row, t_col)
    return out


def _id_rows(rows: list[list], header_row: int, id_col: int, path: Path, sheet: str) -> dict[str, int]:
    """Indicator id → its row (0-based) below the header; an id twice is an InputError."""
    found: dict[str, int] = {}
    for r in range(header_row + 1, len(rows)):
        ind_id = _text(rows[r][id_col])
        if not ind_id:
            continue
        if ind_id in found:
            raise InputError(Problem(f"Indikatoren {ind_id} står to ganger (rad {found[ind_id] + 1} "
                                     f"og {r + 1}). Slett den ene raden.", file=str(path),
                                     sheet=sheet, cell=cell_ref(r, id_col)))
        found[ind_id] = r
    return found


_OWN_CATALOGUES: dict[tuple, Catalogue | None] = {}  # Indikatorer sheet values → its catalogue


def own_catalogue(wb: CalamineWorkbook, path: Path) -> Catalogue | None:
    """The catalogue the workbook was made with (its Indikatorer sheet), if it reads cleanly.

    Workbooks made from the same catalogue have the same sheet, so each distinct sheet is parsed
    once per process (a county's 50 workbooks cost one parse, not 50).
    """
    from ..inputs.catalogue import catalogue_from_sheet

    if L.CATALOGUE_SHEET not in wb.sheet_names:
        return None
    try:
        values = wb.get_sheet_by_name(L.CATALOGUE_SHEET).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - calamine's own error types vary; the sheet is optional
        return None
    key = tuple(tuple(row) for row in values)
    if key not in _OWN_CATALOGUES:
        if len(_OWN_CATALOGUES) >= 64:
            _OWN_CATALOGUES.clear()
        _OWN_CATALOGUES[key] = catalogue_from_sheet(str(path), values)
    return _OWN_CATALOGUES[key]


def read_scorecard(path: str | Path, catalogue: Catalogue | None = None) -> ScorecardFile:
    """Read a målekort. Raises InputError (Norwegian, located) when it cannot be read.

    Without ``catalogue`` the workbook's own Indikatorer sheet tells which rows are local.
    """
    path = Path(path)
    package = open_package(path, allow_locked=True)  # reading a file open in Excel is harmless
    names = package.defined_names()
    for sheet in (L.SCORECARD_SHEET, L.DATA_SHEET):
        package.sheet_member(sheet)  # InputError naming the sheet and the sheets the file has
    percent_cache: list[set[str]] = []

    def percent_styled(ref: str) -> bool:  # read the styles only when a value needs it
        if not percent_cache:
            percent_cache.append(package.percent_style_cells(L.SCORECARD_SHEET))
        return ref in percent_cache[0]
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(package.data))  # the bytes already read
    except Exception as exc:  # noqa: BLE001 - calamine's own error types vary
        raise InputError(Problem(f"Filen kan ikke leses som Excel-arbeidsbok ({exc}).", file=str(path)))
    own = own_catalogue(wb, path)
    if catalogue is None:
        catalogue = own
    sc_sheet = wb.get_sheet_by_name(L.SCORECARD_SHEET)
    sc = sc_sheet.to_python(skip_empty_area=False)
    data_sheet = wb.get_sheet_by_name(L.DATA_SHEET)
    data = data_sheet.to_python(skip_empty_area=False)
    warnings: list[Problem] = []

    def named(name: str):
        ref = names.get(name)
        if not ref or "!" not in ref:
            return None
        sheet, cell = ref.rsplit("!", 1)
        sheet = sheet.strip("'")
        rows = {L.SCORECARD_SHEET: sc, L.DATA_SHEET: data}.get(sheet)
        if rows is None:
            return None
        r, c = parse_ref(cell.split(":")[0])
        return rows[r][c] if r < len(rows) and c < len(rows[r]) else None

    unit_id = _text(named("Enhet"))
    period = _text(named("Periode"))
    if not unit_id or parse_period(period) != period:
        raise InputError(Problem(
            "Fant ikke enhet og periode (navnene «Enhet» og «Periode» mangler eller er tomme). "
            "Lag målekortet på nytt med «excelkort ny».", file=str(path), sheet=L.SCORECARD_SHEET))
    year_value = named("År")

    labels = L.SCORECARD_LABELS + L.HELPER_LABELS
    header_row, cols = find_header(sc, labels, REQUIRED_SCORECARD, path, L.SCORECARD_SHEET)
    data_header_row, data_cols = find_header(data, REQUIRED_DATA, REQUIRED_DATA, path, L.DATA_SHEET)
    _check_merged(sc_sheet, [header_row] + [r for r in range(header_row + 1, len(sc))
                                            if _text(sc[r][cols[L.COL_ID]])],
                  [cols[x] for x in L.SCORECARD_LABELS if x in cols], path, L.SCORECARD_SHEET)
    _check_merged(data_sheet, [data_header_row] + [r for r in range(data_header_row + 1, len(data))
                                                   if _text(data[r][data_cols[L.COL_ID]])],
                  list(data_cols.values()), path, L.DATA_SHEET)

    data_rows = _id_rows(data, data_header_row, data_cols[L.COL_ID], path, L.DATA_SHEET)
    data_labels = {(m, part): L.data_label(m, part) for m in range(1, 13) for part in ("teller", "nevner")}
    rows: dict[str, IndicatorRow] = {}
    for ind_id, r in _id_rows(sc, header_row, cols[L.COL_ID], path, L.SCORECARD_SHEET).items():
        line = sc[r]
        ind = catalogue[ind_id] if catalogue is not None and ind_id in catalogue else None
        if ind is not None and own is not None and ind_id in own:
            ind = own[ind_id]  # the definition the workbook was made with (SPEC §3)
        if catalogue is not None and ind is None:
            warnings.append(Problem(f"Ukjent indikator «{ind_id}» (ikke i katalogen); raden hoppes over.",
                                    file=str(path), sheet=L.SCORECARD_SHEET,
                                    cell=cell_ref(r, cols[L.COL_ID]), severity=WARNING))
            continue
        target = line[cols[L.COL_TARGET]] if L.COL_TARGET in cols else None
        item = IndicatorRow(ind_id, _text(line[cols[L.COL_NAME]]), r, data_rows.get(ind_id),
                            float(target) if isinstance(target, (int, float)) else None)
        local = ind is not None and not ind.is_automatic
        andel = ind is not None and ind.measure == "andel"
        for m, label in L.MONTHS_BY_NUMBER.items():
            c = cols[label]
            if local:
                where = dict(file=str(path), sheet=L.SCORECARD_SHEET, cell=cell_ref(r, c))
                value = line[c]
                maybe_fraction = andel and isinstance(value, float) and abs(value) <= 10
                item.bare[m - 1] = parse_typed_number(
                    value, percent_format=maybe_fraction and percent_styled(cell_ref(r, c)),
                    andel=andel, where=where, warnings=warnings)
        if item.data_row is not None:
            drow = data[item.data_row]
            for m in range(1, 13):
                for part, target_list in (("teller", item.teller), ("nevner", item.nevner)):
                    c = data_cols[data_labels[m, part]]
                    value = drow[c] if c < len(drow) else None
                    if type(value) is float or value is None or value == "":
                        target_list[m - 1] = None if value == "" else value  # common: no warning
                        continue
                    where = dict(file=str(path), sheet=L.DATA_SHEET, cell=cell_ref(item.data_row, c))
                    target_list[m - 1] = parse_typed_number(
                        value, percent_format=False, andel=False, where=where, warnings=warnings)
        if ind is not None:
            warnings += plausibility_warnings(ind, item, path, cols, data_cols)
        risk = _text(line[cols[L.COL_RISK_ASSESSED]])
        if risk:
            match = next((x for x in RISKS if x.casefold() == risk.casefold()), None)
            if match is None:
                warnings.append(Problem(f"Ukjent risiko «{risk}»; bruk Lav, Middels eller Høy.",
                                        file=str(path), sheet=L.SCORECARD_SHEET, severity=WARNING,
                                        cell=cell_ref(r, cols[L.COL_RISK_ASSESSED])))
            item.risk_assessed = match
        item.comment = _text(line[cols[L.COL_COMMENT]])
        for label in (L.COL_YTD, L.COL_STATUS, L.COL_TREND, L.COL_PROGNOSIS, L.COL_REQUIREMENT,
                      L.COL_PROBABILITY, L.COL_RISK_SUGGESTED):
            if label in cols:
                item.cached[label] = line[cols[label]]
        rows[ind_id] = item

    return ScorecardFile(
        path=path, unit_id=unit_id, unit_name=_text(named("Enhetsnavn")), period=period,
        year=int(year_value) if isinstance(year_value, (int, float)) else int(period[:4]),
        month_comment=_text(named("Månedskommentar")), cols=cols, data_cols=data_cols,
        header_row=header_row, data_header_row=data_header_row, rows=rows, warnings=warnings,
        names=dict(names), values={L.SCORECARD_SHEET: sc, L.DATA_SHEET: data}, package=package,
        own_catalogue=own)
