"""The benchmarks run (`make bench`): a smoke run of each with a few offices, so a change that
breaks one is caught here, not on the day someone measures. Figures are not asserted."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).parent.parent / "benchmarks" / "run.py"


@pytest.mark.parametrize("name", ["motor", "målekort", "fyll", "konsolider", "rapport", "uttrekk"])
def test_benchmark_runs(name):
    result = subprocess.run([sys.executable, str(RUN), name, "--kontor", "12"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(f"== {name}\n")
