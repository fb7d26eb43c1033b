"""The HTTP side of an MCP connection: the client without a read timeout, and the bearer token
(from BEARER_TOKEN or a token command) sent on every request and refreshed once on a 401."""

from __future__ import annotations

import asyncio
import shlex
import subprocess
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

import httpx2

from agent.errors import ConfigError

# Connecting may fail fast, but reading may not: on a legacy session the tool call's SSE stream
# stays silent while the human fills a form, and mcp's default 300 s read timeout would turn a
# slow human into an error. None disables the read timeout; the connect timeout stays.
HTTP_TIMEOUT = httpx2.Timeout(30.0, read=None)
TOKEN_ENV = "BEARER_TOKEN"

def http_client(
    headers: dict[str, str] | None = None,
    auth: httpx2.Auth | None = None,
    follow_redirects: bool = True,
    **_: Any,
) -> httpx2.AsyncClient:
    """The HTTP client for the MCP connection: no read timeout (see HTTP_TIMEOUT)."""
    return httpx2.AsyncClient(headers=headers, auth=auth, follow_redirects=follow_redirects, timeout=HTTP_TIMEOUT)


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


class BearerAuth(httpx2.Auth):
    """Sends the bearer token; on a 401 runs the token command once for a fresh token and resends.

    Resending the one refused HTTP request, not the whole tool call, keeps what the call already
    did: a question answered on 2026-07-28 (its sealed requestState), a legacy session with its
    pending elicitation. A 401 means the server ran nothing, so the resend cannot do anything twice.
    """

    requires_request_body = True

    def __init__(self, token: BearerToken, on_refresh: Callable[[], None]) -> None:
        self._token = token
        self._on_refresh = on_refresh
        self._refreshes = 0
        # Once per operation: after one refresh that the server has not yet accepted, a 401 is final
        # (auto mode's fallback to `initialize` would otherwise run the command a second time).
        self._refreshed = False
        self._lock = asyncio.Lock()
        self.rejected = False  # the last answer was a 401 that a fresh token did not cure
        self.refresh_error: ConfigError | None = None

    @property
    def refreshable(self) -> bool:
        return self._token.refreshable

    def new_operation(self) -> None:
        """Allow one refresh again: a new operation may meet a token that has expired since."""
        self._refreshed = False

    async def async_auth_flow(self, request: httpx2.Request) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        sent_with = self._refreshes
        request.headers["Authorization"] = self._token.authorization
        response = yield request
        if response.status_code != 401:
            self.rejected, self.refresh_error, self._refreshed = False, None, False
            return
        async with self._lock:
            if sent_with == self._refreshes:  # requests refused together share one refresh
                if not self._token.refreshable or self._refreshed:
                    self.rejected = True
                    return
                self._refreshed = True
                try:
                    await asyncio.to_thread(self._token.refresh)
                except ConfigError as error:
                    self.rejected, self.refresh_error = True, error
                    return
                self._refreshes += 1
                self._on_refresh()
        request.headers["Authorization"] = self._token.authorization
        response = yield request
        self.rejected = response.status_code == 401
        if not self.rejected:
            self.refresh_error, self._refreshed = None, False


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
