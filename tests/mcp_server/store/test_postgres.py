"""Two trip-server processes on one PostgreSQL with the same request_state_keys: any replica serves
any 2026-07-28 round, and the database makes every booking exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from urllib.parse import urlsplit

from fastmcp.exceptions import ToolError

from tests.mcp_server.conftest import Human, client
from tests.mcp_server.replicas import pg_rows, replicas, spread_client

FULL = [{"destination": "Hokkaido"}, {"trip_type": "friends"}, {"nights": 3}, {"travelers": 4}, {"decision": "Book"}]


async def test_a_plan_trip_whose_requests_alternate_between_replicas_books_once(tmp_path, postgres_db):
    with replicas(tmp_path, postgres_db) as (a, b):
        served = Counter()
        human = Human(list(FULL))
        async with spread_client([a.url, b.url], human, served=served) as c:
            result = await c.call_tool("plan_trip", {})
        listed = {}
        for replica in (a, b):
            async with client(replica.url, mode="legacy") as c:
                listed[replica.url] = (await c.call_tool("list_bookings", {})).structured_content["bookings"]
    assert human.asked == ["destination", "trip_type", "nights", "travelers", "decision"]
    assert result.structured_content["status"] == "booked"
    assert served[urlsplit(a.url).port] >= 3 and served[urlsplit(b.url).port] >= 3  # rounds on both
    reservation = result.structured_content["reservation_id"]
    assert [[b["reservation_id"] for b in bookings] for bookings in listed.values()] == [[reservation], [reservation]]
    assert pg_rows(postgres_db, "SELECT id FROM bookings") == [(reservation,)]


async def test_twenty_concurrent_book_quote_calls_over_both_replicas_make_one_reservation(tmp_path, postgres_db):
    with replicas(tmp_path, postgres_db) as (a, b):
        async with client(a.url, Human([{"decision": "Cancel"}])) as c:
            quote = (await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "couple", "nights": 2})).structured_content["quote_id"]

        async def book(index: int):
            async with spread_client([a.url, b.url], Human([{"decision": "Book"}]), start=index) as c:
                return (await c.call_tool("book_quote", {"quote_id": quote})).structured_content

        results = await asyncio.gather(*(book(i) for i in range(20)))
        logs = a.log_text() + b.log_text()
    assert {r["status"] for r in results} == {"booked"}
    assert len({r["reservation_id"] for r in results}) == 1
    assert pg_rows(postgres_db, f"SELECT quote_id FROM bookings") == [(quote,)]
    assert "Traceback" not in logs


async def test_a_cancel_racing_books_ends_in_one_state_both_replicas_report(tmp_path, postgres_db):
    with replicas(tmp_path, postgres_db) as (a, b):
        async with client(a.url, Human([{"decision": "Book"}])) as c:
            booked = (await c.call_tool("plan_trip", {"destination": "Okinawa", "trip_type": "solo", "nights": 1})).structured_content
        quote, reservation = booked["quote_id"], booked["reservation_id"]

        async def call(index: int, tool: str, arguments: dict):
            answer = {"decision": "Book"} if tool == "book_quote" else {"confirm": True}
            async with spread_client([a.url, b.url], Human([answer]), start=index) as c:
                try:
                    return (await c.call_tool(tool, arguments)).structured_content
                except ToolError as error:
                    return str(error)

        books = [call(i, "book_quote", {"quote_id": quote}) for i in range(10)]
        results = await asyncio.gather(*books[:5], call(1, "cancel_booking", {"reservation_id": reservation}), *books[5:])
        reported = []
        for replica in (a, b):
            async with client(replica.url, mode="legacy") as c:
                reported.append((await c.call_tool("get_booking", {"reservation_id": reservation})).structured_content["status"])
    cancel = results.pop(5)
    assert cancel["status"] == "cancelled"
    for result in results:  # each book ran before the cancel (the booking) or after it (refused): never a new one
        assert result == {**result, "status": "booked", "reservation_id": reservation} if isinstance(result, dict) else "was cancelled" in result
    assert reported == ["cancelled", "cancelled"]
    assert pg_rows(postgres_db, "SELECT id, status FROM bookings") == [(reservation, "cancelled")]
