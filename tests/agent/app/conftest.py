"""A screen that records what the REPL draws, so tests wait on real output instead of sleeping."""

import asyncio
import json
import re

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.output.vt100 import Vt100_Output

BOOK_SCRIPT = {
    "turns": [{"tool_use": {"name": "plan_trip", "input": {"destination": "Kyoto"}}}, {"text": "Booked!"}],
    # Three real lines: the server refuses junk such as "tip one" and uses the catalogue instead.
    "sampling": ["Walk Fushimi Inari at dawn.\nTake the Sagano scenic train.\nTry yudofu near Nanzen-ji."],
}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[>=]|[\r\x07]")
WAIT_S = 60.0


class Screen:
    """A text stream the REPL and prompt-toolkit write to; `wait_for` resumes on each write."""

    encoding = "utf-8"

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._changed = asyncio.Event()
        self._seen = 0  # how much of the plain text earlier waits consumed
        self._keys = None

    def answer_cursor_requests(self, pipe) -> None:
        """Act as a terminal: claim to be one and answer cursor position requests on `pipe`.
        Until prompt-toolkit knows the rows below the prompt it draws no bottom toolbar."""
        self._keys = pipe

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._changed.set()
        if self._keys is not None and "\x1b[6n" in text:
            self._keys.send_text("\x1b[1;1R")
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self._keys is not None

    def plain(self) -> str:
        # Whitespace is dropped: the renderer moves the cursor instead of writing some spaces.
        return re.sub(r"\s+", "", _ANSI.sub("", "".join(self._parts)))

    async def wait_for(self, *needles: str) -> str:
        """Wait until one of `needles` (whitespace ignored) appears after what earlier waits matched.

        Returns:
            The needle that appeared first.
        """
        plain_needles = {re.sub(r"\s+", "", needle): needle for needle in needles}

        async def found() -> str:
            while True:
                text = self.plain()
                hits = [(text.find(plain, self._seen), plain) for plain in plain_needles]
                hits = [(index, plain) for index, plain in hits if index >= 0]
                if hits:
                    index, plain = min(hits)
                    self._seen = index + len(plain)
                    return plain_needles[plain]
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(found(), WAIT_S)
        except TimeoutError:
            shown = " or ".join(repr(plain) for plain in plain_needles)
            raise AssertionError(f"{shown} never appeared; screen ends with: {self.plain()[-600:]!r}") from None

    def lines(self) -> list[str]:
        """What was written, as lines, escapes dropped and spacing kept (for layout checks)."""
        return _ANSI.sub("", "".join(self._parts)).split("\n")

    def output(self, columns: int = 160) -> Vt100_Output:
        return Vt100_Output(self, lambda: Size(rows=40, columns=columns), term="xterm")


@pytest.fixture
def screen() -> Screen:
    return Screen()


@pytest.fixture
def book_script(tmp_path):
    path = tmp_path / "book.json"
    path.write_text(json.dumps(BOOK_SCRIPT), encoding="utf-8")
    return path


def read_events(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
