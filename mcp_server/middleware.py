"""Argument errors a model (or a person) can act on, instead of pydantic's report."""

from __future__ import annotations

from typing import Any

from fastmcp.exceptions import ToolError, ValidationError
from fastmcp.server.middleware import Middleware, MiddlewareContext
from pydantic import ValidationError as PydanticValidationError


class ReadableArgumentErrors(Middleware):
    """`get_quote: nights: missing; travelers: should be a valid integer or string (got [1])`."""

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: Any) -> Any:
        try:
            return await call_next(context)
        except ValidationError as error:
            cause = error.__cause__
            if not isinstance(cause, PydanticValidationError):
                raise
            raise ToolError(f"Invalid arguments for {context.message.name}: {describe(cause)}.") from error


def describe(error: PydanticValidationError) -> str:
    """One clause per argument; a union's alternatives are folded into one clause."""
    problems: dict[str, tuple[list[str], Any]] = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "arguments"
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
