"""mcp_server/compat.py: each private seam of mcp, fastmcp and uvicorn it uses, still where it is
and still doing what the server relies on. A failure names the upstream change to adapt to."""

from __future__ import annotations

import inspect
import socket

import anyio
import httpx
import pytest
import uvicorn
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request

from mcp_server import compat
from mcp_server.server import build_server, http_app
from mcp_server.sessions import _HeldDeadline
from mcp_server.settings import load_settings
from tests.mcp_server.test_server_security import HEADERS, INITIALIZE


class CountingScope:
    """Stands in a session's idle scope and counts the deadline pushes mcp makes through it."""

    def __init__(self, scope: anyio.CancelScope) -> None:
        self.scope = scope
        self.pushes = 0

    @property
    def deadline(self) -> float:
        return self.scope.deadline

    @deadline.setter
    def deadline(self, value: float) -> None:
        self.pushes += 1


async def test_the_session_manager_seams_hold_on_a_running_app(tmp_path):
    mcp = build_server(load_settings(overrides={"db": tmp_path / "t.db", "session_idle_timeout_s": 60}))
    app = http_app(mcp, mcp.services.settings)
    assert compat.session_manager(app) is None, "fastmcp now makes the session manager before the app's lifespan"
    async with app.router.lifespan_context(app):
        manager = compat.session_manager(app)
        assert isinstance(manager, StreamableHTTPSessionManager), (
            "fastmcp no longer keeps the session manager on the MCP route's endpoint (.session_manager)"
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            opened = await http.post("/mcp", json=INITIALIZE, headers=HEADERS)
            session_id = opened.headers["mcp-session-id"]
            assert compat.session_count(manager) == 1, "mcp no longer keeps legacy sessions in _server_instances"
            session = compat.session_transport(manager, session_id)
            # The gate shortened the new session's deadline through the held scope put in mcp's place.
            held = session.idle_scope if session is not None else None
            assert isinstance(held, _HeldDeadline) and isinstance(held.scope, anyio.CancelScope), (
                "mcp's transport no longer has its idle scope at .idle_scope"
            )
            counting = compat.swap_idle_scope(session, lambda scope: CountingScope(scope.scope))
            assert compat.swap_idle_scope(session, lambda scope: scope) is counting  # what stands there is kept
            headers = {**HEADERS, "Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-11-25"}
            await http.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "ping"}, headers=headers)
            assert counting.pushes == 1, "mcp no longer pushes the idle deadline through transport.idle_scope.deadline"
            await session.terminate()  # what mcp does on DELETE
            # If mcp starts dropping ended sessions itself, forget_if_terminated has nothing left to do.
            assert compat.session_transport(manager, session_id) is session and session.is_terminated
            assert "and not http_transport.is_terminated" in inspect.getsource(StreamableHTTPSessionManager), (
                "mcp no longer keeps terminated sessions in its map (forget_if_terminated may be unneeded)"
            )
            compat.forget_session(manager, session_id)
            assert compat.session_count(manager) == 0 and session_id not in manager._session_owners, (
                "mcp's session maps (_server_instances, _session_owners) changed"
            )
    await mcp.services.store.close()


async def test_the_session_manager_is_found_behind_auth(tmp_path):
    settings = load_settings(
        overrides={"db": tmp_path / "t.db", "auth_jwks_url": "https://idp.example/jwks.json", "auth_issuer": "https://idp.example"}
    )
    mcp = build_server(settings)
    app = http_app(mcp, settings)
    async with app.router.lifespan_context(app):
        assert isinstance(compat.session_manager(app), StreamableHTTPSessionManager), (
            "fastmcp's RequireAuthMiddleware no longer wraps the MCP endpoint as .app"
        )
    await mcp.services.store.close()


async def test_the_listening_server_reports_the_port_it_bound_and_refuses_to_start_on_a_taken_one():
    async def app(scope, receive, send):
        pass

    bound: list[tuple[str, int]] = []

    def on_listening(host: str, port: int) -> None:
        bound.append((host, port))
        server.should_exit = True

    server = compat.ListeningServer(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan="off"), on_listening)
    await server.serve()
    assert len(bound) == 1 and bound[0][0] == "127.0.0.1" and bound[0][1] > 0, (
        "uvicorn.Server.startup no longer leaves the bound sockets in .servers"
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = compat.ListeningServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off"), on_listening)
        with pytest.raises(compat.CannotListen):
            await refused.serve()
    assert len(bound) == 1


def test_the_gate_uses_mcps_own_rules():
    assert list(inspect.signature(compat.check_accept_headers).parameters) == ["request"], (
        "mcp.server.streamable_http.check_accept_headers changed its signature"
    )
    scope = {"type": "http", "method": "POST", "headers": [(b"accept", b"application/json, text/event-stream")]}
    assert compat.check_accept_headers(Request(scope)) == (True, True), "check_accept_headers no longer answers (json, sse)"
    limit = inspect.signature(StreamableHTTPSessionManager).parameters["max_request_body_size"].default
    assert limit == compat.DEFAULT_MAX_REQUEST_BODY_SIZE, "mcp's streamable HTTP body limit is no longer DEFAULT_MAX_REQUEST_BODY_SIZE"


def test_no_module_but_compat_reaches_into_upstream_privates():
    """Our own attributes aside, `._name` in mcp_server appears only in compat.py."""
    from pathlib import Path

    import mcp_server

    root = Path(mcp_server.__file__).parent
    upstream = ("._server_instances", "._session_owners", "._mcp_server", "._transport", "._session_state")
    for module in root.glob("*.py"):
        if module.name != "compat.py":
            text = module.read_text(encoding="utf-8")
            assert not [name for name in upstream if name in text], f"{module.name} reaches into upstream privates"


def test_mcp_session_ids_have_the_shape_the_log_redaction_matches():
    from mcp_server.logs import redact

    assert "uuid4().hex" in inspect.getsource(StreamableHTTPSessionManager), (
        "mcp no longer makes session ids with uuid4().hex: update logs._SESSION_ID so they stay out of logs"
    )
    assert "0123456789abcdef" * 2 not in redact("id " + "0123456789abcdef" * 2)
