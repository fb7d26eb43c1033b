"""Quotes and bookings: one interface (base.Store), a SQLite file or a PostgreSQL database behind it."""

from __future__ import annotations

import re
from collections.abc import Callable
import time
from pathlib import Path

from mcp_server.errors import ConfigError
from mcp_server.store.base import Booking, Quote, Store

__all__ = ["Booking", "Quote", "Store", "describe_db", "open_store", "parse_db"]

POSTGRES_SCHEMES = ("postgresql", "postgres")  # the two URI designators libpq accepts
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")


def parse_db(value: str | Path) -> str | Path:
    """A file path, or a PostgreSQL URL kept as text (a Path would fold its `//`).

    Raises:
        ConfigError: a URL of another scheme, or a PostgreSQL URL libpq cannot parse.
    """
    if isinstance(value, Path):
        return value
    match = _SCHEME.match(value)
    if match is None:
        return Path(value).expanduser()
    scheme = match.group(1)
    if scheme.lower() not in POSTGRES_SCHEMES or not value[match.end():].startswith("//"):
        raise ConfigError(
            f"db: unsupported database URL scheme {scheme!r}; use a SQLite file path or "
            "postgresql://user:password@host:port/database (for a file whose name has a colon, write ./NAME)"
        )
    from psycopg.conninfo import conninfo_to_dict  # only PostgreSQL users pay for the import

    try:
        conninfo_to_dict(value)
    except Exception:  # psycopg.ProgrammingError; libpq's text may echo the URL, password included
        raise ConfigError(
            "db: not a valid PostgreSQL URL; the form is postgresql://user:password@host:port/database?sslmode=require"
        ) from None
    return value


def describe_db(db: str | Path) -> str:
    """The `db` setting for logs: a PostgreSQL URL without its password."""
    if isinstance(db, str):
        from mcp_server.store.postgres import redacted

        return redacted(db)
    return str(db)


def open_store(db: str | Path, *, quote_ttl_s: float, clock: Callable[[], float] = time.time) -> Store:
    """The store for a `db` setting (see parse_db); it connects on `open()` or first use."""
    if isinstance(db, str):
        from mcp_server.store.postgres import PostgresStore

        return PostgresStore(db, quote_ttl_s=quote_ttl_s, clock=clock)
    from mcp_server.store.sqlite import SqliteStore

    return SqliteStore(db, quote_ttl_s=quote_ttl_s, clock=clock)
