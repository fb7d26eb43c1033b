"""Starting trip-server as a child process: its command line and its one ready line.

trip-server prints exactly one line on stdout, `listening on URL`, once it accepts connections;
scripts, tests, benchmarks and the agent's bundled server wait for it. Standard library only, so
that starting a server costs the caller no server imports.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

READY_PREFIX = "listening on "


def server_command(*flags: str) -> list[str]:
    """trip-server with this interpreter on a free port (a later `--port` flag wins)."""
    return [sys.executable, "-m", "mcp_server.cli", "--port", "0", *flags]


def ready_url(line: str) -> str | None:
    """The URL of a `listening on URL` line; None for any other line."""
    return line[len(READY_PREFIX):].strip() if line.startswith(READY_PREFIX) else None


class ServerDidNotStart(RuntimeError):
    """The process exited or printed something else before its `listening on` line."""


def start_listening(command: Sequence[str], *, log: Path | None = None, **popen: Any) -> tuple[subprocess.Popen[str], str]:
    """Run `command` and wait for its `listening on URL` line; the process and the URL.

    stderr goes to `log` when given (read it while the server runs), else as `popen` says (default:
    inherited). The process runs unbuffered, so that its lines arrive when written.

    Raises:
        ServerDidNotStart: with what it printed instead, and its stderr when captured.
    """
    env = {**(popen.pop("env", None) or os.environ), "PYTHONUNBUFFERED": "1"}
    if log is not None:
        with log.open("w") as stderr:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, **popen)
    else:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, **popen)
    assert process.stdout is not None
    printed = ""
    # Read to the ready line or to the end of its output: killing at the first other line would lose
    # the error it writes to stderr next (a race seen in the whole suite).
    for line in process.stdout:
        if (url := ready_url(line)) is not None:
            return process, url
        printed += line
    process.wait()
    stderr_text = log.read_text(errors="replace") if log is not None else process.stderr.read() if process.stderr else ""
    raise ServerDidNotStart(f"{shlex.join(command)} did not start: {printed!r}\n{stderr_text}")
