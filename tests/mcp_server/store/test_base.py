"""The store's contract, on a real SQLite file and a real PostgreSQL database alike: one transaction
per write, idempotent booking per quote and per flow under concurrency, expiry, owners, migrations."""

import asyncio
import json

import psycopg
import pytest

from mcp_server.catalog import load_catalog
from mcp_server.errors import BookingNotFound, PaymentNotConfirmed, QuoteExpired, QuoteNotFound
from mcp_server.pricing import price_trip
from mcp_server.store.migrations import LATEST
from mcp_server.store.postgres import PostgresStore
from mcp_server.store.sqlite import SqliteStore

CATALOG = load_catalog()
PRICE = price_trip(CATALOG.resolve("Kyoto"), "solo", 2, 1)
OTHER_PRICE = price_trip(CATALOG.resolve("Okinawa"), "couple", 3, 2)


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path):
    """How to make a store (and a second one on the same data, as a second replica would)."""
    if request.param == "sqlite":
        path = tmp_path / "trips.db"
        return lambda clock: SqliteStore(path, clock=clock)
    dsn = request.getfixturevalue("postgres_db")
    return lambda clock: PostgresStore(dsn, clock=clock)


@pytest.fixture
async def store(backend, clock):
    store = backend(clock)
    await store.open()
    yield store
    await store.close()


async def rows(store, sql):
    """Read the database directly, not through the store under test."""
    if isinstance(store, SqliteStore):
        import sqlite3

        with sqlite3.connect(store.path) as db:
            return db.execute(sql).fetchall()
    async with await psycopg.AsyncConnection.connect(store.dsn) as db:
        return await (await db.execute(sql)).fetchall()


async def test_book_writes_one_row_with_an_unguessable_id(store):
    quote = await store.save_quote("local", PRICE)
    booking = await store.book("local", quote.id)
    assert booking.reservation_id.startswith("TRV-") and len(booking.reservation_id) == 12
    assert booking.status == "confirmed" and booking.price == PRICE
    assert len(await rows(store, "SELECT * FROM bookings")) == 1


async def test_two_bookings_get_different_ids(store):
    first = await store.book("local", (await store.save_quote("local", PRICE)).id)
    second = await store.book("local", (await store.save_quote("local", PRICE)).id)
    assert first.reservation_id != second.reservation_id


async def test_a_retried_book_returns_the_same_booking(store):
    quote = await store.save_quote("local", PRICE)
    assert await store.book("local", quote.id) == await store.book("local", quote.id)
    assert len(await rows(store, "SELECT * FROM bookings")) == 1


async def test_one_flow_saves_one_quote_and_books_once_however_often_replayed(store):
    first = await store.save_quote("local", PRICE, "flow-1")
    replays = [await store.save_quote("local", OTHER_PRICE, "flow-1") for _ in range(5)]
    assert all(replay == first for replay in replays)  # the first quote, its price too
    booking = await store.book("local", first.id, "flow-1")
    assert await store.book("local", first.id, "flow-1") == booking
    assert len(await rows(store, "SELECT * FROM quotes")) == 1
    assert len(await rows(store, "SELECT * FROM bookings")) == 1


async def test_a_flow_id_is_per_owner(store):
    mine = await store.save_quote("alice", PRICE, "flow-1")
    theirs = await store.save_quote("bob", PRICE, "flow-1")
    assert mine.id != theirs.id


async def test_concurrent_books_of_one_quote_from_two_stores_make_one_booking(backend, clock):
    """Two stores on one database (two replicas); each with its own connections: the database decides."""
    replicas = [backend(clock), backend(clock)]
    for replica in replicas:
        await replica.open()
    try:
        quote = await replicas[0].save_quote("local", PRICE)
        bookings = await asyncio.gather(*(replicas[i % 2].book("local", quote.id, f"flow-{i}") for i in range(20)))
        assert len({b.reservation_id for b in bookings}) == 1
        assert len(await rows(replicas[0], "SELECT * FROM bookings")) == 1
    finally:
        for replica in replicas:
            await replica.close()


async def test_concurrent_replays_of_one_flow_save_one_quote(backend, clock):
    replicas = [backend(clock), backend(clock)]
    for replica in replicas:
        await replica.open()
    try:
        quotes = await asyncio.gather(*(replicas[i % 2].save_quote("local", PRICE, "flow-x") for i in range(20)))
        assert len({q.id for q in quotes}) == 1
        assert len(await rows(replicas[0], "SELECT * FROM quotes")) == 1
    finally:
        for replica in replicas:
            await replica.close()


async def test_a_cancel_racing_books_ends_cancelled_and_every_book_saw_one_booking(store):
    quote = await store.save_quote("local", PRICE)
    booking = await store.book("local", quote.id)
    results = await asyncio.gather(
        *(store.book("local", quote.id) for _ in range(5)), store.cancel("local", booking.reservation_id), return_exceptions=True
    )
    for result in results[:-1]:  # before the cancel: the booking; after it: refused, never a new booking
        assert result == booking or (isinstance(result, BookingNotFound) and "was cancelled" in str(result))
    assert (await store.get_booking("local", booking.reservation_id)).status == "cancelled"
    assert len(await rows(store, "SELECT * FROM bookings")) == 1


async def test_quote_expires_after_its_ttl(store, clock):
    quote = await store.save_quote("local", PRICE)
    clock.now += 24 * 3600 - 1
    assert (await store.get_quote("local", quote.id)).id == quote.id
    clock.now += 1
    with pytest.raises(QuoteExpired, match="run plan_trip again"):
        await store.book("local", quote.id)
    assert await rows(store, "SELECT * FROM bookings") == []


async def test_unknown_quote_and_booking_are_clear_errors(store):
    with pytest.raises(QuoteNotFound, match="No quote 'Q-NOPE'"):
        await store.book("local", "Q-NOPE")
    with pytest.raises(BookingNotFound, match="list_bookings"):
        await store.get_booking("local", "TRV-NOPE")
    with pytest.raises(BookingNotFound, match="list_bookings"):
        await store.cancel("local", "TRV-NOPE")


async def test_owners_never_see_each_others_bookings(store):
    booking = await store.book("alice", (await store.save_quote("alice", PRICE)).id)
    with pytest.raises(BookingNotFound):
        await store.get_booking("bob", booking.reservation_id)
    with pytest.raises(BookingNotFound):
        await store.cancel("bob", booking.reservation_id)
    with pytest.raises(QuoteNotFound):
        await store.book("bob", booking.quote_id)
    assert await store.list_bookings("bob") == []
    assert (await store.get_booking("alice", booking.reservation_id)).status == "confirmed"


async def test_cancel_then_rebook_is_refused(store, clock):
    quote = await store.save_quote("local", PRICE)
    booking = await store.book("local", quote.id)
    clock.now += 60
    cancelled = await store.cancel("local", booking.reservation_id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert await store.cancel("local", booking.reservation_id) == cancelled  # cancelling twice changes nothing
    with pytest.raises(BookingNotFound, match="was cancelled"):
        await store.book("local", quote.id)


async def test_bookings_list_oldest_first_with_their_quotes(store, clock):
    made = []
    for price in (PRICE, OTHER_PRICE):
        made.append(await store.book("local", (await store.save_quote("local", price)).id))
        clock.now += 1
    assert await store.list_bookings("local") == made
    assert [json.loads(p) for (p,) in await rows(store, "SELECT price FROM quotes ORDER BY created_at")] == [
        PRICE.as_dict(), OTHER_PRICE.as_dict()
    ]


async def test_data_survives_a_restart(backend, clock):
    first = backend(clock)
    booking = await first.book("local", (await first.save_quote("local", PRICE)).id)  # opens on first use
    await first.close()
    second = backend(clock)
    assert await second.list_bookings("local") == [booking]
    await second.close()


async def test_migrations_run_once_when_stores_start_together(backend, clock):
    stores = [backend(clock) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        versions = await rows(stores[0], "SELECT version FROM schema_migrations ORDER BY version")
        assert [v for (v,) in versions] == list(range(1, LATEST + 1))
    finally:
        for s in stores:
            await s.close()


# --- payments (the optional payment step)


async def test_a_booking_needs_its_own_flows_confirmed_payment(store):
    quote = await store.save_quote("local", PRICE, "flow-a")
    payment = await store.start_payment("local", "flow-a", quote.id, 38_000, ttl_s=600)
    assert await store.start_payment("local", "flow-a", quote.id, 38_000, ttl_s=600) == payment  # a replayed round
    assert len(payment.id) == 43 and payment.status == "pending"
    with pytest.raises(PaymentNotConfirmed):
        await store.book("local", quote.id, "flow-a", payment.id)
    other = await store.start_payment("local", "flow-b", quote.id, 38_000, ttl_s=600)
    assert (await store.settle_payment(other.id, "confirmed"))[1]
    with pytest.raises(PaymentNotConfirmed):
        await store.book("local", quote.id, "flow-a", other.id)  # another flow's payment pays for nothing here
    assert await store.payment_of_flow("local", "flow-b", payment.id) is None
    assert await store.payment_of_flow("someone", "flow-a", payment.id) is None
    settled, won = await store.settle_payment(payment.id, "confirmed")
    assert settled.status == "confirmed" and won
    booking = await store.book("local", quote.id, "flow-a", payment.id)
    assert booking.quote_id == quote.id


async def test_a_payment_link_settles_once_whoever_clicks_first(store):
    quote = await store.save_quote("local", PRICE, "flow")
    payment = await store.start_payment("local", "flow", quote.id, 38_000, ttl_s=600)
    results = await asyncio.gather(*(store.settle_payment(payment.id, status) for status in ["confirmed", "cancelled"] * 4))
    assert sum(won for _, won in results) == 1
    winner = next(settled.status for settled, won in results if won)
    assert all(settled.status == winner for settled, _ in results)
    assert (await store.get_payment(payment.id)).status == winner


async def test_an_expired_link_cannot_be_settled(store, clock):
    quote = await store.save_quote("local", PRICE, "flow")
    payment = await store.start_payment("local", "flow", quote.id, 38_000, ttl_s=600)
    clock.now += 601
    settled, won = await store.settle_payment(payment.id, "confirmed")
    assert settled.status == "expired" and not won
    assert await store.get_payment("no-such-link") is None
