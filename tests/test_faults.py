"""Nothing lost under faults (issue 14): readers that never crash, one bad file never stops a
batch, two runs at once never interleave. Every odd workbook is built here by editing the
members of a good målekort."""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from excelkort.cli import main
from excelkort.errors import InputError
from excelkort.inputs.catalogue import default_catalogue
from excelkort.inputs.extract import write_extract_csv
from excelkort.inputs.register import demo_register
from excelkort.scorecard import layout as L
from excelkort.steps.synth import generate_year
from excelkort.steps.synth_forms import extract_rows
from excelkort.xlsx.package import open_package
from scorecard_files import office_files

CATALOGUE = default_catalogue()
PERIOD = "2026-10"
AGAIN = "Åpne filen i Excel og lagre den på nytt."


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """One office's målekort (typed local values) and the month's extract."""
    files = office_files(tmp_path_factory.mktemp("office"))
    return {"workbook": files["workbook"], "extract": files["extracts"][PERIOD]}


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def _mutated(src: Path, folder: Path, sheet: str, change) -> Path:
    """A copy of ``src`` in ``folder`` whose ``sheet`` part is ``change(xml)``."""
    folder.mkdir(parents=True, exist_ok=True)
    member = open_package(src).sheet_member(sheet)
    members = _members(src)
    members[member] = change(members[member])
    dst = folder / src.name
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return dst


def _utf16(xml: bytes) -> bytes:
    return xml.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")


def _string_index_past_the_end(xml: bytes) -> bytes:
    return re.sub(rb'(<c r="[A-Z]+[0-9]+"[^>]*t="s"[^>]*><v>)[0-9]+', rb"\g<1>99999", xml, count=1)


def _far_cell(ref: str):
    row = re.sub("[A-Z]", "", ref)
    return lambda xml: xml.replace(b"</sheetData>",
                                   f'<row r="{row}"><c r="{ref}"><v>1</v></c></row></sheetData>'.encode())


CASES = {
    "utf16_sheet": (L.SCORECARD_SHEET, _utf16,
                    "ark «Målekort»: Arket kan ikke leses (XmlError: cannot decode input using "
                    f"UTF-8: invalid utf-8 sequence of 1 bytes from index 25). {AGAIN}"),
    "shared_string_past_the_end": (
        L.SCORECARD_SHEET, _string_index_past_the_end,
        "ark «Målekort»: Arket kan ikke leses (CalamineError: Cell string index not found in shared "
        f"strings table). {AGAIN}"),
    "far_cell_in_data": (
        L.DATA_SHEET, _far_cell("XFD1048576"),
        "ark «Data», celle XFD1048576: Arket har innhold langt utenfor det en arbeidsbok fra "
        "excelkort kan ha (høyst 5 000 rader og 300 kolonner). Slett radene og kolonnene utenfor "
        "tabellen og lagre filen på nytt."),
    "far_cell_in_scorecard": (
        L.SCORECARD_SHEET, _far_cell("CI1048576"),
        "ark «Målekort», celle CI1048576: Arket har innhold langt utenfor det en arbeidsbok fra "
        "excelkort kan ha (høyst 5 000 rader og 300 kolonner). Slett radene og kolonnene utenfor "
        "tabellen og lagre filen på nytt."),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_unreadable_sheet_is_one_message_and_exit_2(case, office, tmp_path):
    sheet, change, message = CASES[case]
    path = _mutated(office["workbook"], tmp_path, sheet, change)
    result = CliRunner().invoke(main, ["sjekk", str(path)])
    assert result.exit_code == 2, result.output
    assert f"  Feil: {path.name}, {message}" in result.output.splitlines()
    assert "Traceback" not in result.output and "Intern feil" not in result.output


def test_empty_styled_cells_far_away_are_harmless(office, tmp_path):
    """Formatting a whole column in Excel writes empty styled cells: they hold nothing."""
    path = _mutated(office["workbook"], tmp_path, L.DATA_SHEET, lambda xml: xml.replace(
        b"</sheetData>", b'<row r="900000"><c r="XFD900000" s="1"/></row></sheetData>'))
    result = CliRunner().invoke(main, ["sjekk", str(path)])
    assert result.exit_code == 0, result.output


def test_one_bad_workbook_is_listed_and_the_rest_filled(office, tmp_path):
    bad = _mutated(office["workbook"], tmp_path / "a", L.SCORECARD_SHEET, _utf16)
    (tmp_path / "b").mkdir()
    good = Path(shutil.copy2(office["workbook"], tmp_path / "b"))
    before = bad.read_bytes()
    result = CliRunner().invoke(main, ["fyll", str(office["extract"]), str(bad), str(good)])
    assert result.exit_code == 3, result.output
    assert (f"{bad.name}, {CASES['utf16_sheet'][2]}") in result.output
    assert bad.read_bytes() == before
    assert good.read_bytes() != office["workbook"].read_bytes()


class Boom(RuntimeError):
    pass


def _boom_for(first: Path, real):
    """``real``, except that it raises an unexpected error for ``first``."""
    def call(path, *args, **kwargs):
        if Path(path) == first:
            raise Boom("noe uventet")
        return real(path, *args, **kwargs)
    return call


def test_an_unexpected_error_in_fyll_rejects_that_file_only(office, tmp_path, monkeypatch):
    import excelkort.steps.fill as fill

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = Path(shutil.copy2(office["workbook"], tmp_path / "a"))
    second = Path(shutil.copy2(office["workbook"], tmp_path / "b"))
    monkeypatch.setattr(fill, "read_scorecard", _boom_for(first, fill.read_scorecard))
    report = fill.fill_workbooks(office["extract"], [first, second], CATALOGUE,
                                 now=dt.datetime(2026, 11, 5, 8, 30))
    assert report.rejected == [(first, f"{first.name}: Intern feil ved fylling (Boom: noe uventet); "
                                       "filen er ikke endret. Meld fra til den som drifter excelkort.")]
    assert report.changed == [second]


def test_an_unexpected_error_in_tiltak_rejects_that_file_only(office, tmp_path, monkeypatch):
    import excelkort.steps.plan_measures as pm

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        shutil.copy2(office["workbook"], tmp_path / name)
    first = tmp_path / "a" / office["workbook"].name
    monkeypatch.setattr(pm, "plan_measures", _boom_for(first, pm.plan_measures))
    batch = pm.plan_measures_all(tmp_path, today=dt.date(2026, 11, 5))
    assert batch.rejected == [(first, f"{first.name}: Intern feil i tiltak (Boom: noe uventet); "
                                      "tiltaksplanen er ikke endret. Meld fra til den som drifter "
                                      "excelkort.")]
    assert len(batch.results) == 1 and batch.exit_code == 3


def test_an_unexpected_error_in_konsolider_rejects_that_file_only(office, tmp_path, monkeypatch):
    import excelkort.steps.consolidate_read as cr

    first = Path(shutil.copy2(office["workbook"], tmp_path))
    monkeypatch.setattr(cr, "read_scorecard", _boom_for(first, cr.read_scorecard))
    out = cr.read_office(first, CATALOGUE)
    assert out.rejected == (f"{first.name}: Intern feil ved lesing (Boom: noe uventet); filen er ikke "
                            "endret. Meld fra til den som drifter excelkort.")


def test_an_unexpected_error_in_rapport_rejects_that_file_only(office, tmp_path, monkeypatch):
    import excelkort.report.run as run

    first = Path(shutil.copy2(office["workbook"], tmp_path))
    monkeypatch.setattr(run, "make_report", _boom_for(first, run.make_report))
    assert run._one(first) == (first, None, f"{first.name}: Intern feil i rapport (Boom: noe "
                                            "uventet); filen er ikke endret. Meld fra til den som "
                                            "drifter excelkort.", None)


# ---- two runs at once ------------------------------------------------------------------------
HOLD = """
import sys, time
from excelkort.runlock import folder_lock
with folder_lock(sys.argv[1], "fyll"):
    print("holder", flush=True)
    time.sleep(60)
"""


def _logged_sources(path: Path) -> set[str]:
    from python_calamine import CalamineWorkbook
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(L.LOG_SHEET).to_python()
    return {str(cell) for row in rows for cell in row if str(cell).startswith("uttrekk_")}


@contextmanager
def _holding(monkeypatch, *args, script: str = HOLD):
    """A run in another process holding the folder of ``args`` until the block ends; a second
    run waits for it only 0.3 s."""
    import excelkort.runlock as runlock

    holder = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "holder"
        monkeypatch.setattr(runlock, "WAIT_SECONDS", 0.3)
        yield holder
    finally:
        holder.kill()  # a killed holder leaves no lock behind: the OS releases a flock
        holder.wait()


def test_a_second_run_refuses_while_the_first_holds_the_folder(office, tmp_path, monkeypatch):
    wb = Path(shutil.copy2(office["workbook"], tmp_path))
    before = wb.read_bytes()
    with _holding(monkeypatch, tmp_path) as holder:
        started = (tmp_path / ".excelkort" / "kjoring.lock").read_text().split("\t")[1]
        result = CliRunner().invoke(main, ["fyll", str(office["extract"]), str(wb)])
        assert result.exit_code == 2, result.output
        assert (f"Feil: {tmp_path.name}: En annen excelkort-kjøring holder på i denne mappen (startet kl. {started} "
                f"av prosess {holder.pid}, excelkort fyll). Vent til den er ferdig, og kjør på nytt."
                ) in result.output.splitlines()
        assert wb.read_bytes() == before
    result = CliRunner().invoke(main, ["fyll", str(office["extract"]), str(wb)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", ["ny", "kontroll"])
def test_ny_and_kontroll_refuse_while_a_run_holds_the_folder(command, office, tmp_path, monkeypatch):
    """``ny`` and ``kontroll`` write into a work folder too: never beside a run that writes it."""
    from excelkort.inputs.register import write_register_csv

    register = tmp_path / "enheter.csv"
    write_register_csv(demo_register(), register)
    extract = Path(shutil.copy2(office["extract"], tmp_path))
    args = {"ny": ["ny", "--enhet", "0101", "--periode", PERIOD, "--ut", str(tmp_path / "kontor")],
            "kontroll": ["kontroll", str(extract)]}[command] + ["--register", str(register)]
    with _holding(monkeypatch, tmp_path):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert f"Feil: {tmp_path.name}: En annen excelkort-kjøring holder på i denne mappen" in result.output
        assert sorted(p.name for p in tmp_path.rglob("*.xlsx")) == []
    assert CliRunner().invoke(main, args).exit_code in (0, 3)


HOLD_FILES = HOLD.replace("folder_lock(sys.argv[1]", "folders_lock(folders_of(sys.argv[1:])").replace(
    "import folder_lock", "import folders_lock, folders_of")


def test_a_run_on_a_symlinks_target_waits_for_a_run_through_the_symlink(office, tmp_path, monkeypatch):
    """A symlinked workbook is written where its target lives: a run given the symlink holds
    the target's folder too, so a run given the target itself waits."""
    (tmp_path / "ekte").mkdir()
    (tmp_path / "lenker").mkdir()
    real = Path(shutil.copy2(office["workbook"], tmp_path / "ekte"))
    link = tmp_path / "lenker" / real.name
    link.symlink_to(real)
    before = real.read_bytes()
    with _holding(monkeypatch, link, script=HOLD_FILES):
        result = CliRunner().invoke(main, ["fyll", str(office["extract"]), str(real)])
        assert result.exit_code == 2, result.output
        assert "Feil: ekte: En annen excelkort-kjøring holder på i denne mappen" in result.output
        assert real.read_bytes() == before


def test_a_run_on_an_outer_folder_waits_for_a_run_inside_it(tmp_path, monkeypatch):
    """A run inside the folder started first, before the folder had a lock file: a run on the
    whole folder (here ``ny`` writing into it) waits for it all the same, then refuses."""
    from excelkort.inputs.register import write_register_csv

    register = tmp_path / "enheter.csv"
    write_register_csv(demo_register(), register)
    inner = tmp_path / "kontor" / "0101"
    inner.mkdir(parents=True)
    args = ["ny", "--enhet", "0101", "--periode", PERIOD, "--ut", str(tmp_path), "--register", str(register)]
    with _holding(monkeypatch, inner) as holder:
        started = (inner / ".excelkort" / "kjoring.lock").read_text().split("\t")[1]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert (f"Feil: 0101: En annen excelkort-kjøring holder på i denne mappen (startet kl. {started} "
                f"av prosess {holder.pid}, excelkort fyll). Vent til den er ferdig, og kjør på nytt."
                ) in result.output.splitlines()
        assert sorted(tmp_path.rglob("*.xlsx")) == []
    assert CliRunner().invoke(main, args).exit_code == 0


def test_a_run_inside_a_folder_queues_behind_a_run_on_the_folder_started_meanwhile(tmp_path, monkeypatch):
    """A run on the whole folder that starts while a run inside it is taking its lock (and so
    may not see it) is waited for by the run inside, not run beside."""
    import excelkort.runlock as runlock

    inner = tmp_path / "kontor" / "0101"
    inner.mkdir(parents=True)
    acquire, outer = runlock._acquire, []
    with ExitStack() as stack:
        def outer_starts_meanwhile(path, mode, deadline, folder):
            if folder == inner and not outer:  # the run inside has looked above, and not yet locked
                outer.append(stack.enter_context(_holding(monkeypatch, tmp_path)))
            return acquire(path, mode, deadline, folder)

        monkeypatch.setattr(runlock, "_acquire", outer_starts_meanwhile)
        with pytest.raises(InputError) as refused:
            with runlock.folder_lock(inner, "fyll", wait=0.3):
                pass
        started = (tmp_path / ".excelkort" / "kjoring.lock").read_text().split("\t")[1]
        assert str(refused.value) == (
            f"{tmp_path.name}: En annen excelkort-kjøring holder på i denne mappen (startet kl. {started} av "
            f"prosess {outer[0].pid}, excelkort fyll). Vent til den er ferdig, og kjør på nytt.")
    with runlock.folder_lock(inner, "fyll", wait=0.3):
        pass


FILLING = """
import sys, time
from excelkort import api
from excelkort.steps import fill
def read_extract_and_hold(*args):
    print("holder", flush=True)
    time.sleep(60)
fill.read_extract = read_extract_and_hold
api.fill(sys.argv[1], sys.argv[2:])
"""


def test_fyll_holds_its_workbooks_folders_not_their_common_folder(office, tmp_path, monkeypatch):
    """``fyll`` on two offices' målekort holds those two folders: a run on a third office beside
    them goes ahead, and no lock is made in the folder they share."""
    offices = [tmp_path / "kontor" / unit for unit in ("0101", "0102", "0103")]
    workbooks = []
    for folder in offices:
        folder.mkdir(parents=True)
        workbooks.append(Path(shutil.copy2(office["workbook"], folder)))
    with _holding(monkeypatch, office["extract"], *workbooks[:2], script=FILLING):
        result = CliRunner().invoke(main, ["fyll", str(office["extract"]), str(workbooks[2])])
        assert result.exit_code == 0, result.output
        assert not (tmp_path / "kontor" / ".excelkort").exists()
        result = CliRunner().invoke(main, ["fyll", str(office["extract"]), str(workbooks[1])])
        assert result.exit_code == 2, result.output
        assert "Feil: 0102: En annen excelkort-kjøring holder på i denne mappen" in result.output


def test_fyll_and_gjenopprett_on_a_symlink_hold_its_folder_and_its_targets_not_the_one_above(
        office, tmp_path):
    """A symlinked workbook's backups go beside the link and the write where the target is:
    those two folders are held, not the folder holding both (which could be the home folder)."""
    (tmp_path / "ekte").mkdir()
    (tmp_path / "lenker").mkdir()
    real = Path(shutil.copy2(office["workbook"], tmp_path / "ekte"))
    link = tmp_path / "lenker" / real.name
    link.symlink_to(real)
    assert CliRunner().invoke(main, ["fyll", str(office["extract"]), str(link)]).exit_code == 0
    assert CliRunner().invoke(main, ["gjenopprett", str(link)]).exit_code == 0
    assert sorted(p.parent.parent.name for p in tmp_path.rglob("kjoring.lock")) == ["ekte", "lenker"]


def test_gjenopprett_waits_for_a_run_in_the_folder(office, tmp_path, monkeypatch):
    """Putting back a backup while a run writes the folder would lose one of the two."""
    wb = Path(shutil.copy2(office["workbook"], tmp_path))
    assert CliRunner().invoke(main, ["fyll", str(office["extract"]), str(wb)]).exit_code == 0
    before = wb.read_bytes()
    with _holding(monkeypatch, tmp_path):
        result = CliRunner().invoke(main, ["gjenopprett", str(wb)])
        assert result.exit_code == 2, result.output
        assert "En annen excelkort-kjøring holder på i denne mappen" in result.output
        assert wb.read_bytes() == before
    assert CliRunner().invoke(main, ["gjenopprett", str(wb)]).exit_code == 0


def test_two_fills_at_once_lose_no_update(office, tmp_path):
    """Two `fyll` runs on the same 24 new workbooks, started together, the second with a
    corrected P1: every workbook's Logg has both runs' rows (one waited for the other; had they
    interleaved, the later rename would have thrown the earlier run's work away)."""
    rows = extract_rows(generate_year(CATALOGUE, [demo_register().tree(PERIOD).offices()[0]], 2026),
                        CATALOGUE, PERIOD)
    target = next(r for r in rows if r["indikator"] == "P1" and r["periode"] == PERIOD)
    target["teller"] -= 3
    other = tmp_path / "uttrekk_2026-10_rettet.csv"
    write_extract_csv(rows, other)
    folder = tmp_path / "kontor"
    workbooks = []
    for i in range(24):
        (folder / f"k{i:02d}").mkdir(parents=True)
        workbooks.append(Path(shutil.copy2(office["workbook"], folder / f"k{i:02d}")))
    runs = [subprocess.Popen([sys.executable, "-m", "excelkort.cli", "fyll", str(extract),
                              *map(str, workbooks)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
            for extract in (office["extract"], other)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert [wb for wb in workbooks if _logged_sources(wb) != {office["extract"].name, other.name}] == []


# ---- a killed run ----------------------------------------------------------------------------
# (a run killed at random moments, and its pool workers: tests/test_kill.py)
def test_a_killed_runs_temp_files_are_removed_by_the_next_run(office, tmp_path):
    """A temp file names the process writing it: one whose process has ended goes at once (a
    re-run right after a kill leaves none), one of a live process stays, and one without a
    process id goes when it is a minute old. The backups' temp files are named the same way."""
    wb = Path(shutil.copy2(office["workbook"], tmp_path))
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / ".excelkort" / "backup").mkdir(parents=True)
    stale, fresh = tmp_path / ".~excelkort-k1ll3d.xlsx", tmp_path / ".~excelkort-wr1t1ng.xlsx"
    killed = tmp_path / f".~excelkort-{ended}-a1b2c3.xlsx"
    killed_backup = tmp_path / ".excelkort" / "backup" / f".~excelkort-{ended}-{wb.name}"
    writing = tmp_path / f".~excelkort-{os.getpid()}-d4e5f6.xlsx"
    for tmp in (stale, fresh, killed, killed_backup, writing):
        tmp.write_bytes(b"half a workbook")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    result = CliRunner().invoke(main, ["fyll", str(office["extract"]), str(wb)])
    assert result.exit_code == 0, result.output
    assert [t.exists() for t in (stale, fresh, killed, killed_backup, writing)] == [
        False, True, False, False, True]


def test_an_extract_workbook_with_a_far_cell_is_refused_before_it_is_read(tmp_path):
    import openpyxl
    from excelkort.errors import InputError
    from excelkort.inputs.extract_files import read_table

    wb = openpyxl.Workbook()
    wb.active.append(["enhet", "periode", "indikator", "teller", "nevner"])
    wb.active.append(["0101", "2026-10", "B1", 5, 10])
    wb.active["XFD1048576"] = 1
    path = tmp_path / "uttrekk.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert str(caught.value) == (
        "uttrekk.xlsx, celle XFD1048576: Arket har innhold langt utenfor det et uttrekk kan ha "
        "(høyst 1 048 576 rader og 60 kolonner). Slett radene og kolonnene utenfor tabellen og "
        "lagre filen på nytt.")


# -- text that would turn into a formula (issue 14, point 11) ----------------------------------
FORMULA_NAME = "=1+2.csv"


def test_formula_like_text_in_the_control_workbook_keeps_a_quote_prefix(office, tmp_path):
    import openpyxl
    from excelkort.inputs.register import write_register_csv

    lines = office["extract"].read_text(encoding="utf-8-sig").splitlines()
    k = next(i for i, line in enumerate(lines) if f";{PERIOD};" in line)
    assert lines[0].endswith(";merknad") and lines[k].endswith(";")
    lines[k] += "'=SUM(1,2)"  # a merknad as write_extract_csv escapes it
    extract = tmp_path / FORMULA_NAME
    extract.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_register_csv(demo_register(), tmp_path / "enheter.csv")
    out = tmp_path / "kontroll.xlsx"
    result = CliRunner().invoke(main, ["kontroll", str(extract), "--register",
                                       str(tmp_path / "enheter.csv"), "-o", str(out)])
    assert result.exit_code in (0, 3), result.output
    wb = openpyxl.load_workbook(out)
    formula_like = [c for ws in wb for row in ws.iter_rows() for c in row
                    if isinstance(c.value, str) and c.value and c.value[0] in "=+-@"]
    assert {c.value for c in formula_like} >= {FORMULA_NAME, "=SUM(1,2)"}
    assert all(c.quotePrefix for c in formula_like), [
        (c.parent.title, c.coordinate, c.value) for c in formula_like if not c.quotePrefix]


def test_formula_like_text_in_a_logg_row_gets_an_apostrophe(office, tmp_path):
    from excelkort.scorecard.reader import read_log

    shutil.copy2(office["extract"], tmp_path / FORMULA_NAME)
    workbook = Path(shutil.copy2(office["workbook"], tmp_path / office["workbook"].name))
    result = CliRunner().invoke(main, ["fyll", str(tmp_path / FORMULA_NAME), str(workbook)])
    assert result.exit_code == 0, result.output
    sources = {row[6] for row in read_log(workbook) if len(row) > 6}
    assert sources == {"'" + FORMULA_NAME}


def test_a_folder_held_from_below_is_said_so_not_by_a_finished_runs_name(tmp_path, monkeypatch):
    """A finished run left its name in the folder's lock file; a run below now holds the folder
    (shared): the message says a run above or below holds it, not the finished one."""
    from excelkort.runlock import folder_lock

    inner = tmp_path / "kontor" / "0101"
    inner.mkdir(parents=True)
    with folder_lock(tmp_path, "syklus"):
        pass  # the lock file now names this process's finished run
    with _holding(monkeypatch, inner):
        with pytest.raises(InputError) as exc:
            with folder_lock(tmp_path, "syklus"):
                pass
    assert str(exc.value.problems[0]) == (
        f"{tmp_path.name}: En annen excelkort-kjøring holder på i denne mappen (fra en mappe over "
        "eller under den). Vent til den er ferdig, og kjør på nytt.")


def test_a_lock_file_this_user_may_not_write_still_locks(office, tmp_path, monkeypatch):
    """Another user's run made the lock file (mode 644): it is opened read-only and locked all
    the same, so this run still waits for a run holding the folder."""
    import excelkort.runlock as runlock

    real_open = os.open

    def other_users_file(path, flags, *mode):
        if str(path).endswith("kjoring.lock") and flags & os.O_RDWR:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *mode)

    wb = Path(shutil.copy2(office["workbook"], tmp_path))
    with _holding(monkeypatch, tmp_path):
        monkeypatch.setattr(runlock.os, "open", other_users_file)
        result = CliRunner().invoke(main, ["fyll", str(office["extract"]), str(wb)])
        assert result.exit_code == 2, result.output
        assert "En annen excelkort-kjøring holder på i denne mappen" in result.output


def test_many_folders_are_held_by_their_common_folder(tmp_path):
    """Each held folder keeps a file open; ``fyll`` on a county's hundred offices holds their
    common folder instead (a process may open only some hundred files)."""
    from excelkort.runlock import MAX_APART, folders_lock

    few = [tmp_path / "fylke" / f"{i:04d}" for i in range(MAX_APART)]
    many = few + [tmp_path / "fylke" / "9999"]
    for folder in many:
        folder.mkdir(parents=True)
    with folders_lock(few, "fyll"):
        assert not (tmp_path / "fylke" / ".excelkort").exists()
        assert all((f / ".excelkort" / "kjoring.lock").is_file() for f in few)
    with folders_lock(many, "fyll"):
        assert (tmp_path / "fylke" / ".excelkort" / "kjoring.lock").is_file()
        assert not (many[-1] / ".excelkort").exists()
