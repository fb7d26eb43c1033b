"""The SQLite store on a real file: one transaction per write, idempotent booking, expiry, owners."""

import sqlite3

import pytest

from mcp_server.bookings import BookingStore
from mcp_server.catalog import load_catalog
from mcp_server.errors import BookingNotFound, QuoteExpired, QuoteNotFound
from mcp_server.pricing import price_trip

PRICE = price_trip(load_catalog().resolve("Kyoto"), "solo", 2, 1)


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    store = BookingStore(tmp_path / "trips.db", quote_ttl_s=24 * 3600, clock=clock)
    yield store
    store.close()


def rows(store, table):
    with sqlite3.connect(store.path) as db:
        return db.execute(f"SELECT * FROM {table}").fetchall()


def test_book_writes_one_row_with_an_unguessable_id(store):
    quote = store.save_quote("local", PRICE)
    booking = store.book("local", quote.id)
    assert booking.reservation_id.startswith("TRV-") and len(booking.reservation_id) == 12
    assert booking.status == "confirmed" and booking.price == PRICE
    assert len(rows(store, "bookings")) == 1


def test_two_bookings_in_one_session_get_different_ids(store):
    first = store.book("local", store.save_quote("local", PRICE).id)
    second = store.book("local", store.save_quote("local", PRICE).id)
    assert first.reservation_id != second.reservation_id


def test_a_retried_book_returns_the_same_booking(store):
    quote = store.save_quote("local", PRICE)
    assert store.book("local", quote.id) == store.book("local", quote.id)
    assert len(rows(store, "bookings")) == 1


def test_quote_expires_after_its_ttl(store, clock):
    quote = store.save_quote("local", PRICE)
    clock.now += 24 * 3600 - 1
    assert store.get_quote("local", quote.id).id == quote.id
    clock.now += 1
    with pytest.raises(QuoteExpired, match="run plan_trip again"):
        store.book("local", quote.id)
    assert rows(store, "bookings") == []


def test_unknown_quote_and_booking_are_clear_errors(store):
    with pytest.raises(QuoteNotFound, match="No quote 'Q-NOPE'"):
        store.book("local", "Q-NOPE")
    with pytest.raises(BookingNotFound, match="list_bookings"):
        store.get_booking("local", "TRV-NOPE")


def test_owners_never_see_each_others_bookings(store):
    booking = store.book("alice", store.save_quote("alice", PRICE).id)
    with pytest.raises(BookingNotFound):
        store.get_booking("bob", booking.reservation_id)
    with pytest.raises(BookingNotFound):
        store.cancel("bob", booking.reservation_id)
    with pytest.raises(QuoteNotFound):
        store.book("bob", booking.quote_id)
    assert store.list_bookings("bob") == []
    assert store.get_booking("alice", booking.reservation_id).status == "confirmed"


def test_cancel_then_rebook_is_refused(store, clock):
    quote = store.save_quote("local", PRICE)
    booking = store.book("local", quote.id)
    clock.now += 60
    cancelled = store.cancel("local", booking.reservation_id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert store.cancel("local", booking.reservation_id) == cancelled  # cancelling twice changes nothing
    with pytest.raises(BookingNotFound, match="was cancelled"):
        store.book("local", quote.id)


def test_data_survives_a_restart(tmp_path, clock):
    first = BookingStore(tmp_path / "trips.db", clock=clock)
    booking = first.book("local", first.save_quote("local", PRICE).id)
    first.close()
    second = BookingStore(tmp_path / "trips.db", clock=clock)
    assert second.list_bookings("local") == [booking]
    second.close()
