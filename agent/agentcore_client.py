"""Reaching a trip-server hosted on Amazon Bedrock AgentCore Runtime: its URL and the platform session header
(the bearer token it needs is agent/mcp_http.py's, as for any HTTP server)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from agent.errors import ConfigError

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"


def invocation_url(arn: str, region: str | None = None, qualifier: str = "DEFAULT") -> str:
    """The Streamable HTTP endpoint of an AgentCore runtime.

    Args:
        arn: The runtime ARN, `arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/NAME`.
        region: The runtime's region; None takes it from the ARN.
        qualifier: The endpoint qualifier.

    Returns:
        `https://bedrock-agentcore.{region}.amazonaws.com/runtimes/{ARN url-encoded}/invocations?qualifier=...`.

    Raises:
        ConfigError: The ARN is not an AgentCore runtime ARN.
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "bedrock-agentcore" or not parts[5].startswith("runtime/"):
        raise ConfigError(
            f"{arn!r} is not an AgentCore runtime ARN",
            hint="pass --agentcore-arn arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/NAME",
        )
    region = region or parts[3]
    if not region:
        raise ConfigError(f"the ARN {arn!r} names no region", hint="pass --region REGION")
    # safe="": the ARN's ':' and '/' must be escaped to stay one path segment.
    return (
        f"https://bedrock-agentcore.{region}.amazonaws.com/runtimes/{quote(arn, safe='')}"
        f"/invocations?qualifier={quote(qualifier, safe='')}"
    )


def platform_session_headers() -> dict[str, str]:
    """A fresh AgentCore runtime session id, to send on every request of one agent session.

    The platform routes every request carrying the same id to the same microVM, so the stateful
    MCP session (and its SQLite file) stays in one place; it requires at least 33 characters.
    """
    return {SESSION_HEADER: f"trip-agent-{uuid.uuid4().hex}"}
