"""Backups beside a user's file: names that sort by time, copies or hard links, no leftovers."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from excelkort.atomic import write_bytes_atomic
from excelkort.errors import InputError
from excelkort.xlsx.backup import backup_file, newest_backup


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".~")]


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(InputError) as exc:
        backup_file(tmp_path / "borte.xlsx")
    assert str(exc.value) == "borte.xlsx: Filen finnes ikke. Sjekk navnet og mappen."


def test_backup_names_sort_by_time(tmp_path):
    path = tmp_path / "fil.xlsx"
    path.write_bytes(b"1")
    first = backup_file(path)
    write_bytes_atomic(path, b"2")  # excelkort replaces files by renaming a new one over them
    second = backup_file(path)
    assert first != second and newest_backup(path) == second
    assert first.read_bytes() == b"1" and second.read_bytes() == b"2"
    assert newest_backup(tmp_path / "annen.xlsx") is None


def test_backup_is_a_copy_where_hard_links_fail(tmp_path, monkeypatch):
    path = tmp_path / "fil.xlsx"
    path.write_bytes(b"1")

    def no_links(*_args):
        raise OSError("operation not permitted")
    monkeypatch.setattr(os, "link", no_links)
    backup = backup_file(path)
    path.write_bytes(b"2")  # in place: a copy is untouched
    assert backup.read_bytes() == b"1" and _no_temp_files(backup.parent)


def test_plain_backups_are_copies(tmp_path):
    """``ny --erstatt`` and ``gjenopprett`` may leave the file as it was: their backups are copies."""
    path = tmp_path / "fil.xlsx"
    path.write_bytes(b"1")
    backup = backup_file(path)
    assert not os.path.samefile(backup, path)
    with open(path, "r+b") as fh:
        fh.write(b"2")
    assert backup.read_bytes() == b"1"
