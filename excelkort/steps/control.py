"""The county's check of an extract (SPEC §6, §8 ``excelkort kontroll``): the findings.

``run_control`` reads the month's extract (and optionally earlier extracts, ``--forrige``) and
compares, per office and automatic indicator, this month with last month and with the same
month last year; it lists outliers, jumps in the nevner, missing rows, unknown units and
indicators, duplicates and bad lines, worst first, as a ``ControlReport``
(``steps.control_result``). ``steps.control_read`` reads the extracts tolerantly,
``numbers.outliers`` holds the outlier and nevner-jump statistics, and ``steps.control_report``
writes the summary and the workbook.

Decisions (also in the README text):

* **The period P** is the extract's latest period (or ``period=`` when given). For each
  ``automatisk`` indicator the month checked is c = P − Etterslep, and only when c is one of the
  indicator's reporting months (Frekvens); "last month" is the previous reporting month
  (c − 1 for ``måned``, c − 3 for ``kvartal``, …), "same month last year" is c − 12. Values come
  from the extract itself when it (re)delivers the month, else from the ``--forrige`` extracts
  (the one with the latest period first).
* **Expected rows**: every kontor in force in the month c under the county units that have at
  least one unit in the extract (so a county's own extract is not reported as missing every
  other county's offices; a county unit without any row is reported instead when the extract
  covers two or more counties).
* **Reading tolerantly**: bad lines and duplicates do not stop the check (see
  ``steps.control_read``); each becomes a ``feil`` finding with the reader's own message, and a
  duplicate's value is used in the comparisons only when all its copies have the same numbers.
  Unknown units are found by reading every unit (``unit_ids=None``) and comparing with the
  register; unknown and ``lokal`` indicators from the raw table, so each is listed with its
  lines and a «mente du» hint.
* **Outliers and nevner jumps**: the rules of ``numbers.outliers``. A month flagged as an
  outlier both from the month before and to the month after (with opposite signs) is a spike:
  the finding is put on the spike's month, and the next month's change is noted as a
  consequence (info).
* **Severity**: ``feil`` for what ``fyll`` rejects or cannot use (bad lines, duplicates,
  unknown units or indicators, an office or indicator missing entirely), ``advarsel`` for what
  needs a look (outliers, nevner jumps, missing rows, units not in force or not offices),
  ``info`` for notes (SSB symbols, merknader, revised numbers, local indicators). Findings are
  sorted by severity, then |z|, then unit, indicator and period.
"""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Iterable

from ..errors import InputError, Problem
from ..inputs.catalogue import default_catalogue
from ..inputs.extract_values import SYMBOL_FOR_REASON, ExtractRow
from ..inputs.hints import indicator_advice, suggest_indicator, unknown_unit
from ..inputs.register import Register, demo_register
from ..model import Catalogue, Indicator
from ..numbers.outliers import MIN_UNITS, Z_THRESHOLD, beyond_chance, nevner_jumps, robust_z
from ..numbers.rules import month_value
from ..period import parse_period, shift
from .control_read import Extracts, file_sha256, read_extracts
from .control_result import (REASON_WORDS, SEVERITY_OF, SEVERITY_WARNING, ComparisonRow,
                             ControlReport, Finding, lines_text, num_text, rows_word, value_text)

__all__ = ["run_control"]


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------
def _month_value(ind: Indicator, row: ExtractRow | None) -> float | None:
    """The month value v(m) (SPEC §4): 100·T/N for andel, T/N for snitt, T for antall; a row
    without a nevner (and no symbol) is a bare value; nevner 0 or missing data gives None."""
    if row is None:
        return None
    # one delivered month at a time: it has a nevner when the row gives one (or a symbol for it)
    return month_value(ind, row.teller, row.nevner, row.nevner is not None or bool(row.nevner_reason))


# --------------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------------
def run_control(
    extract_path: str | os.PathLike,
    previous: Iterable[str | os.PathLike] = (),
    catalogue: Catalogue | None = None,
    register: Register | None = None,
    *,
    period: str | None = None,
    history: str | os.PathLike | None = None,
) -> ControlReport:
    """Check an extract (SPEC §6 ``kontroll``); see the module doc for the rules.

    ``previous`` are earlier extracts (``--forrige``) for last month and the same month last
    year; ``history`` a work folder whose consolidation history (``historikk/``) gives the
    offices' earlier months where no extract has them. ``catalogue`` defaults to the
    package's, ``register`` to the demo register; ``period`` overrides P (default: the
    extract's latest period). Raises InputError only when a file cannot be read at all (or has
    nothing to check).
    """
    from .history import history_extract_rows

    catalogue = catalogue or default_catalogue()
    register = register or demo_register()
    source = Path(extract_path)
    prev_paths = [Path(p) for p in previous]
    extracts = read_extracts(source, prev_paths, catalogue)
    ext = extracts.main.extract

    if period is not None:
        P = parse_period(str(period))
        if P is None:
            raise InputError(Problem(f"ugyldig periode «{period}». Skriv perioden som ÅÅÅÅ-MM, "
                                     "f.eks. 2026-10."))
    else:
        known = set(register.ids())
        P = max((r.period for r in ext.rows if r.unit in known), default=None) or \
            ext.latest_period()
        if P is None:
            raise InputError(_nothing_to_check(extracts, source))

    if history is not None:  # only months before P: this month's own rows are no comparison
        earlier = [(path, [r for r in rows if r.period < P]) for path, rows in history_extract_rows(history)]
        earlier = [(path, rows) for path, rows in earlier if rows]
        extracts.add_history(earlier)
        prev_paths += [path for path, _ in earlier]
    ctl = _Control(catalogue, register, P, extracts)
    ctl.run()
    findings = sorted(ctl.findings, key=Finding.sort_key)
    for f in findings:  # the worst finding decides a row's severity (findings are sorted)
        if f.row is not None:
            f.row.kinds.append(f.kind)
            if f.row.severity is None:
                f.row.severity = f.severity
    return ControlReport(
        source=source, period=P, sha256=file_sha256(source), format=ext.format,
        previous=prev_paths, rows_read=ext.rows_read, rows_used=len(ext.rows),
        units_in_extract=sorted({u for _, u, _, _ in extracts.main.raw if u}),
        expected_units=len(ctl.expected_units), counties=ctl.county_list,
        checked=ctl.checked, not_checked=ctl.not_checked, rows=ctl.all_rows,
        findings=findings, catalogue=catalogue)


def _nothing_to_check(extracts: Extracts, source: Path) -> Problem:
    """Why an extract has no row to check: no valid period at all, or no known indicator."""
    main = extracts.main
    if main.raw and all(period is None for _, _, period, _ in main.raw):
        first = next((p for p in main.row_errors if "periode" in (p.column or "").casefold()),
                     None)
        if first is not None:
            return Problem(f"ingen rad i uttrekket har en gyldig periode, så det er ingenting å "
                           f"kontrollere. Første rad: {first.message}", file=str(source),
                           line=first.line, column=first.column)
    return Problem("uttrekket har ingen rader med en kjent indikator å kontrollere. Sjekk at "
                   "indikatorene står i katalogen.", file=str(source))


class _Control:
    """The state of one check (internal)."""

    def __init__(self, catalogue: Catalogue, register: Register, period: str,
                 extracts: Extracts):
        self.cat = catalogue
        self.reg = register
        self.P = period
        self.ext = extracts
        self.main = extracts.main
        self.findings: list[Finding] = []
        self.checked: list[tuple[str, str]] = []
        self.not_checked: list[tuple[str, str]] = []
        self.all_rows: list[ComparisonRow] = []
        self.expected_units: set[str] = set()
        self.county_list: list[tuple[str, str, bool]] = []
        self._rows: dict[tuple[str, str, str], ComparisonRow] = {}
        self._units_cache: dict[tuple[str, str], object] = {}
        self.known_ids = set(register.ids())
        self.inds = {ind.id: ind for ind in catalogue}
        self._unit_rows: dict[str, list] = defaultdict(list)
        for u in register:
            self._unit_rows[u.id].append(u)
        self._find_cache: dict[tuple[str, str | None], object] = {}

    def find(self, unit_id: str, period: str | None = None):
        """Register.find_unit, cached: the row in force in ``period`` (else None); without a
        period the latest row."""
        key = (unit_id, period)
        if key not in self._find_cache:
            rows = self._unit_rows.get(unit_id, ())
            if period is not None:
                rows = [u for u in rows if u.in_force(period)]
            self._find_cache[key] = max(rows, key=lambda u: u.valid_from or "") if rows else None
        return self._find_cache[key]

    # ---- register lookups ----------------------------------------------------------------
    def unit_info(self, unit_id: str, period: str) -> tuple[str, str]:
        """(name, county name) of a unit, as in force in ``period`` (else its latest row)."""
        key = (unit_id, period)
        if key not in self._units_cache:
            u = self.find(unit_id, period) or self.find(unit_id)
            if u is None:
                self._units_cache[key] = ("", "")
            else:
                parent = (self.find(u.parent, period) or self.find(u.parent)
                          if u.parent else None)
                self._units_cache[key] = (u.name, parent.name if parent else "")
        return self._units_cache[key]

    def add(self, kind: str, message: str, *, unit: str = "", indicator: str = "",
            period: str = "", z: float | None = None, lines: Iterable[int] = (),
            hint: str = "", row: ComparisonRow | None = None, severity: str | None = None):
        name, county = self.unit_info(unit, period or self.P) if unit else ("", "")
        self.findings.append(Finding(
            kind=kind, severity=severity or SEVERITY_OF[kind], message=message, unit=unit,
            unit_name=name, county=county, indicator=indicator, period=period, z=z,
            lines=tuple(sorted(lines)), hint=hint, row=row))

    # ---- values --------------------------------------------------------------------------
    def row(self, unit: str, ind: Indicator, period: str) -> ComparisonRow:
        """The comparison row of a unit, indicator and month (built once)."""
        key = (unit, period, ind.id)
        cached = self._rows.get(key)
        if cached is not None:
            return cached
        prev_p = shift(period, -ind.months_per_period)
        year_p = shift(period, -12)
        name, county = self.unit_info(unit, period)
        r = self.ext.main_lookup.get(key)
        pr, psrc = self.ext.lookup((unit, prev_p, ind.id))
        yr, _ = self.ext.lookup((unit, year_p, ind.id))
        row = ComparisonRow(
            unit=unit, unit_name=name, county=county, indicator=ind.id,
            indicator_name=ind.name, period=period, previous_period=prev_p,
            last_year_period=year_p,
            teller=r.teller if r else None, nevner=r.nevner if r else None,
            value=_month_value(ind, r),
            reason=(r.teller_reason or r.nevner_reason) if r else None,
            previous_value=_month_value(ind, pr), previous_nevner=pr.nevner if pr else None,
            previous_source=psrc if pr else "", last_year_value=_month_value(ind, yr),
            delivered=r is not None, line=r.line if r else None,
            merknad=r.merknad if r else None)
        self._rows[key] = row
        return row

    # ---- the steps -----------------------------------------------------------------------
    def run(self) -> None:
        self.reading_findings()
        self.unit_findings()
        self.expected()
        self.outliers_and_jumps()
        self.notes()

    def reading_findings(self) -> None:
        """Bad lines, duplicates, the reader's warnings, unknown and lokal indicators, and the
        earlier extracts' skipped lines."""
        for p in self.main.row_errors:
            unit, ind = self._raw_ids_at(p.line)
            self.add("radfeil", f"{p.message} Linjen er hoppet over i kontrollen; excelkort fyll "
                     "avviser uttrekket til den er rettet.", unit=unit, indicator=ind,
                     lines=[p.line] if p.line is not None else [])
        for dup in self.main.duplicates:
            self._duplicate_finding(dup)
        # warnings of the reader that this module does not itself turn into findings
        for p in self.main.extract.problems:
            if p.is_error or (p.column or "").strip().casefold() == "indikator":
                continue  # unknown and lokal indicators: from the raw table below
            self.add("uttrekk", p.message, lines=[p.line] if p.line is not None else [])
        self._indicator_findings()
        # earlier extracts: bad lines are skipped, said once per file
        for path, rr in self.ext.previous:
            bad = rr.row_errors + [Problem("duplikat", line=d.lines[0]) for d in rr.duplicates]
            if bad:
                first = min(bad, key=lambda p: p.line or 0)
                self.add("forrige_uttrekk",
                         f"forrige uttrekk «{path.name}» har {len(bad)} linjer med feil eller "
                         f"duplikater som er hoppet over (første: linje {first.line}: "
                         f"{first.message})", lines=[])

    def _duplicate_finding(self, dup) -> None:
        unit, period, ind_id = dup.key
        n = len(dup.lines)
        where = lines_text(dup.lines, limit=len(dup.lines))
        ind = self.inds[ind_id] if ind_id in self.inds else None
        if len(dup.rows) >= 2 and dup.identical:
            how = "med like tall; tallet er brukt i kontrollen"
        elif len(dup.rows) >= 2 and ind is not None:
            shown = " og ".join(
                f"{num_text(r.teller, 2) if r.teller is not None else '–'}/"
                f"{num_text(r.nevner, 2) if r.nevner is not None else '–'}" for r in dup.rows)
            how = (f"med ulike tall (teller/nevner {shown}); tallet er ikke brukt i "
                   "kontrollen")
        else:
            how = "men ikke alle kopiene kan leses"
        row = None
        if ind is not None and ind.is_automatic and unit in self.known_ids:
            row = self.row(unit, ind, period)
        self.add("duplikat",
                 f"enhet «{unit}», periode {period}, indikator «{ind_id}» står {n} ganger "
                 f"({where}), {how}. Hver kombinasjon skal stå på én linje: fjern "
                 "duplikatene (excelkort fyll avviser uttrekket til de er fjernet).",
                 unit=unit, indicator=ind_id, period=period, lines=dup.lines, row=row)

    def _indicator_findings(self) -> None:
        """Unknown and lokal indicators, from the raw table."""
        unknown: dict[str, list[int]] = defaultdict(list)
        local: dict[str, list[int]] = defaultdict(list)
        for line, unit, period, ind_id in self.main.raw:
            if not ind_id or not unit or period is None:
                continue
            if ind_id not in self.inds:
                unknown[ind_id].append(line)
            elif not self.inds[ind_id].is_automatic:
                local[ind_id].append(line)
        for ind_id, lines in sorted(unknown.items()):
            hint = suggest_indicator(ind_id, self.cat.ids()) or ""
            todo = indicator_advice(hint)
            self.add("ukjent_indikator",
                     f"indikatoren «{ind_id}» finnes ikke i katalogen; {rows_word(len(lines))} "
                     f"({lines_text(lines)}) blir ikke fylt inn. {todo}",
                     indicator=ind_id, lines=lines, hint=hint)
        for ind_id, lines in sorted(local.items()):
            self.add("lokal_indikator",
                     f"indikatoren «{ind_id}» er lokal (Kilde = lokal) og tastes av kontoret; "
                     f"{rows_word(len(lines))} ({lines_text(lines)}) hoppes over av fyll.",
                     indicator=ind_id, lines=lines)

    def _raw_ids_at(self, line: int | None) -> tuple[str, str]:
        if line is None:
            return "", ""
        for ln, unit, _, ind in self.main.raw:
            if ln == line:
                return unit, ind
        return "", ""

    def unit_findings(self) -> None:
        """Units of the extract that are unknown, not in force, or not offices."""
        per_unit: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for line, unit, period, ind_id in self.main.raw:
            if unit and period is not None and ind_id:
                per_unit[unit].append((line, period))
        for unit, items in sorted(per_unit.items()):
            lines = [ln for ln, _ in items]
            if unit not in self.known_ids:
                hint = self.reg.suggest(unit) or ""
                severity, message = unknown_unit(unit, self.known_ids, lines)
                self.add("ukjent_enhet", message, unit=unit, lines=lines,
                         hint="" if hint == unit else hint, severity=severity)
                continue
            outside = [(ln, p) for ln, p in items if self.find(unit, p) is None]
            if outside:
                periods = sorted({p for _, p in outside})
                shown = ", ".join(periods[:6]) + (" …" if len(periods) > 6 else "")
                self.add("enhet_ikke_i_kraft",
                         f"enheten «{unit}» er ikke i kraft i {shown} etter enhetsregisteret "
                         f"(gyldig_fra/gyldig_til); {rows_word(len(outside))} "
                         f"({lines_text([ln for ln, _ in outside])}). Sjekk registeret, eller "
                         "om tallene hører til enheten som overtok.",
                         unit=unit, lines=[ln for ln, _ in outside])
            u = self.find(unit, self.P) or self.find(unit)
            if u is not None and u.level != "kontor":
                what = "en fylkesenhet" if u.level == "fylke" else "den nasjonale enheten"
                self.add("enhet_ikke_kontor",
                         f"enheten «{unit}» er {what}; uttrekket skal bare ha kontor (fylke og "
                         f"nasjonalt konsolideres fra kontorene). {rows_word(len(lines))} "
                         f"({lines_text(lines)}).", unit=unit, lines=lines)

    def expected(self) -> None:
        """Rows expected this month: missing rows, SSB symbols, whole units and indicators."""
        present_counties = self._counties_present()
        plan = self._plan(present_counties)
        delivered_units = {u for _, u, p, i in self.main.raw if u and p is not None and i}
        gone_units = sorted(self.expected_units - delivered_units)
        for uid in gone_units:
            n = sum(1 for _, _, units in plan if uid in units)
            self.add("enhet_mangler",
                     f"kontoret har ingen rader i uttrekket (forventet {n} indikatorer). Er "
                     "kontoret nytt, slått sammen, eller falt det ut av uttrekket?",
                     unit=uid, period=self.P)
        gone = set(gone_units)
        for ind, c, units in plan:
            rows = [self.row(uid, ind, c) for uid in units]
            self.all_rows += rows
            self._row_findings(ind, c, [r for r in rows if r.unit not in gone])
        order = {ind_id: i for i, ind_id in enumerate(self.cat.ids())}
        self.all_rows.sort(key=lambda r: (r.unit, order[r.indicator]))

    def _counties_present(self) -> set[str]:
        """The county units with a unit in the extract (all when none is known); sets
        ``county_list`` and reports a county without rows when two or more are present."""
        main_units = {u for _, u, p, _ in self.main.raw if u and p is not None}
        present_counties: set[str] = set()
        for uid in main_units:
            u = self.find(uid, self.P) or self.find(uid)
            if u is None:
                continue
            if u.level == "kontor" and u.parent:
                present_counties.add(u.parent)
            elif u.level == "fylke":
                present_counties.add(u.id)
        tree_p = self.reg.tree(self.P)
        counties = tree_p.counties()
        if not present_counties:  # nothing known: every county is expected
            present_counties = {c.id for c in counties}
        self.county_list = [(c.id, c.name, c.id in present_counties) for c in counties]
        if len(present_counties) >= 2:
            for c in counties:
                if c.id not in present_counties and tree_p.leaves(c.id):
                    self.findings.append(Finding(
                        "fylke_mangler", SEVERITY_OF["fylke_mangler"],
                        f"fylkesenheten har {len(tree_p.leaves(c.id))} kontor, men ingen rader i "
                        "uttrekket; kontorene er ikke kontrollert. Er uttrekket ufullstendig?",
                        unit=c.id, unit_name=c.name, county=c.name, period=self.P))
        return present_counties

    def _plan(self, present_counties: set[str]) -> list[tuple[Indicator, str, list[str]]]:
        """(indicator, month checked, expected offices) of each automatic indicator due this
        month; sets ``checked``, ``not_checked`` and ``expected_units``."""
        plan: list[tuple[Indicator, str, list[str]]] = []
        for ind in self.cat:
            if not ind.is_automatic:
                continue
            c = shift(self.P, -max(0, ind.lag))
            if int(c[5:7]) not in ind.reporting_months:
                self.not_checked.append(
                    (ind.id, f"{c} er ikke en rapporteringsmåned ({ind.frequency})"))
                continue
            tree = self.reg.tree(c)
            units = sorted(u.id for u in tree.offices() if u.parent in present_counties)
            self.checked.append((ind.id, c))
            plan.append((ind, c, units))
            self.expected_units.update(units)
        return plan

    def _row_findings(self, ind: Indicator, c: str, live: list[ComparisonRow]) -> None:
        """An indicator no office delivered, and each office's missing row or SSB symbol."""
        if live and not any(r.delivered for r in live):
            self.add("indikator_mangler",
                     f"ingen kontor har rad for {c} (forventet {len(live)}). Er indikatoren "
                     "med i uttrekket, og er etterslepet i katalogen riktig "
                     f"({ind.lag} måneder)?", indicator=ind.id, period=c)
            return
        for r in live:
            if not r.delivered:
                dup = (r.unit, c, ind.id) in {d.key for d in self.main.duplicates}
                if dup:
                    continue  # reported as a duplicate
                self.add("mangler",
                         f"ingen rad for {ind.id} i {c}: målekortet mangler tallet til det "
                         "blir levert. Lever raden, eller en SSB-kode (: prikket, .. "
                         "mangler) som forklarer hvorfor.",
                         unit=r.unit, indicator=ind.id, period=c, row=r)
            elif r.reason:
                self.add("ssb_symbol",
                         f"tallet er {REASON_WORDS.get(r.reason, r.reason)} i uttrekket.",
                         unit=r.unit, indicator=ind.id, period=c, lines=[r.line], row=r)
            elif r.teller is None:
                self.add("mangler",
                         f"raden for {ind.id} i {c} er tom (verken tall eller SSB-kode).",
                         unit=r.unit, indicator=ind.id, period=c, lines=[r.line], row=r,
                         severity=SEVERITY_WARNING)

    def outliers_and_jumps(self) -> None:
        """The robust outlier rule and the nevner jump, for every month the extract delivers."""
        offices = {u.id for u in self.reg if u.level == "kontor"}
        by_group: dict[tuple[str, str], list[ExtractRow]] = defaultdict(list)
        for r in self.main.extract.rows:
            if r.unit in offices and r.indicator in self.inds:
                by_group[(r.indicator, r.period)].append(r)
        flagged: dict[tuple[str, str, str], tuple[float, float, float]] = {}
        for (ind_id, period), rows in sorted(by_group.items()):
            ind = self.inds[ind_id]
            if not ind.is_automatic or int(period[5:7]) not in ind.reporting_months:
                continue
            pairs = self._changes(ind, period, rows)
            if len(pairs) < MIN_UNITS:
                continue
            zs, med, scale, method = robust_z([v1 - v0 for _, _, v1, v0 in pairs])
            for (r1, r0, v1, v0), z in zip(pairs, zs):
                key = (r1.unit, period, ind_id)
                if key in self._rows:
                    self._rows[key].z = z
                if abs(z) > Z_THRESHOLD and beyond_chance(ind, r0, r1, v0, v1):
                    flagged[key] = (z, v1 - v0, med)
            self._nevner_jumps(ind, period, pairs)
        for key in sorted(flagged):
            self._outlier_finding(key, flagged)

    def _changes(self, ind: Indicator, period: str, rows: list[ExtractRow]) -> list[tuple]:
        """(this month's row, last month's row, value, last month's value) of each unit that
        has a value in both months."""
        prev_p = shift(period, -ind.months_per_period)
        pairs = []
        for r1 in rows:
            v1 = _month_value(ind, r1)
            if v1 is None:
                continue
            r0, _ = self.ext.lookup((r1.unit, prev_p, ind.id))
            v0 = _month_value(ind, r0)
            if v0 is None:
                continue
            pairs.append((r1, r0, v1, v0))
        return pairs

    def _outlier_finding(self, key: tuple[str, str, str], flagged: dict) -> None:
        """The finding of one flagged change: a spike, the change back after one, or an
        outlier."""
        unit, period, ind_id = key
        z, change, med = flagged[key]
        ind = self.inds[ind_id]
        prev_p = shift(period, -ind.months_per_period)
        next_p = shift(period, ind.months_per_period)
        row = self.row(unit, ind, period)
        row.z = z
        after = flagged.get((unit, next_p, ind_id))
        before = flagged.get((unit, prev_p, ind_id))
        if before is not None and before[1] * change < 0:
            self.add("etter_uteligger",
                     f"endringen fra {prev_p} ({value_text(ind, change, True)}, robust z "
                     f"{num_text(z)}) følger av uteliggeren i {prev_p}: verdien er tilbake på "
                     "vanlig nivå.", unit=unit, indicator=ind_id, period=period, z=z,
                     lines=[row.line] if row.line else [], row=row)
            return
        if after is not None and after[1] * change < 0:
            msg = (f"verdien for {period} ({value_text(ind, row.value)}) skiller seg ut: "
                   f"{value_text(ind, change, True)} fra {prev_p} og "
                   f"{value_text(ind, after[1], True)} til {next_p} (robust z {num_text(z)}), "
                   f"mens den vanlige endringen var {value_text(ind, med, True)}. Trolig "
                   f"feil i tallene for {period}: sjekk teller og nevner.")
        else:
            msg = (f"endringen fra {prev_p} er {value_text(ind, change, True)} (fra "
                   f"{value_text(ind, row.previous_value)} til {value_text(ind, row.value)}"
                   f"), uvanlig stor mot de andre kontorene (robust z {num_text(z)}; vanlig "
                   f"endring {value_text(ind, med, True)}). Sjekk teller og nevner.")
        self.add("uteligger", msg, unit=unit, indicator=ind_id, period=period, z=z,
                 lines=[row.line] if row.line else [], row=row)

    def _nevner_jumps(self, ind: Indicator, period: str, pairs) -> None:
        if ind.measure == "antall":
            return
        typical, jumps = nevner_jumps([(r1, r0) for r1, r0, _, _ in pairs])
        for r1, r0 in jumps:
            row = self.row(r1.unit, ind, period)
            self.add("nevnerhopp",
                     f"nevneren gikk fra {num_text(r0.nevner, 0)} i {r0.period} til "
                     f"{num_text(r1.nevner, 0)} (×{num_text(r1.nevner / r0.nevner, 2)}), mens "
                     f"den vanlige endringen var ×{num_text(typical, 2)}. Sjekk at populasjonen "
                     "(nevneren) er avgrenset riktig.",
                     unit=r1.unit, indicator=ind.id, period=period, lines=[r1.line], row=row)

    def notes(self) -> None:
        """Merknader in the extract, and numbers changed since an earlier extract."""
        merknader: dict[tuple[str, str], list[ExtractRow]] = defaultdict(list)
        for r in self.main.extract.rows:
            if r.merknad and r.unit in self.known_ids:
                merknader[(r.unit, r.merknad)].append(r)
        for (unit, text), rows in sorted(merknader.items()):
            inds = list(dict.fromkeys(r.indicator for r in rows))
            periods = sorted({r.period for r in rows})
            self.add("merknad",
                     f"merknad «{text}» på {rows_word(len(rows))} ({', '.join(inds[:8])}"
                     f"{' …' if len(inds) > 8 else ''}; {', '.join(periods[:4])}"
                     f"{' …' if len(periods) > 4 else ''}).", unit=unit,
                     indicator=inds[0] if len(inds) == 1 else "",
                     period=periods[-1], lines=[r.line for r in rows if r.line])
        if len(self.ext.sources) < 2:
            return
        for r in self.main.extract.rows:
            if r.unit not in self.known_ids or r.indicator not in self.inds:
                continue
            for name, rows in self.ext.sources[1:]:
                old = rows.get(r.key)
                if old is None:
                    continue
                if (old.teller, old.nevner, old.teller_reason, old.nevner_reason) != (
                        r.teller, r.nevner, r.teller_reason, r.nevner_reason):
                    ind = self.inds[r.indicator]
                    what = [f"teller {_cell_text(old.teller, old.teller_reason)} → "
                            f"{_cell_text(r.teller, r.teller_reason)}"]
                    if ind.measure != "antall":
                        what.append(f"nevner {_cell_text(old.nevner, old.nevner_reason)} → "
                                    f"{_cell_text(r.nevner, r.nevner_reason)}")
                    self.add("revidert",
                             f"tallene for {r.period} er endret siden «{name}»: "
                             f"{', '.join(what)} (verdi {value_text(ind, _month_value(ind, old))}"
                             f" → {value_text(ind, _month_value(ind, r))}).",
                             unit=r.unit, indicator=r.indicator, period=r.period,
                             lines=[r.line] if r.line else [],
                             row=self.row(r.unit, ind, r.period))
                break


def _cell_text(x: float | None, reason: str | None) -> str:
    if x is None:
        return SYMBOL_FOR_REASON.get(reason, "tom") if reason else "tom"
    return num_text(x, 0 if float(x).is_integer() else 2)

