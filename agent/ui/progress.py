"""Tool progress notifications as terminal output.

On a terminal one line is redrawn in place; elsewhere (pipes, CI logs) each
update is its own line, since carriage returns garble captured output.
"""

from __future__ import annotations

import shutil
from typing import TextIO

BAR_CELLS = 20
SPINNER = "|/-\\"
CLEAR_LINE = "\r\x1b[2K"


class ProgressView:
    """Shows progress of one tool at a time; any other output must follow `done()`."""

    def __init__(self, output: TextIO, *, interactive: bool) -> None:
        self._output = output
        self._interactive = interactive
        self._open_tool: str | None = None  # the tool whose line is still unterminated
        self._updates = 0

    def update(self, tool: str, progress: float, total: float | None, message: str | None) -> None:
        if not self._interactive:
            self._output.write(_plain_line(tool, progress, total, message) + "\n")
            self._output.flush()
            return
        if self._open_tool is not None and self._open_tool != tool:
            self.done()
        self._updates += 1
        line = _live_line(tool, progress, total, message, self._updates)
        # A line that wraps cannot be redrawn in place: clearing reaches only its last row.
        width = shutil.get_terminal_size().columns - 1
        self._output.write(CLEAR_LINE + line[:width])
        self._output.flush()
        self._open_tool = tool

    def done(self) -> None:
        """End the in-place line so the next output starts on a fresh one."""
        if self._open_tool is not None:
            self._output.write("\n")
            self._output.flush()
        self._open_tool = None
        self._updates = 0


def _live_line(tool: str, progress: float, total: float | None, message: str | None, updates: int) -> str:
    if total:
        share = _share(progress, total)
        filled = round(share * BAR_CELLS)
        line = f"{tool} [{'#' * filled}{'-' * (BAR_CELLS - filled)}] {share:4.0%}"
    else:
        # Without a total there is no bar to fill; the spinner shows updates still arrive.
        line = f"{tool} {SPINNER[updates % len(SPINNER)]} {progress:g}"
    return f"{line} {message}" if message else line


def _plain_line(tool: str, progress: float, total: float | None, message: str | None) -> str:
    if total:
        line = f"{tool}: {progress:g}/{total:g} ({_share(progress, total):.0%})"
    else:
        line = f"{tool}: {progress:g}"
    return f"{line} {message}" if message else line


def _share(progress: float, total: float) -> float:
    return min(max(progress / total, 0.0), 1.0)
