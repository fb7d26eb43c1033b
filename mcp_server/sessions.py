"""Keeping a legacy session alive while its tool call waits on the client.

mcp 2.1.1 pushes a session's idle deadline forward only when a new HTTP request arrives, so a
human who takes longer than `session_idle_timeout_s` over one question would lose the session in
the middle of it. While a question or sampling request is outstanding and the client is still
connected to the waiting call, the session is held: its idle deadline is lifted, and restarted from
zero when the answer is in or the client goes away (a killed client never answers).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio


class SessionKeeper:
    def __init__(self) -> None:
        self._app: Any = None  # the HTTP app; its session manager exists once its lifespan runs

    def attach(self, app: Any) -> None:
        self._app = app

    @contextmanager
    def holding(self, session_id: str | None, request: Any = None) -> Iterator[None]:
        """Hold the session while the client is connected to the waiting call (`request`)."""
        manager = self._manager()
        scope = _idle_scope(manager, session_id)
        if scope is None:
            yield
            return
        timeout = manager.session_idle_timeout
        scope.deadline = math.inf
        watcher = asyncio.get_running_loop().create_task(_release_when_gone(scope, request, timeout)) if request else None
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
            scope.deadline = anyio.current_time() + timeout

    def _manager(self) -> Any:
        """The session manager, which fastmcp keeps on the MCP route's endpoint, not on the app.

        With auth on the endpoint is wrapped (RequireAuthMiddleware), hence the walk down `.app`.
        """
        for route in getattr(self._app, "routes", []):
            endpoint = getattr(route, "endpoint", None)
            while endpoint is not None and not hasattr(endpoint, "session_manager"):
                endpoint = getattr(endpoint, "app", None)
            if endpoint is not None and endpoint.session_manager is not None:
                return endpoint.session_manager
        return None


def _idle_scope(manager: Any, session_id: str | None) -> anyio.CancelScope | None:
    if manager is None or session_id is None or manager.session_idle_timeout is None:
        return None
    # The manager exposes no public lookup of a session's transport; this private map is it.
    transport = manager._server_instances.get(session_id)
    return getattr(transport, "idle_scope", None)


async def _release_when_gone(scope: anyio.CancelScope, request: Any, timeout: float) -> None:
    """A client that went away (killed, network lost) never answers: its session idles out as usual."""
    while not await request.is_disconnected():
        await anyio.sleep(min(timeout, 1.0))
    scope.deadline = anyio.current_time() + timeout
