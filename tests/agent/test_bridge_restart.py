"""The server restarted during a conversation, for real: a trip-server process stopped and a new one
started on the same port and database between two calls of the same bridge."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.errors import TripAgentError
from agent.human import ScriptedHuman
from agent.server_process import BundledServer
from tests.mcp_server.conftest import RunningServer, start_server_process
from tests.agent.conftest import Target

KNOWN = {"destination": "Kyoto", "trip_type": "solo", "nights": 2, "travelers": 1}
RECONNECTED = "travel-planner: the server restarted or ended our session; reconnected, the conversation goes on"
LOST = "travel-planner: the connection was lost"
FAST = (0.05, 0.1)  # reconnect backoff for a server that is known to be down: fail fast
EXP_NOTES = {"legacy": [RECONNECTED], "auto": []}  # 2026-07-28 has no session to lose


class Restartable:
    """trip-server on one fixed port and database, which a test can restart."""

    def __init__(self, tmp_path: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._tmp_path = tmp_path
        self.running: RunningServer = self._start()

    def _start(self) -> RunningServer:
        # start_server_process asks for port 0; a later --port wins, and the database stays tmp_path/http.db.
        return start_server_process(self._tmp_path, "--port", str(self.port))

    def stop(self) -> None:
        self.running.process.terminate()
        self.running.process.wait(timeout=10)

    def start(self) -> None:
        self.running = self._start()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def restartable(tmp_path) -> Iterator[Restartable]:
    server = Restartable(tmp_path)
    yield server
    server.stop()


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_conversation_outlives_a_server_restart_and_books_nothing_twice(restartable, harness, mode):
    target = Target(restartable.running.url, None, restartable.running.db)
    human = ScriptedHuman(["Book", "Book"], source="test")  # plan_trip and book_quote both ask Book/Cancel
    bridge = harness.bridge(target, human, mode=mode)
    await bridge.start()
    try:
        booked = (await bridge.call_tool("plan_trip", KNOWN)).structured_content
        assert booked["status"] == "booked"
        restartable.restart()
        assert restartable.running.url == target.url
        listed = (await bridge.call_tool("list_bookings", {})).structured_content["bookings"]
        (booking,) = listed
        assert harness.notes == EXP_NOTES[mode]  # said once, on the first call after the restart
        retried = (await bridge.call_tool("book_quote", {"quote_id": booking["quote_id"]})).structured_content
    finally:
        await bridge.stop()
    assert booking["reservation_id"] == booked["reservation_id"] and booking["status"] == "confirmed"
    assert retried["status"] == "booked" and retried["reservation_id"] == booked["reservation_id"]
    assert target.bookings() == [booked["reservation_id"]]  # one row: the retried Book wrote nothing
    assert harness.notes == EXP_NOTES[mode]
    assert human.errors == []


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_server_that_is_down_costs_one_line_per_call_and_is_reconnected_when_back(restartable, harness, mode, caplog):
    target = Target(restartable.running.url, None, restartable.running.db)
    bridge = harness.bridge(target, ScriptedHuman([], source="test"), mode=mode, reconnect_delays=FAST)
    await bridge.start()
    try:
        restartable.stop()
        for _ in range(2):  # the first call meets the dead connection, the second a client with none
            with pytest.raises(TripAgentError) as raised:
                await bridge.call_tool("list_bookings", {})
            assert str(raised.value).startswith(f"{LOST}, and reconnecting failed for 0.15 s: cannot reach the MCP server at {target.url}")
        restartable.start()
        listed = await bridge.call_tool("list_bookings", {})
    finally:
        await bridge.stop()
    assert listed.structured_content == {"bookings": []}
    assert harness.notes[-1] == f"{LOST}; reconnected, the conversation goes on"
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_booking_started_while_the_server_restarts_goes_through_once(restartable, harness, mode):
    target = Target(restartable.running.url, None, restartable.running.db)

    def notify(text: str) -> None:
        harness.notes.append(text)
        if "reconnecting" in text:  # the first attempt failed: the server comes back meanwhile
            restartable.start()

    human = ScriptedHuman(["Book"], source="test")
    bridge = harness.bridge(target, human, mode=mode, reconnect_delays=(0.5, 1, 2, 4, 8), notify=notify)
    await bridge.start()
    try:
        restartable.stop()
        # plan_trip is not repeatable: it is sent again only because the refused connection delivered nothing.
        booked = (await bridge.call_tool("plan_trip", KNOWN)).structured_content
    finally:
        await bridge.stop()
    assert booked["status"] == "booked"
    assert target.bookings() == [booked["reservation_id"]]
    assert harness.notes[-1] == f"{LOST}; reconnected, the conversation goes on"


async def test_the_bundled_server_is_started_again_when_it_died(tmp_path, harness):
    bundled = await BundledServer.start(db=tmp_path / "trips.db")

    async def revive() -> str | None:
        return bundled.url if await bundled.revive() else None

    bridge = harness.bridge(Target(bundled.url, None, tmp_path / "trips.db"), ScriptedHuman(["Book"], source="test"), revive=revive)
    first_url = bundled.url
    await bridge.start()
    try:
        bundled._process.kill()  # a crash, not a stop
        await bundled._process.wait()
        booked = (await bridge.call_tool("plan_trip", KNOWN)).structured_content
    finally:
        await bridge.stop()
        await bundled.stop()
    assert booked["status"] == "booked"
    assert bridge.url == bundled.url != first_url
    assert harness.notes[-1] == (
        f"{LOST}; the bundled server had stopped and was started again; reconnected, the conversation goes on"
    )
