"""The peers venv (fastmcp 3.x on mcp 1.x) that `make test` installs beside ours."""

from pathlib import Path

import pytest

PEERS_PYTHON = Path(__file__).resolve().parents[2] / ".venv-peers" / "bin" / "python"


@pytest.fixture
def peers_python() -> Path:
    if not PEERS_PYTHON.exists():
        pytest.skip(f"{PEERS_PYTHON} is missing: `make test` installs the fastmcp 3.x peers venv")
    return PEERS_PYTHON
