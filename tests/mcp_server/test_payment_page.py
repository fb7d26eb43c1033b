"""The payment step over loopback HTTP: trip-server with payment_step on, real clients, the page confirmed by HTTP.

The page is confirmed (or cancelled) the way a browser would: GET the URL the client was given,
then POST its form with the page's own Origin.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from typing import Any

import httpx
import mcp_types
import pytest
from fastmcp import Client
from fastmcp.client.elicitation import ElicitResult
from fastmcp.client.transports.base import TransportOptions
from mcp import ClientSession

from tests.mcp_server.conftest import MODES, RunningServer

TRIP = {"destination": "Kyoto", "trip_type": "solo", "nights": 2}  # ¥38,000, only the decision is asked


def bookings(running: RunningServer) -> list[tuple]:
    with sqlite3.connect(running.db) as db:
        return db.execute("SELECT id, quote_id, status FROM bookings").fetchall()


def origin_of(url: str) -> str:
    return re.match(r"https?://[^/]+", url).group(0)


async def browse(url: str, decision: str | None) -> tuple[httpx.Response, httpx.Response | None]:
    """What a browser does: open the page, then press one of its buttons (None: just look)."""
    async with httpx.AsyncClient() as browser:
        page = await browser.get(url)
        if decision is None:
            return page, None
        pressed = await browser.post(url, data={"decision": decision}, headers={"Origin": origin_of(url)})
        return page, pressed


class PayingHuman:
    """Answers Book, then meets the payment URL with `url_action`; on accept, a 'browser' presses `press`."""

    def __init__(self, url_action: str = "accept", press: str | None = "confirm", form: dict | None = None) -> None:
        self.form = form or {"decision": "Book"}
        self.url_action = url_action
        self.press = press
        self.url_requests: list[mcp_types.ElicitRequestURLParams] = []
        self.pages: list[httpx.Response] = []
        self.browsing: asyncio.Task | None = None
        self.asked = asyncio.Event()  # set once the URL request arrived

    async def __call__(self, message, response_type, params, context):
        if isinstance(params, mcp_types.ElicitRequestFormParams):
            return ElicitResult(action="accept", content=self.form)
        self.url_requests.append(params)
        self.asked.set()
        if self.url_action == "accept":  # consent given: the browser opens the page after we answer
            self.browsing = asyncio.ensure_future(self._browse(params.url))
        return ElicitResult(action=self.url_action)

    async def _browse(self, url: str) -> None:
        page, pressed = await browse(url, self.press)
        self.pages += [page] + ([pressed] if pressed is not None else [])


class FormOnlySession(ClientSession):
    """A client that declares form elicitation only (like trip-agent before URL support)."""

    def _build_capabilities(self, version):
        capabilities = super()._build_capabilities(version)
        return capabilities.model_copy(update={"elicitation": mcp_types.ElicitationCapability(form=mcp_types.FormElicitationCapability())})


def paying_client(url: str, human: Any, mode: str, *, form_only: bool = False, notices: list | None = None) -> Client:
    async def on_message(message: Any) -> None:
        if notices is not None and isinstance(message, mcp_types.ElicitCompleteNotification):
            notices.append(message.params.elicitation_id)

    client = Client(url, mode=mode, elicitation_handler=human, message_handler=on_message)
    if form_only:
        client._transport_options = TransportOptions(session_class=FormOnlySession)
    return client


@pytest.mark.parametrize("mode", MODES)
async def test_the_booking_is_made_only_after_the_page_confirms_the_payment(paying_server, mode):
    human, notices = PayingHuman(), []
    before = len(bookings(paying_server))
    async with paying_client(paying_server.url, human, mode, notices=notices) as c:
        result = await c.call_tool("plan_trip", TRIP)
    data = result.structured_content
    assert data["status"] == "booked", data["message"]
    [asked] = human.url_requests
    assert asked.mode == "url" and asked.url.startswith(origin_of(paying_server.url) + "/pay/")
    assert "¥38,000" in asked.message and data["quote_id"] in asked.message
    page, pressed = human.pages
    assert page.status_code == 200 and "¥38,000" in page.text and "Confirm payment" in page.text
    assert pressed.status_code == 200 and "Payment confirmed" in pressed.text
    assert [row for row in bookings(paying_server) if row[0] == data["reservation_id"]][0][2] == "confirmed"
    assert len(bookings(paying_server)) == before + 1
    # 2025-11-25 tells the client the page is done; 2026-07-28 has no such notice.
    assert len(notices) == (1 if mode == "legacy" else 0)
    assert all(notice.startswith("pay-") for notice in notices)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("url_action", ["decline", "cancel"])
async def test_declining_or_cancelling_the_link_books_nothing(paying_server, mode, url_action):
    human = PayingHuman(url_action)
    before = bookings(paying_server)
    async with paying_client(paying_server.url, human, mode) as c:
        result = await c.call_tool("plan_trip", TRIP)
    data = result.structured_content
    assert data["status"] == "quoted"
    expected = {"decline": "You declined to open the payment page", "cancel": "You cancelled at the payment step"}[url_action]
    assert data["message"].startswith(f"{expected}; nothing was booked. Quote {data['quote_id']} is saved")
    assert bookings(paying_server) == before
    # The link the human turned down cannot be paid later.
    page, pressed = await browse(human.url_requests[0].url, "confirm")
    assert "Payment cancelled" in page.text and "Confirm payment" not in page.text
    assert pressed.status_code == 409 and bookings(paying_server) == before


@pytest.mark.parametrize("mode", MODES)
async def test_cancelling_on_the_page_books_nothing(paying_server, mode):
    human = PayingHuman("accept", press="cancel")
    before = bookings(paying_server)
    async with paying_client(paying_server.url, human, mode) as c:
        result = await c.call_tool("plan_trip", TRIP)
    assert result.structured_content["status"] == "quoted"
    assert result.structured_content["message"].startswith("The payment was cancelled on the payment page; nothing was booked.")
    assert "Payment cancelled" in human.pages[1].text
    assert bookings(paying_server) == before


@pytest.mark.parametrize("mode", MODES)
async def test_book_quote_pays_first_too(paying_server, mode):
    human = PayingHuman()  # book_quote asks the same Book/Cancel as plan_trip
    async with paying_client(paying_server.url, PayingHuman("decline"), mode) as c:
        quoted = (await c.call_tool("plan_trip", TRIP)).structured_content
    async with paying_client(paying_server.url, human, mode) as c:
        result = await c.call_tool("book_quote", {"quote_id": quoted["quote_id"]})
    assert result.structured_content["status"] == "booked"
    assert len(human.url_requests) == 1 and human.pages[1].status_code == 200


@pytest.mark.parametrize("mode", MODES)
async def test_a_client_without_url_elicitation_keeps_book_and_cancel(paying_server, mode):
    human = PayingHuman()
    async with paying_client(paying_server.url, human, mode, form_only=True) as c:
        result = await c.call_tool("plan_trip", TRIP)
    assert result.structured_content["status"] == "booked"
    assert human.url_requests == []


async def test_a_payment_link_confirms_once(paying_server):
    human = PayingHuman(press="confirm")
    async with paying_client(paying_server.url, human, "legacy") as c:
        await c.call_tool("plan_trip", TRIP)
    url = human.url_requests[0].url
    _, again = await browse(url, "confirm")
    assert again.status_code == 409 and "already used" in again.text
    _, cancel = await browse(url, "cancel")
    assert cancel.status_code == 409 and "Payment confirmed" in cancel.text
    page, _ = await browse(url, None)
    assert page.status_code == 200 and "Payment confirmed." in page.text and "already used" not in page.text


async def test_the_page_is_refused_to_other_sites_and_unknown_links(paying_server):
    human = PayingHuman("accept", press=None)  # opened, not pressed: the call waits for it meanwhile
    async with paying_client(paying_server.url, human, "legacy") as c:
        call = asyncio.ensure_future(c.call_tool("plan_trip", TRIP))
        await human.asked.wait()
        url = human.url_requests[0].url
        async with httpx.AsyncClient() as browser:
            forged = await browser.post(url, data={"decision": "confirm"}, headers={"Origin": "https://evil.example"})
            rebound = await browser.get(url, headers={"Host": "evil.example"})
            unknown = await browser.get(url.rsplit("/", 1)[0] + "/not-a-payment")
            junk = await browser.post(url, data={"decision": "steal"}, headers={"Origin": origin_of(url)})
            huge = await browser.post(url, content=b"decision=confirm&" + b"x" * 10_000, headers={"Origin": origin_of(url)})
            page = await browser.get(url)
        assert not call.done()  # none of those settled it
        await browse(url, "confirm")
        result = await call
    assert forged.status_code == 403
    assert rebound.status_code == 421
    assert unknown.status_code == 404
    assert junk.status_code == 400 and huge.status_code == 413
    assert "Confirm payment" in page.text
    # The page forbids framing (clickjacking) and leaking its URL (the secret) to other sites.
    assert page.headers["x-frame-options"] == "DENY" and page.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert result.structured_content["status"] == "booked"
