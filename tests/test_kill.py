"""Runs killed at random moments (issue 14, point 6). A command is started as a process and its
main process gets SIGKILL at seeded moments spread over a run's length (``syklus``: once in each
of its steps); then

* every user's file is byte-identical to its old version or to the new one a run never killed
  writes (atomic writes: never half a file);
* no process of the run (a pool worker) outlives it by more than two seconds;
* a re-run writes exactly the bytes of a run never killed, and leaves no temp file
  (``.~excelkort-*``).

The clock is stopped (``stopped_clock_cli.py``) so two runs write the same bytes. About two
minutes of work: skip with ``-m "not kill"``.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from excelkort.cli import main
from scorecard_files import office_files
from stopped_clock_cli import stop_the_clock
from test_consolidate import PERIOD, make_work_folder
from test_cycle import make_cycle_folder

pytestmark = [pytest.mark.kill,
              pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="reads /proc; PR_SET_PDEATHSIG is Linux's")]

DRIVER = Path(__file__).parent / "stopped_clock_cli.py"
SEED = 14
WORKBOOKS = 40
WORKERS_GONE_WITHIN = 2.0


@dataclass
class Case:
    """A command on a folder: the folder as it was, the command's arguments for a copy of it,
    and the files it writes as they were and as a run never killed leaves them."""

    pristine: Path
    args: Callable[[Path], list[str]]
    old: dict[str, bytes]
    new: dict[str, bytes]
    seconds: float  # a run never killed, from start to exit
    output: str = ""  # what it printed


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(DRIVER), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def _files(folder: Path, names) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes() for n in names if (folder / n).exists()}


def _temp_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob(".~*"))  # excelkort's own, the backups' included


def _all_files(folder: Path) -> dict[str, bytes]:
    """Every file of a work folder but the backups (their names hold the real clock's time)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".excelkort" not in p.relative_to(folder).parts}


def _case(root: Path, pristine: Path, args, names: list[str] | None = None) -> Case:
    """What a run never killed makes of ``names`` (None: every file it writes)."""
    done = root / "uninterrupted"
    shutil.copytree(pristine, done)
    t0 = time.monotonic()
    result = _run(args(done), done)
    seconds = time.monotonic() - t0
    assert result.returncode == 0, result.stdout + result.stderr
    if names is None:
        before = _all_files(pristine)
        names = [n for n, data in _all_files(done).items() if before.get(n) != data]
    new = _files(done, names)
    assert new != _files(pristine, names)  # the run changes the files
    return Case(pristine, args, _files(pristine, names), new, seconds, result.stdout)


@pytest.fixture(scope="session")
def fill_case(tmp_path_factory) -> Case:
    """40 office målekort (one office's, copied) and the month's extract, and what an
    uninterrupted ``fyll`` makes of them."""
    root = tmp_path_factory.mktemp("kill-fyll")
    source = office_files(root / "source")
    pristine = root / "mappe"
    names = []
    for i in range(WORKBOOKS):
        (pristine / f"k{i:02d}").mkdir(parents=True)
        names.append(f"k{i:02d}/{source['workbook'].name}")
        shutil.copy2(source["workbook"], pristine / names[-1])
    shutil.copy2(source["extracts"]["2026-10"], pristine / "uttrekk.csv")
    return _case(root, pristine, lambda folder: ["fyll", str(folder / "uttrekk.csv"),
                                                 *(str(folder / n) for n in names)], names)


@pytest.fixture(scope="session")
def offices_folder(tmp_path_factory) -> Path:
    """A work folder: the register and 24 offices' målekort and tiltaksplaner under kontor/."""
    return make_work_folder(tmp_path_factory.mktemp("kill-kontor") / "mappe", counties=3, per=8)


@pytest.fixture(scope="session")
def consolidate_case(offices_folder, tmp_path_factory) -> Case:
    """``konsolider`` of the 24 offices: four consolidated målekort and the history."""
    root = tmp_path_factory.mktemp("kill-konsolider")
    names = [f"konsolidert/{u}/målekort_{u}_2026.xlsx" for u in ("NO", "F1", "F2", "F3")] + [
        "historikk/målekort_2026.parquet"]
    return _case(root, offices_folder, lambda folder: ["konsolider", str(folder / "kontor")], names)


@pytest.fixture(scope="session")
def plans_case(offices_folder, tmp_path_factory) -> Case:
    """``tiltak`` on the 24 offices: a proposal in every tiltaksplan."""
    root = tmp_path_factory.mktemp("kill-tiltak")
    names = sorted(str(p.relative_to(offices_folder))
                   for p in offices_folder.glob("kontor/*/tiltaksplan_*.xlsx"))
    return _case(root, offices_folder, lambda folder: ["tiltak", str(folder / "kontor")], names)


@pytest.fixture(scope="session")
def decks_case(offices_folder, tmp_path_factory) -> Case:
    """``rapport --alle`` on the 24 offices: a statusrapport for each, into rapporter/."""
    root = tmp_path_factory.mktemp("kill-rapport")
    names = sorted(f"rapporter/statusrapport_{p.parent.name}_2026-10.pptx"
                   for p in offices_folder.glob("kontor/*/målekort_*.xlsx"))
    return _case(root, offices_folder, lambda folder: ["rapport", "--alle", str(folder / "kontor"),
                                                       "-o", str(folder / "rapporter")], names)


@pytest.fixture(scope="session")
def cycle_case(tmp_path_factory) -> Case:
    """``syklus`` on a work folder of 24 offices and an extract that corrects the month in each:
    the check's workbook, 24 filled målekort, four consolidated ones and the history, a
    tiltaksplan and a statusrapport for every unit."""
    root = tmp_path_factory.mktemp("kill-syklus")
    pristine = make_cycle_folder(root / "mappe", counties=3, per=8, corrected=True)
    return _case(root, pristine, lambda folder: ["syklus", str(folder), "--periode", PERIOD, "--json"])


# -- the processes of a run --------------------------------------------------------------------
def _session_members(sid: int) -> list[int]:
    """The live processes of session ``sid`` (the run was started as a session of its own)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            out.append(int(stat.parent.name))
    return out


def _killed_at(case: Case, delay: float, work: Path) -> float:
    """Start the command on ``work``, SIGKILL its main process after ``delay`` seconds; returns
    how long its other processes lived on."""
    proc = subprocess.Popen([sys.executable, str(DRIVER), *case.args(work)], cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        time.sleep(delay)
        proc.kill()
        proc.wait()
        killed = time.monotonic()
        while _session_members(proc.pid) and time.monotonic() - killed < 10:
            time.sleep(0.02)
        return time.monotonic() - killed
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the run this test started
        except ProcessLookupError:
            pass


def _rerun(case: Case, work: Path, monkeypatch) -> None:
    """The command once more on ``work``, in this process (as quick as a re-run gets), with the
    clock stopped as in the runs it is compared with."""
    with monkeypatch.context() as patch:
        stop_the_clock(patch.setattr)
        patch.chdir(work)
        result = CliRunner().invoke(main, case.args(work))
    assert result.exit_code == 0, result.output


def _spread(case: Case, n: int) -> list[float]:
    """``n`` seeded moments spread over a run's length (past the interpreter's start, before
    its end)."""
    rng = random.Random(SEED)
    return [case.seconds * (0.2 + 0.8 * (k + rng.random()) / n) for k in range(n)]


def _trials(case: Case, delays: list[float], tmp_path: Path, monkeypatch) -> list[int]:
    """A kill after each of ``delays`` seconds; the files written by each."""
    written = []
    for k, delay in enumerate(delays):
        work = tmp_path / f"trial{k}"
        shutil.copytree(case.pristine, work)
        lived_on = _killed_at(case, delay, work)
        assert lived_on < WORKERS_GONE_WITHIN, f"trial {k} ({delay:.2f} s): processes lived on"
        after = _files(work, case.new)
        for name in case.new:
            assert after.get(name) in (case.old.get(name), case.new[name]), (
                f"trial {k} ({delay:.2f} s): {name} is neither old nor new")
        written.append(sum(after.get(name) == case.new[name] != case.old.get(name)
                           for name in case.new))
        _rerun(case, work, monkeypatch)
        assert _files(work, case.new) == case.new, f"trial {k} ({delay:.2f} s)"
        assert _temp_files(work) == [], f"trial {k} ({delay:.2f} s)"
        shutil.rmtree(work)
    return written


def test_fyll_killed_at_random_moments(fill_case, tmp_path, monkeypatch):
    written = _trials(fill_case, _spread(fill_case, 8), tmp_path, monkeypatch)
    print(f"fyll: {fill_case.seconds:.2f} s uninterrupted; written when killed: {written}")
    assert any(0 < w < WORKBOOKS for w in written), written  # some kills came mid-run


def test_konsolider_killed_at_random_moments(consolidate_case, tmp_path, monkeypatch):
    written = _trials(consolidate_case, _spread(consolidate_case, 3), tmp_path, monkeypatch)
    print(f"konsolider: {consolidate_case.seconds:.2f} s uninterrupted; written when killed: {written}")


def test_tiltak_killed_at_random_moments(plans_case, tmp_path, monkeypatch):
    written = _trials(plans_case, _spread(plans_case, 4), tmp_path, monkeypatch)
    print(f"tiltak: {plans_case.seconds:.2f} s uninterrupted; written when killed: {written}")


def test_rapport_alle_killed_at_random_moments(decks_case, tmp_path, monkeypatch):
    written = _trials(decks_case, _spread(decks_case, 3), tmp_path, monkeypatch)
    print(f"rapport --alle: {decks_case.seconds:.2f} s uninterrupted; written when killed: {written}")


def test_syklus_killed_in_each_step(cycle_case, tmp_path, monkeypatch):
    """One kill in each step (kontroll, fyll, konsolider, tiltak, rapport), at a seeded moment
    inside the step as the run never killed timed it."""
    steps = [s["sekunder"] for s in json.loads(cycle_case.output)["steg"]]
    rng = random.Random(SEED)
    start, delays = cycle_case.seconds - sum(steps), []  # the interpreter's start, then the steps
    for seconds in steps:
        delays.append(start + seconds * (0.2 + 0.6 * rng.random()))
        start += seconds
    written = _trials(cycle_case, delays, tmp_path, monkeypatch)
    print(f"syklus: {cycle_case.seconds:.2f} s uninterrupted ({steps}); killed at "
          f"{[round(d, 2) for d in delays]} s; written when killed: {written} of {len(cycle_case.new)}")
    assert any(0 < w < len(cycle_case.new) for w in written), written  # some kills came mid-run
