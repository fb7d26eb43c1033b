"""2026-07-28 requestState: sealed, bound to its call, never a wrong or double booking."""

import mcp_types
import pytest
from mcp.shared.exceptions import MCPError

from mcp_server.server import build_server
from mcp_server.settings import load_settings
from tests.mcp_server.conftest import Human, client


def accept(key, **content):
    return {key: mcp_types.ElicitResult(action="accept", content=content)}


async def call(session, name, arguments, **retry):
    return await session.call_tool(name, arguments, allow_input_required=True, **retry)


async def test_tampered_state_is_rejected(server, store):
    async with client(server, Human([])) as c:
        first = await call(c.session, "plan_trip", {})
        state = first.request_state
        tampered = state[:-6] + ("A" if state[-6] != "A" else "B") + state[-5:]
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await call(c.session, "plan_trip", {}, input_responses=accept("destination", destination="Kyoto"), request_state=tampered)
    assert await store.list_bookings("local") == []


async def test_state_from_another_call_is_rejected(server):
    async with client(server, Human([])) as c:
        first = await call(c.session, "plan_trip", {})
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await call(c.session, "book_quote", {"quote_id": "Q-X"}, input_responses={}, request_state=first.request_state)
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await call(c.session, "plan_trip", {"destination": "Okinawa"}, input_responses=accept("destination", destination="Kyoto"),
                       request_state=first.request_state)


async def test_a_retry_without_the_answer_is_a_clear_error(server):
    async with client(server, Human([])) as c:
        first = await call(c.session, "plan_trip", {})
        result = await call(c.session, "plan_trip", {}, input_responses={}, request_state=first.request_state)
    assert result.is_error
    assert result.content[0].text == "This plan_trip call cannot continue: the retry carries no answer to 'destination'. Start the call again."


async def test_replaying_the_book_round_books_once(server, store):
    args = {"destination": "Kyoto", "trip_type": "solo", "nights": 1}
    async with client(server, Human([]), sampling=None) as c:
        confirm = await call(c.session, "plan_trip", args)
        assert list(confirm.input_requests) == ["confirm"]
        book = accept("confirm", decision="Book")
        first = await call(c.session, "plan_trip", args, input_responses=book, request_state=confirm.request_state)
        replay = await call(c.session, "plan_trip", args, input_responses=book, request_state=confirm.request_state)
    assert first.structured_content["reservation_id"] == replay.structured_content["reservation_id"]
    assert len(await store.list_bookings("local")) == 1


async def test_replicas_with_shared_keys_continue_each_others_calls(tmp_path):
    keys = {"request_state_keys": ["k" * 32], "db": tmp_path / "shared.db"}
    replica_a = build_server(load_settings(overrides=keys))
    replica_b = build_server(load_settings(overrides=keys))
    stranger = build_server(load_settings(overrides={"request_state_keys": ["z" * 32], "db": tmp_path / "shared.db"}))
    async with client(replica_a, Human([])) as a, client(replica_b, Human([])) as b, client(stranger, Human([])) as s:
        first = await call(a.session, "plan_trip", {})
        answer = accept("destination", destination="Kyoto")
        continued = await call(b.session, "plan_trip", {}, input_responses=answer, request_state=first.request_state)
        assert list(continued.input_requests) == ["trip_type"]
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await call(s.session, "plan_trip", {}, input_responses=answer, request_state=first.request_state)
