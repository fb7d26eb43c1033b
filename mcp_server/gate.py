"""The MCP endpoint's front door: a session costs memory only for a valid `initialize`, and within caps.

mcp 2.1.1 creates a session (a transport, a task, ~30 KiB kept for the whole idle timeout) for any
request without a session id, even malformed JSON or a GET, and only then answers it 400. This
gate answers such requests itself with the same 4xx mcp would send, so junk allocates nothing.
It also caps what a client can make the server keep:

- sessions (`max_sessions`): one more `initialize` is 503 with Retry-After;
- tool calls in progress on legacy sessions (`max_held_calls`): each holds its session open while
  it waits on the user (sessions.py), so one more `tools/call` is 503 with Retry-After;
- a session that sends nothing after its `initialize` (never finishes initializing) lives
  `init_timeout_s`, not the whole idle timeout;
- a session ended by DELETE is forgotten (mcp keeps terminated sessions in its map forever).

2026-07-28 requests (a modern MCP-Protocol-Version header) are stateless and pass straight through.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import pydantic_core
from mcp_types import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCRequest,
    jsonrpc_message_adapter,
)
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from pydantic import ValidationError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_server.compat import DEFAULT_MAX_REQUEST_BODY_SIZE, check_accept_headers
from mcp_server.middleware import shorten
from mcp_server.sessions import SessionKeeper

RETRY_AFTER_S = 5
# An error message never carries more of the client's input than this.
MAX_DETAIL_CHARS = 200


@dataclass(frozen=True)
class Limits:
    path: str
    max_sessions: int
    max_held_calls: int
    init_timeout_s: float


class _Rejected(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


class SessionGate:
    """Pure ASGI middleware (it must not buffer SSE responses) in front of the MCP endpoint."""

    def __init__(self, app: ASGIApp, limits: Limits, keeper: SessionKeeper) -> None:
        self.app = app
        self.limits = limits
        self.keeper = keeper
        self._initializing = 0  # valid initialize requests on their way to becoming sessions
        self._calls = 0  # tools/call requests in progress on legacy sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.limits.path:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        version = headers.get("mcp-protocol-version")
        if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
            await self.app(scope, receive, send)
            return
        try:
            if headers.get("mcp-session-id") is None:
                await self._new_session(scope, receive, send)
            elif scope["method"] == "POST":
                await self._on_session(scope, receive, send)
            elif scope["method"] == "DELETE":
                await self.app(scope, receive, send)
                self.keeper.forget_if_terminated(headers["mcp-session-id"])
            else:
                await self.app(scope, receive, send)
        except _Rejected as rejected:
            await rejected.response(scope, receive, send)

    async def _new_session(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method in ("GET", "DELETE"):
            raise _Rejected(_error("Bad Request: Missing session ID", HTTPStatus.BAD_REQUEST))
        if request.method != "POST":
            raise _Rejected(_error("Method Not Allowed", HTTPStatus.METHOD_NOT_ALLOWED, headers={"Allow": "GET, POST, DELETE"}))
        if check_accept_headers(request) != (True, True):
            raise _Rejected(
                _error("Not Acceptable: Client must accept both application/json and text/event-stream", HTTPStatus.NOT_ACCEPTABLE)
            )
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise _Rejected(_error("Unsupported Media Type: Content-Type must be application/json", HTTPStatus.UNSUPPORTED_MEDIA_TYPE))
        body = await _read_body(request)
        message = _parse(body)
        if not (isinstance(message, JSONRPCRequest) and message.method == "initialize"):
            raise _Rejected(_error("Bad Request: Missing session ID", HTTPStatus.BAD_REQUEST))
        if self.keeper.session_count() + self._initializing >= self.limits.max_sessions:
            raise _Rejected(_busy("Too many sessions"))
        self._initializing += 1
        pending = True

        async def sending(message: Message) -> None:
            nonlocal pending
            if message["type"] == "http.response.start" and pending:
                # From here the session (if any) is in mcp's map: count it there, not here.
                pending = False
                self._initializing -= 1
                session_id = Headers(raw=message.get("headers", [])).get("mcp-session-id")
                if message["status"] == HTTPStatus.OK and session_id is not None:
                    self.keeper.expire_soon(session_id, self.limits.init_timeout_s)
            await send(message)

        try:
            await self.app(scope, _replay(body, receive), sending)
        finally:
            if pending:
                self._initializing -= 1

    async def _on_session(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(Request(scope, receive))
        try:
            message = _parse(body)
        except _Rejected:
            message = None  # mcp answers it; a broken body on an existing session allocates nothing
        if not (isinstance(message, JSONRPCRequest) and message.method == "tools/call"):
            await self.app(scope, _replay(body, receive), send)
            return
        if self._calls >= self.limits.max_held_calls:
            raise _Rejected(_busy("Too many tool calls in progress"))
        self._calls += 1
        try:
            await self.app(scope, _replay(body, receive), send)
        finally:
            self._calls -= 1

async def _read_body(request: Request) -> bytes:
    """The whole body, refused past mcp's own limit (which we would otherwise bypass by reading first)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > DEFAULT_MAX_REQUEST_BODY_SIZE:
        raise _Rejected(_error("Payload Too Large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > DEFAULT_MAX_REQUEST_BODY_SIZE:
            raise _Rejected(_error("Payload Too Large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE))
    return bytes(body)


def _parse(body: bytes) -> Any:
    try:
        raw = pydantic_core.from_json(body)
    except ValueError as error:
        raise _Rejected(_error(f"Parse error: {error}", HTTPStatus.BAD_REQUEST, PARSE_ERROR)) from error
    try:
        return jsonrpc_message_adapter.validate_python(raw, by_name=False)
    except ValidationError as error:
        raise _Rejected(_error("Validation error: not a JSON-RPC 2.0 message", HTTPStatus.BAD_REQUEST, INVALID_PARAMS)) from error


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` with the body we already read given back first (then the client's disconnect)."""
    sent = False

    async def receiving() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receiving


def _busy(what: str) -> Response:
    return _error(
        f"{what}: the server is at its limit; retry in {RETRY_AFTER_S} s",
        HTTPStatus.SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _error(message: str, status: HTTPStatus, code: int = INVALID_REQUEST, headers: dict[str, str] | None = None) -> Response:
    body = JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=code, message=shorten(message, MAX_DETAIL_CHARS)))
    return Response(
        body.model_dump_json(by_alias=True, exclude_unset=True),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )
