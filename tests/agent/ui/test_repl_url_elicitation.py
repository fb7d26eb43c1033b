"""URL elicitation end to end: the real REPL (pipe input) against trip-server with its payment step, over loopback HTTP.

The human is asked before anything opens; the URL, its site and the server's message are shown; each
answer reaches the server; and the booking is made only once the payment page is confirmed by an
HTTP request, as a browser would send it. The "system browser" is a script named by $BROWSER, which
Python's webbrowser runs: it records the URL it was given.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import webbrowser

import httpx
import pytest

from agent.config import load_settings
from agent.transcript import Transcript
from tests.agent.conftest import BOOK_SCRIPT, read_events
from tests.mcp_server.conftest import RunningServer, paying_server  # noqa: F401  (a fixture)

CTRL_C, CTRL_X, CTRL_D = "\x03", "\x18", "\x04"
TRIP = {"destination": "Kyoto", "trip_type": "solo", "nights": 2}  # ¥38,000: only Book/Cancel is asked
CONSENT = "[o]pen in your browser / [p]rint the link / [d]ecline / [c]ancel >"


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """$BROWSER: a script that writes the URL it is given to a file (read with `opened()`)."""
    record = tmp_path / "opened.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{record}"\n', encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(script))
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # the stdlib reads $BROWSER once per process
    return lambda: record.read_text(encoding="utf-8").split() if record.exists() else []


@pytest.fixture
async def repl(pipe, screen, tmp_path, paying_server):
    from agent.ui.repl import Repl

    script = tmp_path / "plan.json"
    script.write_text(
        json.dumps({"turns": [{"tool_use": {"name": "plan_trip", "input": TRIP}}, {"text": "All done."}], "sampling": BOOK_SCRIPT["sampling"]}),
        encoding="utf-8",
    )
    transcript = Transcript.open(tmp_path / "t.jsonl")
    settings = load_settings(config_file=None, env={}, flags={"model": f"playback:{script}", "server": paying_server.url})
    task = asyncio.create_task(Repl(settings, transcript, input=pipe, output=screen.output(), stream=screen).run())
    yield task
    task.cancel()
    transcript.close()


def bookings(server: RunningServer) -> list[str]:
    with sqlite3.connect(server.db) as db:
        return [row[0] for row in db.execute("SELECT id FROM bookings")]


async def pay(url: str, decision: str = "confirm") -> httpx.Response:
    """Open the page and press a button, as a browser does (the page's own Origin on the POST)."""
    origin = re.match(r"https?://[^/]+", url).group(0)
    async with httpx.AsyncClient() as page:
        shown = await page.get(url)
        assert shown.status_code == 200 and "¥38,000" in shown.text
        return await page.post(url, data={"decision": decision}, headers={"Origin": origin})


async def reach_the_consent_prompt(screen, pipe, server: RunningServer) -> str:
    """Plan, answer Book, and return the payment URL the REPL shows (after checking what it shows)."""
    await screen.wait_for("Ctrl-D quits")
    pipe.send_text("Book me Kyoto, solo, 2 nights\r")
    await screen.wait_for("Decision*>")
    pipe.send_text("Book\r")
    site = re.match(r"http://([^/]+)/", server.url).group(1)  # also the server's name in the REPL (--server URL)
    await screen.wait_for(f"── {site} asks you to open a web page ──")
    await screen.wait_for("To book quote Q-")  # the server's message, cleaned
    await screen.wait_for("confirm the payment of ¥38,000 on trip-server's payment page")
    await screen.wait_for(f"http://{site}/pay/")
    await screen.wait_for(f"site: {site} (this computer)")
    await screen.wait_for(CONSENT)
    url = re.search(rf"http://{re.escape(site)}/pay/[A-Za-z0-9_-]+", "\n".join(screen.lines())).group(0)
    assert len(url.rsplit("/", 1)[1]) == 43  # 256 random bits, url-safe base64
    return url


async def test_open_then_pay_books_only_after_the_page_is_confirmed(repl, screen, pipe, paying_server, browser, tmp_path):
    before = bookings(paying_server)
    url = await reach_the_consent_prompt(screen, pipe, paying_server)
    assert browser() == []  # nothing opened before the human chose
    pipe.send_text("o\r")
    await screen.wait_for("Opened in your browser.")
    await screen.wait_for("was told you agreed; it goes on once the page is done")
    assert browser() == [url]
    assert bookings(paying_server) == before  # accepted, not paid: no booking yet
    pressed = await pay(url)
    assert pressed.status_code == 200 and "Payment confirmed" in pressed.text
    await screen.wait_for("← plan_trip (booked) Booked: reservation TRV-")
    await screen.wait_for("All done.")
    assert len(bookings(paying_server)) == len(before) + 1
    pipe.send_text(CTRL_D)
    assert await repl == 0
    [asked] = [event for event in read_events(tmp_path / "t.jsonl") if event.get("mode") == "url"]
    site = url.rsplit("/pay/", 1)[0]
    assert asked["url"] == site and asked["server"] == site.removeprefix("http://")  # the site, not the secret


async def test_print_shows_the_link_to_copy_and_the_page_can_cancel(repl, screen, pipe, paying_server, browser):
    before = bookings(paying_server)
    url = await reach_the_consent_prompt(screen, pipe, paying_server)
    pipe.send_text("p\r")
    await screen.wait_for("Open this link in your browser:")
    await screen.wait_for(url)
    assert browser() == []
    pressed = await pay(url, "cancel")
    assert "Payment cancelled" in pressed.text
    await screen.wait_for("← plan_trip (quoted) The payment was cancelled on the payment page; nothing was booked.")
    assert bookings(paying_server) == before
    pipe.send_text(CTRL_D)
    assert await repl == 0


@pytest.mark.parametrize(
    ("keys", "exp_said", "exp_result"),
    [
        ("d\r", "Declined; nothing was opened.", "You declined to open the payment page; nothing was booked."),
        (CTRL_X, "Declined; nothing was opened.", "You declined to open the payment page; nothing was booked."),
        (CTRL_C, "Cancelled; nothing was opened.", "You cancelled at the payment step; nothing was booked."),
    ],
)
async def test_decline_and_cancel_reach_the_server_and_book_nothing(repl, screen, pipe, paying_server, browser, keys, exp_said, exp_result):
    before = bookings(paying_server)
    url = await reach_the_consent_prompt(screen, pipe, paying_server)
    pipe.send_text(keys)
    await screen.wait_for(exp_said)
    await screen.wait_for(f"← plan_trip (quoted) {exp_result}")
    await screen.wait_for("All done.")  # the turn went on: the prompt's Ctrl-C did not cancel it
    assert browser() == [] and bookings(paying_server) == before
    async with httpx.AsyncClient() as page:  # the link the human turned down is void
        assert "Payment cancelled" in (await page.get(url)).text
    pipe.send_text(CTRL_D)
    assert await repl == 0
