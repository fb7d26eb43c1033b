"""How a tool call ended, as the user should learn it: the server's own status and message.

The model may or may not repeat a reservation id or say that a trip was cancelled; this is what
the terminal and a `--message` run show regardless.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mcp_types

# Statuses a server uses for "this did not do what was asked" (the travel planner's plan_trip).
_FAILED_STATUSES = frozenset({"failed", "error"})
# Elicitation answers that stop a tool: the user's answers, not the server, ended it.
_STOPPING_ANSWERS = frozenset({"decline", "cancel"})


@dataclass(frozen=True)
class ToolOutcome:
    """name: the tool; status: the server's status ("booked", "cancelled", …) or success/error;
    message: its one-sentence account; completed: False when the call failed or the user's
    answers stopped it; structured: the result's structured content; text: what the model read."""

    name: str
    status: str
    message: str
    completed: bool
    structured: dict[str, Any] | None = None
    text: str = ""

    def summary(self) -> str:
        """e.g. "plan_trip (booked) Booked: reservation TRV-… = ¥52,000." — never cut."""
        return f"{self.name} ({self.status}) {self.message}".rstrip()


def result_text(result: mcp_types.CallToolResult) -> str:
    """The text the model reads: the text blocks, else the structured content as JSON."""
    texts = [block.text for block in result.content if isinstance(block, mcp_types.TextContent)]
    if texts:
        return "\n".join(texts)
    if result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False)
    return "(no text)"


def outcome_of(name: str, result: mcp_types.CallToolResult, answers: Sequence[str] = ()) -> ToolOutcome:
    """The outcome of a call that returned `result` after the user answered with `answers` (actions).

    A declined or cancelled question ends a call short of what was asked, even when the server
    reports it as an orderly result (the travel planner's "cancelled" or "kept").
    """
    text = result_text(result)
    structured = result.structured_content
    server_status = structured.get("status") if isinstance(structured, dict) else None
    server_message = structured.get("message") if isinstance(structured, dict) else None
    status = server_status if isinstance(server_status, str) else ("error" if result.is_error else "success")
    message = server_message if isinstance(server_message, str) else _first_line(text)
    reservation = structured.get("reservation_id") if isinstance(structured, dict) else None
    if isinstance(reservation, str) and reservation not in message:
        message = f"{message} (reservation {reservation})".lstrip()
    completed = not result.is_error and status not in _FAILED_STATUSES and _STOPPING_ANSWERS.isdisjoint(answers)
    return ToolOutcome(name, status, message, completed, structured if isinstance(structured, dict) else None, text)


def failed_outcome(name: str, message: str) -> ToolOutcome:
    """A call that never produced a result (the connection or protocol failed)."""
    return ToolOutcome(name, "error", message, completed=False, text=message)


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.split("\n", 1)[0] if stripped else ""
