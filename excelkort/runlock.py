"""One excelkort run at a time in a work folder: two runs at once would lose each other's updates.

A run takes, top-down, a shared ``fcntl.flock`` on the lock file of every folder above it that
has one, an exclusive one on ``<folder>/.excelkort/kjoring.lock``, and a shared one on the lock
file of every folder below it that has one. So a run on a folder and a run on a folder inside it
exclude each other whichever started first, while runs on two sibling folders go side by side
(``folders_lock`` holds a run's input and output folders each, never their common ancestor). An
inner run that finds a lock file above it that was not there when it started, lets go and
queues behind that run (which may have looked below before the inner run's lock file existed).
A second run waits a little (``WAIT_SECONDS``), then refuses with a message saying who holds the
folder. The operating system releases a flock when its process dies, so a killed run never
leaves a folder locked. Nested calls in the same process (``syklus`` running ``fyll``) pass
through. Where ``fcntl`` is missing (Windows) there is no lock.

Holding the folder, a run removes temp files a killed run left (``.~excelkort-<pid>-*`` whose
process is gone, or any ``.~excelkort-*`` older than a minute); and a run's pool workers die with
it (``die_with_parent``), so a killed run stops writing.
"""
from __future__ import annotations

import ctypes
import gc
import datetime as dt
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .atomic import TEMP_PREFIX
from .errors import InputError, Problem

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

FOLDER = ".excelkort"
LOCK_NAME = "kjoring.lock"
WAIT_SECONDS = 10.0
_POLL = 0.1
STALE_SECONDS = 60
MAX_APART = 64  # folders a run holds one by one; more are held by their common folder
_PR_SET_PDEATHSIG = 1

MSG_BUSY = ("En annen excelkort-kjøring holder på i denne mappen ({who}). Vent til den er ferdig, "
            "og kjør på nytt.")

_held: dict[Path, None] = {}  # folders this process holds (a dict: fyll holds hundreds)
_shared: dict[Path, None] = {}  # folders whose lock file this process holds shared


def lock_path(folder: Path) -> Path:
    return folder / FOLDER / LOCK_NAME


def folders_of(paths) -> list[Path]:
    """The folders a run on ``paths`` writes in (a folder stands for itself, a file for its
    folder; a symlink for its own folder, where its backups go, and its target's, where the
    write goes)."""
    folders = []
    for p in map(Path, paths):
        folders += [p.resolve()] if p.is_dir() else [p.parent.resolve(), p.resolve().parent]
    return folders


@contextmanager
def folders_lock(folders, command: str, wait: float | None = None):
    """Hold each of ``folders`` (one inside another: the outer one), always in the same order,
    so a run that reads in one place and writes in another never holds their common ancestor
    (``rapport --alle DIR -o /tmp/x`` would otherwise hold all of ``/tmp``). More than
    ``MAX_APART`` folders (``fyll`` on a county's offices) are held by their common folder, as
    each held folder keeps a file open (a process may have only some hundreds)."""
    resolved = sorted({Path(f).resolve() for f in folders}, key=str)
    named = set(resolved)  # a folder's ancestors looked up, not compared with every other folder
    outer = [f for f in resolved if named.isdisjoint(f.parents)]
    if len(outer) > MAX_APART:  # each held folder keeps a file open: hold their common folder
        outer = [Path(os.path.commonpath([str(f) for f in outer]))]
    with ExitStack() as stack:
        for folder in outer:
            stack.enter_context(folder_lock(folder, command, wait))
        yield


def _holder(fd: int) -> str:
    """«startet kl. 18:31:02 av prosess 1234, excelkort fyll», from what the holder wrote; when
    that process has ended, the folder is held by a run in a folder above or below it (those
    hold a lock file shared and write nothing in it)."""
    try:
        text = os.pread(fd, 400, 0).decode("utf-8", "replace").strip()
        pid, started, command = text.split("\t", 2)
    except (OSError, ValueError):
        return "startet av en annen prosess"
    if _process_gone(pid) or pid == str(os.getpid()):  # this process's own run has ended
        return "fra en mappe over eller under den"
    return f"startet kl. {started} av prosess {pid}, excelkort {command}"


def _open_lock_file(path: Path) -> int:
    """The lock file, made where missing; read-only where this user may not write it (another
    user's run made it): a lock is taken on a read-only file as well."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:
        return os.open(path, os.O_RDONLY)


def _acquire(path: Path, mode: int, deadline: float, folder: Path) -> int:
    fd = _open_lock_file(path)
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                who = _holder(fd)
                os.close(fd)
                raise InputError(Problem(MSG_BUSY.format(who=who), file=str(folder))) from None
            time.sleep(_POLL)


def _inside_held(folder: Path) -> bool:
    """Whether this process holds ``folder`` or a folder above it (looked up: ``fyll`` holds
    hundreds of office folders)."""
    return folder in _held or not _held.keys().isdisjoint(folder.parents)


@contextmanager
def folder_lock(folder: str | Path, command: str, wait: float | None = None):
    """Hold ``folder`` for one run of ``command`` (InputError naming the holder when busy)."""
    folder = Path(folder).resolve()
    if fcntl is None or _inside_held(folder):
        yield
        return
    deadline = time.monotonic() + (WAIT_SECONDS if wait is None else wait)
    with ExitStack() as stack:
        while not _hold(stack, folder, command, deadline):
            stack.close()  # a run above started meanwhile: let go of everything, and queue behind it
        _held[folder] = None
        stack.callback(_held.pop, folder)
        yield


def _hold(stack: ExitStack, folder: Path, command: str, deadline: float) -> bool:
    """Lock, top-down: the lock files above ``folder`` shared, its own exclusive, those below it
    shared; False (to start over) when a run above created its lock file meanwhile (it may have
    looked below before this run's lock file existed, so this run must wait for it)."""
    above = [a for a in reversed(folder.parents) if lock_path(a).is_file()]
    _hold_shared(stack, above, deadline)
    try:
        lock_path(folder).parent.mkdir(parents=True, exist_ok=True)
        fd = _acquire(lock_path(folder), fcntl.LOCK_EX, deadline, folder)
    except OSError:  # a folder we may not write to: the run reports what it cannot write
        fd = None
    if fd is not None:
        stack.callback(os.close, fd)
        try:  # who holds the folder, for the message of a second run; a full disk may refuse
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\t{dt.datetime.now():%H:%M:%S}\t{command}".encode(), 0)
        except OSError:
            pass
    if any(lock_path(a).is_file() for a in folder.parents if a not in above):
        return False
    below, temps = _walk(folder)
    _hold_shared(stack, below, deadline)
    if fd is not None:  # no run below is under way now: what temp files are left, a killed run left
        _remove_stale(temps)
    return True


def _hold_shared(stack: ExitStack, folders: list[Path], deadline: float) -> None:
    """A shared lock on each folder's lock file, in order (each once per process)."""
    for folder in folders:
        if folder in _shared or _inside_held(folder):
            continue
        try:
            fd = _acquire(lock_path(folder), fcntl.LOCK_SH, deadline, folder)
        except OSError:
            continue  # a lock file we may not open: that folder's runs are not ours
        stack.callback(os.close, fd)
        _shared[folder] = None
        stack.callback(_shared.pop, folder)


def _walk(folder: Path) -> tuple[list[Path], list[Path]]:
    """One walk of the tree under ``folder``: the folders below it with a lock file, top-down
    (none inside a ``.excelkort`` folder, where the backups are), and excelkort's temp files."""
    locked, temps = [], []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        here = Path(dirpath)
        temps += [here / name for name in filenames if name.startswith(TEMP_PREFIX)]
        if (here != folder and FOLDER in dirnames and lock_path(here).is_file()
                and FOLDER not in here.relative_to(folder).parts):
            locked.append(here)
    return locked, temps


def _remove_stale(temps: list[Path]) -> None:
    """Remove the temp files a killed run left behind (its process is gone, or a minute old)."""
    now = time.time()
    for tmp in temps:
        try:
            if tmp.is_file() and (_writer_gone(tmp.name)
                                  or now - tmp.stat().st_mtime > STALE_SECONDS):
                tmp.unlink()
        except OSError:
            continue  # gone already, or not ours to remove


def die_with_parent() -> None:
    """In a pool worker: be killed when the process that started it dies (Linux), so a killed
    run's workers never go on writing workbooks."""
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return  # not a worker (a run without a pool calls its initializer itself)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent.pid:  # the parent died before prctl: go now
        os._exit(1)


def _writer_gone(name: str) -> bool:
    """Whether a temp file's name holds the id of a process that has ended."""
    return _process_gone(name[len(TEMP_PREFIX):].split("-", 1)[0])


def _process_gone(pid: str) -> bool:
    """Whether ``pid`` (text) is the id of a process that has ended."""
    if not pid.isdigit() or os.name != "posix":  # Windows' os.kill would end the process
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):
        return False  # alive (another user's process), or not a process id
    try:  # a killed worker stays a zombie until it is reaped: it has ended all the same
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


@contextmanager
def process_pool(workers: int, initializer=None, initargs: tuple = ()):
    """A process pool, forked where the platform can (the workers start at once and inherit
    what they need), whose workers die with the run (a killed run never goes on writing). The
    parent's objects are frozen for the garbage collector meanwhile, so neither the workers'
    collections nor the parent's own walk them (and the workers do not copy the parent's memory
    pages by merely looking at them)."""
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                 initargs=(initializer, initargs)) as pool:
            yield pool
    finally:
        gc.unfreeze()


def _start_worker(initializer, initargs: tuple) -> None:
    """A pool worker's start: bound to die with the run, then the pool's own initializer."""
    die_with_parent()
    if initializer is not None:
        initializer(*initargs)
