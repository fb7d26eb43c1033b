"""The official MCP conformance suite against trip-server (conformance/run.sh), as part of `make test`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.conformance


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed: the suite is an npm package")
def test_conformance_suite_passes_against_its_baseline():
    run = subprocess.run(
        ["bash", str(ROOT / "conformance" / "run.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert "0 unexpected, 0 stale" in run.stdout
