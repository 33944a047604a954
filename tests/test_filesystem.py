"""Files as users have them (issue 14, point 8): symlinks, owner and mode, read-only files and
folders, a full disk. Every command that writes turns an OS error into one Norwegian message
naming the file, rejects that file (exit 3 in a batch, exit 2 for one file) and never leaves a
half-written file. Tests run as root in CI, and root may write anything: a read-only file is
recognised by its mode bits, and a read-only folder is simulated where chmod does not bite."""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from excelkort.cli import main
from excelkort.inputs.extract import write_extract_csv
from excelkort.inputs.register import load_register
from excelkort.steps.synth import generate_year
from excelkort.steps.synth_forms import extract_rows
from scorecard_files import CATALOGUE, office_files
from test_consolidate import PERIOD, make_work_folder

NEW = "Filen ble ikke laget."
READ_ONLY = ("Filen er skrivebeskyttet og ble ikke endret. Fjern skrivebeskyttelsen eller kopier "
             "filen, og kjør igjen.")


def disk_full(folder, state="Filen er ikke endret.", what="filen") -> str:
    return (f"Disken er full: det er ikke plass til å skrive {what} i {folder}. {state} Frigjør "
            "plass, og kjør igjen.")


def no_access(folder, what="filen", state="Filen er ikke endret.") -> str:
    return (f"Mangler skrivetilgang til mappen {folder}, så {what} kunne ikke skrives. {state} Be "
            "om skrivetilgang, eller kopier filen til en mappe du kan skrive i, og kjør igjen.")


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    files = office_files(tmp_path_factory.mktemp("office"))
    return {"workbook": files["workbook"], "extract": files["extracts"][PERIOD]}


def _copies(office, folder: Path, *names: str) -> list[Path]:
    """The office's målekort copied into ``folder/<name>/`` for each name."""
    out = []
    for name in names:
        (folder / name).mkdir(parents=True)
        out.append(Path(shutil.copy2(office["workbook"], folder / name)))
    return out


def _fill(office, *workbooks):
    return CliRunner().invoke(main, ["fyll", str(office["extract"]), *map(str, workbooks)])


def _temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".~*") if p.is_file()]


def _disk_full_after(monkeypatch, room: int) -> None:
    """The disk fills up: ``room`` more files can be written (synced), then every write fails."""
    real = os.fsync
    left = [room]

    def fsync(fd):
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        left[0] -= 1
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def _read_only_folder(monkeypatch, folder: Path) -> None:
    """``folder`` as a folder the user may not write in: chmod 555, and for root (who may write
    anyway) the calls that create files there refuse as the system would."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    if os.geteuid() != 0:
        return
    here = folder.resolve()

    def refusing(real, where):
        def call(*args, **kwargs):
            target = where(*args, **kwargs)
            if target is not None and Path(target).resolve() == here:
                raise PermissionError(errno.EACCES, "Permission denied", str(target))
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(tempfile, "mkstemp", refusing(tempfile.mkstemp, lambda *a, dir=None, **k: dir))
    monkeypatch.setattr(os, "link", refusing(os.link, lambda src, dst, **k: Path(dst).parent))
    monkeypatch.setattr(shutil, "copy2", refusing(shutil.copy2, lambda src, dst, **k: Path(dst).parent))


# ---- symlinks -------------------------------------------------------------------------------
def test_a_symlinked_workbook_is_written_through_and_restored_through(office, tmp_path):
    (real,) = _copies(office, tmp_path, "ekte")
    (tmp_path / "lenker").mkdir()
    link = tmp_path / "lenker" / real.name
    link.symlink_to(Path("..") / "ekte" / real.name)
    original = real.read_bytes()

    result = _fill(office, link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(Path("..") / "ekte" / real.name)
    assert real.read_bytes() != original
    (backup,) = (link.parent / ".excelkort" / "backup").iterdir()
    assert not backup.is_symlink() and backup.read_bytes() == original
    assert _temp_files(tmp_path) == []

    result = CliRunner().invoke(main, ["gjenopprett", str(link)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert link.is_symlink() and real.read_bytes() == original


def test_a_symlinked_tiltaksplan_is_written_through(office, tmp_path):
    (real,) = _copies(office, tmp_path, "ekte")
    plan_name = real.name.replace("målekort_", "tiltaksplan_")
    shutil.copy2(office["workbook"].parent / plan_name, real.parent)
    (tmp_path / "lenker").mkdir()
    link = tmp_path / "lenker" / plan_name
    link.symlink_to(real.parent / plan_name)
    original = link.read_bytes()
    assert _fill(office, real).exit_code == 0
    result = CliRunner().invoke(main, ["tiltak", str(real), str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.read_bytes() != original
    (backup,) = (link.parent / ".excelkort" / "backup").iterdir()
    assert not backup.is_symlink() and backup.read_bytes() == original


def test_a_symlinked_workbook_open_in_excel_where_it_lives_is_not_filled(office, tmp_path):
    (real,) = _copies(office, tmp_path, "ekte")
    (real.parent / f"~${real.name}").write_bytes(b"")
    (tmp_path / "lenker").mkdir()
    link = tmp_path / "lenker" / real.name
    link.symlink_to(real)
    before = real.read_bytes()
    result = _fill(office, link)
    assert result.exit_code == 3, result.output
    assert (f"Avvist: {real.name}: Filen er åpen i Excel (låsefilen «~${real.name}» finnes). Lukk "
            "den i Excel og kjør fyll på nytt. Er filen ikke åpen, kan du slette låsefilen."
            ) in result.output.splitlines()
    assert real.read_bytes() == before


# ---- owner and mode -------------------------------------------------------------------------
def test_a_write_keeps_the_files_mode(office, tmp_path):
    (wb,) = _copies(office, tmp_path, "a")
    wb.chmod(0o640)
    assert _fill(office, wb).exit_code == 0
    assert stat.S_IMODE(wb.stat().st_mode) == 0o640


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root may give a file away")
def test_a_write_keeps_the_files_owner_and_group(office, tmp_path):
    (wb,) = _copies(office, tmp_path, "a")
    os.chown(wb, 4321, 4322)
    assert _fill(office, wb).exit_code == 0
    assert (wb.stat().st_uid, wb.stat().st_gid) == (4321, 4322)


# ---- read-only files ------------------------------------------------------------------------
def test_a_read_only_workbook_is_rejected_and_the_rest_filled(office, tmp_path):
    locked, other = _copies(office, tmp_path, "a", "b")
    locked.chmod(0o444)
    before = locked.read_bytes()
    result = _fill(office, locked, other)
    assert result.exit_code == 3, result.output
    assert f"{locked.name}: {READ_ONLY}" in result.output
    assert locked.read_bytes() == before and stat.S_IMODE(locked.stat().st_mode) == 0o444
    assert other.read_bytes() != before
    assert not (locked.parent / ".excelkort" / "backup").exists()


def test_a_read_only_file_is_never_restored_over(office, tmp_path):
    (wb,) = _copies(office, tmp_path, "a")
    assert _fill(office, wb).exit_code == 0
    wb.chmod(0o444)
    before = wb.read_bytes()
    result = CliRunner().invoke(main, ["gjenopprett", str(wb)])
    assert result.exit_code == 2, result.output
    assert f"Feil: {wb.name}: {READ_ONLY}" in result.output
    assert wb.read_bytes() == before


# ---- read-only folders and a full disk in fyll ----------------------------------------------
def test_a_read_only_folder_is_one_rejected_file(office, tmp_path, monkeypatch):
    locked, other = _copies(office, tmp_path, "a", "b")
    before = locked.read_bytes()
    _read_only_folder(monkeypatch, locked.parent)
    try:
        result = _fill(office, locked, other)
    finally:
        locked.parent.chmod(0o755)
    assert result.exit_code == 3, result.output
    assert f"{locked.name}: {no_access(locked.parent)}" in result.output
    assert "Intern feil" not in result.output
    assert locked.read_bytes() == before and other.read_bytes() != before


def test_a_read_only_backup_folder_is_one_rejected_file(office, tmp_path, monkeypatch):
    locked, other = _copies(office, tmp_path, "a", "b")
    before = locked.read_bytes()
    backups = locked.parent / ".excelkort" / "backup"
    _read_only_folder(monkeypatch, backups)
    try:
        result = _fill(office, locked, other)
    finally:
        backups.chmod(0o755)
    assert result.exit_code == 3, result.output
    assert f"{locked.name}: {no_access(backups, what='sikkerhetskopien')}" in result.output
    assert locked.read_bytes() == before and other.read_bytes() != before
    assert _temp_files(tmp_path) == []


def test_a_disk_with_room_for_one_file_rejects_each_later_file(office, tmp_path, monkeypatch):
    workbooks = _copies(office, tmp_path, "a", "b", "c")
    before = workbooks[0].read_bytes()
    _disk_full_after(monkeypatch, room=1)
    result = _fill(office, *workbooks)
    assert result.exit_code == 3, result.output
    assert workbooks[0].read_bytes() != before
    for wb in workbooks[1:]:
        assert f"{wb.name}: {disk_full(wb.parent)}" in result.output
        assert wb.read_bytes() == before
        assert list((wb.parent / ".excelkort" / "backup").iterdir()) == []
    assert "Intern feil" not in result.output and _temp_files(tmp_path) == []


# ---- every command that writes, on a full disk ----------------------------------------------
@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    folder = make_work_folder(tmp_path_factory.mktemp("fs") / "arbeidsmappe", counties=1, per=2)
    offices = load_register(folder / "enheter.csv").tree(PERIOD).offices()
    year = generate_year(CATALOGUE, offices, 2026)
    rows = extract_rows(year, CATALOGUE, PERIOD)
    write_extract_csv(rows, folder / "uttrekk" / f"uttrekk_{PERIOD}.csv")
    for row in rows:  # a corrected extract: what fyll changes in the offices' målekort
        if row["indikator"] == "P1":
            row["teller"] -= 1
    write_extract_csv(rows, folder.parent / "rettet.csv")
    return folder


def _hashes(folder: Path) -> dict[str, str]:
    """Every file a user sees, and every backup (lock files left out)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "kjoring.lock"}


def _commands(w: Path, corrected: Path) -> dict[str, tuple[list[str], int, str]]:
    """Each command that writes: its arguments on the work folder ``w``, its exit code on a full
    disk, and the line it says that with (about the first file it could not write)."""
    extract = str(w / "uttrekk" / f"uttrekk_{PERIOD}.csv")
    office = w / "kontor" / "0101"
    workbooks = sorted(str(p) for p in (w / "kontor").rglob("målekort_*.xlsx"))
    register = ["--register", str(w / "enheter.csv")]
    county = w / "konsolidert" / "F1"
    return {
        "fyll": (["fyll", str(corrected), *workbooks], 3,
                 f"Avvist: målekort_0101_2026.xlsx: {disk_full(office)}"),
        "tiltak": (["tiltak", str(w / "kontor")], 3,
                   f"Avvist: tiltaksplan_0101_2026.xlsx: {disk_full(office)}"),
        "konsolider": (["konsolider", str(w / "kontor"), *register], 3,
                       f"Avvist: {county / 'målekort_F1_2026.xlsx'}: {disk_full(county, NEW)}"),
        "rapport --alle": (["rapport", "--alle", str(w / "kontor")], 3,
                           f"Avvist: {workbooks[0]}: statusrapport_0101_{PERIOD}.pptx: "
                           f"{disk_full(office, NEW)}"),
        "ny": (["ny", "--enhet", "0101", "--periode", PERIOD, *register, "--ut", str(w / "ny")], 2,
               f"Feil: målekort_0101_2026.xlsx: {disk_full(w / 'ny', NEW)}"),
        "ny --erstatt": (["ny", "--enhet", "0101", "--periode", PERIOD, *register, "--ut", str(office),
                          "--erstatt"], 2, f"Feil: målekort_0101_2026.xlsx: {disk_full(office)}"),
        "kontroll": (["kontroll", extract, *register], 2,
                     f"Feil: kontroll_{PERIOD}.xlsx: {disk_full(w / 'uttrekk', NEW)}"),
        "gjenopprett": (["gjenopprett", workbooks[0]], 2,
                        f"Feil: målekort_0101_2026.xlsx: {disk_full(office)}"),
        "syklus": (["syklus", str(w), "--periode", PERIOD], 3,
                   f"Avvist: kontroll_{PERIOD}.xlsx: {disk_full(w / 'kontroll', NEW)}"),
    }


@pytest.mark.parametrize("command", ["fyll", "tiltak", "konsolider", "rapport --alle", "ny",
                                     "ny --erstatt", "kontroll", "gjenopprett", "syklus"])
def test_a_full_disk_is_a_message_and_changes_no_file(command, pristine, tmp_path, monkeypatch):
    work = Path(shutil.copytree(pristine, tmp_path / "arbeidsmappe"))
    monkeypatch.chdir(work)
    commands = _commands(work, pristine.parent / "rettet.csv")
    args, code, line = commands[command]
    if command == "gjenopprett":  # a backup to put back
        assert CliRunner().invoke(main, commands["fyll"][0]).exit_code == 0
    before = _hashes(work)
    _disk_full_after(monkeypatch, room=0)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code, result.output
    assert line in [text.strip() for text in result.output.splitlines()]
    assert "Intern feil" not in result.output and "Traceback" not in result.output
    assert _hashes(work) == before
    assert _temp_files(work) == []


def test_ny_with_room_for_the_målekort_only_writes_neither(pristine, tmp_path, monkeypatch):
    """The målekort and its tiltaksplan change together: when the plan cannot be written, the
    målekort just written goes again."""
    out = tmp_path / "ny"
    _disk_full_after(monkeypatch, room=1)
    result = CliRunner().invoke(main, ["ny", "--enhet", "0101", "--periode", PERIOD, "--register",
                                       str(pristine / "enheter.csv"), "--ut", str(out)])
    assert result.exit_code == 2, result.output
    plan = f"tiltaksplan_0101_{PERIOD[:4]}.xlsx"
    assert f"Feil: {plan}: {disk_full(out, NEW)}" in result.output
    assert [p.name for p in out.iterdir() if p.is_file()] == []


def test_tiltak_with_room_for_a_new_plan_only_leaves_none(pristine, tmp_path, monkeypatch):
    """A tiltaksplan ``tiltak`` makes and then cannot fill goes again: nothing half done."""
    work = Path(shutil.copytree(pristine, tmp_path / "arbeidsmappe"))
    office = work / "kontor" / "0101"
    plan = office / "tiltaksplan_0101_2026.xlsx"
    plan.unlink()
    _disk_full_after(monkeypatch, room=1)
    result = CliRunner().invoke(main, ["tiltak", str(office / "målekort_0101_2026.xlsx")])
    assert result.exit_code == 2, result.output
    assert f"Feil: {plan.name}: {disk_full(office)}" in result.output
    assert not plan.exists() and _temp_files(work) == []
