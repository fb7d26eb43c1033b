"""One MCP server as the agent sees it: its tools, and answers to its elicitation, sampling and progress.

Built on a fastmcp `Client`, not Strands' `MCPClient`: MCPClient has no sampling callback and runs
the session on its own thread and event loop, so callbacks would not run on the REPL's loop where
the prompt-toolkit forms live. A fastmcp Client takes all three handlers, speaks both protocol
revisions, and runs on the caller's loop. The HTTP client and bearer token are in agent.mcp_http;
agent.strands_tool makes each tool a Strands tool, and agent.toolset hands those of every bridge to Strands.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import anyio
import httpx2
import mcp_types
from fastmcp import Client
from fastmcp.client.elicitation import ElicitResult
from fastmcp.client.transports import StdioTransport, StreamableHttpTransport
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from agent.errors import TripAgentError
from agent.errors import first_line as _short
from agent.human import Human
from agent.mcp_compat import AgentClient, SamplingStillRequested, session_alive, session_failure, track_call
from agent.mcp_http import TOKEN_ENV, BearerAuth, BearerToken, http_client
from agent.outcomes import ToolOutcome
from agent.sampler import Sampler
from agent.servers import StdioServerConfig
from agent.tool_progress import ToolProgress
from agent.transcript import Transcript
from agent.url_elicitation import answer_url_request, completion_notices

logger = logging.getLogger(__name__)

Mode = Literal["auto", "legacy"]
MODES = ("auto", "legacy")

# After a lost connection: waits between attempts to connect again (~15 s in all: a restarting
# server, ours included, is back within a few seconds).
RECONNECT_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
# What a vanished server looks like from inside a request (besides mcp's "Connection closed").
_CONNECTION_ERRORS = (httpx2.TransportError, anyio.ClosedResourceError, anyio.BrokenResourceError)
# Each 2026-07-28 round answers one question; the SDK default (10) is below what plan_trip asks
# when answers are re-asked, so the cap only guards against a server that loops forever.
MAX_INPUT_ROUNDS = 100


class McpBridge:
    """The connection to one MCP server and every callback it needs from the agent."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        human: Human,
        sampler: Sampler,
        progress: ToolProgress,
        transcript: Transcript,
        notify: Callable[[str], None],
        headers: dict[str, str] | None = None,
        token: BearerToken | None = None,
        mode: Mode = "auto",
        transport: Any = None,
        revive: Callable[[], Awaitable[str | None]] | None = None,
        reconnect_delays: Sequence[float] = RECONNECT_DELAYS_S,
        stdio: StdioServerConfig | None = None,
        log_file: Path | None = None,
    ) -> None:
        """Args:
        name: The server's name, shown whenever it asks the user something.
        url: The Streamable HTTP endpoint (for a stdio server, how to describe it: its command).
        human: Answers elicitations.
        sampler: Answers sampling requests.
        progress: Shows progress notifications.
        transcript: Records elicitation and progress events.
        notify: Shows one line to the user.
        headers: Extra HTTP headers (e.g. AgentCore's runtime session id).
        token: The bearer token to send; one from a token command is refreshed once on a 401.
        mode: "auto" negotiates 2026-07-28 and falls back to legacy; "legacy" forces 2025-11-25.
        transport: A fastmcp transport or in-process FastMCP server to use instead of `url`.
        revive: Before each reconnect: starts the server again if it died and returns its new
            URL (None: unchanged). The bundled server's.
        reconnect_delays: Seconds to wait before each further attempt to reconnect.
        stdio: A local server to start and talk to over stdin/stdout instead of `url`; it is
            stopped when the bridge stops (and started again on a reconnect).
        log_file: Where a stdio server's stderr goes, never the terminal (emptied by `start`, appended
            to by a reconnect's new process).

        Raises:
            ValueError: `mode` is not "auto" or "legacy".
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.name = name
        self.url = url
        self._human = human
        self._sampler = sampler
        self._progress = progress
        self._transcript = transcript
        self._notify = notify
        self._headers = headers or {}
        self._auth = BearerAuth(token, self._token_refreshed) if token is not None else None
        self._mode = mode
        self._transport = transport
        self._revive = revive
        self._reconnect_delays = tuple(reconnect_delays)
        self._stdio = stdio
        self._log_file = log_file
        self._client: Client | None = None  # None after a failed reconnect: the next request tries again
        self._started = False
        self._tools: list[mcp_types.Tool] = []
        self._answers: list[str] = []  # every elicitation answer's action, in order
        # How each tool call ended, by Strands toolUseId, until the session takes it for the turn's renderer.
        self.outcomes: dict[str, ToolOutcome] = {}

    @property
    def tools(self) -> list[mcp_types.Tool]:
        """The tools as the server listed them last."""
        return list(self._tools)

    @property
    def protocol_version(self) -> str | None:
        return self._client.protocol_version if self._client else None

    @property
    def answers(self) -> list[str]:
        """Every elicitation answer's action so far, in order."""
        return list(self._answers)

    @property
    def transcript(self) -> Transcript:
        return self._transcript

    def notify(self, text: str) -> None:
        """Show one line to the user."""
        self._notify(text)

    async def start(self) -> None:
        """Connect and list the tools.

        Raises:
            TripAgentError: The server cannot be reached or refuses the connection.
        """
        if self._auth is not None:
            self._auth.new_operation()
        if self._log_file is not None:  # this run's log only: its last line explains a failed start
            self._log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log_file.write_text("")
        await self._connect()
        self._started = True
        self._tools = await self.list_tools()

    async def stop(self) -> None:
        self._started = False
        client, self._client = self._client, None
        if client is not None:
            await _close(client)

    async def list_tools(self) -> list[mcp_types.Tool]:
        """The server's tools, as it lists them now (also refreshes `tools`).

        Raises:
            TripAgentError: The request failed.
        """
        self._tools = await self._with_session("list tools", lambda client: client.list_tools())
        return self._tools

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> mcp_types.CallToolResult:
        """Call a tool; progress is shown under its name. A tool's own failure is a result with is_error.

        Cancelling the calling task cancels the request on the server too: the SDK sends
        notifications/cancelled on a legacy session and closes the request's stream on 2026-07-28.

        Raises:
            TripAgentError: The call failed at the protocol level (e.g. a server that insists on
                sampling after it was declined).
        """

        async def call(client: Client) -> mcp_types.CallToolResult:
            return await client.call_tool_mcp(name, arguments, progress_handler=self._progress_handler(name))

        record = track_call()
        try:
            result: mcp_types.CallToolResult = await self._with_session(
                f"call {name}", call, repeatable=self._repeatable(name)
            )
        finally:
            self._progress.done()
        if result.is_error and record.sampling_refused is not None:
            self._notify(
                f"{self.name}: {name} failed after its sampling request was declined ({record.sampling_refused}); "
                "this server could not go on without it"
            )
        return result

    def _repeatable(self, name: str) -> bool:
        """The server says calling the tool twice does no more than once."""
        tool = next((tool for tool in self._tools if tool.name == name), None)
        hints = tool.annotations if tool is not None else None
        return hints is not None and bool(hints.read_only_hint or hints.idempotent_hint)

    # --- connection ------------------------------------------------------------------------------

    async def _connect(self) -> None:
        client = self._new_client()
        try:
            await client.__aenter__()
        except Exception as error:
            refused = self._auth_failure()
            if refused is not None:
                raise refused from error
            if self._stdio is not None:
                raise TripAgentError(
                    f"MCP server {self.name} did not start: {_short(error)}{_log_tail(self._log_file)}",
                    hint=f"its stderr is in {self._log_file}; check its command ({self.url.removeprefix('stdio: ')}) and env",
                ) from error
            raise TripAgentError(
                f"cannot reach the MCP server at {self.url} ({_short(error)})",
                hint="start it with `trip-server` or pass --server URL",
            ) from error
        self._client = client
        logger.debug("server=<%s>, protocol=<%s> | connected", self.name, client.protocol_version)

    def _new_client(self) -> Client:
        target = self._transport or self._stdio_transport() or StreamableHttpTransport(
            self.url, headers=self._headers, auth=self._auth, httpx_client_factory=http_client
        )
        # Under `--sampling deny` sampling is not declared at all: the server then never asks and
        # goes on without it (the catalogue's recommendations), in both revisions.
        sampling = self._on_sampling if self._sampler.policy != "deny" else None
        return AgentClient(
            target,
            mode=self._mode,
            elicitation_handler=self._on_elicitation,
            message_handler=completion_notices(self.name, self._notify),
            sampling_handler=sampling,
            input_required_max_rounds=MAX_INPUT_ROUNDS,
        )

    def _stdio_transport(self) -> StdioTransport | None:
        if self._stdio is None:
            return None
        # keep_alive=False: leaving the client ends the process (mcp closes its stdin, then
        # terminates its process group), so no server outlives the agent.
        return StdioTransport(
            self._stdio.command,
            list(self._stdio.args),
            env=dict(self._stdio.env) or None,
            cwd=self._stdio.cwd,
            keep_alive=False,
            log_file=self._log_file or Path(os.devnull),
        )

    async def _with_session(
        self, what: str, operation: Callable[[Client], Awaitable[Any]], *, repeatable: bool = True
    ) -> Any:
        """Run `operation`, reconnecting first when the connection was lost, and after it fails so.

        It runs again on the new connection only when that cannot do anything twice: the server
        refused it (an expired legacy session: 404), it never left (the connection was refused),
        or it is `repeatable` (a listing; a tool the server marks read-only or idempotent).

        Raises:
            TripAgentError: Not connected, the server refused the token, the request failed (also
                after reconnecting), or the server stayed unreachable.
        """
        if not self._started:
            raise TripAgentError(f"not connected to {self.name}", hint="start the bridge first")
        if self._auth is not None:
            self._auth.new_operation()
        if self._client is None or not session_alive(self._client):  # lost since the last request
            await self._reconnect("the connection was lost")
        assert self._client is not None
        try:
            return await operation(self._client)
        except MCPError as error:
            if self._session_expired(error):
                reason, again = "the server restarted or ended our session", True
            elif _connection_lost(error):
                reason, again = "the connection was lost", repeatable or await self._never_sent(error)
            else:
                raise self._failure(what, error) from error
        except _CONNECTION_ERRORS as error:
            reason, again = f"the connection was lost ({_short(error)})", repeatable or await self._never_sent(error)
        await self._reconnect(reason)
        if not again:
            raise TripAgentError(
                f"{self.name}: the connection was lost during {what}; it may or may not have finished",
                hint="check what was done (e.g. list_bookings) before asking again",
            )
        try:
            return await operation(self._client)
        except MCPError as error:
            raise self._failure(what, error) from error
        except _CONNECTION_ERRORS as error:
            raise TripAgentError(f"{self.name}: {what} failed: the connection was lost again ({_short(error)})") from error

    async def _reconnect(self, reason: str) -> None:
        """Connect again, with backoff; a bundled server that died is started again first.

        Raises:
            TripAgentError: The server refused the token, or stayed unreachable through every attempt.
        """
        if self._client is not None:
            await _close(self._client)
            self._client = None
        restarted = False
        last: TripAgentError | None = None
        for attempt, delay in enumerate((0.0, *self._reconnect_delays)):
            if attempt == 1:
                self._notify(f"{self.name}: {reason}; reconnecting (for up to {sum(self._reconnect_delays):g} s)…")
            await asyncio.sleep(delay)
            try:
                if self._revive is not None and (url := await self._revive()) is not None:
                    self.url, restarted = url, True
                await self._connect()
            except TripAgentError as error:
                if self._auth_failure() is not None:
                    raise
                last = error
                continue
            again = "the bundled server had stopped and was started again; " if restarted else ""
            self._notify(f"{self.name}: {reason}; {again}reconnected, the conversation goes on")
            return
        assert last is not None
        raise TripAgentError(
            f"{self.name}: {reason}, and reconnecting failed for {sum(self._reconnect_delays):g} s: {last.message}",
            hint=last.hint,
        )

    async def _never_sent(self, error: BaseException) -> bool:
        # A refused connection delivered nothing. mcp reports it as "Connection closed" to the
        # waiting request; the session task that died holds the refusal itself.
        failure = await session_failure(self._client) if self._client is not None else None
        return any(isinstance(cause, httpx2.ConnectError) for cause in _causes(error, failure))

    def _failure(self, what: str, error: MCPError) -> TripAgentError:
        # A 401 reaches us as INTERNAL_ERROR "Server returned an error response" (mcp drops the
        # status), so the auth flow, which saw the status, says whether the token was the cause.
        return self._auth_failure() or _protocol_error(self.name, what, error)

    def _auth_failure(self) -> TripAgentError | None:
        if self._auth is None or not self._auth.rejected:
            return None
        if self._auth.refresh_error is not None:
            error = self._auth.refresh_error
            return TripAgentError(f"{self.name}: the server rejected the token (401) and {error.message}", hint=error.hint)
        hint = (
            "check what the token command prints (a current access token) and the runtime's allowed clients"
            if self._auth.refreshable
            else f"export a fresh {TOKEN_ENV}, or check the runtime's allowed clients"
        )
        return TripAgentError(f"{self.name}: the server rejected the token (401)", hint=hint)

    def _token_refreshed(self) -> None:
        logger.info("server=<%s> | token refreshed after 401", self.name)
        self._notify(f"{self.name}: token refreshed after 401")

    def _session_expired(self, error: MCPError) -> bool:
        # A 404 on a legacy session arrives as INVALID_REQUEST whose text names the session
        # ("Session not found", "Session has been terminated", or the SDK's "Session terminated").
        legacy = self.protocol_version not in MODERN_PROTOCOL_VERSIONS
        text = error.message.lower()
        return legacy and error.code == mcp_types.INVALID_REQUEST and "session" in text and (
            "not found" in text or "terminated" in text
        )

    # --- callbacks ------------------------------------------------------------------------------

    async def _on_elicitation(self, message: str, response_type: Any, params: Any, context: Any) -> ElicitResult:
        # Never raise: a failing elicitation callback reaches the server as "Invalid request parameters".
        try:
            self._progress.done()  # the form must start on a clean line
            if isinstance(params, mcp_types.ElicitRequestURLParams):
                action = await answer_url_request(self.name, params, self._human, self._transcript, self._notify)
                self._answers.append(action)
                return ElicitResult(action=action)
            schema = params.requested_schema
            self._transcript.elicitation_request(self.name, message, schema)
            asked = time.monotonic()
            outcome = await self._human.elicit(self.name, message, schema)
            self._answers.append(outcome.action)
            self._transcript.elicitation_response(
                outcome.action, outcome.content, time.monotonic() - asked, server=self.name
            )
            return ElicitResult(action=outcome.action, content=outcome.content if outcome.action == "accept" else None)
        except Exception as error:
            logger.exception("server=<%s> | answering an elicitation failed", self.name)
            self._notify(f"could not answer {self.name}'s question ({_short(error)}); cancelled.")
            self._transcript.error(f"elicitation from {self.name} failed: {_short(error)}", server=self.name)
            self._answers.append("cancel")
            return ElicitResult(action="cancel")

    async def _on_sampling(self, messages: Any, params: mcp_types.CreateMessageRequestParams, context: Any) -> Any:
        self._progress.done()  # a review prompt must start on a clean line
        return await self._sampler.handle(self.name, params)

    def _progress_handler(self, tool: str) -> Callable[[float, float | None, str | None], Awaitable[None]]:
        # Must be async: mcp awaits the progress callback.
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            self._transcript.progress(tool, progress, total, message, server=self.name)
            # Named with its server: with several servers, two may run tools of the same name.
            self._progress.update(f"{self.name} · {tool}", progress, total, message)

        return on_progress


def _causes(*errors: BaseException | None) -> Iterator[BaseException]:
    """The errors, their causes and contexts, and the members of exception groups among them."""
    seen: set[int] = set()
    pending = [error for error in errors if error is not None]
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        pending += [cause for cause in (error.__cause__, error.__context__) if cause is not None]
        if isinstance(error, BaseExceptionGroup):
            pending += list(error.exceptions)


def _connection_lost(error: MCPError) -> bool:
    return error.code == CONNECTION_CLOSED


def _protocol_error(server: str, what: str, error: MCPError) -> TripAgentError:
    if isinstance(error, SamplingStillRequested):
        return TripAgentError(
            f"{server}: {what} stopped: the server cannot go on without the sampling request that was declined; "
            "nothing more was done"
        )
    return TripAgentError(f"{server}: {what} failed: {error.message}")


async def _close(client: Client) -> None:
    try:
        await client.__aexit__(None, None, None)
    except Exception as error:  # an expired or vanished session cannot be closed cleanly; it is gone either way
        logger.debug("error=<%s> | closing the MCP client failed", _short(error))


def _log_tail(path: Path | None) -> str:
    """The last line the server wrote to its log (usually what went wrong), as ` (its log ends: LINE)`."""
    try:
        lines = path.read_text(errors="replace").strip().splitlines() if path is not None else []
    except OSError:
        return ""
    return f" (its log ends: {lines[-1][:300]})" if lines else ""
