"""``excelkort gjenopprett``: list the backups (time, Periode, size), put back the one chosen
(``--nr``, ``--fra``), and say which one came back."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from excelkort.cli import main
from excelkort.scorecard.writer import ScorecardContent, write_scorecard
from excelkort.xlsx.backup import BACKUP_DIR
from scorecard_files import CATALOGUE, UNIT, UNIT_NAME

NAME = "målekort_0101_2026.xlsx"
STAMPS = {"2026-08": "20260905-081500-000000", "2026-09": "20261004-143012-000000"}


def _scorecard(path: Path, period: str) -> bytes:
    write_scorecard(ScorecardContent(UNIT, UNIT_NAME, period, CATALOGUE), path)
    return path.read_bytes()


@pytest.fixture
def workbook(tmp_path) -> tuple[Path, dict[str, bytes]]:
    """A målekort for 2026-10 with two backups: 2026-08 (oldest) and 2026-09."""
    folder = tmp_path / BACKUP_DIR
    folder.mkdir(parents=True)
    path = tmp_path / NAME
    data = {}
    for period, stamp in STAMPS.items():
        data[period] = _scorecard(path, period)
        path.rename(folder / f"målekort_0101_2026.{stamp}.xlsx")
    data["2026-10"] = _scorecard(path, "2026-10")
    return path, data


def _run(*args):
    return CliRunner().invoke(main, ["gjenopprett", *map(str, args)])


def test_liste_shows_time_periode_and_size(workbook):
    path, data = workbook
    kb = {p: f"{round(len(b) / 1024)} KB" for p, b in data.items()}
    result = _run(path, "--liste")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Sikkerhetskopier av {path}, nyeste først:",
        "   Nr  Tidspunkt            Periode  Størrelse",
        f"    1  2026-10-04 14:30:12  2026-09  {kb['2026-09']}",
        f"    2  2026-09-05 08:15:00  2026-08  {kb['2026-08']}",
        "Legg tilbake én med «excelkort gjenopprett FIL --nr N» eller «--fra TIDSPUNKT».",
    ]
    assert path.read_bytes() == data["2026-10"]  # listing changes nothing


def test_nr_puts_back_the_chosen_backup_and_names_it(workbook):
    path, data = workbook
    result = _run(path, "--nr", 2)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("La tilbake sikkerhetskopi nr. 2 fra 2026-09-05 08:15:00 (Periode "
                            "2026-08); filen slik den var er lagret som målekort_0101_2026.")
    assert path.read_bytes() == data["2026-08"]
    # the version replaced is now the newest backup
    again = _run(path, "--liste").output.splitlines()
    assert again[2].split()[3] == "2026-10" and len(again) == 6


def test_fra_takes_the_newest_backup_at_or_before_the_time(workbook):
    path, data = workbook
    result = _run(path, "--fra", "2026-10-04 14:30")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "La tilbake sikkerhetskopi nr. 1 fra 2026-10-04 14:30:12 (Periode 2026-09);")
    assert path.read_bytes() == data["2026-09"]


def test_without_options_the_newest_comes_back(workbook):
    path, data = workbook
    assert _run(path).output.startswith(
        "La tilbake sikkerhetskopi nr. 1 fra 2026-10-04 14:30:12 (Periode 2026-09);")
    assert path.read_bytes() == data["2026-09"]


@pytest.mark.parametrize("args, message", [
    (("--nr", 3), "Feil: målekort_0101_2026.xlsx: Det finnes ingen sikkerhetskopi nr. 3: filen "
                  "har 2 (se «excelkort gjenopprett --liste»)."),
    (("--fra", "2026-09-01"), "Feil: målekort_0101_2026.xlsx: Ingen sikkerhetskopi er tatt på eller før "
                              "2026-09-01; den eldste er fra 2026-09-05 08:15:00."),
    (("--nr", 0), "Feil: --nr 0 finnes ikke: nr. 1 er den nyeste sikkerhetskopien (se --liste)."),
    (("--fra", "i går"), "Feil: Ugyldig tidspunkt «i går». Skriv tidspunktet som ÅÅÅÅ-MM-DD "
                         "TT:MM[:SS], slik «--liste» viser det."),
])
def test_a_backup_that_is_not_there_is_refused(workbook, args, message):
    path, data = workbook
    result = _run(path, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert path.read_bytes() == data["2026-10"]
