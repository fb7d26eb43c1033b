"""Schema versions, applied in order at start inside the caller's write transaction.

The caller holds the schema lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so two
replicas starting at once apply each version exactly once. Version 1 is the schema trip-server
used before versioning (IF NOT EXISTS), so an old database upgrades in place. Append new versions;
never edit one that has shipped.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mcp_server.errors import StoreUnavailable

if TYPE_CHECKING:
    from mcp_server.store.base import Tx

# {real}: the dialect's 8-byte float (seconds since the epoch).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: quotes and bookings, one booking per quote
        """CREATE TABLE IF NOT EXISTS quotes (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            price TEXT NOT NULL,
            created_at {real} NOT NULL,
            expires_at {real} NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS bookings (
            id TEXT PRIMARY KEY,
            quote_id TEXT NOT NULL UNIQUE REFERENCES quotes(id),
            owner TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
            created_at {real} NOT NULL,
            cancelled_at {real}
        )""",
        "CREATE INDEX IF NOT EXISTS bookings_owner ON bookings(owner, created_at)",
    ),
    (  # 2: at most one quote and one booking per flow; a row the write probe updates
        "ALTER TABLE quotes ADD COLUMN flow_id TEXT",
        "ALTER TABLE bookings ADD COLUMN flow_id TEXT",
        "CREATE UNIQUE INDEX quotes_owner_flow ON quotes(owner, flow_id)",
        "CREATE UNIQUE INDEX bookings_owner_flow ON bookings(owner, flow_id)",
        "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
    (  # 3: payment links of the optional payment step; one per flow, settled once
        """CREATE TABLE payments (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            flow_id TEXT NOT NULL,
            quote_id TEXT NOT NULL REFERENCES quotes(id),
            amount_jpy INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled')),
            created_at {real} NOT NULL,
            expires_at {real} NOT NULL,
            settled_at {real}
        )""",
        "CREATE UNIQUE INDEX payments_owner_flow ON payments(owner, flow_id)",
    ),
)
LATEST = len(MIGRATIONS)


async def migrate(tx: Tx, real_type: str) -> int:
    """Apply the versions this database lacks; returns how many were applied.

    Raises:
        StoreUnavailable: the database was written by a newer trip-server.
    """
    await tx.one(f"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at {real_type} NOT NULL)")
    row = await tx.one("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")
    current = int(row["version"]) if row is not None else 0
    if current > LATEST:
        raise StoreUnavailable(
            f"The booking database has schema version {current}; this trip-server knows up to {LATEST}. Upgrade trip-server."
        )
    for version in range(current + 1, LATEST + 1):
        for statement in MIGRATIONS[version - 1]:
            await tx.one(statement.format(real=real_type))
        await tx.one("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", version, time.time())
    return LATEST - current
