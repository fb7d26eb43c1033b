"""The official MCP "everything" server from npm (tests/peers/npm, installed by `make test`), and how
to find the processes a test started."""

from pathlib import Path

import pytest

EVERYTHING = Path(__file__).resolve().parent / "npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js"


def everything_args(marker: Path) -> list[str]:
    """The server's arguments after `node`; `marker` (which it ignores) finds its process."""
    if not EVERYTHING.is_file():
        pytest.fail(f"{EVERYTHING} is missing: run `make tests/peers/npm/node_modules/.installed` (make test does)")
    return [str(EVERYTHING), "stdio", str(marker)]


def processes_mentioning(marker: Path) -> list[int]:
    """The live processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(marker).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:  # it ended while we looked
            continue
    return found
