"""Keeping a legacy session alive while its tool call waits on the client.

mcp 2.1.1 pushes a session's idle deadline forward only when a new HTTP request arrives, so a
human who takes longer than `session_idle_timeout_s` over one question would lose the session in
the middle of it. While a question or sampling request is outstanding, the session is held: its
idle deadline is lifted, and restarted from zero when the answer is in.
"""

from __future__ import annotations

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
    def holding(self, session_id: str | None) -> Iterator[None]:
        scope = self._idle_scope(session_id)
        if scope is None:
            yield
            return
        scope.deadline = math.inf
        try:
            yield
        finally:
            scope.deadline = anyio.current_time() + self._app.session_manager.session_idle_timeout

    def _idle_scope(self, session_id: str | None) -> anyio.CancelScope | None:
        manager = getattr(self._app, "session_manager", None)
        if manager is None or session_id is None or manager.session_idle_timeout is None:
            return None
        # The manager exposes no public lookup of a session's transport; this private map is it.
        transport = manager._server_instances.get(session_id)
        return getattr(transport, "idle_scope", None)
