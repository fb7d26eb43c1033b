"""The store in PostgreSQL: one database shared by any number of trip-server replicas.

psycopg 3's async pool runs on the server's event loop. Single use is the database's job: unique
constraints with `INSERT … ON CONFLICT DO NOTHING`, and `SELECT … FOR UPDATE` on the quote so two
replicas booking it at once take turns. Migrations run under a transaction-scoped advisory lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from mcp_server.errors import StoreBusy, StoreUnavailable
from mcp_server.store.base import Row, Store

logger = logging.getLogger("trip_server")

SCHEMA_LOCK = 0x7472_6970  # "trip": the advisory lock key every replica migrates under
UNREACHABLE = "The booking database is unreachable or overloaded right now; nothing was changed. Try again in a moment."
BUSY = "The booking database is busy (a row stayed locked too long); nothing was changed. Try again in a moment."
FAILED = "The booking database could not be {verb}; nothing was changed. The operator should check the server log."


def redacted(dsn: str) -> str:
    """postgresql://user@host:port/dbname: the DSN without its password (or any other secret)."""
    parts = conninfo_to_dict(dsn)
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


class PostgresStore(Store):
    for_update = "FOR UPDATE"
    real_type = "DOUBLE PRECISION"

    def __init__(
        self,
        dsn: str,
        *,
        quote_ttl_s: float = 24 * 3600,
        clock: Callable[[], float] = time.time,
        busy_timeout_s: float = 5.0,
        pool_timeout_s: float = 30.0,
        max_connections: int = 10,
    ) -> None:
        super().__init__(quote_ttl_s=quote_ttl_s, clock=clock)
        self.dsn = dsn
        self.busy_timeout_s = busy_timeout_s
        self.pool_timeout_s = pool_timeout_s
        self.max_connections = max_connections
        self._pool: AsyncConnectionPool | None = None

    async def _connect(self) -> None:
        # One plain connection first: its error says why (refused, bad password, no database),
        # where the pool would only time out.
        try:
            probe = await psycopg.AsyncConnection.connect(self.dsn, connect_timeout=10)
        except psycopg.Error as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise StoreUnavailable(f"Cannot connect to the booking database {redacted(self.dsn)}: {reason}") from error
        await probe.close()
        self._pool = AsyncConnectionPool(
            self.dsn,
            min_size=2,
            max_size=self.max_connections,
            kwargs={"autocommit": True, "row_factory": dict_row},
            configure=self._configure,
            timeout=self.pool_timeout_s,  # under a burst, calls queue for a connection in turn
            open=False,
        )
        await self._pool.open(wait=True, timeout=30)

    async def _configure(self, connection: psycopg.AsyncConnection) -> None:
        # A row lock held by a stuck client costs the waiting call busy_timeout_s, not forever.
        await connection.execute(f"SET lock_timeout = '{int(self.busy_timeout_s * 1000)}ms'")

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        self._opened = False

    async def _lock_schema(self, tx: Any) -> None:
        await tx.one("SELECT pg_advisory_xact_lock(?)", SCHEMA_LOCK)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[_Tx]:
        assert self._pool is not None
        with _clear("read"):
            async with self._pool.connection() as connection:
                yield _Tx(connection)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[_Tx]:
        assert self._pool is not None
        with _clear("written"):
            async with self._pool.connection() as connection, connection.transaction():
                yield _Tx(connection)


@contextmanager
def _clear(verb: str) -> Iterator[None]:
    """psycopg's errors as one message for the client; the detail goes to the log (no DSN in it)."""
    try:
        yield
    except PoolTimeout as error:
        raise StoreBusy(UNREACHABLE) from error
    except pg_errors.LockNotAvailable as error:
        raise StoreBusy(BUSY) from error
    except psycopg.OperationalError as error:
        logger.warning("postgresql error while %s: %s", verb, str(error).strip().splitlines()[0] if str(error) else error)
        raise StoreUnavailable(UNREACHABLE) from error
    except psycopg.Error as error:
        logger.warning("postgresql error while %s: %s", verb, type(error).__name__)
        raise StoreUnavailable(FAILED.format(verb=verb)) from error


class _Tx:
    def __init__(self, connection: psycopg.AsyncConnection) -> None:
        self._connection = connection

    async def one(self, sql: str, *params: Any) -> Row | None:
        cursor = await self._connection.execute(sql.replace("?", "%s"), params)
        return await cursor.fetchone() if cursor.description is not None else None

    async def all(self, sql: str, *params: Any) -> list[Row]:
        cursor = await self._connection.execute(sql.replace("?", "%s"), params)
        return await cursor.fetchall()
