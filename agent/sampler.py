"""The Sampler: one server's sampling requests under the policy (`auto`, `ask`, `deny`) and rate limit.

A request is reduced to a SamplingRequest once, its model chosen once, and it is answered by the
session's SamplingModel. Every outcome is a protocol answer: a result, or ErrorData the server can
act on (a legacy server falls back to its own text). Nothing here raises into the MCP client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import mcp_types

from agent.config import ModelSettings, SamplingSettings
from agent.errors import ConfigError, explain_model_error
from agent.sampling import RateLimiter, SamplingModel, SamplingRequest
from agent.sampling_review import SamplingReviewer
from agent.transcript import Transcript

logger = logging.getLogger(__name__)

# The MCP spec's example error for a sampling request the user refused; mcp_types has no constant.
USER_REJECTED = -1
USER_REJECTED_MESSAGE = "User rejected sampling request"


class UnsupportedSampling(ValueError):
    """The request carries content this agent cannot pass to a model (images, audio, tool use)."""


class Sampler:
    """Answers one server's sampling requests under the configured policy."""

    def __init__(
        self,
        settings: SamplingSettings,
        review: SamplingReviewer | None,
        transcript: Transcript,
        notify: Callable[[str], None],
        *,
        model: ModelSettings,
        writer: SamplingModel,
    ) -> None:
        """Args:
        settings: Policy, caps, hint map and rate limit.
        review: The terminal review for policy `ask`; None where there is no terminal.
        transcript: Where sampling_request and sampling_response events go.
        notify: Shows one line to the user.
        model: The agent's model: hints and defaults start from it (use_model after /model).
        writer: Who writes the answers (use_model after /model).
        """
        self._settings = settings
        self._review = review
        self._transcript = transcript
        self._notify = notify
        self._model = model
        self._writer = writer
        self._limiter = RateLimiter(settings.rate_limit_per_minute)

    @property
    def policy(self) -> str:
        return self._settings.policy

    def use_model(self, model: ModelSettings, writer: SamplingModel) -> None:
        """From the next request on, start from the agent's new model and let `writer` answer."""
        self._model, self._writer = model, writer

    async def handle(
        self, server: str, params: mcp_types.CreateMessageRequestParams
    ) -> mcp_types.CreateMessageResult | mcp_types.ErrorData:
        """Answer a sampling/createMessage request from `server`; never raises."""
        model = self._model  # the one this request started with, even if /model switches meanwhile
        try:
            return await self._handle(server, params, model, self._writer)
        except UnsupportedSampling as error:
            return self._fail(server, str(error), mcp_types.INVALID_PARAMS)
        except Exception as error:  # the model failed: the server gets an error, the user one line
            logger.debug("server=<%s> | sampling failed", server, exc_info=True)
            explained = explain_model_error(error, model)
            return self._fail(server, str(explained or error), mcp_types.INTERNAL_ERROR)

    async def _handle(
        self, server: str, params: mcp_types.CreateMessageRequestParams, model: ModelSettings, writer: SamplingModel
    ) -> mcp_types.CreateMessageResult | mcp_types.ErrorData:
        request = to_request(params)
        preferences = params.model_preferences
        self._transcript.sampling_request(
            server,
            request.messages,
            request.system_prompt,
            request.max_tokens,
            preferences.model_dump(mode="json", by_alias=True, exclude_none=True) if preferences else None,
        )
        # Review edits neither the hints nor the limits, so the choice made now holds for the answer.
        try:
            chosen, unusable = writer.choose(request, self._settings, model), None
        except ConfigError as error:  # fails the answer; a refusal still names a model in the transcript
            chosen, unusable = model, error
        name = writer.name(chosen)
        policy = self._settings.policy
        if policy == "ask" and self._review is None:
            # No terminal to ask on: consent cannot be given, so the request is refused, and said so.
            self._notify(f"{server} asked to use your model, but there is no terminal to approve it; denied.")
            return self._rejected(server, name)
        if policy == "deny":
            self._notify(f"{server} asked to use your model; denied (sampling policy deny).")
            return self._rejected(server, name)
        if not self._limiter.allow(server):
            limit = self._settings.rate_limit_per_minute
            message = f"sampling rate limit reached: at most {limit} requests per minute from {server}"
            return self._fail(server, message, mcp_types.INVALID_REQUEST)
        if policy == "ask":
            assert self._review is not None
            # Shown as it will be sent: max_tokens capped (the transcript above keeps the server's ask).
            request = replace(request, max_tokens=min(request.max_tokens, self._settings.max_tokens_cap))
            decision = await self._review.review_request(server, request)
            if not decision.approved:
                return self._rejected(server, name)
            request = replace(request, system_prompt=decision.system_prompt, messages=decision.messages)
        if unusable is not None:
            raise unusable
        answer = await writer.answer(request, chosen)
        text = answer.text
        if policy == "ask":
            assert self._review is not None
            reviewed = await self._review.review_response(server, text, answer.model)
            if not reviewed.approved:
                self._transcript.sampling_response(answer.model, text, approved=False, server=server)
                return _user_rejected()
            text = reviewed.text
        self._transcript.sampling_response(answer.model, text, approved=True, server=server)
        return mcp_types.CreateMessageResult(
            role="assistant",
            content=mcp_types.TextContent(type="text", text=text),
            model=answer.model,
            stop_reason=answer.stop_reason,
        )

    def _rejected(self, server: str, model: str) -> mcp_types.ErrorData:
        self._transcript.sampling_response(model, "", approved=False, server=server)
        logger.debug("server=<%s> | sampling request rejected", server)
        return _user_rejected()

    def _fail(self, server: str, message: str, code: int) -> mcp_types.ErrorData:
        self._notify(f"sampling request from {server} failed: {message}")
        self._transcript.error(f"sampling request from {server} failed: {message}", server=server)
        return mcp_types.ErrorData(code=code, message=message)


def _user_rejected() -> mcp_types.ErrorData:
    return mcp_types.ErrorData(code=USER_REJECTED, message=USER_REJECTED_MESSAGE)


def to_request(params: mcp_types.CreateMessageRequestParams) -> SamplingRequest:
    """Reduce the protocol request to the text-only request a SamplingModel answers.

    Raises:
        UnsupportedSampling: A message carries something other than text.
    """
    messages = []
    for message in params.messages:
        blocks = message.content if isinstance(message.content, list) else [message.content]
        if not all(isinstance(block, mcp_types.TextContent) for block in blocks):
            kinds = ", ".join(sorted({getattr(block, "type", "?") for block in blocks}))
            raise UnsupportedSampling(f"only text sampling is supported (the request carries {kinds})")
        messages.append({"role": message.role, "text": "\n".join(block.text for block in blocks)})
    hints = params.model_preferences.hints if params.model_preferences else None
    return SamplingRequest(
        system_prompt=params.system_prompt,
        messages=messages,
        max_tokens=params.max_tokens,
        temperature=params.temperature,
        stop_sequences=list(params.stop_sequences or []),
        model_hints=[hint.name for hint in hints or [] if hint.name],
    )
