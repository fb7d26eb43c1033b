"""Fixtures shared by every test: isolated user state and a clean environment."""

from pathlib import Path

import pytest
from platformdirs import user_cache_dir

# The machine's cache (the local model's weights, 1.1 GB, assembled once per machine), not user state:
# tests read it where `make test` installed it, even with HOME moved below.
MACHINE_CACHE = str(Path(user_cache_dir("trip-agent")).parent)


@pytest.fixture(autouse=True)
def isolated_user_state(tmp_path, monkeypatch):
    # Nothing a test does may touch the developer's real data, history or AWS setup.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", MACHINE_CACHE)
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "BEARER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
