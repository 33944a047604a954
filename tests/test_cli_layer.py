"""The command line is a thin layer: it imports only the API, the errors and its own words;
one place turns errors into exit codes; a closed pipe ends quietly."""
from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import excelkort
from excelkort import api
from excelkort.cli import main

PACKAGE = Path(excelkort.__file__).parent
CATALOGUE = PACKAGE / "data" / "indikatorer.csv"


def test_cli_imports_only_api_errors_and_clitext():
    tree = ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            imported |= {node.module} if node.module else {a.name for a in node.names}
    assert imported == {"api", "errors", "clitext"}


def test_every_api_function_is_documented():
    undocumented = [name for name in api.__all__
                    if callable(getattr(api, name)) and not inspect.getdoc(getattr(api, name))]
    assert undocumented == []
    assert all(f"``{name}``" in api.__doc__ for name in
               ("new_scorecard", "build_demo", "fill", "control", "validate", "restore"))


def test_internal_error_exits_1_with_the_report_text(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("noe uventet")

    monkeypatch.setattr(api, "validate", broken)
    result = CliRunner().invoke(main, ["sjekk", str(CATALOGUE)])
    assert result.exit_code == 1
    assert "Intern feil i excelkort: RuntimeError: noe uventet" in result.output
    assert "Meld fra til den som drifter excelkort" in result.output


def test_an_internal_excelkort_error_gets_the_same_report_text(monkeypatch):
    from excelkort.xlsx.celledit import EditError

    def broken(*args, **kwargs):
        raise EditError("cannot write inf to cell B7")

    monkeypatch.setattr(api, "validate", broken)
    result = CliRunner().invoke(main, ["sjekk", str(CATALOGUE)])
    assert result.exit_code == 1
    assert "Intern feil i excelkort: EditError: cannot write inf to cell B7" in result.output
    assert "Meld fra til den som drifter excelkort" in result.output


def test_version_in_both_languages():
    for flag in ("--versjon", "--version"):
        result = CliRunner().invoke(main, [flag])
        assert result.exit_code == 0
        assert result.output == f"excelkort {api.VERSION}\n"


def test_closed_pipe_ends_quietly():
    """``excelkort sjekk … | head -0``: the reader is gone before the first line is written."""
    proc = subprocess.Popen([sys.executable, "-m", "excelkort.cli", "sjekk", str(CATALOGUE)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert stderr == ""


def test_every_command_has_an_example_in_the_readme():
    """Each command of `excelkort --help` appears in a code example of the README."""
    import re

    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    code = "\n".join(body for _, body in re.findall(r"```(\w*)\n(.*?)```", readme, flags=re.S))
    code += "\n".join(line for line in readme.splitlines() if line.startswith("    "))
    missing = [name for name in main.commands if not re.search(rf"excelkort {name}\b", code)]
    assert missing == []


def test_every_command_takes_json(tmp_path):
    """`--json` on every command: a script gets the exit status and the summary's counts."""
    assert all(any(p.name in ("json_summary", "as_json") for p in cmd.params) for cmd in main.commands.values())
    result = CliRunner().invoke(main, ["sjekk", str(CATALOGUE), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["kommando"], summary["avslutningskode"], summary["filer_sjekket"],
            summary["advarsler"], summary["feil"]) == ("sjekk", 0, 1, 0, 0)
    assert summary["linjer"][-1] == "Oppsummering: 1 fil sjekket, 0 advarsler, 0 feil."
    bad = tmp_path / "bok.xlsx"
    bad.write_bytes(b"ikke en zip")
    failed = CliRunner().invoke(main, ["sjekk", str(bad), "--json"])
    assert failed.exit_code == 2
    assert json.loads(failed.stdout)["feil"] == 1


def test_no_progress_label_when_stderr_is_no_terminal(tmp_path):
    """A cron job's log or a script's stderr gets the messages, not a stray progress label."""
    proc = subprocess.run([sys.executable, "-m", "excelkort.cli", "rapport", "--alle", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.endswith("Oppsummering: 0 filer skrevet, 0 advarsler, 0 feil.\n")
