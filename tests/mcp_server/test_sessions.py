"""Legacy sessions over real HTTP (mcp_server/sessions.py, middleware.py): held open for a whole
tool call, however long the human takes; a client killed mid-question; an expired session.

Run as a program (`python -m tests.mcp_server.test_sessions URL`) this module is the client that gets
killed: it starts plan_trip on a legacy session and prints `asked <session id>` from inside its
elicitation handler, then waits there forever.
"""

from __future__ import annotations

import asyncio
import sys
import time

import httpx
import pytest
from fastmcp import Client

from mcp_server.logs import session_tag
from tests.mcp_server.conftest import (
    ROOT,
    Human,
    MCP_HEADERS,
    LoggedServer,
    bookings_by_quote,
    client,
    idle_config,
    idle_timeout_line,
    llm,
    post_on_session,
    rows,
    start_logged_server,
)

VICTIM_TRIP = {"destination": "Hokkaido", "trip_type": "family", "nights": 4, "travelers": 5}


async def idle_timeouts_pass(server: LoggedServer, times: int) -> None:
    """Returns after `times` idle timeouts in a row: each a fresh session opened, left alone, timed out."""
    for _ in range(times):
        async with client(server.url, None, mode="legacy") as later:
            await server.wait_for_log(idle_timeout_line(later.transport.get_session_id()), timeout=15)


pytestmark = pytest.mark.faults


async def test_a_client_killed_mid_question_frees_its_session_and_books_nothing(tmp_path):
    server = start_logged_server(tmp_path, tmp_path / "trips.db", "--config", idle_config(tmp_path, 2))
    victim = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.mcp_server.test_sessions", server.url, cwd=ROOT, stdout=asyncio.subprocess.PIPE
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


async def _victim(url: str) -> None:
    async def frozen(message, response_type, params, context):
        print(f"asked {victim.transport.get_session_id()}", flush=True)
        await asyncio.Event().wait()

    victim = Client(url, mode="legacy", elicitation_handler=frozen, sampling_handler=llm)
    async with victim:
        await victim.call_tool("plan_trip", VICTIM_TRIP)


if __name__ == "__main__":
    asyncio.run(_victim(sys.argv[1]))
