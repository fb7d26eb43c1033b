"""Reach-ins to private parts of mcp 2.1.1 and fastmcp 4.1.1, kept in one place.

tests/agent/test_mcp_compat.py checks each against the installed packages and names the upstream
seam when it moves.

- `ClientSession._build_capabilities`: the only place that decides which capabilities are declared.
- `ClientSession._stamp`: on 2026-07-28 the client capabilities are stamped into every request's
  `_meta` from a dict captured once at connect time; a per-task override lets one tool call stop
  declaring sampling for its own later requests.
- `Client._session_state.session_task`: once it ends (the server went away), fastmcp fails every
  later request with the same error; the bridge looks at it to reconnect, and to tell a request
  that never left (connection refused) from one that may have run.
- `Client._transport_options`: the only way to give fastmcp's transports a session class
  (`AgentSession` above); no public option narrows the declared capabilities.
- `Client._drive_input_required`: the SDK's multi round-trip driver aborts the whole call when one
  input request is refused (an `inputResponses` entry cannot carry an error). Ours omits a refused
  sampling request's response and retries the round without the sampling capability, which tells
  the server to carry on without sampling.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import mcp_types
from fastmcp import Client
from fastmcp.client.transports.base import TransportOptions
from mcp import ClientSession
from mcp.client import InputRequiredRoundsExceededError
from mcp.client.session import ClientRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import CLIENT_CAPABILITIES_META_KEY

ResultT = TypeVar("ResultT")

# The SDK's backoff for a round that carries only requestState (mcp.client._input_required).
_STATE_ONLY_DELAY_S = (0.05, 0.25)

_withheld: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("withheld_capabilities", default=frozenset())


@dataclass
class CallRecord:
    """What happened to sampling during one tool call; read by the bridge after the call."""

    sampling_refused: str | None = None  # the refusal's message, once a sampling request was refused


_call: contextvars.ContextVar[CallRecord | None] = contextvars.ContextVar("tool_call_record", default=None)


def track_call() -> CallRecord:
    """Start recording the current task's tool call (the driver runs in a task copied from it)."""
    record = CallRecord()
    _call.set(record)
    return record


class SamplingStillRequested(MCPError):
    """The server asked for sampling again after this call withdrew the sampling capability."""


class AgentSession(ClientSession):
    """Declares what the agent handles: form and URL elicitation (agent/url_elicitation.py), and no
    sampling while the current task withholds it."""

    def _build_capabilities(self, version: str) -> mcp_types.ClientCapabilities:
        capabilities = super()._build_capabilities(version)
        if capabilities.elicitation is None:
            return capabilities
        # Spelled out rather than inherited: the SDK's default may change, and we claim only what we show.
        handled = mcp_types.ElicitationCapability(form=mcp_types.FormElicitationCapability(), url=mcp_types.UrlElicitationCapability())
        return capabilities.model_copy(update={"elicitation": handled})

    @property
    def _stamp(self) -> Callable[[dict[str, Any], Any], None]:
        stamp = self._agent_stamp

        def stamp_withholding(data: dict[str, Any], opts: Any) -> None:
            stamp(data, opts)
            withheld = _withheld.get()
            meta = (data.get("params") or {}).get("_meta") or {}
            declared = meta.get(CLIENT_CAPABILITIES_META_KEY)
            if withheld and isinstance(declared, dict):
                # A copy: the captured dict is shared by every request of the connection.
                meta[CLIENT_CAPABILITIES_META_KEY] = {key: value for key, value in declared.items() if key not in withheld}

        return stamp_withholding

    @_stamp.setter
    def _stamp(self, stamp: Callable[[dict[str, Any], Any], None]) -> None:
        self._agent_stamp = stamp


async def session_failure(client: Client, *, unwind_s: float = 5.0) -> BaseException | None:
    """Why the client's session task ended (fastmcp re-raises it on every later request), if it did.

    A task still unwinding from its failure (cancelling) is given `unwind_s` to finish first.
    """
    task = client._session_state.session_task
    if task is None:
        return None
    if not task.done() and task.cancelling():
        await asyncio.wait({task}, timeout=unwind_s)
    if not task.done() or task.cancelled():
        return None
    return task.exception()


def session_alive(client: Client) -> bool:
    """False once the session task has ended: every request would fail until a new connection."""
    task = client._session_state.session_task
    return task is None or not task.done()


class AgentClient(Client):
    """A fastmcp Client that connects with an AgentSession, and whose 2026-07-28 rounds survive a
    refused sampling request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._transport_options = TransportOptions(session_class=AgentSession)

    async def _drive_input_required(
        self, first: ResultT | mcp_types.InputRequiredResult, retry: Callable[..., Awaitable[Any]]
    ) -> ResultT:
        if not isinstance(first, mcp_types.InputRequiredResult):
            return first
        session = self.session

        async def dispatch(key: str, request: mcp_types.InputRequest) -> Any:
            context = ClientRequestContext(
                session=session, request_id=key, meta=request.params.meta if request.params else None
            )
            return await session.dispatch_input_request(context, request)

        return await drive_rounds(
            first, dispatch=dispatch, retry=retry, max_rounds=self.input_required_max_rounds, record=_call.get()
        )


async def drive_rounds(
    first: mcp_types.InputRequiredResult,
    *,
    dispatch: Callable[[str, mcp_types.InputRequest], Awaitable[Any]],
    retry: Callable[[mcp_types.InputResponses | None, str | None], Awaitable[Any]],
    max_rounds: int,
    record: CallRecord | None = None,
) -> Any:
    """Answer each round's input requests and retry the call until it returns its result.

    The requests of a round are answered one after another: they go to one human at one terminal.
    A sampling request answered with an error (refused, rate-limited, the model failed) gets no
    entry; that retry and every later one of this call go without the sampling capability.

    Raises:
        InputRequiredRoundsExceededError: The server kept asking past `max_rounds`.
        SamplingStillRequested: The server asked for sampling after it was withdrawn.
        MCPError: Another input request was answered with an error.
    """
    record = record or CallRecord()
    current: Any = first
    rounds = 0
    delay = _STATE_ONLY_DELAY_S[0]
    while isinstance(current, mcp_types.InputRequiredResult):
        rounds += 1
        if rounds > max_rounds:
            raise InputRequiredRoundsExceededError(max_rounds)
        responses: mcp_types.InputResponses | None = None
        if current.input_requests:
            delay = _STATE_ONLY_DELAY_S[0]
            responses = {}
            for key, request in current.input_requests.items():
                sampling = isinstance(request, mcp_types.CreateMessageRequest)
                if sampling and record.sampling_refused is not None:
                    raise SamplingStillRequested(
                        code=mcp_types.INVALID_REQUEST,
                        message="the server asked for sampling again after it was declined",
                    )
                answer = await dispatch(key, request)
                if not isinstance(answer, mcp_types.ErrorData):
                    responses[key] = answer
                elif sampling:
                    record.sampling_refused = answer.message
                else:
                    raise MCPError.from_error_data(answer)
        else:
            await anyio.sleep(delay)
            delay = min(delay * 2, _STATE_ONLY_DELAY_S[1])
        withheld = _withheld.set(frozenset({"sampling"})) if record.sampling_refused is not None else None
        try:
            current = await retry(responses, current.request_state)
        finally:
            if withheld is not None:
                _withheld.reset(withheld)
    return current
