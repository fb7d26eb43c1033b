"""The store in one SQLite file: the embedded default for one machine.

Reads and writes use separate connections (WAL: readers never wait for a writer), and every call
runs in the store's own worker threads, so a write waiting out another process's lock holds up
that one call only: not reads, not the event loop, not the tool thread pool. No Python lock is held
while SQLite waits. A write queues for one of this process's write connections (up to
`queue_timeout_s`), then waits at most `busy_timeout_s` for another process's lock.

Fail closed: `open()` proves a write lands; before every write the file at the path must still be
the file we opened (a deleted or replaced database would otherwise swallow bookings until the next
restart); SQLite's own error text never reaches a client.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio

from mcp_server.errors import StoreBusy, StoreUnavailable
from mcp_server.store.base import Row, Store

logger = logging.getLogger("trip_server")
T = TypeVar("T")

BUSY = "The booking database is busy (another process holds its lock); nothing was changed. Try again in a moment."
GONE = (
    "The booking database file was deleted or replaced while trip-server was running; nothing was changed. "
    "The operator must restart trip-server."
)
FAILED = "The booking database could not be {verb} ({reason}); nothing was changed. The operator should check the server log."


class SqliteStore(Store):
    def __init__(
        self,
        path: Path | str,
        *,
        quote_ttl_s: float = 24 * 3600,
        clock: Callable[[], float] = time.time,
        busy_timeout_s: float = 5.0,
        queue_timeout_s: float = 30.0,
        readers: int = 4,
        writers: int = 2,
    ) -> None:
        super().__init__(quote_ttl_s=quote_ttl_s, clock=clock)
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self.queue_timeout_s = queue_timeout_s
        self._sizes = (readers, writers)
        # Idle connections; a limiter's token is the right to take one, so the lists are never
        # empty when taken from. anyio's limiters bind to no event loop (tests use several).
        self._readers: list[sqlite3.Connection] = []
        self._writers: list[sqlite3.Connection] = []
        self._read_turns = anyio.CapacityLimiter(readers)
        self._write_turns = anyio.CapacityLimiter(writers)
        self._threads = anyio.CapacityLimiter(readers + writers)  # not the tool thread pool's limiter
        self._all: list[sqlite3.Connection] = []
        self._identity: tuple[int, int] | None = None

    async def _connect(self) -> None:
        readers, writers = self._sizes
        for _ in range(readers + writers):
            self._all.append(await self._run(self._new_connection, "opened"))  # close() closes these on failure
        connections = list(self._all)
        stat = os.stat(self.path)
        self._identity = (stat.st_dev, stat.st_ino)
        self._readers, self._writers = connections[:readers], connections[readers:]
        for connection in self._readers:
            connection.execute("PRAGMA query_only = ON")

    def _new_connection(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnavailable(f"Cannot create the folder for the booking database {self.path}: {error.strerror}.") from error
        # isolation_level=None: we issue BEGIN ourselves so each write is exactly one transaction.
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=self.busy_timeout_s)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        return connection

    async def close(self) -> None:
        for connection in self._all:
            connection.close()
        self._all, self._readers, self._writers = [], [], []
        self._opened = False

    async def _lock_schema(self, tx: Any) -> None:
        pass  # the write transaction is BEGIN IMMEDIATE: SQLite's one writer

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[_Tx]:
        async with self._read_turns:
            connection = self._readers.pop()
            try:
                yield _Tx(self, connection, "read")
            finally:
                self._readers.append(connection)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[_Tx]:
        # Two clocks: a burst of this process's own writes queues for a connection (up to
        # queue_timeout_s, as a PostgreSQL pool does); another process's lock is waited out for
        # busy_timeout_s (the connection's busy timeout) from the moment this write gets its turn.
        try:
            with anyio.fail_after(self.queue_timeout_s):
                await self._write_turns.acquire()
        except TimeoutError as error:
            raise StoreBusy(BUSY) from error
        connection = self._writers.pop()
        try:
            await self._run(lambda: self._begin(connection), "written")
            try:
                yield _Tx(self, connection, "written")
                await self._run(lambda: connection.execute("COMMIT"), "written")
            except BaseException:
                if connection.in_transaction:
                    await self._run(lambda: connection.execute("ROLLBACK"), "written")
                raise
        finally:
            self._writers.append(connection)
            self._write_turns.release()

    def _begin(self, connection: sqlite3.Connection) -> None:
        """Take the write lock (waiting up to the busy timeout), then check the file is still ours."""
        connection.execute("BEGIN IMMEDIATE")
        if self._identity is None:
            return
        try:
            stat = os.stat(self.path)
            same = (stat.st_dev, stat.st_ino) == self._identity
        except FileNotFoundError:
            same = False
        if not same:
            connection.execute("ROLLBACK")
            logger.error("db=<%s> | the database file was deleted or replaced since start; refusing to write", self.path)
            raise StoreUnavailable(GONE)

    async def _run(self, work: Callable[[], T], verb: str) -> T:
        """`work` in one of the store's threads, with SQLite's errors as one clear message."""
        try:
            return await anyio.to_thread.run_sync(work, limiter=self._threads)
        except sqlite3.Error as error:
            raise _clear(error, self.path, verb) from error


def _clear(error: sqlite3.Error, path: Path, verb: str) -> Exception:
    text = str(error)
    if "locked" in text or "busy" in text:
        return StoreBusy(BUSY)
    logger.warning("db=<%s> | sqlite error while %s: %s", path, verb, text)
    if "readonly" in text or "read-only" in text:
        return StoreUnavailable(
            f"The booking database {path} is read-only; nothing was changed. "
            "Make the file and its folder writable, or choose another file with --db."
        )
    if "unable to open" in text:
        return StoreUnavailable(f"Cannot open the booking database {path}; check that its folder exists and is writable.")
    reason = "the file is not a database" if "not a database" in text else "disk or file error" if "disk" in text else "storage error"
    return StoreUnavailable(FAILED.format(verb=verb, reason=reason))


class _Tx:
    def __init__(self, store: SqliteStore, connection: sqlite3.Connection, verb: str) -> None:
        self._store = store
        self._connection = connection
        self._verb = verb

    async def one(self, sql: str, *params: Any) -> Row | None:
        return await self._store._run(lambda: self._connection.execute(sql, params).fetchone(), self._verb)

    async def all(self, sql: str, *params: Any) -> list[Row]:
        return await self._store._run(lambda: self._connection.execute(sql, params).fetchall(), self._verb)
