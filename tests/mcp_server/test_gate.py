"""The MCP endpoint under junk and crowds, over real HTTP: junk costs no session, caps answer 503."""

from __future__ import annotations

import asyncio
import resource
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest

from mcp_server.logs import session_tag
from tests.mcp_server.conftest import (
    client,
    Human,
    idle_config,
    idle_timeout_line,
    LoggedServer,
    MCP_HEADERS,
    start_logged_server,
)
from tests.mcp_server.test_server_security import INITIALIZE

PING = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
JUNK = [
    # (what, method, headers, body, status)
    ("malformed JSON", "POST", MCP_HEADERS, b'{"jsonrpc": "2.0", "id": 1, "method": "initi', 400),
    ("not JSON-RPC", "POST", MCP_HEADERS, b'{"hello": "world"}', 400),
    ("a ping without a session", "POST", MCP_HEADERS, b'{"jsonrpc": "2.0", "id": 2, "method": "ping"}', 400),
    ("a notification without a session", "POST", MCP_HEADERS, b'{"jsonrpc": "2.0", "method": "notifications/initialized"}', 400),
    ("GET without a session", "GET", {"Accept": "text/event-stream"}, b"", 400),
    ("DELETE without a session", "DELETE", {}, b"", 400),
    ("PUT", "PUT", MCP_HEADERS, b"{}", 405),
    ("wrong content type", "POST", {**MCP_HEADERS, "Content-Type": "text/plain"}, b"{}", 415),
    ("no SSE in Accept", "POST", {**MCP_HEADERS, "Accept": "application/json"}, b"{}", 406),
]

pytestmark = pytest.mark.faults


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc")


def limits_config(directory: Path, **limits: float) -> str:
    return idle_config(directory, limits.pop("session_idle_timeout_s", 60), **limits)


async def initialize(http: httpx.AsyncClient, url: str) -> httpx.Response:
    return await http.post(url, json=INITIALIZE, headers=MCP_HEADERS)


async def test_junk_gets_its_4xx_and_allocates_nothing(tmp_path):
    server = start_logged_server(tmp_path, tmp_path / "trips.db")
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            for what, method, headers, body, status in JUNK:  # every kind once: all code paths loaded
                response = await http.request(method, server.url, headers=headers, content=body)
                assert response.status_code == status, what
                assert "mcp-session-id" not in response.headers, what
            before = rss_kib(server.process.pid)
            for _ in range(150):
                for what, method, headers, body, status in JUNK:
                    assert (await http.request(method, server.url, headers=headers, content=body)).status_code == status
            grown = rss_kib(server.process.pid) - before
        assert "Created new transport" not in server.log_text()
    finally:
        server.stop()
    # 1,350 junk requests; mcp alone kept a ~30 KiB session for each (~40 MiB).
    assert grown < 4096, f"{grown} KiB for {150 * len(JUNK)} junk requests"


async def test_beyond_max_sessions_initialize_is_503_with_retry_after(tmp_path):
    server = start_logged_server(tmp_path, tmp_path / "trips.db", "--config", limits_config(tmp_path, max_sessions=3))
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            opened = [await initialize(http, server.url) for _ in range(3)]
            assert [r.status_code for r in opened] == [200] * 3, [r.text for r in opened]
            sessions = [r.headers["mcp-session-id"] for r in opened]
            refused = await initialize(http, server.url)
            assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
            assert "Too many sessions" in refused.json()["error"]["message"]
            # A session that ends makes room.
            ended = await http.delete(server.url, headers={**MCP_HEADERS, "Mcp-Session-Id": sessions[0], "MCP-Protocol-Version": "2025-11-25"})
            assert ended.status_code == 200
            assert (await initialize(http, server.url)).status_code == 200
        assert server.process.poll() is None and "Traceback" not in server.log_text()
    finally:
        server.stop()


async def test_beyond_max_held_calls_a_tool_call_is_503_and_held_ones_finish(tmp_path):
    server = start_logged_server(tmp_path, tmp_path / "trips.db", "--config", limits_config(tmp_path, max_held_calls=2))
    asked, answer = asyncio.Event(), asyncio.Event()
    waiting = 0

    async def slow_human(message, response_type, params, context):
        nonlocal waiting
        waiting += 1
        if waiting == 2:
            asked.set()
        await answer.wait()
        return {"decision": "Cancel"}

    async def one_call():
        async with client(server.url, slow_human, mode="legacy") as c:
            return await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})

    try:
        held = [asyncio.create_task(one_call()) for _ in range(2)]
        await asyncio.wait_for(asked.wait(), 30)
        async with client(server.url, None, mode="legacy") as third:
            session = third.transport.get_session_id()
            async with httpx.AsyncClient(timeout=10) as http:
                headers = {**MCP_HEADERS, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"}
                call = {"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "list_destinations", "arguments": {}}}
                refused = await http.post(server.url, json=call, headers=headers)
                pinged = await http.post(server.url, json=PING, headers=headers)  # other requests still pass
            answer.set()
            results = await asyncio.wait_for(asyncio.gather(*held), 30)
            served = await third.call_tool("list_destinations", {})
        assert server.process.poll() is None and "Traceback" not in server.log_text()
    finally:
        server.stop()
    assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
    assert pinged.status_code == 200
    assert [r.structured_content["status"] for r in results] == ["quoted", "quoted"]
    assert served.structured_content["destinations"]


async def test_a_session_that_never_finishes_initializing_expires_after_init_timeout(tmp_path):
    # Idle timeout 60 s, init timeout 1 s: only the silent session may be gone when the test ends.
    server = start_logged_server(tmp_path, tmp_path / "trips.db", "--config", limits_config(tmp_path, init_timeout_s=1))
    try:
        async with httpx.AsyncClient(timeout=10) as http, client(server.url, Human([]), mode="legacy") as active:
            silent = (await initialize(http, server.url)).headers["mcp-session-id"]
            await server.wait_for_log(idle_timeout_line(silent), timeout=15)
            headers = {**MCP_HEADERS, "Mcp-Session-Id": silent, "MCP-Protocol-Version": "2025-11-25"}
            assert (await http.post(server.url, json=PING, headers=headers)).status_code == 404
            await active.ping()  # a client that finished initializing keeps its session
            assert idle_timeout_line(active.transport.get_session_id()) not in server.log_text()
    finally:
        server.stop()


def test_no_session_id_in_any_log_line(tmp_path):
    async def scenario(server: LoggedServer) -> list[str]:
        ids = []
        async with client(server.url, Human([{"decision": "Cancel"}]), mode="legacy") as c:
            ids.append(c.transport.get_session_id())
            await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
        async with httpx.AsyncClient(timeout=10) as http:
            ids.append((await initialize(http, server.url)).headers["mcp-session-id"])
            await server.wait_for_log(idle_timeout_line(ids[-1]), timeout=15)  # mcp's INFO line about it
            headers = {**MCP_HEADERS, "Mcp-Session-Id": ids[-1], "MCP-Protocol-Version": "2025-11-25"}
            await http.post(server.url, json=PING, headers=headers)  # mcp logs the unknown id it was sent
        return ids

    server = start_logged_server(tmp_path, tmp_path / "trips.db", "--config", limits_config(tmp_path, init_timeout_s=1))
    try:
        ids = asyncio.run(scenario(server))
    finally:
        server.stop()
    log = server.log_text()
    assert "Created new transport with session ID: " + session_tag(ids[0]) in log  # mcp's lines are there, tagged
    for session_id in ids:
        assert session_id not in log and session_id[:12] not in log


def fds_open(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


async def test_at_the_open_file_limit_the_server_refuses_connections_instead_of_failing_accept(tmp_path):
    # A hard limit of 160 open files that the server cannot raise: it serves at most 96 connections.
    def low_file_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (160, 160))

    server = start_logged_server(tmp_path, tmp_path / "trips.db", preexec_fn=low_file_limit)
    streams = 200  # each a session's open GET stream: one connection each, held until we close it
    try:
        assert "serving at most 96 connections" in server.log_text()
        limits = httpx.Limits(max_connections=streams + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            sessions = [(await initialize(http, server.url)).headers["mcp-session-id"] for _ in range(streams)]
            async with AsyncExitStack() as open_streams:
                statuses = []
                for session in sessions:
                    headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"}
                    response = await open_streams.enter_async_context(http.stream("GET", server.url, headers=headers))
                    statuses.append(response.status_code)
                peak_fds = fds_open(server.process.pid)
            async with client(server.url, None, mode="legacy") as later:  # with the streams closed, service is back
                await later.ping()
        log = server.log_text()
        assert server.process.poll() is None
    finally:
        server.stop()
    # How many fit depends on how fast the initialize connections closed; some must not have.
    assert set(statuses) == {200, 503}, statuses
    assert peak_fds < 160
    assert "out of system resource" not in log and "Too many open files" not in log
