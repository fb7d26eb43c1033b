"""Run a pure flow (mcp_server/flows/) against one tool call, in either protocol revision.

Legacy (2025-11-25) sessions are stateful: the driver awaits each elicitation and sampling request
in place over the session's SSE stream. 2026-07-28 requests are stateless: the driver returns an
`input_required` result carrying the question and the flow state, and picks up where it left off
when the client retries the call with its answers. The flow never knows which one it runs on, and
the driver knows no flow: it asks each state for its pending action once and feeds the outcome back.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import mcp_types
from fastmcp import Context
from fastmcp.exceptions import ToolError
from fastmcp.tools.base import ToolResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from mcp_server.errors import FlowStateError, TripServerError
from mcp_server.flows.actions import (
    Action,
    Answer,
    AwaitPayment,
    Elicit,
    ElicitUrl,
    Finish,
    Outcome,
    PaymentSettled,
    Sample,
    SampleResult,
)
from mcp_server.flows.state import FlowState, dump_state, load_state
from mcp_server.logs import note_phase, session_tag
from mcp_server.messages import DEFAULT_LANGUAGE, say
from mcp_server.recommendations import strip_invisible

logger = logging.getLogger("trip_server")
S = TypeVar("S", bound=FlowState)


class Flow(Protocol[S]):
    name: str
    state_type: type[S]

    def next_action(self, state: S) -> Action: ...

    def apply(self, state: S, action: Action, outcome: Outcome) -> S: ...


# Server work (search, book, cancel, payment): runs the same in both revisions and may report progress.
Effects = Callable[[Action, Context, FlowState], Awaitable[Outcome]]


def is_modern(ctx: Context) -> bool:
    rc = ctx.request_context
    return rc is not None and rc.protocol_version in MODERN_PROTOCOL_VERSIONS


def session_label(ctx: Context) -> str:
    """A one-way tag of the legacy session id for logs ("-" on stateless 2026-07-28 requests)."""
    if is_modern(ctx):
        return "-"
    try:
        return session_tag(ctx.session_id)
    except RuntimeError:
        return "-"


def log_phase(ctx: Context, state: FlowState, phase: str, outcome: str) -> None:
    logger.info(
        "session=<%s> flow=<%s> tool=<%s> phase=<%s> outcome=<%s>",
        session_label(ctx), state.flow_id, state.flow, phase, outcome,
    )


async def drive(flow: Flow[S], start: Callable[[], S], ctx: Context, effects: Effects) -> Any:
    """Run `flow` for this tool call until it finishes or needs input the call cannot wait for.

    The session stays open meanwhile, however long the human takes (middleware.HoldSessions).

    Raises:
        ToolError: the flow's state was stale or tampered with, or an effect failed.
    """
    modern = is_modern(ctx)
    try:
        if modern and ctx.request_state is not None:
            state = load_state(ctx.request_state, flow.name, flow.state_type)
            action = flow.next_action(state)
            answer = _retry_answer(ctx, state, action)
            if answer is not None:
                state = flow.apply(state, action, answer)
                action = flow.next_action(state)
        else:
            state = start()
            log_phase(ctx, state, "start", "modern" if modern else "legacy")
            action = flow.next_action(state)
        while not isinstance(action, Finish):
            note_phase(state.flow_id, _phase(action))  # for the line if the call is abandoned
            if isinstance(action, Elicit | ElicitUrl):
                url = isinstance(action, ElicitUrl)
                if not (client_opens_urls(ctx) if url else _client_can(ctx, "elicitation")):
                    outcome: Outcome = Answer("unsupported")
                elif modern:
                    log_phase(ctx, state, f"ask:{action.key}", "input_required")
                    return _input_required(action, state)
                else:
                    outcome = await (_elicit_url_legacy(ctx, action) if url else _elicit_legacy(ctx, action))  # type: ignore[arg-type]
                log_phase(ctx, state, f"ask:{action.key}", outcome.action)
            elif isinstance(action, Sample):
                if not _client_can(ctx, "sampling"):
                    outcome = SampleResult(None, "no_capability")
                elif modern:
                    log_phase(ctx, state, "sampling", "input_required")
                    return _input_required(action, state)
                else:
                    outcome = await _sample_legacy(ctx, action)
                log_phase(ctx, state, "sampling", "text" if outcome.text else outcome.reason)
            else:
                outcome = await effects(action, ctx, state)
                log_phase(ctx, state, type(action).__name__.lower(), getattr(outcome, "status", "done"))
                if isinstance(action, AwaitPayment) and isinstance(outcome, PaymentSettled):
                    if modern and outcome.status == "pending":
                        # Not paid yet: the client retries with the state alone and we look again.
                        return mcp_types.InputRequiredResult(request_state=dump_state(state))
                    if not modern and outcome.status in ("confirmed", "cancelled"):
                        await _elicitation_complete(ctx, action.elicitation_id)
            state = flow.apply(state, action, outcome)
            action = flow.next_action(state)
        log_phase(ctx, state, "finish", action.status)
        return _tool_result(action)
    except FlowStateError as error:
        logger.warning("flow=<%s> | rejected request state: %s", flow.name, error)
        raise ToolError(f"This {flow.name} call cannot continue: {error}. Start the call again.") from error
    except TripServerError as error:
        raise ToolError(str(error)) from error


# --- 2026-07-28: input_required round trips ------------------------------------------------------


def _input_required(action: Elicit | ElicitUrl | Sample, state: FlowState) -> mcp_types.InputRequiredResult:
    if isinstance(action, Elicit):
        request: mcp_types.InputRequest = mcp_types.ElicitRequest(
            params=mcp_types.ElicitRequestFormParams(message=action.message, requested_schema=action.schema)
        )
    elif isinstance(action, ElicitUrl):  # 2026-07-28 has no elicitation id (nor its completion notice)
        request = mcp_types.ElicitRequest(params=mcp_types.ElicitRequestURLParams(message=action.message, url=action.url))
    else:
        request = mcp_types.CreateMessageRequest(params=_sampling_params(action))
    # The framework seals request_state (AES-GCM, TTL), so a tampered or expired one never reaches us.
    return mcp_types.InputRequiredResult(input_requests={action.key: request}, request_state=dump_state(state))


def _retry_answer(ctx: Context, state: FlowState, action: Action) -> Outcome | None:
    """The client's answer to `action`, the question this retry's state was waiting on.

    None: a round with the state alone, after which the driver looks at the payment again.

    Raises:
        FlowStateError: the state is not waiting for an answer, or the retry does not answer it.
    """
    if isinstance(action, AwaitPayment):
        return None
    if not isinstance(action, Elicit | ElicitUrl | Sample):
        raise FlowStateError("its requestState is not waiting for an answer")
    response = (ctx.input_responses or {}).get(action.key)
    if response is None and isinstance(action, Sample) and not _client_can(ctx, "sampling"):
        # The agent's answer to a denied sampling request: the same round again, without the answer
        # and without the capability (an inputResponses entry cannot carry an error).
        log_phase(ctx, state, "sampling", "refused")
        return SampleResult(None, "refused")
    if response is None:
        raise FlowStateError(f"the retry carries no answer to {action.key!r}")
    if isinstance(action, Elicit | ElicitUrl):
        if not isinstance(response, mcp_types.ElicitResult):
            raise FlowStateError(f"the answer to {action.key!r} is not an elicitation result")
        log_phase(ctx, state, f"ask:{action.key}", response.action)
        return Answer(response.action, response.content)
    outcome = _sample_outcome(response)
    log_phase(ctx, state, "sampling", "text" if outcome.text else outcome.reason)
    return outcome


# --- 2025-11-25: server-initiated requests on the session --------------------------------------


async def _elicit_legacy(ctx: Context, action: Elicit) -> Answer:
    try:
        result = await ctx.session.elicit(
            message=action.message, requested_schema=action.schema, related_request_id=ctx.request_id
        )
    except Exception as error:  # the client answered with an error: end the flow, do not crash the call
        logger.warning("question=<%s> | client failed to answer: %s", action.key, error)
        return Answer("cancel")
    return Answer(result.action, result.content)


async def _elicit_url_legacy(ctx: Context, action: ElicitUrl) -> Answer:
    try:
        result = await ctx.session.elicit_url(
            message=action.message, url=action.url, elicitation_id=action.elicitation_id, related_request_id=ctx.request_id
        )
    except Exception as error:  # as for a form: the flow ends, the call does not crash
        logger.warning("question=<%s> | client failed to answer: %s", action.key, error)
        return Answer("cancel")
    return Answer(result.action)


async def _elicitation_complete(ctx: Context, elicitation_id: str) -> None:
    """Tell a 2025-11-25 client that the page it opened is done (best effort: the result follows anyway)."""
    try:
        await ctx.session.send_elicit_complete(elicitation_id, related_request_id=ctx.request_id)
    except Exception as error:
        logger.warning("elicitation=<%s> | completion notice not sent: %s", elicitation_id, error)


async def _sample_legacy(ctx: Context, action: Sample) -> SampleResult:
    try:
        with warnings.catch_warnings():
            # Sampling is deprecated in 2026-07-28 but still valid for clients that declare it.
            warnings.simplefilter("ignore")
            params = _sampling_params(action)
            result = await ctx.session.create_message(
                params.messages,
                max_tokens=params.max_tokens,
                system_prompt=params.system_prompt,
                model_preferences=params.model_preferences,
                related_request_id=ctx.request_id,
            )
    except Exception as error:
        return SampleResult(None, "failed", _short(error))
    return _sample_outcome(result)


# --- shared ---------------------------------------------------------------------------------------


def _phase(action: Action) -> str:
    if isinstance(action, Elicit | ElicitUrl):
        return f"ask:{action.key}"
    return "sampling" if isinstance(action, Sample) else type(action).__name__.lower()


def client_opens_urls(ctx: Context) -> bool:
    """The client declared URL-mode elicitation (2025-11-25 and later)."""
    capabilities = ctx.session.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and elicitation.url is not None


def _client_can(ctx: Context, capability: str) -> bool:
    capabilities = ctx.session.client_capabilities
    return capabilities is not None and getattr(capabilities, capability, None) is not None


def _sampling_params(action: Sample) -> mcp_types.CreateMessageRequestParams:
    return mcp_types.CreateMessageRequestParams(
        messages=[mcp_types.SamplingMessage(role="user", content=mcp_types.TextContent(type="text", text=action.prompt))],
        system_prompt=action.system_prompt,
        max_tokens=action.max_tokens,
        model_preferences=mcp_types.ModelPreferences(
            hints=[mcp_types.ModelHint(name=hint) for hint in action.model_hints],
            speed_priority=0.8,
            intelligence_priority=0.3,
            cost_priority=0.6,
        ),
    )


def _sample_outcome(result: Any) -> SampleResult:
    if isinstance(result, mcp_types.ErrorData):
        return SampleResult(None, "failed", _short(result.message))
    content = getattr(result, "content", None)
    if isinstance(content, list):  # CreateMessageResultWithTools: take the text blocks
        text = "\n".join(block.text for block in content if isinstance(block, mcp_types.TextContent))
    elif isinstance(content, mcp_types.TextContent):
        text = content.text
    else:
        return SampleResult(None, "not_text")
    return SampleResult(text)


def _short(error: object) -> str:
    """The first line of a client's error, cleaned (it is untrusted text) and bounded."""
    text = strip_invisible(str(error)).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:160]


def _tool_result(finish: Finish) -> ToolResult:
    structured = {"status": finish.status, "message": finish.message, **finish.data}
    text = finish.message
    if finish.data.get("recommendations"):
        language, items = finish.data.get("language", DEFAULT_LANGUAGE), finish.data["recommendations"]
        if finish.data.get("recommendations_source") == "catalogue":
            lines = [say(language, "tips.catalogue", reason=finish.data.get("recommendations_note", ""))]
            lines += [f"- {item}" for item in items]
        else:  # the model's lines stay quoted as untrusted text here too
            lines = [say(language, "tips.sampled"), *(say(language, "quoted_line", line=item) for item in items)]
        text += "\n" + "\n".join(lines)
    return ToolResult(content=text, structured_content=structured)
