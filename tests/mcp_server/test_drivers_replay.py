"""2026-07-28 replays: each plan_trip flow creates at most one quote and one booking, whichever
round is replayed, however often (the spec leaves single use to the server)."""

import sqlite3

from tests.mcp_server.conftest import Human, client
from tests.mcp_server.test_keys_request_state import accept, call

ARGS = {"destination": "Kyoto", "trip_type": "solo"}  # nights is the last question before the search


def count(db, table):
    with sqlite3.connect(db) as connection:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


async def test_replaying_the_round_before_the_search_makes_one_quote_and_one_booking(server, settings):
    async with client(server, Human([]), sampling=None) as c:
        nights = await call(c.session, "plan_trip", ARGS)
        assert list(nights.input_requests) == ["nights"]
        reservations, quotes = set(), set()
        for replay in range(20):  # different answers too: the flow keeps its first quote
            confirm = await call(
                c.session, "plan_trip", ARGS, input_responses=accept("nights", nights=1 + replay % 7), request_state=nights.request_state
            )
            assert list(confirm.input_requests) == ["confirm"]
            booked = await call(
                c.session, "plan_trip", ARGS, input_responses=accept("confirm", decision="Book"), request_state=confirm.request_state
            )
            quotes.add(booked.structured_content["quote_id"])
            reservations.add(booked.structured_content["reservation_id"])
            assert booked.structured_content["quote"]["nights"] == 1  # the first answer's quote, shown as booked
    assert len(quotes) == 1 and len(reservations) == 1
    assert (count(settings.db, "quotes"), count(settings.db, "bookings")) == (1, 1)


async def test_replaying_the_first_round_starts_no_second_flow(server, settings):
    """The first round's requestState is the flow's too: answering it again, twice over, books once."""
    async with client(server, Human([]), sampling=None) as c:
        args = {"trip_type": "solo", "nights": 2}
        first = await call(c.session, "plan_trip", args)
        assert list(first.input_requests) == ["destination"]
        for _ in range(3):
            confirm = await call(
                c.session, "plan_trip", args, input_responses=accept("destination", destination="Fukuoka"), request_state=first.request_state
            )
            await call(c.session, "plan_trip", args, input_responses=accept("confirm", decision="Book"), request_state=confirm.request_state)
    assert (count(settings.db, "quotes"), count(settings.db, "bookings")) == (1, 1)


async def test_a_new_call_is_a_new_flow(server, settings):
    """Single use is per flow, not per trip: the same trip asked for twice is two bookings."""
    async with client(server, Human([{"decision": "Book"}, {"decision": "Book"}])) as c:
        for _ in range(2):
            await c.call_tool("plan_trip", {**ARGS, "nights": 1})
    assert (count(settings.db, "quotes"), count(settings.db, "bookings")) == (2, 2)
