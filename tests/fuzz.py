"""A seeded mutation fuzzer for ``excelkort sjekk`` and ``excelkort fyll`` (issue 14, SPEC §8–§9).

Each case mutates a good extract (CSV bytes) or a good målekort (zip level), see
``fuzz_mutations``, and runs ``sjekk`` on the mutated file and ``fyll`` with it (the other input
good), in-process through click's CliRunner (a sample through a subprocess). It asserts:

- never exit 1, never «Intern feil» or a traceback, and every case within a time limit (each
  case runs in a forked child, so one that kills the process or hangs is one failure);
- ``sjekk`` changes no file; a ``fyll`` that exits 2, or rejects the workbook, changes no file
  (every file hashed before and after);
- ``sjekk`` and ``fyll`` agree: ``sjekk`` reports an error ⇔ ``fyll`` rejects the input (exit 2
  for the extract, «Avvist» for the workbook), with the same message text.

Run on demand::

    python -m tests.fuzz --cases 10000 --seed 1          # a campaign, with figures at the end
    python -m tests.fuzz --seed 1 --case 4711 --keep /tmp/c   # replay one case, keep its files

Every case is derived from (seed, number) alone, so a failing case prints the command that
replays it. ``tests/test_fuzz.py`` runs a short campaign in the test suite (``EXCELKORT_FUZZ=N``
for N cases).
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import os
import pickle
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from click.testing import CliRunner  # noqa: E402

import excelkort  # noqa: E402
import fuzz_mutations as fm  # noqa: E402
from excelkort.cli import main  # noqa: E402
from excelkort.runlock import LOCK_NAME  # noqa: E402

CATALOGUE_FILE = Path(excelkort.__file__).parent / "data" / "indikatorer.csv"
EXTRACT_NAME = "uttrekk_2026-10.csv"
TIME_LIMIT = 60.0  # seconds per case; a case takes ~0.1 s
SUBPROCESS_EVERY = 100  # every n-th case runs the real program in a subprocess
LOCK_NAMES = {LOCK_NAME}  # the folder lock a run holds: its content is the holder's pid


@dataclass
class Corpus:
    """The good files every case starts from."""

    workbook: bytes
    workbook_name: str
    extract: bytes


def build_corpus(folder: Path) -> Corpus:
    """One demo office's målekort (made for 2026-09) and its extract for 2026-10."""
    from scorecard_files import office_files

    shutil.rmtree(folder, ignore_errors=True)  # a kept folder of an earlier run
    files = office_files(folder)
    return Corpus(files["workbook"].read_bytes(), files["workbook"].name,
                  files["extracts"]["2026-10"].read_bytes())


@dataclass
class Case:
    seed: int
    number: int
    kind: str  # «uttrekk» or «målekort»: which input is mutated
    mutations: list[str]
    data: bytes

    @property
    def replay(self) -> str:
        return f"python -m tests.fuzz --seed {self.seed} --case {self.number} --keep /tmp/fuzzcase"


def make_case(seed: int, number: int, corpus: Corpus) -> Case:
    rng = random.Random(f"{seed}:{number}")
    if rng.random() < 0.5:
        data, names = fm.mutate_extract(rng, corpus.extract)
        return Case(seed, number, "uttrekk", names, data)
    data, names = fm.mutate_workbook(rng, corpus.workbook)
    return Case(seed, number, "målekort", names, data)


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + self.err


class CaseTimeout(BaseException):
    """A case ran past the time limit (a BaseException, so nothing in excelkort catches it)."""


@contextmanager
def time_limit(seconds: float):
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_sig, _frame):
        raise CaseTimeout()
    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def invoke(args: list[str], *, subprocess_run: bool, limit: float) -> Run:
    """``excelkort ARGS`` in-process (CliRunner) or as a real process."""
    start = time.perf_counter()
    if subprocess_run:
        try:
            done = subprocess.run([sys.executable, "-c", "from excelkort.cli import main; main()", *args],
                                  capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            raise CaseTimeout() from None
        return Run(done.returncode, done.stdout, done.stderr, time.perf_counter() - start)
    with time_limit(limit):
        result = CliRunner().invoke(main, args)
    err = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        err += "Traceback (CliRunner): " + repr(result.exception)
    return Run(result.exit_code, result.stdout, err, time.perf_counter() - start)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (but a run's folder lock) → its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in LOCK_NAMES}


def sjekk_errors(run: Run) -> list[str]:
    return [line[len("  Feil: "):] for line in run.out.splitlines() if line.startswith("  Feil: ")]


def fyll_errors(run: Run) -> list[str]:
    return [line[len("Feil: "):] for line in run.err.splitlines() if line.startswith("Feil: ")]


def fyll_rejections(run: Run) -> list[str]:
    return [line[len("Avvist: "):] for line in run.err.splitlines() if line.startswith("Avvist: ")]


@dataclass
class Outcome:
    case: Case
    sjekk: Run | None = None
    fyll: Run | None = None
    failures: list[str] = field(default_factory=list)
    subprocess_run: bool = False

    def describe(self) -> str:
        lines = [f"Tilfelle seed={self.case.seed} nr={self.case.number} ({self.case.kind}: "
                 f"{', '.join(self.case.mutations)}): " + "; ".join(self.failures),
                 f"  Spill av: {self.case.replay}"]
        for name, run in (("sjekk", self.sjekk), ("fyll", self.fyll)):
            if run is not None:
                lines.append(f"  {name} → {run.code}: " + run.text.strip().replace("\n", "\n    ")[:3000])
        return "\n".join(lines)


def run_case(case: Case, corpus: Corpus, folder: Path, *, subprocess_run: bool = False,
             limit: float = TIME_LIMIT) -> Outcome:
    """Write the case's files into ``folder`` (emptied first), run sjekk and fyll, check them."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    extract, workbook = folder / EXTRACT_NAME, folder / corpus.workbook_name
    extract.write_bytes(case.data if case.kind == "uttrekk" else corpus.extract)
    workbook.write_bytes(case.data if case.kind == "målekort" else corpus.workbook)
    target = extract if case.kind == "uttrekk" else workbook
    out = Outcome(case, subprocess_run=subprocess_run)
    katalog = ["--katalog", str(CATALOGUE_FILE)]
    before = snapshot(folder)
    try:
        out.sjekk = invoke(["sjekk", str(target), *katalog], subprocess_run=subprocess_run, limit=limit)
        if snapshot(folder) != before:
            out.failures.append("sjekk endret filer")
        before = snapshot(folder)
        out.fyll = invoke(["fyll", str(extract), str(workbook), *katalog],
                          subprocess_run=subprocess_run, limit=limit)
    except CaseTimeout:
        out.failures.append(f"brukte mer enn {limit:.0f} s")
        return out
    check(out, before, snapshot(folder))
    return out


def isolated(case: Case, corpus: Corpus, folder: Path, *, subprocess_run: bool,
             limit: float) -> Outcome:
    """``run_case`` in a forked child, so a case that kills the process (a native crash, memory
    exhausted) or hangs in native code is one failure, and the campaign goes on."""
    if not hasattr(os, "fork"):
        return run_case(case, corpus, folder, subprocess_run=subprocess_run, limit=limit)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run the case, send the outcome, and leave without cleanup
        os.close(read)
        out = run_case(case, corpus, folder, subprocess_run=subprocess_run, limit=limit)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(pickle.dumps(out))
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        done = select.select([pipe], [], [], 2 * limit + 30)[0]
        if not done:
            os.kill(pid, signal.SIGKILL)
        data = pipe.read() if done else b""
    _pid, status = os.waitpid(pid, 0)
    if data:
        return pickle.loads(data)
    out = Outcome(case, subprocess_run=subprocess_run)
    out.failures.append(f"prosessen døde ({'hang, drept' if not done else _status_text(status)})")
    return out


def _status_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"avslutningskode {os.WEXITSTATUS(status)}"


def check(out: Outcome, before: dict[str, str], after: dict[str, str]) -> None:
    """The fuzzer's assertions on one case, as failure texts in ``out.failures``."""
    s, f, fail = out.sjekk, out.fyll, out.failures.append
    if s.code not in (0, 2):
        fail(f"sjekk avsluttet med {s.code}")
    if f.code not in (0, 2, 3):
        fail(f"fyll avsluttet med {f.code}")
    for name, run in (("sjekk", s), ("fyll", f)):
        if "Intern feil" in run.text or "Traceback" in run.text:
            fail(f"{name}: intern feil")
    rejected = fyll_rejections(f)
    if (f.code == 2 or rejected) and after != before:
        fail("fyll avviste, men endret filer")
    if out.case.kind == "uttrekk":
        if (s.code == 2) != (f.code == 2):
            fail(f"uenige: sjekk {s.code}, fyll {f.code}")
        elif s.code == 2 and sjekk_errors(s) != fyll_errors(f):
            fail("uenige om feilmeldingen")
    else:
        if f.code == 2:
            fail("fyll avviste det gode uttrekket")
        if (s.code == 2) != bool(rejected):
            fail(f"uenige: sjekk {s.code}, fyll {'avviste' if rejected else 'godtok'}")
        elif rejected and "; ".join(sjekk_errors(s)) != rejected[0]:
            fail("uenige om feilmeldingen")


@dataclass
class Campaign:
    seed: int
    cases: int = 0
    kinds: collections.Counter = field(default_factory=collections.Counter)
    mutations: collections.Counter = field(default_factory=collections.Counter)
    codes: collections.Counter = field(default_factory=collections.Counter)  # (kind, sjekk, fyll)
    subprocess_runs: int = 0
    failures: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    slowest: float = 0.0

    def add(self, out: Outcome) -> None:
        self.cases += 1
        self.kinds[out.case.kind] += 1
        self.mutations.update(m.split(":")[0] for m in out.case.mutations)
        if out.sjekk and out.fyll:
            self.codes[(out.case.kind, out.sjekk.code, out.fyll.code)] += 1
            self.slowest = max(self.slowest, out.sjekk.seconds + out.fyll.seconds)
        self.subprocess_runs += out.subprocess_run
        if out.failures:
            self.failures.append(out)

    def summary(self) -> str:
        lines = [f"{self.cases} tilfeller (seed {self.seed}) på {self.seconds:.0f} s, "
                 f"{self.subprocess_runs} som egen prosess; tregeste {self.slowest:.1f} s.",
                 "Tilfeller: " + ", ".join(f"{k} {n}" for k, n in self.kinds.most_common()),
                 "Mutasjoner: " + ", ".join(f"{k} {n}" for k, n in self.mutations.most_common()),
                 "Avslutningskoder (fil, sjekk, fyll):"]
        lines += [f"  {k} sjekk {s} fyll {f}: {n}" for (k, s, f), n in sorted(self.codes.items())]
        lines.append(f"Feil funnet: {len(self.failures)}" + (
            " (nr. " + ", ".join(str(o.case.number) for o in self.failures) + ")" if self.failures else ""))
        lines += [o.describe() for o in self.failures[:20]]
        return "\n".join(lines)


def run(cases: int, seed: int, workdir: Path, *, first: int = 0, subprocess_every: int = SUBPROCESS_EVERY,
        limit: float = TIME_LIMIT, progress=None) -> Campaign:
    """Cases ``first`` … ``first + cases - 1`` of ``seed``, in ``workdir``."""
    workdir = Path(workdir)
    corpus = build_corpus(workdir / "corpus")
    campaign = Campaign(seed)
    start = time.perf_counter()
    cwd = os.getcwd()
    os.chdir(workdir)  # no indikatorer.csv or enheter.csv of the caller's folder is picked up
    try:
        for number in range(first, first + cases):
            case = make_case(seed, number, corpus)
            sub = bool(subprocess_every) and number % subprocess_every == subprocess_every - 1
            campaign.add(isolated(case, corpus, workdir / "case", subprocess_run=sub, limit=limit))
            if progress and campaign.cases % progress == 0:
                print(f"{campaign.cases} tilfeller, {len(campaign.failures)} feil, "
                      f"{time.perf_counter() - start:.0f} s", flush=True)
    finally:
        os.chdir(cwd)
    campaign.seconds = time.perf_counter() - start
    return campaign


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--case", type=int, help="run this one case (replay)")
    parser.add_argument("--from", dest="first", type=int, default=0, help="the first case's number")
    parser.add_argument("--keep", type=Path, help="folder for the cases' files (kept)")
    parser.add_argument("--subprocess-every", type=int, default=SUBPROCESS_EVERY)
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT)
    args = parser.parse_args(argv)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="excelkort-fuzz-"))
    workdir.mkdir(parents=True, exist_ok=True)
    first, cases = (args.case, 1) if args.case is not None else (args.first, args.cases)
    campaign = run(cases, args.seed, workdir, first=first, subprocess_every=args.subprocess_every,
                   limit=args.time_limit, progress=None if args.case is not None else 250)
    print(campaign.summary())
    if args.case is not None:
        print(f"Filene: {workdir / 'case'}")
    elif args.keep is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if campaign.failures else 0


if __name__ == "__main__":
    sys.exit(cli())
