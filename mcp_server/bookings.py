"""Quotes and bookings in SQLite.

Every write is one transaction. A booking is unique per quote, so a retried "Book" returns the
booking it already made instead of writing a second one.
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mcp_server.errors import BookingNotFound, QuoteExpired, QuoteNotFound, StoreBusy
from mcp_server.pricing import Price

SCHEMA = """
CREATE TABLE IF NOT EXISTS quotes (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    price TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS bookings (
    id TEXT PRIMARY KEY,
    quote_id TEXT NOT NULL UNIQUE REFERENCES quotes(id),
    owner TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    created_at REAL NOT NULL,
    cancelled_at REAL
);
CREATE INDEX IF NOT EXISTS bookings_owner ON bookings(owner, created_at);
"""


def new_id(prefix: str) -> str:
    """`prefix` + 8 base32 characters from 40 random bits, e.g. TRV-K3J9QF2A."""
    return prefix + base64.b32encode(secrets.token_bytes(5)).decode("ascii")


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _busy_is_a_clear_error(write: Callable[..., Any]) -> Callable[..., Any]:
    """SQLite's bare "database is locked" becomes a message that says what happened and what to do.

    Raises:
        StoreBusy: the write lock stayed taken past the connection's busy timeout.
    """

    @functools.wraps(write)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return write(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            raise StoreBusy(
                "The booking database is busy (another process holds its lock); nothing was changed. "
                "Try again in a moment."
            ) from error

    return guarded


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    """One caller at a time on the store's connection: the server calls it from worker threads."""

    @functools.wraps(method)
    def locked(self: BookingStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


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


class BookingStore:
    """The SQLite store: one connection, serialized by a lock, so a call may come from any thread.

    The server makes its calls from worker threads: a write waiting on a locked database file (up to
    the 5 s busy timeout) then holds up that one call, not every session on the event loop.
    """

    def __init__(self, path: Path | str, *, quote_ttl_s: float = 24 * 3600, clock: Callable[[], float] = time.time):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.quote_ttl_s = quote_ttl_s
        self.clock = clock
        self._lock = threading.RLock()  # reentrant: book() reads its new booking back through get_booking()
        # isolation_level=None: we issue BEGIN ourselves so each write is exactly one transaction.
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=5.0)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)

    @_serialized
    def close(self) -> None:
        self._db.close()

    @_busy_is_a_clear_error
    @_serialized
    def save_quote(self, owner: str, price: Price) -> Quote:
        now = self.clock()
        quote_id = new_id("Q-")
        self._db.execute(
            "INSERT INTO quotes (id, owner, price, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (quote_id, owner, json.dumps(price.as_dict()), now, now + self.quote_ttl_s),
        )
        return Quote(quote_id, price, iso(now), iso(now + self.quote_ttl_s))

    @_serialized
    def get_quote(self, owner: str, quote_id: str) -> Quote:
        """A live quote of `owner`.

        Raises:
            QuoteNotFound: no such quote for this owner.
            QuoteExpired: the quote is past its time to live.
        """
        row = self._quote_row(owner, quote_id)
        if row["expires_at"] <= self.clock():
            raise QuoteExpired(
                f"Quote {quote_id} expired at {iso(row['expires_at'])}; run plan_trip again for a fresh quote."
            )
        return self._quote(row)

    @_busy_is_a_clear_error
    @_serialized
    def book(self, owner: str, quote_id: str) -> Booking:
        """Book a quote, or return the booking already made from it (a retried Book is idempotent).

        Raises:
            QuoteNotFound, QuoteExpired: as for get_quote.
            BookingNotFound: the quote's booking was cancelled; it cannot be booked again.
        """
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._quote_row(owner, quote_id)
            existing = self._db.execute("SELECT * FROM bookings WHERE quote_id = ?", (quote_id,)).fetchone()
            if existing is not None:
                if existing["status"] == "cancelled":
                    raise BookingNotFound(
                        f"Quote {quote_id} was booked as {existing['id']} and that booking was cancelled; "
                        "run plan_trip again to book anew."
                    )
                self._db.execute("COMMIT")
                return self._booking(existing, row)
            now = self.clock()
            if row["expires_at"] <= now:
                raise QuoteExpired(
                    f"Quote {quote_id} expired at {iso(row['expires_at'])}; run plan_trip again for a fresh quote."
                )
            reservation_id = new_id("TRV-")
            self._db.execute(
                "INSERT INTO bookings (id, quote_id, owner, status, created_at) VALUES (?, ?, ?, 'confirmed', ?)",
                (reservation_id, quote_id, owner, now),
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return self.get_booking(owner, reservation_id)

    @_serialized
    def get_booking(self, owner: str, reservation_id: str) -> Booking:
        """Raises: BookingNotFound: no such booking for this owner."""
        row = self._db.execute(
            "SELECT b.*, q.price AS price FROM bookings b JOIN quotes q ON q.id = b.quote_id "
            "WHERE b.id = ? AND b.owner = ?",
            (reservation_id.strip().upper(), owner),
        ).fetchone()
        if row is None:
            raise BookingNotFound(f"No booking {reservation_id!r}; list_bookings shows yours.")
        return self._booking(row, row)

    @_serialized
    def list_bookings(self, owner: str) -> list[Booking]:
        rows = self._db.execute(
            "SELECT b.*, q.price AS price FROM bookings b JOIN quotes q ON q.id = b.quote_id "
            "WHERE b.owner = ? ORDER BY b.created_at",
            (owner,),
        ).fetchall()
        return [self._booking(row, row) for row in rows]

    @_busy_is_a_clear_error
    @_serialized
    def cancel(self, owner: str, reservation_id: str) -> Booking:
        """Cancel a booking (cancelling a cancelled booking changes nothing).

        Raises:
            BookingNotFound: no such booking for this owner.
        """
        booking = self.get_booking(owner, reservation_id)
        self._db.execute(
            "UPDATE bookings SET status = 'cancelled', cancelled_at = ? WHERE id = ? AND status = 'confirmed'",
            (self.clock(), booking.reservation_id),
        )
        return self.get_booking(owner, booking.reservation_id)

    def _quote_row(self, owner: str, quote_id: str) -> sqlite3.Row:
        row = self._db.execute(
            "SELECT * FROM quotes WHERE id = ? AND owner = ?", (quote_id.strip().upper(), owner)
        ).fetchone()
        if row is None:
            raise QuoteNotFound(f"No quote {quote_id!r}; plan_trip makes one.")
        return row

    @staticmethod
    def _quote(row: sqlite3.Row) -> Quote:
        return Quote(row["id"], Price(**json.loads(row["price"])), iso(row["created_at"]), iso(row["expires_at"]))

    @staticmethod
    def _booking(row: sqlite3.Row, quote_row: sqlite3.Row) -> Booking:
        return Booking(
            reservation_id=row["id"],
            quote_id=row["quote_id"],
            status=row["status"],
            created_at=iso(row["created_at"]),
            cancelled_at=iso(row["cancelled_at"]) if row["cancelled_at"] else None,
            price=Price(**json.loads(quote_row["price"])),
        )
