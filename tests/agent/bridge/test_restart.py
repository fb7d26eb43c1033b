"""The server restarted during a conversation, for real: a trip-server process stopped and a new one
started on the same port and database between two calls of the same bridge."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.human import ScriptedHuman
from tests.server.conftest import RunningServer, start_server_process
from .conftest import Target

KNOWN = {"destination": "Kyoto", "trip_type": "solo", "nights": 2, "travelers": 1}
RECONNECTED = "travel-planner: the server restarted or ended our session; reconnected, the conversation goes on"
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

    def restart(self) -> None:
        self.stop()
        self.running = self._start()


@pytest.fixture
def restartable(tmp_path) -> Iterator[Restartable]:
    server = Restartable(tmp_path)
    yield server
    server.stop()


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_conversation_outlives_a_server_restart_and_books_nothing_twice(restartable, harness, mode):
    target = Target(restartable.running.url, None, restartable.running.db)
    human = ScriptedHuman(["Book", True], source="test")  # plan_trip asks Book/Cancel, book_quote yes/no
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
