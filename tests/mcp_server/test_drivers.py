"""mcp_server/drivers.py: any flow, driven in both revisions, each state asked for its action once;
and a client that will not sample: the booking goes on with the catalogue's tips.

The 2026-07-28 contract with our agent: when the user denies a sampling request, the agent retries
the same round with the same requestState, omits the sampling response, and leaves sampling out of
that retry's client capabilities. With policy `deny` it never declares sampling at all.
"""

from collections import Counter
from typing import Any

import httpx
import mcp_types
import pytest
from fastmcp import Context, FastMCP

from mcp_server.drivers import drive
from mcp_server.flows.actions import Book, Booked
from mcp_server.flows.confirm import Confirm
from mcp_server.flows.state import dump_state
from tests.mcp_server.conftest import MODES, Human, client

KNOWN = {"destination": "Kyoto", "trip_type": "solo", "nights": 1}
MODERN = "2026-07-28"


async def call(session, arguments, **retry):
    return await session.call_tool("plan_trip", arguments, allow_input_required=True, **retry)


@pytest.mark.parametrize("mode", MODES)
async def test_a_client_without_sampling_is_never_asked_and_still_books(server, store, mode):
    human = Human([{"decision": "Book"}])
    async with client(server, human, mode=mode, sampling=None) as c:
        result = await c.call_tool("plan_trip", KNOWN)
    data = result.structured_content
    assert data["status"] == "booked" and data["recommendations_source"] == "catalogue"
    # Had the server tried, this client (no handler) would have answered with an error and the
    # reason would read "sampling failed: …": the capability check came first.
    assert data["recommendations_note"] == "your client did not declare sampling"
    assert await store.get_booking("local", data["reservation_id"])


async def test_a_modern_retry_that_no_longer_declares_sampling_falls_back_in_process(server, store):
    # The first round comes from a client that declares sampling, the retry from one that does not:
    # capabilities travel per request in 2026-07-28, so this is the agent's retry after a denial.
    async with client(server, Human([])) as sampler, client(server, Human([]), sampling=None) as refuser:
        first = await call(sampler.session, KNOWN)
        assert list(first.input_requests) == ["recommendations"]
        assert isinstance(first.input_requests["recommendations"], mcp_types.CreateMessageRequest)
        confirm = await call(refuser.session, KNOWN, input_responses={}, request_state=first.request_state)
        assert list(confirm.input_requests) == ["confirm"]
        message = confirm.input_requests["confirm"].params.message
        assert "from the catalogue" in message and "sampling was refused" in message
        book = {"confirm": mcp_types.ElicitResult(action="accept", content={"decision": "Book"})}
        done = await call(refuser.session, KNOWN, input_responses=book, request_state=confirm.request_state)
    data = done.structured_content
    assert data["status"] == "booked" and data["recommendations_source"] == "catalogue"
    assert any("Fushimi Inari" in tip for tip in data["recommendations"])
    assert [b.reservation_id for b in await store.list_bookings("local")] == [data["reservation_id"]]


async def test_a_modern_retry_that_still_declares_sampling_must_answer_it(server):
    async with client(server, Human([])) as c:
        first = await call(c.session, KNOWN)
        result = await call(c.session, KNOWN, input_responses={}, request_state=first.request_state)
    assert result.is_error
    assert "the retry carries no answer to 'recommendations'" in result.content[0].text


def raw_call(url: str, arguments: dict, capabilities: dict, **retry) -> dict:
    """A tools/call as our agent sends its retry: the 2026-07-28 envelope with this request's capabilities."""
    params = {
        "name": "plan_trip",
        "arguments": arguments,
        **retry,
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientInfo": {"name": "trip-agent", "version": "test"},
            "io.modelcontextprotocol/clientCapabilities": capabilities,
        },
    }
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "plan_trip",
    }
    response = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def test_a_raw_http_retry_without_sampling_continues_to_the_booking(http_server):
    with_sampling = {"sampling": {}, "elicitation": {"form": {}}}
    without = {"elicitation": {"form": {}}}
    first = raw_call(http_server.url, KNOWN, with_sampling)
    assert first["resultType"] == "input_required" and list(first["inputRequests"]) == ["recommendations"]
    # The denial: same requestState, no inputResponses entry, sampling left out of the capabilities.
    confirm = raw_call(http_server.url, KNOWN, without, inputResponses={}, requestState=first["requestState"])
    assert list(confirm["inputRequests"]) == ["confirm"], confirm
    assert "from the catalogue" in confirm["inputRequests"]["confirm"]["params"]["message"]
    book = {"confirm": {"action": "accept", "content": {"decision": "Book"}}}
    done = raw_call(http_server.url, KNOWN, without, inputResponses=book, requestState=confirm["requestState"])
    assert done["structuredContent"]["status"] == "booked"
    assert done["structuredContent"]["recommendations_source"] == "catalogue"


def test_a_raw_http_client_that_never_declares_sampling_is_never_asked(http_server):
    first = raw_call(http_server.url, KNOWN, {"elicitation": {"form": {}}})
    assert list(first["inputRequests"]) == ["confirm"]
    assert "did not declare sampling" in first["inputRequests"]["confirm"]["params"]["message"]


# --- the driver knows no flow, and asks each state for its action once -----------------------------


class CountedConfirm(Confirm):
    """Instrumentation: how often each state (by its JSON) was asked for its pending action."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.asked: Counter[str] = Counter()

    def next_action(self, state):
        self.asked[dump_state(state)] += 1
        return super().next_action(state)


@pytest.mark.parametrize("mode", MODES)
async def test_the_driver_runs_any_flow_and_asks_each_state_for_its_action_once(mode):
    flow = CountedConfirm("book_it", "Book quote Q-1?", Book("Q-1"), amount_jpy=38_000)
    booked = []

    async def effects(action, ctx, state):
        booked.append((action, state.flow_id))
        return Booked("TRV-1")

    mcp = FastMCP("any-flow")

    @mcp.tool
    async def book_it(ctx: Context) -> Any:
        return await drive(flow, flow.start, ctx, effects)

    human = Human([{"decision": "Book"}])
    async with client(mcp, human, mode=mode) as c:
        result = await c.call_tool("book_it", {})
    assert result.structured_content == {"status": "booked", "message": "Booked: reservation TRV-1.", "reservation_id": "TRV-1"}
    assert human.asked == ["decision"] and [action for action, _ in booked] == [Book("Q-1")]
    # Three states: the question, Book, the finish. A 2026-07-28 retry is a second request, which
    # reads the question's state from its requestState and asks it once more.
    assert len(flow.asked) == 3
    assert sorted(flow.asked.values()) == ([1, 1, 1] if mode == "legacy" else [1, 1, 2])
