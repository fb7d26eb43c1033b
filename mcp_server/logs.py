"""Log lines without credentials, and the phase a flow is in for the line that says it was abandoned.

Without auth a legacy session id is the only credential: whoever knows it can answer the session's
pending Book/Cancel question. mcp logs it in full at INFO ("Created new transport with session ID:
…"), so every record passes through `RedactSessionIds`, which replaces each id-shaped token with a
short one-way tag: lines about one session still correlate, and the tag cannot be used to join it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass

# mcp's session ids are uuid4().hex; a client may send one back in the canonical dashed form.
_SESSION_ID = re.compile(r"\b[0-9a-fA-F]{32}\b|\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b")
# A log line never grows with a client's input (a 1 MB tool name is logged by fastmcp as given).
MAX_LOG_CHARS = 2000


def session_tag(session_id: str) -> str:
    """A stable, non-reversible stand-in for a session id in logs."""
    return "s-" + hashlib.sha256(session_id.replace("-", "").lower().encode()).hexdigest()[:10]


def redact(text: str) -> str:
    text = _SESSION_ID.sub(lambda match: session_tag(match.group()), text)
    return text if len(text) <= MAX_LOG_CHARS else text[:MAX_LOG_CHARS] + f"… ({len(text)} chars)"


class RedactSessionIds(logging.Filter):
    """On a handler: rewrites each record's message (whichever logger made it) with ids tagged."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _SESSION_ID.sub(lambda match: session_tag(match.group()), record.exc_text)
        return True


def install_redaction() -> None:
    """Every handler of the root logger redacts (call after logging is configured)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(existing, RedactSessionIds) for existing in handler.filters):
            handler.addFilter(RedactSessionIds())


@dataclass
class FlowPosition:
    """Where the flow of the current tool call is, for the line logged if it is abandoned."""

    flow_id: str | None = None
    phase: str = "start"


current_flow: ContextVar[FlowPosition | None] = ContextVar("current_flow", default=None)


def note_phase(flow_id: str | None, phase: str) -> None:
    position = current_flow.get()
    if position is not None:
        position.flow_id, position.phase = flow_id, phase
