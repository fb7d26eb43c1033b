"""The store's interface and its behaviour, written once for both databases.

Every write is one transaction. The database, not this process, enforces single use: a quote has
at most one booking (unique quote_id), a flow at most one quote and one booking (unique
owner + flow_id), and `INSERT … ON CONFLICT DO NOTHING` followed by a look-up returns the row that
won a race, so a retried or concurrent Book — from this replica or another — returns the booking
already made. Backends (sqlite.py, postgres.py) supply connections and transactions; the SQL and
the rules live here.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from mcp_server.errors import BookingNotFound, PaymentNotConfirmed, QuoteExpired, QuoteNotFound, StoreUnavailable
from mcp_server.pricing import Price
from mcp_server.store.migrations import migrate

Row = Mapping[str, Any]
ID_ATTEMPTS = 3  # a 40-bit id collides about never; a second try makes "never" certain


def new_id(prefix: str) -> str:
    """`prefix` + 8 base32 characters from 40 random bits, e.g. TRV-K3J9QF2A."""
    return prefix + base64.b32encode(secrets.token_bytes(5)).decode("ascii")


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Quote:
    id: str
    price: Price
    created_at: str
    expires_at: str


@dataclass(frozen=True)
class Booking:
    reservation_id: str
    quote_id: str
    status: str
    created_at: str
    cancelled_at: str | None
    price: Price

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["quote"] = data.pop("price")
        return data


@dataclass(frozen=True)
class Payment:
    """A payment link of the payment step. `status` is "expired" for a pending one past its time."""

    id: str
    quote_id: str
    amount_jpy: int
    status: str  # pending, confirmed, cancelled or expired
    expires_at: str


class Tx(Protocol):
    """One connection inside one transaction (or one read). SQL uses `?` placeholders."""

    async def one(self, sql: str, *params: Any) -> Row | None: ...

    async def all(self, sql: str, *params: Any) -> list[Row]: ...


_BOOKING = "SELECT b.*, q.price AS price FROM bookings b JOIN quotes q ON q.id = b.quote_id"


class Store(ABC):
    """Quotes and bookings of many owners. Opens on first use; `open()` at start fails early instead."""

    # Row lock for a read inside a write transaction (PostgreSQL); SQLite's BEGIN IMMEDIATE already
    # holds the one write lock.
    for_update = ""
    # Storage type of timestamps (seconds since the epoch); PostgreSQL's REAL is 4 bytes.
    real_type = "REAL"

    def __init__(self, *, quote_ttl_s: float, clock: Callable[[], float]) -> None:
        self.quote_ttl_s = quote_ttl_s
        self.clock = clock
        self._opened = False
        self._opening: asyncio.Lock | None = None

    # --- what a backend supplies

    @abstractmethod
    async def _connect(self) -> None:
        """Open connections. Raises: StoreUnavailable, with what to fix."""

    @abstractmethod
    def _read(self) -> AbstractAsyncContextManager[Tx]: ...

    @abstractmethod
    def _write(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction: committed when the block ends, rolled back if it raises."""

    @abstractmethod
    async def _lock_schema(self, tx: Tx) -> None:
        """Make this transaction the only one migrating (two replicas may start at once)."""

    @abstractmethod
    async def close(self) -> None: ...

    # --- lifecycle

    async def open(self) -> None:
        """Connect, bring the schema up to date, and prove a write lands (fail closed at start).

        Raises:
            StoreUnavailable: the database cannot be reached, migrated or written; the message says why.
        """
        if self._opened:
            return
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._opened:
                return
            try:
                await self._connect()
                async with self._write() as tx:
                    await self._lock_schema(tx)
                    await migrate(tx, self.real_type)
                    await tx.one(
                        "INSERT INTO store_meta (key, value) VALUES ('write_probe', ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        iso(time.time()),
                    )
            except BaseException:
                await self.close()  # the next call starts over instead of leaking these connections
                raise
            self._opened = True

    # --- quotes

    async def save_quote(self, owner: str, price: Price, flow_id: str | None = None) -> Quote:
        """A new quote, or the one `flow_id` already saved (a replayed search saves nothing new)."""
        await self.open()
        async with self._write() as tx:
            for _ in range(ID_ATTEMPTS):
                now = self.clock()
                row = await tx.one(
                    "INSERT INTO quotes (id, owner, price, created_at, expires_at, flow_id) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING RETURNING *",
                    new_id("Q-"), owner, json.dumps(price.as_dict()), now, now + self.quote_ttl_s, flow_id,
                )
                if row is None and flow_id is not None:
                    row = await tx.one("SELECT * FROM quotes WHERE owner = ? AND flow_id = ?", owner, flow_id)
                if row is not None:
                    return _quote(row)
        raise StoreUnavailable("Could not allocate a quote id; nothing was saved. Try again.")

    async def get_quote(self, owner: str, quote_id: str) -> Quote:
        """A live quote of `owner`.

        Raises:
            QuoteNotFound: no such quote for this owner.
            QuoteExpired: the quote is past its time to live.
        """
        await self.open()
        async with self._read() as tx:
            row = await _quote_row(tx, owner, quote_id)
        _check_live(row, self.clock())
        return _quote(row)

    # --- bookings

    async def book(self, owner: str, quote_id: str, flow_id: str | None = None, payment_id: str | None = None) -> Booking:
        """Book a quote, or return the booking already made from it or by `flow_id` (idempotent).

        `payment_id`: a new booking needs this payment of the same owner, flow and quote confirmed.

        Raises:
            QuoteNotFound, QuoteExpired: as for get_quote.
            BookingNotFound: the quote's booking was cancelled; it cannot be booked again.
            PaymentNotConfirmed: `payment_id` is not a confirmed payment of this flow and quote.
        """
        await self.open()
        async with self._write() as tx:
            quote = await _quote_row(tx, owner, quote_id, self.for_update)
            for _ in range(ID_ATTEMPTS):
                existing = await self._existing_booking(tx, owner, quote["id"], flow_id)
                if existing is not None:
                    return existing
                now = self.clock()
                _check_live(quote, now)
                if payment_id is not None:
                    await _check_paid(tx, owner, flow_id, quote["id"], payment_id)
                inserted = await tx.one(
                    "INSERT INTO bookings (id, quote_id, owner, status, created_at, flow_id) "
                    "VALUES (?, ?, ?, 'confirmed', ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                    new_id("TRV-"), quote["id"], owner, now, flow_id,
                )
                if inserted is not None:
                    return _booking(await tx.one(f"{_BOOKING} WHERE b.id = ?", inserted["id"]))
        raise StoreUnavailable("Could not allocate a reservation id; nothing was booked. Try again.")

    async def _existing_booking(self, tx: Tx, owner: str, quote_id: str, flow_id: str | None) -> Booking | None:
        """Raises: BookingNotFound: the quote's booking was cancelled."""
        row = await tx.one(f"{_BOOKING} WHERE b.quote_id = ?", quote_id)
        if row is None and flow_id is not None:
            row = await tx.one(f"{_BOOKING} WHERE b.owner = ? AND b.flow_id = ?", owner, flow_id)
        if row is None:
            return None
        if row["status"] == "cancelled":
            raise BookingNotFound(
                f"Quote {row['quote_id']} was booked as {row['id']} and that booking was cancelled; "
                "run plan_trip again to book anew."
            )
        return _booking(row)

    async def get_booking(self, owner: str, reservation_id: str) -> Booking:
        """Raises: BookingNotFound: no such booking for this owner."""
        await self.open()
        async with self._read() as tx:
            row = await tx.one(f"{_BOOKING} WHERE b.id = ? AND b.owner = ?", _normal(reservation_id), owner)
        if row is None:
            raise BookingNotFound(f"No booking {reservation_id!r}; list_bookings shows yours.")
        return _booking(row)

    async def list_bookings(self, owner: str) -> list[Booking]:
        await self.open()
        async with self._read() as tx:
            rows = await tx.all(f"{_BOOKING} WHERE b.owner = ? ORDER BY b.created_at, b.id", owner)
        return [_booking(row) for row in rows]

    async def cancel(self, owner: str, reservation_id: str) -> Booking:
        """Cancel a booking (cancelling a cancelled booking changes nothing).

        Raises:
            BookingNotFound: no such booking for this owner.
        """
        await self.open()
        async with self._write() as tx:
            await tx.one(
                "UPDATE bookings SET status = 'cancelled', cancelled_at = ? WHERE id = ? AND owner = ? AND status = 'confirmed'",
                self.clock(), _normal(reservation_id), owner,
            )
            row = await tx.one(f"{_BOOKING} WHERE b.id = ? AND b.owner = ?", _normal(reservation_id), owner)
        if row is None:
            raise BookingNotFound(f"No booking {reservation_id!r}; list_bookings shows yours.")
        return _booking(row)


    # --- payments (the optional payment step)

    async def start_payment(self, owner: str, flow_id: str, quote_id: str, amount_jpy: int, ttl_s: float) -> Payment:
        """A new pending payment link for the flow, or the one the flow already has (a replayed round).

        Raises:
            QuoteNotFound: no such quote for this owner.
        """
        await self.open()
        async with self._write() as tx:
            quote = await _quote_row(tx, owner, quote_id)
            for _ in range(ID_ATTEMPTS):
                now = self.clock()
                row = await tx.one(
                    "INSERT INTO payments (id, owner, flow_id, quote_id, amount_jpy, status, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING RETURNING *",
                    new_payment_id(), owner, flow_id, quote["id"], amount_jpy, now, now + ttl_s,
                )
                if row is None:
                    row = await tx.one("SELECT * FROM payments WHERE owner = ? AND flow_id = ?", owner, flow_id)
                if row is not None:
                    return _payment(row, now)
        raise StoreUnavailable("Could not allocate a payment id; nothing was saved. Try again.")

    async def get_payment(self, payment_id: str) -> Payment | None:
        """The payment a link names (the id is the link's secret), or None."""
        await self.open()
        async with self._read() as tx:
            row = await tx.one("SELECT * FROM payments WHERE id = ?", payment_id)
        return _payment(row, self.clock()) if row is not None else None

    async def settle_payment(self, payment_id: str, status: str) -> tuple[Payment | None, bool]:
        """Confirm or cancel a pending, live payment: a link settles once, whichever comes first wins.

        Returns the payment as it is afterwards (None: no such link) and whether this call settled it.
        """
        await self.open()
        async with self._write() as tx:
            now = self.clock()
            settled = await tx.one(
                "UPDATE payments SET status = ?, settled_at = ? WHERE id = ? AND status = 'pending' AND expires_at > ? RETURNING id",
                status, now, payment_id, now,
            )
            row = await tx.one("SELECT * FROM payments WHERE id = ?", payment_id)
        return (_payment(row, now) if row is not None else None), settled is not None

    async def payment_of_flow(self, owner: str, flow_id: str, payment_id: str) -> Payment | None:
        """The flow's payment, only if `payment_id` is bound to this owner and flow."""
        await self.open()
        async with self._read() as tx:
            row = await tx.one("SELECT * FROM payments WHERE id = ? AND owner = ? AND flow_id = ?", payment_id, owner, flow_id)
        return _payment(row, self.clock()) if row is not None else None


def new_payment_id() -> str:
    """256 random bits: the payment link's only secret, so it cannot be guessed."""
    return secrets.token_urlsafe(32)


async def _check_paid(tx: Tx, owner: str, flow_id: str | None, quote_id: str, payment_id: str) -> None:
    row = await tx.one(
        "SELECT status FROM payments WHERE id = ? AND owner = ? AND flow_id = ? AND quote_id = ?",
        payment_id, owner, flow_id, quote_id,
    )
    if row is None or row["status"] != "confirmed":
        raise PaymentNotConfirmed(f"The payment for quote {quote_id} is not confirmed; nothing was booked.")


def _payment(row: Row, now: float) -> Payment:
    status = "expired" if row["status"] == "pending" and row["expires_at"] <= now else row["status"]
    return Payment(row["id"], row["quote_id"], int(row["amount_jpy"]), status, iso(row["expires_at"]))


def _normal(identifier: str) -> str:
    return identifier.strip().upper()


async def _quote_row(tx: Tx, owner: str, quote_id: str, lock: str = "") -> Row:
    row = await tx.one(f"SELECT * FROM quotes WHERE id = ? AND owner = ? {lock}", _normal(quote_id), owner)
    if row is None:
        raise QuoteNotFound(f"No quote {quote_id!r}; plan_trip makes one.")
    return row


def _check_live(row: Row, now: float) -> None:
    if row["expires_at"] <= now:
        raise QuoteExpired(f"Quote {row['id']} expired at {iso(row['expires_at'])}; run plan_trip again for a fresh quote.")


def _quote(row: Row) -> Quote:
    return Quote(row["id"], Price(**json.loads(row["price"])), iso(row["created_at"]), iso(row["expires_at"]))


def _booking(row: Row | None) -> Booking:
    assert row is not None  # read back inside the transaction that wrote it
    return Booking(
        reservation_id=row["id"],
        quote_id=row["quote_id"],
        status=row["status"],
        created_at=iso(row["created_at"]),
        cancelled_at=iso(row["cancelled_at"]) if row["cancelled_at"] else None,
        price=Price(**json.loads(row["price"])),
    )
