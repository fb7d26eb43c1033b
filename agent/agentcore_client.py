"""Reaching a trip-server hosted on Amazon Bedrock AgentCore Runtime: its URL and bearer token."""

from __future__ import annotations

import shlex
import subprocess
import uuid
from collections.abc import Mapping
from urllib.parse import quote

from agent.errors import ConfigError

TOKEN_ENV = "BEARER_TOKEN"
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


class BearerToken:
    """The bearer token sent to the server, and the command that can fetch a fresh one.

    A token from BEARER_TOKEN is fixed: when the server rejects it, only the user can replace it.
    A token from a token command can be fetched again (`refresh`) when the server answers 401.
    """

    def __init__(self, value: str, command: str | None = None) -> None:
        self._value = value
        self.command = command

    @classmethod
    def resolve(cls, env: Mapping[str, str], token_command: str | None = None) -> BearerToken:
        """The token from BEARER_TOKEN, else from running `token_command`.

        Args:
            env: The environment; BEARER_TOKEN wins when set.
            token_command: A command printing a token, run when BEARER_TOKEN is unset.

        Raises:
            ConfigError: No token is available, or the token command failed.
        """
        value = env.get(TOKEN_ENV, "").strip()
        if value:
            return cls(value)
        if token_command:
            return cls(_run_token_command(token_command), token_command)
        raise ConfigError(
            f"{TOKEN_ENV} is not set; the AgentCore runtime needs a Cognito access token",
            hint=f"export {TOKEN_ENV}=<token> or set [server] token_command in the config",
        )

    @property
    def refreshable(self) -> bool:
        return self.command is not None

    @property
    def authorization(self) -> str:
        """The `Authorization` header value."""
        return f"Bearer {self._value}"

    def refresh(self) -> None:
        """Run the token command again for a fresh token.

        Raises:
            ConfigError: The token came from BEARER_TOKEN, or the command failed or printed nothing.
        """
        if self.command is None:
            raise ConfigError(f"the token from {TOKEN_ENV} cannot be refreshed", hint=f"export a fresh {TOKEN_ENV}")
        self._value = _run_token_command(self.command)

    def __repr__(self) -> str:  # never show the token itself
        source = "token command" if self.command else TOKEN_ENV
        return f"BearerToken(from {source})"


def platform_session_headers() -> dict[str, str]:
    """A fresh AgentCore runtime session id, to send on every request of one agent session.

    The platform routes every request carrying the same id to the same microVM, so the stateful
    MCP session (and its SQLite file) stays in one place; it requires at least 33 characters.
    """
    return {SESSION_HEADER: f"trip-agent-{uuid.uuid4().hex}"}


def _run_token_command(command: str) -> str:
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        raise ConfigError(
            f"the token command {command!r} failed: {error}",
            hint="run it by hand, or export BEARER_TOKEN",
        ) from error
    token = done.stdout.strip()
    if not token:
        raise ConfigError(f"the token command {command!r} printed no token", hint="run it by hand, or export BEARER_TOKEN")
    return token
