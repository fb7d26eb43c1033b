"""Tool-call middleware: sessions held for a whole call, and errors a model (or a person) can act on."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from fastmcp.exceptions import NotFoundError, ToolError, ValidationError
from fastmcp.server.middleware import Middleware, MiddlewareContext
from pydantic import ValidationError as PydanticValidationError

from mcp_server.logs import FlowPosition, current_flow, session_tag
from mcp_server.sessions import ClientGone, SessionKeeper

logger = logging.getLogger("trip_server")

# Error text never grows with the input: a 1 MB argument name is not sent back (or logged) whole.
MAX_ERROR_CHARS = 500
MAX_NAME_CHARS = 40


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HoldSessions(Middleware):
    """Every tool call on a legacy session holds the session (sessions.py) until the call ends."""

    def __init__(self, keeper: SessionKeeper) -> None:
        self.keeper = keeper

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: Any) -> Any:
        ctx = context.fastmcp_context
        rc = ctx.request_context if ctx is not None else None
        request = rc.request if rc is not None else None
        session_id = request.headers.get("mcp-session-id") if request is not None else None
        position = FlowPosition()
        current_flow.set(position)
        try:
            async with self.keeper.holding(session_id, request):
                result = await call_next(context)
            if session_id is not None and self.keeper.is_gone(session_id):
                # The flow saw its question fail ("Connection closed") and ended; nobody gets the result.
                _log_abandoned(context, position, session_tag(session_id), "the session ended")
            return result
        except ClientGone as gone:
            _log_abandoned(context, position, str(gone), "the client went away")
            raise ToolError("The client disconnected; the call was abandoned.") from gone
        except anyio.get_cancelled_exc_class():
            _log_abandoned(context, position, session_tag(session_id) if session_id else "-", "the session ended")
            raise


def _log_abandoned(context: MiddlewareContext[Any], position: FlowPosition, session: str, why: str) -> None:
    logger.info(
        "session=<%s> flow=<%s> tool=<%s> phase=<%s> | abandoned: %s",
        session, position.flow_id, shorten(context.message.name, MAX_NAME_CHARS), position.phase, why,
    )


class ReadableArgumentErrors(Middleware):
    """`get_quote: nights: missing; travelers: should be a valid integer or string (got [1])`."""

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: Any) -> Any:
        tool = shorten(context.message.name, MAX_NAME_CHARS)
        try:
            return await call_next(context)
        except ValidationError as error:
            cause = error.__cause__
            if not isinstance(cause, PydanticValidationError):
                raise ToolError(shorten(str(error), MAX_ERROR_CHARS)) from error
            raise ToolError(shorten(f"Invalid arguments for {tool}: {describe(cause)}.", MAX_ERROR_CHARS)) from error
        except NotFoundError as error:
            raise ToolError(f"Unknown tool: {tool!r}") from error
        except ToolError as error:
            if len(str(error)) <= MAX_ERROR_CHARS:
                raise
            raise ToolError(shorten(str(error), MAX_ERROR_CHARS)) from error


def describe(error: PydanticValidationError) -> str:
    """One clause per argument; a union's alternatives are folded into one clause."""
    problems: dict[str, tuple[list[str], Any]] = {}
    for item in error.errors():
        name = shorten(str(item["loc"][0]), MAX_NAME_CHARS) if item["loc"] else "arguments"
        wanted, given = problems.setdefault(name, ([], item.get("input")))
        if item["type"] == "missing_argument":
            text = "missing"
        elif item["type"] == "unexpected_keyword_argument":
            text = "not an argument of this tool"
        else:
            text = item["msg"].removeprefix("Input should be ").removeprefix("Value error, ")
        if text not in wanted:
            wanted.append(text)
    clauses = []
    for name, (wanted, given) in problems.items():
        if wanted in (["missing"], ["not an argument of this tool"]):
            clauses.append(f"{name}: {wanted[0]}")
        else:
            shown = repr(given) if len(repr(given)) <= 40 else repr(given)[:37] + "..."
            clauses.append(f"{name}: should be {' or '.join(wanted)} (got {shown})")
    return "; ".join(clauses)
