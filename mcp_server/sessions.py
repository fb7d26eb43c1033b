"""Keeping a legacy session alive while one of its tool calls runs, however long the human takes.

mcp 2.1.1 gives each stateful session an idle deadline and pushes it to `now + idle timeout` on
*every* HTTP request to the session (streamable_http_manager.py, "Push back idle deadline on
activity"). A tool call that waits on a human (elicitation, sampling) or on slow server work sends
no requests of its own, so the session would time out under it; and any other request (a ping, a
second tool call, the answer to another question) would re-arm the deadline mid-call.

So each session's idle scope gets a `_HeldDeadline` in its place: while the session has at least
one hold, deadline pushes are ignored and the deadline stays lifted; when the last hold ends the
idle clock restarts from zero. A hold covers one whole tool call and ends early when the client
that made the call goes away (a killed client never answers): the call is then cancelled.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from mcp_server.compat import forget_session, session_count, session_manager, session_transport, swap_idle_scope
from mcp_server.logs import session_tag


# How often a held call checks that its client is still connected.
CLIENT_CHECK_S = 0.5


class ClientGone(Exception):
    """The client that made a held call disconnected; the call was cancelled."""


class _HeldDeadline:
    """Stands where mcp looks for a session's idle scope (`transport.idle_scope`): mcp only sets its
    `deadline`, which is ignored while the session is held."""

    def __init__(self, scope: anyio.CancelScope, timeout: float) -> None:
        self.scope = scope
        self.timeout = timeout
        self.holds = 0

    @property
    def deadline(self) -> float:
        return self.scope.deadline

    @deadline.setter
    def deadline(self, value: float) -> None:
        if self.holds == 0:
            self.scope.deadline = value

    def hold(self) -> None:
        self.holds += 1
        self.scope.deadline = math.inf

    def release(self) -> None:
        self.holds -= 1
        if self.holds == 0:
            self.scope.deadline = anyio.current_time() + self.timeout


class SessionKeeper:
    def __init__(self) -> None:
        self._app: Any = None  # the HTTP app; its session manager exists once its lifespan runs

    def attach(self, app: Any) -> None:
        self._app = app

    def session_count(self) -> int:
        manager = session_manager(self._app)
        return session_count(manager) if manager is not None else 0

    def forget_if_terminated(self, session_id: str) -> None:
        """Drop a session the client ended (DELETE): mcp 2.1.1 keeps terminated transports in its
        map forever, so ended sessions would leak and count against max_sessions."""
        manager = session_manager(self._app)
        transport = session_transport(manager, session_id) if manager is not None else None
        if transport is not None and transport.is_terminated:
            forget_session(manager, session_id)  # type: ignore[arg-type]  # a transport implies a manager

    def is_gone(self, session_id: str) -> bool:
        """The session was ended (DELETE, idle timeout, shutdown) or never existed."""
        manager = session_manager(self._app)
        transport = session_transport(manager, session_id) if manager is not None else None
        return transport is None or transport.is_terminated

    def expire_soon(self, session_id: str, seconds: float) -> None:
        """Shorten a new session's first deadline: one that never sends a second request (never
        finishes initializing) is gone in `seconds`; its next request restores the idle timeout."""
        deadline = self._deadline(session_id)
        if deadline is not None and deadline.holds == 0:
            deadline.scope.deadline = anyio.current_time() + min(seconds, deadline.timeout)

    @asynccontextmanager
    async def holding(self, session_id: str | None, request: Any = None) -> AsyncIterator[None]:
        """Hold the session for the body of the `async with`; cancel the body if the client that sent
        `request` disconnects.

        Raises:
            ClientGone: the client disconnected; the body was cancelled.
        """
        deadline = self._deadline(session_id) if session_id is not None else None
        if deadline is None:
            yield
            return
        deadline.hold()
        call = anyio.CancelScope()
        gone = False

        async def watch() -> None:
            nonlocal gone
            while not await request.is_disconnected():
                await anyio.sleep(CLIENT_CHECK_S)
            gone = True
            call.cancel()

        # A plain task, not a task group: a task group would wrap the call's own errors in a group.
        watcher = asyncio.get_running_loop().create_task(watch()) if request is not None else None
        try:
            with call:
                yield
        finally:
            if watcher is not None:
                watcher.cancel()
            deadline.release()
        if gone:
            raise ClientGone(session_tag(session_id))

    def _deadline(self, session_id: str) -> _HeldDeadline | None:
        manager = session_manager(self._app)
        timeout = manager.session_idle_timeout if manager is not None else None
        transport = session_transport(manager, session_id) if manager is not None else None
        if timeout is None or transport is None:
            return None
        return swap_idle_scope(transport, lambda scope: scope if isinstance(scope, _HeldDeadline) else _HeldDeadline(scope, timeout))
