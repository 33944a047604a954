"""The command line: a thin click layer over ``excelkort.api``. It parses arguments, calls one
``api`` function per command and prints the result; everything a user sees is Norwegian.

Exit codes (SPEC §8): 0 ok, 1 internal error, 2 wrong input (nothing done), 3 some inputs
rejected. ``ExcelkortGroup.invoke`` is the one place where errors become messages and exit
codes; a closed pipe (``excelkort sjekk … | head``) ends quietly.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import traceback
from pathlib import Path

import click

from . import api, clitext
from .errors import (EXIT_INPUT, EXIT_INTERNAL, EXIT_PARTIAL, ExcelkortError, InputError,
                     collapse_repeated, count_word)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_BROKEN_PIPE = 141  # what a shell reports for a program whose reader went away (128 + SIGPIPE)
clitext.install()  # click's own words (usage, options, its errors) in Norwegian


class ExcelkortCommand(click.Command):
    """A command with ``--json``: the same run, its summary as JSON on standard output (for a
    script or a scheduler): command, exit status, files written, warnings, errors, and the
    lines the command printed. ``syklus`` has its own, with each step."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not any(p.name == "as_json" for p in self.params):
            self.params.append(click.Option(
                ["--json", "json_summary"], is_flag=True,
                help="Skriv oppsummeringen som JSON (for skript og jobbplanleggere)."))

    def invoke(self, ctx: click.Context):
        if not ctx.params.pop("json_summary", False):
            return super().invoke(ctx)
        printed, code = io.StringIO(), 0
        with contextlib.redirect_stdout(printed):
            try:
                super().invoke(ctx)
            except SystemExit as exc:
                code = exc.code or 0
        click.echo(json.dumps(json_summary(self.name, code, printed.getvalue()), ensure_ascii=False,
                              indent=2))
        if code:
            sys.exit(code)


class ExcelkortGroup(click.Group):
    """The command group; its ``invoke`` turns every error into a message and an exit code."""

    command_class = ExcelkortCommand  # every command gets ``--json``

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            for problem in collapse_repeated(exc.problems):
                click.echo(f"Feil: {problem}" if problem.is_error else str(problem), err=True)
            click.echo("Ingenting ble endret.", err=True)
            sys.exit(exc.exit_code)
        except ExcelkortError as exc:
            if exc.exit_code == EXIT_INTERNAL:  # ours, but a bug rather than the user's input
                _internal_error(exc)
            click.echo(f"Feil: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Avbrutt.", err=True)
            sys.exit(EXIT_INPUT)
        except BrokenPipeError:
            _silence_stdout()
            sys.exit(EXIT_BROKEN_PIPE)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            _internal_error(exc)


_SUMMARY = re.compile(r"Oppsummering: (\d+) (?:fil|filer) (skrevet|sjekket), (\d+) advars(?:el|ler), (\d+) feil")


def json_summary(command: str, exit_code: int, printed: str) -> dict:
    """A command's run as a machine-readable summary; the counts are those of its
    «Oppsummering:» line, which every command ends with."""
    lines = printed.splitlines()
    found = next((m for line in reversed(lines) if (m := _SUMMARY.search(line))), None)
    files, verb, warnings, errors = (int(found[1]), found[2], int(found[3]), int(found[4])) if found \
        else (0, "skrevet", 0, 0)
    return {"kommando": command, "avslutningskode": exit_code,
            "filer_sjekket" if verb == "sjekket" else "filer_skrevet": files,
            "advarsler": warnings, "feil": errors, "linjer": lines}


def _internal_error(exc: BaseException) -> None:
    """The one «meld fra» text of an internal error, with the traceback to send; exit 1."""
    click.echo(f"Intern feil i excelkort: {exc.__class__.__name__}: {exc}", err=True)
    click.echo("Meld fra til den som drifter excelkort, og legg ved teksten under.", err=True)
    click.echo("".join(traceback.format_exception(exc)), err=True)
    sys.exit(EXIT_INTERNAL)


def _silence_stdout() -> None:
    """After a closed pipe, send what is left to /dev/null so the interpreter's final flush
    stays quiet."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (e.g. a test runner's buffer)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


@click.group(cls=ExcelkortGroup, context_settings=CONTEXT, options_metavar="[VALG]",
             subcommand_metavar="KOMMANDO [ARGUMENTER]...")
@click.version_option(api.VERSION, "--versjon", "--version", message="excelkort %(version)s")
def main():
    """excelkort – målstyring for NAV: målekort, tiltaksplan og statusrapport.

    Lager målekort og tiltaksplaner, kontrollerer datavarehusets uttrekk og fyller de
    automatiske indikatorene inn i kontorenes egne målekort uten å ta Excel fra dem.
    Konsoliderer kontorene til fylkesenheter og nasjonalt, og lager statusrapporter.
    """


@main.command(context_settings=CONTEXT, options_metavar="[VALG]")
@click.argument("mappe", type=click.Path(file_okay=False, path_type=Path))
@click.option("--periode", default=api.DEMO_PERIOD, show_default=True, metavar="ÅÅÅÅ-MM",
              help="Demomåneden (ÅÅÅÅ-MM).")
@click.option("--frø", "seed", default=api.DEMO_SEED, show_default=True, type=int, metavar="HELTALL",
              help="Frø for de syntetiske tallene (samme frø gir samme tall).")
def demo(mappe: Path, periode: str, seed: int):
    """Lag en hel syntetisk måned for hele landet i arbeidsmappen MAPPE.

    Skriver enhetsregister, indikatorkatalog, mål per enhet, månedens uttrekk og hvert
    kontors målekort og tiltaksplan med de lokale tallene kontoret har tastet.
    """
    periode = api.check_period(periode)
    with progress_bar("Lager kontorenes målekort") as bar:
        state = {"total": None}

        def progress(done, total):
            if state["total"] is None:
                bar.length = total
                state["total"] = total
            bar.update(1)

        summary = api.build_demo(mappe, periode, seed, progress=progress)
    click.echo(f"Demo for {summary.period} skrevet til {summary.folder}/")
    click.echo(f"  enheter.csv: {summary.offices} kontor i {summary.counties} fylkesenheter + nasjonalt")
    click.echo(f"  uttrekk/uttrekk_{summary.period}.csv: {summary.extract_rows} rader")
    click.echo(f"  kontor/: {summary.offices} målekort og {summary.offices} tiltaksplaner")
    counts = summary.control.count_by_severity()
    click.echo(f"  kontroll/kontroll_{summary.period}.xlsx: {counts.get('feil', 0)} feil, "
               f"{counts.get('advarsel', 0)} advarsler i uttrekket")
    fill = summary.fill
    click.echo(f"  fyll: {len(fill.changed)} målekort oppdatert med {summary.period} "
               f"({fill.data_changes} dataceller), {len(fill.rejected)} avvist")
    cons = summary.consolidation
    click.echo(f"  konsolidert/: {len(cons.units)} konsoliderte målekort (fylkesenhetene og Norge), "
               f"historikk/målekort_{summary.period[:4]}.parquet")
    batch = summary.measures
    click.echo(f"  tiltak: {sum(len(r.proposals) for r in batch.results)} forslag og "
               f"{sum(len(r.overdue) for r in batch.results)} forfalte tiltak i "
               f"{len(batch.results)} tiltaksplaner, {len(batch.rejected)} avvist")
    click.echo(f"  rapporter/: {count_word(len(summary.reports.decks), 'statusrapport', 'statusrapporter')}, "
               f"{len(summary.reports.rejected)} avvist")
    warnings = len(summary.warnings) + counts.get("advarsel", 0)
    click.echo(f"Oppsummering: {len(set(summary.files))} filer skrevet, "
               f"{count_word(warnings, 'advarsel', 'advarsler')} (de fleste fra kontrollen av "
               f"uttrekket), {counts.get('feil', 0) + len(fill.rejected)} feil.")
    if summary.start_here:
        click.echo("Åpne først: " + ", ".join(str(p) for p in summary.start_here))


@main.command(context_settings=CONTEXT, options_metavar="[VALG]")
@click.option("--enhet", "unit_id", required=True, metavar="ID", help="Enhetens id i registeret, f.eks. 0101.")
@click.option("--periode", required=True, metavar="ÅÅÅÅ-MM", help="Perioden (ÅÅÅÅ-MM); året gir arbeidsboken.")
@click.option("--katalog", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Indikatorkatalog (CSV eller .xlsx). Ellers indikatorer.csv i mappen, ellers standard.")
@click.option("--register", "register_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Enhetsregister (enheter.csv eller .xlsx). Ellers enheter.csv i mappen du står i.")
@click.option("--mal", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Mål per enhet (enhet;indikator;mål). Ellers mål.csv i mappen.")
@click.option("-o", "--ut", "outdir", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Mappen filene skrives til.")
@click.option("--erstatt", is_flag=True,
              help="Lag filene på nytt selv om de finnes: det som er tastet i dem, tas med, og de "
                   "gamle tas vare på som sikkerhetskopi.")
def ny(unit_id, periode, katalog, register_file, mal, outdir, erstatt):
    """Lag målekort og tiltaksplan for en enhet fra malene."""
    catalogue = api.load_catalogue(katalog)
    register = api.load_register(register_file, required=True)
    targets = api.load_unit_targets(mal, catalogue=catalogue)
    files = api.new_scorecard(unit_id, periode, catalogue=catalogue, register=register,
                              targets=targets, outdir=outdir, replace=erstatt)
    for problem in files.not_placed:
        click.echo(str(problem), err=True)
    for backup in files.backups:
        click.echo(f"Sikkerhetskopi: {backup}")
    click.echo(f"Skrev {files.scorecard}")
    click.echo(f"Skrev {files.action_plan}")
    for note in files.carried:
        click.echo(note)
    click.echo(api.inputs_used(catalogue, register))
    click.echo(f"Oppsummering: 2 filer skrevet, "
               f"{count_word(len(files.not_placed), 'advarsel', 'advarsler')}, 0 feil.")


def _catalogue_option(func):
    return click.option("--katalog", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                        help="Indikatorkatalog. Ellers indikatorer.csv i mappen, ellers standard.")(func)


@main.command(context_settings=CONTEXT, options_metavar="[VALG]")
@click.argument("uttrekk", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("arbeidsboker", nargs=-1, required=True,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_catalogue_option
def fyll(uttrekk, arbeidsboker, katalog):
    """Fyll automatiske indikatorer fra UTTREKK inn i målekortene ARBEIDSBOKER.

    Bare cellene excelkort eier endres (Data, formelcellenes lagrede verdier, Periode, Logg);
    alt annet i filen er uendret. En kopi av hver endret fil legges i .excelkort/backup/
    ved siden av den. Å fylle samme uttrekk to ganger endrer ingenting.
    """
    catalogue = api.load_catalogue(katalog)
    with progress_bar("Fyller målekort", len(arbeidsboker)) as bar:
        report = api.fill(uttrekk, list(arbeidsboker), catalogue,
                          progress=lambda done, total: bar.update(1))
    for problem in report.warnings:
        click.echo(str(problem), err=True)
    for path, note in report.skipped:
        click.echo(f"Hoppet over: {note}", err=True)
    for path, reason in report.rejected:
        click.echo(f"Avvist: {reason}", err=True)
    click.echo(f"{report.rows_read} rader lest fra {uttrekk.name}.")
    click.echo(f"{count_word(len(report.changed), 'målekort', 'målekort')} oppdatert "
               f"({count_word(report.data_changes, 'datacelle', 'dataceller')} endret), "
               f"{len(report.unchanged)} uendret, {len(report.not_filled)} ikke fylt (ingen rader "
               f"for enheten og året), {len(report.skipped)} hoppet over, {len(report.rejected)} avvist.")
    if report.units_without_workbook:
        click.echo(f"{count_word(len(report.units_without_workbook), 'enhet', 'enheter')} i uttrekket "
                   "hadde ikke noe målekort i denne kjøringen.")
    click.echo(api.inputs_used(catalogue) + " Hvert målekort regnes med katalogen det ble laget med.")
    click.echo(f"Oppsummering: {count_word(len(report.changed), 'fil', 'filer')} skrevet, "
               f"{count_word(len(report.warnings), 'advarsel', 'advarsler')}, "
               f"{len(report.rejected)} feil.")
    if report.rejected or report.not_filled:
        sys.exit(EXIT_PARTIAL)


@main.command(context_settings=CONTEXT, options_metavar="[VALG]")
@click.argument("uttrekk", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--forrige", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Tidligere uttrekk (forrige måned, samme måned i fjor). Kan gis flere ganger.")
@click.option("--register", "register_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Enhetsregister. Ellers enheter.csv i mappen du står i.")
@click.option("-o", "--ut", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Kontrollarbeidsboken. Standard: kontroll_<periode>.xlsx ved siden av uttrekket.")
@_catalogue_option
def kontroll(uttrekk, forrige, register_file, output, katalog):
    """Fylkets kontroll av UTTREKK: denne måneden mot forrige måned og samme måned i fjor.

    Finner uteliggere (robust regel, se README), manglende og ukjente enheter og
    indikatorer, og duplikater, verst først. Skriver en arbeidsbok og en oppsummering.
    """
    catalogue = api.load_catalogue(katalog)
    register = api.load_register(register_file, required=True)
    result = api.control(uttrekk, list(forrige), catalogue, register, output)
    path = result.workbook
    for line in result.summary_lines():
        click.echo(line)
    counts = result.report.count_by_severity()
    click.echo(api.inputs_used(catalogue, register))
    click.echo(f"Oppsummering: 1 fil skrevet ({path}), "
               f"{count_word(counts.get('advarsel', 0), 'advarsel', 'advarsler')}, "
               f"{counts.get('feil', 0)} feil i uttrekket.")
    if counts.get("feil", 0):
        sys.exit(EXIT_PARTIAL)  # finished, but rows of the extract are rejected (listed)


@main.command(context_settings=CONTEXT, options_metavar="[VALG]")
@click.argument("mappe", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--register", "register_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Enhetsregister. Ellers enheter.csv i arbeidsmappen.")
@click.option("--periode", metavar="ÅÅÅÅ-MM",
              help="Perioden som konsolideres. Standard: den nyeste perioden i målekortene.")
@click.option("--prikk", type=int, metavar="N",
              help="Vis verdier med nevner under N som «:» i arkene Enheter og Rangering.")
@click.option("-o", "--ut", "outdir", type=click.Path(file_okay=False, path_type=Path),
              help="Mappen de konsoliderte målekortene skrives til. Standard: konsolidert/ i arbeidsmappen.")
@click.option("--mal", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Mål per enhet (enhet;indikator;mål). Ellers mål.csv i arbeidsmappen.")
@_catalogue_option
def konsolider(mappe, register_file, periode, prikk, outdir, mal, katalog):
    """Konsolider kontorenes målekort under MAPPE til hver fylkesenhet og nasjonalt.

    Leser alle målekort under MAPPE (også i undermapper, ikke sikkerhetskopier), summerer
    teller og nevner etter registeret som gjelder for perioden, og skriver
    OUT/<enhet>/målekort_<enhet>_<år>.xlsx med arkene Enheter, Rangering, Innlevering, Kilder
    og Kommentarer. Det fylket har skrevet inn (Risiko (vurdering), kommentarer) tas vare på.
    Skriver også månedens tall til historikk/målekort_<år>.parquet.
    """
    if prikk is not None and prikk < 1:
        raise InputError("--prikk må være et helt tall på minst 1.")
    with progress_bar("Leser målekort") as bar:
        def progress(done, total):
            bar.length = total
            bar.update(1)

        result = api.consolidate(mappe, register=register_file, catalogue=katalog, targets=mal,
                                 period=periode, prikk=prikk, outdir=outdir, progress=progress)
    for problem in result.warnings:
        click.echo(str(problem), err=True)
    for path, reason in result.rejected:
        click.echo(f"Avvist: {path}: {reason}", err=True)
    delivered = sum(1 for s in result.delivery.values() if s in ("levert", "sen"))
    click.echo(api.inputs_used(result.catalogue, result.register))
    click.echo(f"Periode {result.period}: {delivered} av {len(result.delivery)} kontor levert, "
               f"{len(result.missing)} mangler, {len(result.rejected)} avvist.")
    click.echo(f"{count_word(len(result.units), 'konsolidert målekort', 'konsoliderte målekort')} i "
               f"{result.outdir}: {len(result.written)} skrevet, {len(result.unchanged)} uendret.")
    if result.history is not None:
        click.echo(f"Historikk: {result.history}")
    click.echo(f"Oppsummering: {count_word(len(result.written), 'fil', 'filer')} skrevet, "
               f"{count_word(len(result.warnings), 'advarsel', 'advarsler')}, "
               f"{len(result.rejected)} feil.")
    if result.exit_code:
        sys.exit(result.exit_code)  # 3: finished, some inputs rejected (listed above)


@main.command(context_settings=CONTEXT, options_metavar="[VALG]")
@click.argument("malekort", metavar="MÅLEKORT", type=click.Path(exists=True, path_type=Path))
@click.argument("tiltaksplan", metavar="[TILTAKSPLAN]", required=False,
                type=click.Path(dir_okay=False, path_type=Path))
def tiltak(malekort, tiltaksplan):
    """Foreslå tiltak, finn forfalte tiltak og mål effekten i tiltaksplanen.

    Foreslår en rad for hver indikator som er rød eller har høy risiko i MÅLEKORT og som ikke
    har et åpent tiltak (Ikke startet eller Pågår), fyller Verdi ved start (én gang) og
    Verdi nå, og lister tiltak som har passert fristen. Det en person har skrevet endres
    aldri. TILTAKSPLAN er som standard tiltaksplan_<enhet>_<år>.xlsx ved siden av
    målekortet. Er MÅLEKORT en mappe, behandles alle målekort under den.
    """
    if malekort.is_dir():
        if tiltaksplan is not None:
            raise InputError("Gi ikke TILTAKSPLAN når MÅLEKORT er en mappe: hvert målekort bruker "
                             "tiltaksplanen ved siden av seg.")
        batch = api.plan_measures_all(malekort)
        results, rejected = batch.results, batch.rejected
        lines = batch.summary_lines(detail=True)
    else:
        result = api.plan_measures(malekort, tiltaksplan)
        results, rejected, lines = [result], [], result.summary_lines()
    for result in results:
        for problem in result.warnings:
            click.echo(str(problem), err=True)
    for path, reason in rejected:
        click.echo(f"Avvist: {reason}", err=True)
    for line in lines:
        click.echo(line)
    if rejected:
        sys.exit(EXIT_PARTIAL)


@main.command(context_settings=CONTEXT, options_metavar="[VALG]")
@click.argument("malekort", metavar="MÅLEKORT", required=False,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--alle", "folder", type=click.Path(file_okay=False, exists=True, path_type=Path),
              metavar="MAPPE", help="Lag en rapport for hvert målekort under MAPPE (kontor, fylke, nasjonalt).")
@click.option("--tiltaksplan", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Tiltaksplanen. Standard: tiltaksplan_<enhet>_<år>.xlsx ved siden av målekortet.")
@click.option("--linje", type=click.Choice(["statlig", "kommunal"]),
              help="Bare indikatorene for denne styringslinjen (og de felles).")
@click.option("--pptmal", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="En omformet kopi av malen templates/status.pptx.")
@click.option("-o", "--ut", "output", type=click.Path(path_type=Path),
              help="Rapportfilen (med --alle: mappen rapportene skrives til). "
                   "Standard: ved siden av målekortet.")
def rapport(malekort, folder, tiltaksplan, linje, pptmal, output):
    """Lag statusrapporten (PowerPoint) for MÅLEKORT, eller for alle målekort med --alle.

    Lysbildene: tittel, oversikt per perspektiv med leders kommentar, målekortet som tabell,
    ett lysbilde med graf per rød indikator eller indikator med høy risiko, åpne og forfalte
    tiltak, og for fylke og nasjonalt enhetene side om side og rangeringen. Skriver
    statusrapport_<enhet>_<periode>.pptx ved siden av målekortet.
    """
    if (malekort is None) == (folder is None):
        raise InputError("Oppgi enten ett MÅLEKORT eller --alle MAPPE.")
    if folder is not None:
        if tiltaksplan is not None:
            raise InputError("--tiltaksplan gjelder ett målekort; med --alle brukes tiltaksplanen "
                             "ved siden av hvert målekort.")
        with progress_bar("Lager statusrapporter") as bar:
            def progress(done, total):
                bar.length = total
                bar.update(1)

            batch = api.report_all(folder, output, progress, line=linje, template=pptmal)
        for path, note in batch.skipped:
            click.echo(f"Hoppet over: {note}", err=True)
        for path, reason in batch.rejected:
            click.echo(f"Avvist: {path}: {reason}", err=True)
        warnings = sum(len(d.warnings) for d in batch.decks)
        click.echo(f"{count_word(len(batch.decks), 'statusrapport', 'statusrapporter')} laget: "
                   f"{len(batch.written)} skrevet, {len(batch.unchanged)} uendret, "
                   f"{len(batch.skipped)} hoppet over, {len(batch.rejected)} avvist.")
        click.echo(f"Oppsummering: {count_word(len(batch.written), 'fil', 'filer')} skrevet, "
                   f"{count_word(warnings, 'advarsel', 'advarsler')}, {len(batch.rejected)} feil.")
        if batch.exit_code:
            sys.exit(batch.exit_code)  # 3: finished, some målekort rejected (listed above)
        return
    result = api.report(malekort, tiltaksplan, linje, output, template=pptmal)
    for problem in result.warnings:
        click.echo(str(problem), err=True)
    state = "Skrev" if result.written else "Uendret:"
    click.echo(f"{state} {result.path} ({result.slides} lysbilder, {result.unit_id} {result.period})")
    click.echo(f"Oppsummering: {count_word(int(result.written), 'fil', 'filer')} skrevet, "
               f"{count_word(len(result.warnings), 'advarsel', 'advarsler')}, 0 feil.")


@main.command(context_settings=CONTEXT, options_metavar="[VALG]")
@click.argument("filer", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--register", "register_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Enhetsregister: uttrekkets enheter sjekkes mot det. Ellers enheter.csv i mappen, "
                   "ellers sjekkes ikke enhetene.")
@_catalogue_option
def sjekk(filer, register_file, katalog):
    """Kontroller målekort, uttrekk, kataloger og registre. Endrer ingenting.

    Avslutter med 0 når det bare er advarsler, 2 når noe er feil.
    """
    catalogue = api.load_catalogue(katalog)
    register = api.load_register(register_file)
    errors = warnings = 0
    for path, result in zip(filer, api.validate(filer, catalogue, register)):
        status = ("feil" if result.errors else "advarsler" if result.problems else
                  "ok" if result.checked else "skrevet av excelkort, ikke noe å sjekke")
        click.echo(f"{path} ({result.kind_label}): {status}")
        for problem in collapse_repeated(result.problems):
            click.echo(f"  {'Feil: ' if problem.is_error else ''}{problem}")
        errors += len(result.errors)
        warnings += len(result.problems) - len(result.errors)
    used = api.inputs_used(catalogue, register)
    click.echo(used if register is not None else
               used[:-1] + "; uten enhetsregister (uttrekkets enheter sjekkes ikke mot et register).")
    click.echo(f"Oppsummering: {count_word(len(filer), 'fil', 'filer')} sjekket, "
               f"{count_word(warnings, 'advarsel', 'advarsler')}, {errors} feil.")
    if errors:
        sys.exit(EXIT_INPUT)


@main.command(context_settings=CONTEXT, options_metavar="[VALG]")
@click.argument("fil", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--liste", is_flag=True, help="Vis sikkerhetskopiene (tidspunkt, Periode, størrelse); endrer ingenting.")
@click.option("--nr", type=int, metavar="N", help="Legg tilbake sikkerhetskopi nr. N i «--liste» (1 er den nyeste).")
@click.option("--fra", "at", metavar="TIDSPUNKT",
              help="Legg tilbake den nyeste sikkerhetskopien tatt på eller før TIDSPUNKT (ÅÅÅÅ-MM-DD TT:MM[:SS]).")
def gjenopprett(fil, liste, nr, at):
    """Legg tilbake en sikkerhetskopi av FIL som excelkort endret (uten valg: den nyeste).

    Filen slik den er nå tas også vare på som sikkerhetskopi.
    """
    if liste:
        found = api.backups(fil)
        if not found:
            click.echo(f"{fil}: ingen sikkerhetskopier.")
            return
        click.echo(f"Sikkerhetskopier av {fil}, nyeste først:")
        click.echo(f"  {'Nr':>3}  {'Tidspunkt':<19}  {'Periode':<7}  Størrelse")
        for b in found:
            click.echo(f"  {b.nr:>3}  {b.when}  {b.period or '–':<7}  {b.size_text}")
        click.echo("Legg tilbake én med «excelkort gjenopprett FIL --nr N» eller «--fra TIDSPUNKT».")
        return
    if nr is not None and at is not None:
        raise click.UsageError("Bruk enten --nr eller --fra, ikke begge.")
    if nr is not None and nr < 1:
        raise click.UsageError(f"--nr {nr} finnes ikke: nr. 1 er den nyeste sikkerhetskopien (se --liste).")
    result = api.restore(fil, nr=nr, at=at)
    click.echo(f"La tilbake {result.restored.description}; filen slik den var er lagret som "
               f"{result.kept.name}.")
    click.echo("Oppsummering: 1 fil skrevet, 0 advarsler, 0 feil.")


class _NoBar:
    """A progress bar that shows nothing (stderr is no terminal: a log or a script reads it)."""

    def __init__(self, length: int):
        self.length, self.pos = length, 0

    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, steps: int) -> None:
        self.pos += steps


def progress_bar(label: str, length: int = 1):
    """A progress bar on stderr when it is a terminal; nothing shown otherwise (a cron job's log
    or a script's stderr gets no bar and no stray label line)."""
    if not sys.stderr.isatty():
        return _NoBar(length)
    return click.progressbar(length=length, label=label, file=sys.stderr)


class _StepBars:
    """One progress bar per long step of ``syklus``, opened when the step reports."""

    def __init__(self):
        self.name, self.bar = None, None

    def __call__(self, name: str, done: int, total: int) -> None:
        if name != self.name:
            self.close()
            self.name = name
            self.bar = progress_bar(f"{name:<11}", total)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command(context_settings=CONTEXT, options_metavar="[VALG]")
@click.argument("mappe", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--periode", required=True, metavar="ÅÅÅÅ-MM", help="Måneden som kjøres (ÅÅÅÅ-MM).")
@click.option("--fortsett", is_flag=True,
              help="Fyll og gå videre selv om kontrollen finner feil i uttrekket.")
@click.option("--json", "as_json", is_flag=True,
              help="Skriv oppsummeringen som JSON (for skript og jobbplanleggere).")
def syklus(mappe, periode, fortsett, as_json):
    """Kjør månedens steg i arbeidsmappen MAPPE: kontroll → fyll → konsolider → tiltak → rapport.

    Stopper før fyll når kontrollen finner feil i uttrekket (uttrekk/uttrekk_<periode>.csv),
    med mindre --fortsett er gitt. En ny kjøring med de samme filene endrer ingen fil.
    """
    bars = _StepBars()
    try:
        result = api.cycle(mappe, periode, proceed=fortsett, progress=None if as_json else bars)
    finally:
        bars.close()
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        for line in _cycle_lines(result):
            click.echo(line)
    if result.exit_code:
        sys.exit(result.exit_code)


def _cycle_lines(result) -> list[str]:
    """The cycle's one summary: each step, the check's worst findings, who has not delivered."""
    lines = [f"Syklus for {result.period} i {result.folder}:"]
    for i, step in enumerate(result.steps, 1):
        lines.append(f"  {i}. {step.name} ({step.seconds:.1f} s): {step.lines[0] if step.lines else ''} – "
                     f"{count_word(len(step.files), 'fil', 'filer')} skrevet")
        lines += [f"     {line}" for line in step.lines[1:] if line.startswith("Avvist")]
    if result.stopped:
        lines.append(result.stopped)
    if result.worst:
        lines.append("Kontrollens verste funn:")
        lines += [f"  {line.strip()}" for line in result.worst]
    if result.not_delivered:
        shown = result.not_delivered[:10]
        more = len(result.not_delivered) - len(shown)
        lines.append(f"Ikke levert eller avvist i konsolideringen ({len(result.not_delivered)}): "
                     + ", ".join(shown) + (f" og {more} til" if more > 0 else "") + ".")
    lines.append("Se kontroll/, konsolidert/ (arket Innlevering), kontor/*/tiltaksplan_*.xlsx og rapporter/.")
    warnings = sum(s.warnings for s in result.steps)
    errors = sum(s.errors for s in result.steps)
    lines.append(f"Oppsummering: {count_word(len(result.files), 'fil', 'filer')} skrevet, "
                 f"{count_word(warnings, 'advarsel', 'advarsler')}, {errors} feil.")
    return lines


if __name__ == "__main__":  # pragma: no cover
    main()
