"""LibreOffice headless for tests: recalculate workbooks and render documents.

Each run gets a throw-away profile whose registrymodifications.xcu sets OOXMLRecalcMode to 0
("always recalculate"), so LibreOffice does not trust the cached values we wrote.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The soffice binary; skip the test without it, but fail under CI."""
    exe = soffice()
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) mangler, men CI=true: installer libreoffice-calc.")
        pytest.skip("LibreOffice (soffice) er ikke installert")
    return exe


def run_soffice(files: list[Path], fmt: str, outdir: Path) -> subprocess.CompletedProcess:
    """Run LibreOffice headless with a throw-away always-recalculate profile; fails on error."""
    exe = require_soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir(parents=True)
        (user / "registrymodifications.xcu").write_text(RECALC_XCU, encoding="utf-8")
        cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", fmt, "--outdir", str(outdir), *map(str, files)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"soffice failed: {proc.stdout}\n{proc.stderr}")
    return proc


def convert(files: list[Path], fmt: str, outdir: Path) -> list[Path]:
    """Convert files with LibreOffice headless (recalculating on load); returns the outputs."""
    proc = run_soffice(files, fmt, outdir)
    ext = fmt.split(":")[0]
    outs = [outdir / (Path(f).stem + "." + ext) for f in files]
    missing = [o for o in outs if not o.exists()]
    if missing:
        raise RuntimeError(f"soffice wrote no {missing}: {proc.stdout}\n{proc.stderr}")
    return outs
