"""A terminal for real prompt-toolkit sessions: a VT100 emulator (pyte) that answers cursor-position
requests as a real one does, so layouts stretch to the bottom of the screen as they do for a user."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pyte
import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import PipeInput
from prompt_toolkit.output.vt100 import Vt100_Output

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WAIT_S = 10  # generous: a loaded CI machine; a passing test never waits this long


class _Screen(pyte.Screen):
    def __init__(self, columns: int, rows: int, pipe: PipeInput) -> None:
        super().__init__(columns, rows)
        self._pipe = pipe

    def write_process_input(self, data: str) -> None:
        self._pipe.send_text(data)  # e.g. the answer to a cursor-position request


class Terminal:
    """What the user sees (`rows()`), everything ever written (`log()`), and a wait on both without polling."""

    encoding = "utf-8"

    def __init__(self, pipe: PipeInput, columns: int = 120, rows: int = 40) -> None:
        self.screen = _Screen(columns, rows, pipe)
        self._stream = pyte.Stream(self.screen)
        self._written: list[str] = []
        self._changed = asyncio.Event()
        self.output = Vt100_Output(self, lambda: Size(rows=rows, columns=columns))

    # The file the output writes to.
    def write(self, data: str) -> int:
        self._written.append(data)
        self._stream.feed(data)
        return len(data)

    def flush(self) -> None:
        self._changed.set()

    def isatty(self) -> bool:
        return True  # so prompt-toolkit asks where the cursor is, as it does in a real terminal

    # What the test reads.
    def rows(self) -> list[str]:
        return [row.rstrip() for row in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.rows()).rstrip("\n")

    def row_with(self, text: str) -> int:
        """The index of the first screen row holding `text`."""
        return next(index for index, row in enumerate(self.rows()) if text in row)

    def log(self) -> str:
        """Every line written, escape sequences removed (what scrolled away included)."""
        return ANSI_ESCAPE.sub("", "".join(self._written)).replace("\r", "")

    async def wait_for(self, text: str) -> None:
        """Until `text` is on the screen."""
        await self.wait_until(lambda: any(text in row for row in self.rows()), repr(text))

    async def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        """Until `condition()` holds; woken by each flush of the output."""
        try:
            async with asyncio.timeout(WAIT_S):
                while not condition():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"{what} never appeared; screen:\n" + "\n".join(self.rows())) from None


@pytest.fixture
def terminal(pipe):
    return Terminal(pipe)
