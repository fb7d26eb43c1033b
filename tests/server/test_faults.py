"""Faults over real HTTP: a client killed mid-question, a server restart, an expired session, a locked database.

Run as a program (`python -m tests.server.test_faults URL`) this module is the client that gets
killed: it starts plan_trip on a legacy session and prints `asked <session id>` from inside its
elicitation handler, then waits there forever.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastmcp import Client

from mcp_server.launch import server_command, start_listening
from mcp_server.logs import session_tag
from tests.server.conftest import Human, client, llm

ROOT = Path(__file__).resolve().parents[2]
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
PING = {"jsonrpc": "2.0", "id": 7, "method": "ping"}
VICTIM_TRIP = {"destination": "Hokkaido", "trip_type": "family", "nights": 4, "travelers": 5}


@dataclass
class LoggedServer:
    """trip-server with its stderr in a file, so a test can wait for what it logs."""

    url: str
    db: Path
    log: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log_text():
            if time.monotonic() > deadline:
                raise AssertionError(f"trip-server did not log {text!r} within {timeout} s:\n{self.log_text()[-3000:]}")
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process.stdout.close()


def start_logged_server(directory: Path, db: Path, *extra: str, log_name: str = "server.log", **popen: Any) -> LoggedServer:
    """trip-server on a free loopback port; ready once it prints its `listening on` line."""
    log = directory / log_name
    process, url = start_listening(server_command("--db", str(db), *extra), log=log, cwd=ROOT, **popen)
    return LoggedServer(url=url, db=db, log=log, process=process)


def idle_config(directory: Path, seconds: float, **more: float) -> str:
    config = directory / "server.toml"
    extra = "".join(f"{key} = {value!r}\n" for key, value in more.items())
    config.write_text(f"[trip_server]\nsession_idle_timeout_s = {seconds}\n{extra}")
    return str(config)


def idle_timeout_line(session_id: str) -> str:
    """mcp's line for a timed-out session, with the id as the logs show it (a one-way tag)."""
    return f"Session {session_tag(session_id)} idle timeout"


async def idle_timeouts_pass(server: LoggedServer, times: int) -> None:
    """Returns after `times` idle timeouts in a row: each a fresh session opened, left alone, timed out."""
    for _ in range(times):
        async with client(server.url, None, mode="legacy") as later:
            await server.wait_for_log(idle_timeout_line(later.transport.get_session_id()), timeout=15)


def post_on_session(url: str, session_id: str) -> httpx.Response:
    headers = {**MCP_HEADERS, "Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-11-25"}
    return httpx.post(url, json=PING, headers=headers, timeout=10)


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def bookings_by_quote(db: Path) -> dict[str, str]:
    return dict(rows(db, "SELECT quote_id, id FROM bookings"))


pytestmark = pytest.mark.faults


async def test_a_client_killed_mid_question_frees_its_session_and_books_nothing(tmp_path):
    server = start_logged_server(tmp_path, tmp_path / "trips.db", "--config", idle_config(tmp_path, 2))
    victim = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.server.test_faults", server.url, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    try:
        line = (await asyncio.wait_for(victim.stdout.readline(), 30)).decode()
        assert line.startswith("asked "), line
        victim_session = line.split()[1]

        # Another session is in the middle of its own conversation while the victim dies.
        healthy_asked, victim_killed = asyncio.Event(), asyncio.Event()
        human = Human([{"decision": "Book"}])

        async def answers_after_the_kill(message, response_type, params, context):
            healthy_asked.set()
            await victim_killed.wait()
            return await human(message, response_type, params, context)

        async def healthy_flow():
            async with client(server.url, answers_after_the_kill, mode="legacy") as c:
                return await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "couple", "nights": 2})

        healthy = asyncio.create_task(healthy_flow())
        await asyncio.wait_for(healthy_asked.wait(), 30)
        victim.kill()
        await victim.wait()
        killed_at = time.monotonic()
        victim_killed.set()
        result = await asyncio.wait_for(healthy, 30)

        await server.wait_for_log(idle_timeout_line(victim_session), timeout=15)
        assert time.monotonic() - killed_at < 2 + 5  # the idle timeout plus slack, not the 900 s default
        (abandoned,) = [line for line in server.log_text().splitlines() if "abandoned" in line]
        assert f"session=<{session_tag(victim_session)}>" in abandoned and "tool=<plan_trip> phase=<ask:confirm>" in abandoned
        assert abandoned.endswith("abandoned: the client went away")
        assert post_on_session(server.url, victim_session).status_code == 404
        assert server.process.poll() is None and "Traceback" not in server.log_text()
    finally:
        if victim.returncode is None:
            victim.kill()
            await victim.wait()
        server.stop()

    assert result.structured_content["status"] == "booked"
    (quote_of_healthy,) = [q for q, r in bookings_by_quote(server.db).items() if r == result.structured_content["reservation_id"]]
    assert quote_of_healthy == result.structured_content["quote_id"]
    # The victim got as far as a saved quote (it was asked Book/Cancel) but nothing of it was booked.
    victim_quotes = [q for (q, price) in rows(server.db, "SELECT id, price FROM quotes") if '"Hokkaido"' in price]
    assert len(victim_quotes) == 1 and victim_quotes[0] not in bookings_by_quote(server.db)
    assert len(bookings_by_quote(server.db)) == 1


async def test_a_restarted_server_keeps_bookings_and_a_retried_book_writes_once(tmp_path):
    db = tmp_path / "trips.db"
    first = start_logged_server(tmp_path, db, log_name="first.log")
    try:
        async with client(first.url, Human([{"decision": "Book"}]), mode="legacy") as c:
            booked = (await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})).structured_content

        # A second conversation is at its Book/Cancel question when the server dies.
        asked = asyncio.Event()

        async def still_thinking(message, response_type, params, context):
            asked.set()
            await asyncio.Event().wait()

        interrupted = Client(first.url, mode="legacy", elicitation_handler=still_thinking, sampling_handler=llm)
        async with interrupted:
            old_session = interrupted.transport.get_session_id()
            call = asyncio.create_task(interrupted.call_tool("plan_trip", {"destination": "Fukuoka", "trip_type": "couple", "nights": 3}))
            await asyncio.wait_for(asked.wait(), 30)
            first.process.kill()
            first.process.wait(timeout=10)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
    finally:
        first.stop()

    # The booking survived the kill; the interrupted conversation left a quote and no booking.
    (fukuoka_quote,) = [q for (q, price) in rows(db, "SELECT id, price FROM quotes") if '"Fukuoka"' in price]
    assert bookings_by_quote(db) == {booked["quote_id"]: booked["reservation_id"]}

    second = start_logged_server(tmp_path, db, log_name="second.log")
    try:
        assert post_on_session(second.url, old_session).status_code == 404  # the client must re-initialize
        async with client(second.url, Human([{"confirm": True}] * 3), mode="legacy") as c:
            retried = await c.call_tool("book_quote", {"quote_id": booked["quote_id"]})
            resumed = await c.call_tool("book_quote", {"quote_id": fukuoka_quote})
            resumed_again = await c.call_tool("book_quote", {"quote_id": fukuoka_quote})
    finally:
        second.stop()

    assert retried.structured_content["reservation_id"] == booked["reservation_id"]
    assert resumed.structured_content["status"] == "booked"
    assert resumed_again.structured_content["reservation_id"] == resumed.structured_content["reservation_id"]
    assert bookings_by_quote(db) == {
        booked["quote_id"]: booked["reservation_id"],
        fukuoka_quote: resumed.structured_content["reservation_id"],
    }


async def test_an_expired_session_is_404_and_a_new_session_works(tmp_path):
    server = start_logged_server(tmp_path, tmp_path / "trips.db", "--config", idle_config(tmp_path, 1))
    try:
        async with client(server.url, None, mode="legacy") as c:
            session_id = c.transport.get_session_id()
            assert post_on_session(server.url, session_id).status_code == 200
            await server.wait_for_log(idle_timeout_line(session_id), timeout=15)
            expired = post_on_session(server.url, session_id)
            assert expired.status_code == 404 and expired.json()["error"]["message"] == "Session not found"
        async with client(server.url, Human([{"decision": "Book"}]), mode="legacy") as c:
            result = await c.call_tool("plan_trip", {"destination": "Okinawa", "trip_type": "solo", "nights": 1})
        assert result.structured_content["status"] == "booked"
    finally:
        server.stop()


async def test_an_answer_slower_than_the_idle_timeout_keeps_the_session(tmp_path):
    server = start_logged_server(tmp_path, tmp_path / "trips.db", "--config", idle_config(tmp_path, 1))

    async def slow_human(message, response_type, params, context):
        # A session opened after this question was asked timing out proves this session's own
        # idle deadline (counted from its last request, the tool call) has passed too.
        await idle_timeouts_pass(server, 1)
        return {"decision": "Book"}

    try:
        async with client(server.url, slow_human, mode="legacy") as c:
            result = await asyncio.wait_for(
                c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1}), 30
            )
            after = await c.call_tool("list_bookings", {})  # the session is still usable after the answer
    finally:
        server.stop()
    assert result.structured_content["status"] == "booked"
    assert [b["reservation_id"] for b in after.structured_content["bookings"]] == [result.structured_content["reservation_id"]]


async def test_a_slow_question_outlives_pings_and_another_call_on_its_session(tmp_path):
    """Two plan_trip calls at once on one legacy session (Strands calls tools concurrently): one is
    answered at once and finishes, the client pings, then the other's answer comes three idle
    timeouts later. mcp pushes the idle deadline on every request, and the end of one call must not
    end the other's hold."""
    server = start_logged_server(tmp_path, tmp_path / "trips.db", "--config", idle_config(tmp_path, 2))
    slow_asked, answer_now = asyncio.Event(), asyncio.Event()
    destinations_asked = 0

    async def one_quick_one_slow(message, response_type, params, context):
        nonlocal destinations_asked
        if "destination" not in params.requested_schema["properties"]:
            return {"decision": "Cancel"}
        destinations_asked += 1
        if destinations_asked == 2:
            slow_asked.set()
            await answer_now.wait()
        return {"destination": "Kyoto"}

    try:
        async with client(server.url, one_quick_one_slow, mode="legacy") as c:
            trip = {"trip_type": "solo", "nights": 1}
            calls = [asyncio.create_task(c.call_tool("plan_trip", trip)) for _ in range(2)]
            await asyncio.wait_for(slow_asked.wait(), 30)
            quick = await asyncio.wait_for(next(asyncio.as_completed(calls)), 30)
            for _ in range(3):
                await c.ping()
                await asyncio.sleep(1)  # a client pinging every second: the traffic under test, not synchronisation
            await idle_timeouts_pass(server, 3)
            answer_now.set()
            results = await asyncio.wait_for(asyncio.gather(*calls), 30)
            after = await c.call_tool("list_bookings", {})  # the session outlived both calls
        assert server.process.poll() is None and "Traceback" not in server.log_text()
    finally:
        server.stop()
    assert quick.structured_content["status"] == "quoted"
    assert [r.structured_content["status"] for r in results] == ["quoted", "quoted"]
    assert after.structured_content["bookings"] == []


async def test_server_work_longer_than_the_idle_timeout_keeps_the_session(tmp_path):
    # Five search steps of 0.6 s: a 3 s search on a session that idles out after 1 s without requests.
    server = start_logged_server(tmp_path, tmp_path / "trips.db", "--config", idle_config(tmp_path, 1, search_delay_s=0.6))
    try:
        async with client(server.url, Human([{"decision": "Cancel"}]), mode="legacy") as c:
            session_id = c.transport.get_session_id()
            result = await asyncio.wait_for(
                c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1}), 30
            )
            after = await c.call_tool("list_bookings", {})
    finally:
        server.stop()
    assert result.structured_content["status"] == "quoted"
    assert after.structured_content["bookings"] == []
    assert idle_timeout_line(session_id) not in server.log_text()


async def test_a_session_ended_mid_question_logs_the_flow_as_abandoned(tmp_path):
    server = start_logged_server(tmp_path, tmp_path / "trips.db")
    asked = asyncio.Event()

    async def never_answers(message, response_type, params, context):
        asked.set()
        await asyncio.Event().wait()

    try:
        async with client(server.url, never_answers, mode="legacy") as c:
            session_id = c.transport.get_session_id()
            call = asyncio.create_task(c.call_tool("plan_trip", {"trip_type": "solo", "nights": 1}))
            await asyncio.wait_for(asked.wait(), 30)
            headers = {**MCP_HEADERS, "Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-11-25"}
            async with httpx.AsyncClient(timeout=10) as http:
                assert (await http.delete(server.url, headers=headers)).status_code == 200
            await server.wait_for_log("abandoned", timeout=15)
            call.cancel()
        assert server.process.poll() is None and "Traceback" not in server.log_text()
    finally:
        server.stop()
    (abandoned,) = [line for line in server.log_text().splitlines() if "abandoned" in line]
    assert "tool=<plan_trip> phase=<ask:destination> | abandoned: the session ended" in abandoned


async def test_a_locked_database_is_a_clear_error_and_booking_works_after_release(tmp_path):
    server = start_logged_server(tmp_path, tmp_path / "trips.db")
    try:
        async with client(server.url, Human([{"decision": "Cancel"}, {"confirm": True}, {"confirm": True}]), mode="legacy") as c:
            planned = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 2})
            quote_id = planned.structured_content["quote_id"]
            locker = sqlite3.connect(server.db, isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")
            try:
                locked = await c.call_tool("book_quote", {"quote_id": quote_id}, raise_on_error=False)
                assert bookings_by_quote(server.db) == {}
            finally:
                locker.execute("ROLLBACK")
                locker.close()
            released = await c.call_tool("book_quote", {"quote_id": quote_id})
        assert server.process.poll() is None
    finally:
        server.stop()

    assert locked.is_error
    assert locked.content[0].text == (
        "The booking database is busy (another process holds its lock); nothing was changed. Try again in a moment."
    )
    assert released.structured_content["status"] == "booked"
    assert bookings_by_quote(server.db) == {quote_id: released.structured_content["reservation_id"]}


async def _victim(url: str) -> None:
    async def frozen(message, response_type, params, context):
        print(f"asked {victim.transport.get_session_id()}", flush=True)
        await asyncio.Event().wait()

    victim = Client(url, mode="legacy", elicitation_handler=frozen, sampling_handler=llm)
    async with victim:
        await victim.call_tool("plan_trip", VICTIM_TRIP)


if __name__ == "__main__":
    asyncio.run(_victim(sys.argv[1]))
