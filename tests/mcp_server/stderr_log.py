"""A child process's stderr, copied into a file as it arrives, that a test can wait on without polling."""

from __future__ import annotations

import asyncio
import os
import select
import threading
from pathlib import Path
from typing import IO


class StderrLog:
    """Drains `pipe` on a thread; `text()` also drains, so it holds everything the child wrote before the call."""

    def __init__(self, pipe: IO, path: Path) -> None:
        self._pipe = pipe
        self._fd = pipe.fileno()
        os.set_blocking(self._fd, False)
        self._file = path.open("wb")
        self._data = bytearray()
        self._ended = False
        self._changed = threading.Condition()
        self._copier = threading.Thread(target=self._copy, name=f"stderr of {path.name}", daemon=True)
        self._copier.start()

    def text(self) -> str:
        with self._changed:
            self._drain()
            return self._data.decode("utf-8", errors="replace")

    async def wait_for(self, needle: str, timeout: float) -> bool:
        """Whether `needle` was written within `timeout` s; False early once the child closed its stderr."""
        wanted = needle.encode()

        def written() -> bool:
            with self._changed:
                return self._changed.wait_for(lambda: wanted in self._data or self._ended, timeout) and wanted in self._data

        return await asyncio.to_thread(written)

    def close(self) -> None:
        """After the child exited: copy the rest, then close the pipe and the file."""
        self._copier.join()
        self._pipe.close()
        self._file.close()

    def _copy(self) -> None:
        while not self._ended:
            select.select([self._fd], [], [])  # wakes when the child writes or exits
            with self._changed:
                self._drain()

    def _drain(self) -> None:
        """Read all that is in the pipe now (the caller holds the lock) and wake the waiters."""
        if self._ended:
            return
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                self._ended = True
                break
            self._data += chunk
            self._file.write(chunk)
        self._file.flush()
        self._changed.notify_all()
