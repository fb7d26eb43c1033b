"""Reaching a trip-server hosted on Amazon Bedrock AgentCore Runtime: its URL and bearer token."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Mapping
from urllib.parse import quote

from agent.errors import ConfigError

TOKEN_ENV = "BEARER_TOKEN"


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


def bearer_headers(env: Mapping[str, str], token_command: str | None = None) -> dict[str, str]:
    """The Authorization header for the runtime's JWT authorizer.

    Args:
        env: The environment; BEARER_TOKEN wins when set.
        token_command: A command printing a token, run when BEARER_TOKEN is unset.

    Returns:
        `{"Authorization": "Bearer <token>"}`.

    Raises:
        ConfigError: No token is available, or the token command failed.
    """
    token = env.get(TOKEN_ENV, "").strip()
    if not token and token_command:
        token = _run_token_command(token_command)
    if not token:
        raise ConfigError(
            f"{TOKEN_ENV} is not set; the AgentCore runtime needs a Cognito access token",
            hint=f"export {TOKEN_ENV}=<token> or set [server] token_command in the config",
        )
    return {"Authorization": f"Bearer {token}"}


def _run_token_command(command: str) -> str:
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        raise ConfigError(
            f"the token command {command!r} failed: {error}", hint="run it by hand, or export BEARER_TOKEN"
        ) from error
    return done.stdout.strip()
