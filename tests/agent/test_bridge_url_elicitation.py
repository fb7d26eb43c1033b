"""agent/bridge.py with URL elicitation, in both revisions, against trip-server's payment step over loopback HTTP.

Scripted humans (--answers) meet the payment link: accepted only by a {"mode": "url"} item, and
then only consented to, never opened; the test pays as a browser would.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from dataclasses import dataclass

import httpx
import mcp_types
import pytest
from fastmcp import Context, FastMCP
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from agent.human import ElicitationOutcome, ScriptedHuman
from fastmcp.client.transports import StreamableHttpTransport

from agent.mcp_http import http_client
from tests.mcp_server.conftest import RunningServer, paying_server  # noqa: F401  (a fixture)

MODES = ["auto", "legacy"]

TRIP = {"destination": "Kyoto", "trip_type": "solo", "nights": 2}


@dataclass
class Paying:
    """The bridge's HTTP transport to the paying server, and its bookings."""

    server: RunningServer

    def transport(self) -> StreamableHttpTransport:
        return StreamableHttpTransport(self.server.url, httpx_client_factory=http_client)

    def bookings(self) -> list[str]:
        with sqlite3.connect(self.server.db) as db:
            return [row[0] for row in db.execute("SELECT id FROM bookings")]


@pytest.fixture
def paying(paying_server) -> Paying:
    return Paying(paying_server)


@pytest.mark.parametrize("mode", MODES)
async def test_an_accepting_script_waits_for_the_page_and_books_after_it(paying, harness, mode):
    shown: asyncio.Queue[str] = asyncio.Queue()
    human = ScriptedHuman(["Book", {"mode": "url", "action": "accept"}], source="answers.json", notify=shown.put_nowait)
    bridge = harness.bridge(paying.transport(), human, mode=mode)
    before = paying.bookings()
    await bridge.start()
    try:
        call = asyncio.ensure_future(bridge.call_tool("plan_trip", TRIP))
        notice = await asyncio.wait_for(shown.get(), 60)
        url = re.search(r"http://\S+/pay/\S+", notice).group(0)
        assert notice.startswith("travel-planner asked to open a web page; accepted by the answers file, not opened: ")
        assert paying.bookings() == before and not call.done()
        origin = re.match(r"http://[^/]+", url).group(0)
        async with httpx.AsyncClient() as browser:
            await browser.post(url, data={"decision": "confirm"}, headers={"Origin": origin})
        result = await asyncio.wait_for(call, 60)
    finally:
        await bridge.stop()
    assert result.structured_content["status"] == "booked"
    assert set(paying.bookings()) - set(before) == {result.structured_content["reservation_id"]}
    assert human.errors == []
    [request] = [event for event in harness.events("elicitation_request") if event.get("mode") == "url"]
    assert request["url"] == origin and request["schema"] is None
    assert [event["action"] for event in harness.events("elicitation_response")] == ["accept", "accept"]
    # Only 2025-11-25 has notifications/elicitation/complete.
    done = "travel-planner: the web page you opened reports it is done."
    assert (done in harness.notes) is (mode == "legacy")


@pytest.mark.parametrize("mode", MODES)
async def test_a_script_without_a_url_answer_declines_and_keeps_its_list(paying, harness, mode):
    shown: list[str] = []
    human = ScriptedHuman(["Book", "Book"], source="answers.json", notify=shown.append)
    bridge = harness.bridge(paying.transport(), human, mode=mode)
    before = paying.bookings()
    await bridge.start()
    try:
        result = await bridge.call_tool("plan_trip", TRIP)
    finally:
        await bridge.stop()
    assert result.structured_content["status"] == "quoted"
    assert result.structured_content["message"].startswith("You declined to open the payment page; nothing was booked.")
    assert paying.bookings() == before and human.errors == []
    assert "declined (the answers file has no url answer here)" in shown[0]
    # The second "Book" was not spent on the link: the next question still gets it.
    again = await human.elicit("srv", "Again?", {"type": "object", "properties": {"decision": {"type": "string"}}, "required": ["decision"]})
    assert again == ElicitationOutcome("accept", {"decision": "Book"})


def link_server(url: str) -> FastMCP:
    """A tool that asks the client to open `url` and returns what the client answered, in either revision."""
    mcp = FastMCP("linker")

    @mcp.tool
    async def open_link(ctx: Context) -> str | mcp_types.InputRequiredResult:
        """Asks the human to open a page."""
        if ctx.request_context.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            result = await ctx.session.elicit_url(message="\x1b[31mSign in\x1b[0m here.", url=url, elicitation_id="e-1")
            return f"client said {result.action}"
        answer = (ctx.input_responses or {}).get("link")
        if isinstance(answer, mcp_types.ElicitResult):
            return f"client said {answer.action}"
        request = mcp_types.ElicitRequest(params=mcp_types.ElicitRequestURLParams(message="\x1b[31mSign in\x1b[0m here.", url=url))
        return mcp_types.InputRequiredResult(input_requests={"link": request}, request_state="asked")

    return mcp


class NeverAsked:
    """A human the test must never reach."""

    async def elicit(self, server, message, schema):
        raise AssertionError("asked a form")

    async def open_url(self, request):
        raise AssertionError(f"asked to open {request.url}")


@pytest.mark.parametrize("mode", MODES)
async def test_a_plain_http_link_is_refused_before_the_human_and_declined_to_the_server(harness, mode):
    bridge = harness.bridge(link_server("http://pay.example.com/x"), NeverAsked(), mode=mode)
    await bridge.start()
    try:
        result = await bridge.call_tool("open_link", {})
    finally:
        await bridge.stop()
    assert result.content[0].text == "client said decline"
    assert harness.notes == [
        "travel-planner asked you to open a web page, but the link is http://, not https://; only https links are opened, "
        "or http:// on this computer (127.0.0.1, localhost, [::1]). Declined; nothing was opened."
    ]
    [request] = harness.events("elicitation_request")
    assert (request["mode"], request["url"], request["message"]) == ("url", None, "Sign in here.")  # cleaned
    assert [event["action"] for event in harness.events("elicitation_response")] == ["decline"]
