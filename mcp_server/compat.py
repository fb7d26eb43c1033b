"""Reach-ins to private parts of mcp 2.1.1, fastmcp 4.1.1 and uvicorn 0.54.0, kept in one place.

tests/mcp_server/test_compat.py checks each against the installed packages and names the upstream
seam when it moves (a rename would otherwise make some of them silent no-ops).

- `StreamableHTTPSessionManager._server_instances` / `._session_owners`: the manager's map of legacy
  sessions (id -> transport) and their owners. It has no public lookup, count or removal, and it
  keeps terminated transports in the map forever.
- `StreamableHTTPServerTransport.idle_scope`: the manager pushes a session's idle deadline through
  `transport.idle_scope.deadline` on every request; putting another object there is how a session
  is held open (sessions.py).
- Where fastmcp keeps the manager: on the MCP route's endpoint (`StreamableHTTPASGIApp.session_manager`,
  set when the app's lifespan starts), wrapped in `RequireAuthMiddleware` (`.app`) when auth is on.
- `uvicorn.Server.startup`: after it, `servers[0].sockets` are the bound sockets (port 0 is chosen
  there); when it cannot bind, it calls `sys.exit`.
- `mcp.server.streamable_http.check_accept_headers` and `transport_security.DEFAULT_MAX_REQUEST_BODY_SIZE`:
  the session gate (gate.py) answers junk itself exactly as mcp would, by mcp's own rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import uvicorn
from mcp.server.streamable_http import StreamableHTTPServerTransport, check_accept_headers
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE

__all__ = [
    "DEFAULT_MAX_REQUEST_BODY_SIZE",
    "CannotListen",
    "ListeningServer",
    "check_accept_headers",
    "forget_session",
    "session_manager",
    "session_transport",
    "session_count",
    "swap_idle_scope",
]


def session_manager(app: Any) -> StreamableHTTPSessionManager | None:
    """The session manager of an app made by `FastMCP.http_app`, or None before its lifespan runs."""
    for route in getattr(app, "routes", []):
        endpoint = getattr(route, "endpoint", None)
        while endpoint is not None and not hasattr(endpoint, "session_manager"):
            endpoint = getattr(endpoint, "app", None)
        if endpoint is not None and endpoint.session_manager is not None:
            return endpoint.session_manager
    return None


def session_count(manager: StreamableHTTPSessionManager) -> int:
    """Legacy sessions in the manager's map (terminated ones too, until forgotten)."""
    return len(manager._server_instances)


def session_transport(manager: StreamableHTTPSessionManager, session_id: str) -> StreamableHTTPServerTransport | None:
    return manager._server_instances.get(session_id)


def forget_session(manager: StreamableHTTPSessionManager, session_id: str) -> None:
    """Drop a session from the manager's maps, as the manager does when a session times out."""
    manager._server_instances.pop(session_id, None)
    manager._session_owners.pop(session_id, None)


def swap_idle_scope(transport: StreamableHTTPServerTransport, replace: Callable[[Any], Any]) -> Any:
    """Put `replace(current idle scope)` where the manager pushes the idle deadline; returns what is
    there now (None: the session has no idle timeout). A scope already replaced is kept."""
    scope = transport.idle_scope
    if scope is None:
        return None
    swapped = replace(scope)
    if swapped is not scope:
        transport.idle_scope = swapped
    return swapped


class CannotListen(Exception):
    """uvicorn could not start serving (the address is in use, or not ours to bind)."""


class ListeningServer(uvicorn.Server):
    """Calls `on_listening(host, port)` once the socket accepts connections (port 0 resolved)."""

    def __init__(self, config: uvicorn.Config, on_listening: Callable[[str, int], None]) -> None:
        super().__init__(config)
        self.on_listening = on_listening

    async def startup(self, sockets: list | None = None) -> None:
        try:
            await super().startup(sockets)
        except SystemExit as error:  # uvicorn exits when it cannot bind
            raise CannotListen(str(error)) from error
        if self.started:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            self.on_listening(host, port)
