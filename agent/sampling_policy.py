"""The sampling policy (`auto`, `ask`, `deny`) and rate limit in front of `answer_sampling`.

Every outcome is a protocol answer: a result, or ErrorData the server can act on (a legacy server
falls back to its own text). Nothing here raises into the MCP client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, replace

import mcp_types

from agent.config import ModelSettings, SamplingSettings
from agent.errors import ConfigError, explain_model_error
from agent.providers.playback import PlaybackModel
from agent.sampling import RateLimiter, SamplingRequest, answer_sampling, choose_model
from agent.transcript import Transcript
from agent.ui.review import SamplingReview

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
        model: Callable[[], ModelSettings],
        review: SamplingReview | None,
        transcript: Transcript,
        notify: Callable[[str], None],
        playback: Callable[[], PlaybackModel | None] = lambda: None,
    ) -> None:
        """Args:
        settings: Policy, caps, hint map and rate limit.
        model: The agent's current model (it changes with /model), read at each request.
        review: The terminal review for policy `ask`; None where there is no terminal.
        transcript: Where sampling_request and sampling_response events go.
        notify: Shows one line to the user.
        playback: The playback model answering instead of a real one, in scripted runs; read at each
            request, since /model can switch to another playback file (or away from playback).
        """
        self._settings = settings
        self._model = model
        self._review = review
        self._transcript = transcript
        self._notify = notify
        self._playback = playback
        self._limiter = RateLimiter(settings.rate_limit_per_minute)

    @property
    def policy(self) -> str:
        return self._settings.policy

    async def handle(
        self, server: str, params: mcp_types.CreateMessageRequestParams
    ) -> mcp_types.CreateMessageResult | mcp_types.ErrorData:
        """Answer a sampling/createMessage request from `server`; never raises."""
        try:
            return await self._handle(server, params)
        except UnsupportedSampling as error:
            return self._fail(server, str(error), mcp_types.INVALID_PARAMS)
        except Exception as error:  # the model failed: the server gets an error, the user one line
            logger.debug("server=<%s> | sampling failed", server, exc_info=True)
            explained = explain_model_error(error, self._model())
            return self._fail(server, str(explained or error), mcp_types.INTERNAL_ERROR)

    async def _handle(
        self, server: str, params: mcp_types.CreateMessageRequestParams
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
        policy = self._settings.policy
        if policy == "ask" and self._review is None:
            # No terminal to ask on: consent cannot be given, so the request is refused, and said so.
            self._notify(f"{server} asked to use your model, but there is no terminal to approve it; denied.")
            return self._rejected(server, request)
        if policy == "deny":
            self._notify(f"{server} asked to use your model; denied (sampling policy deny).")
            return self._rejected(server, request)
        if not self._limiter.allow(server):
            limit = self._settings.rate_limit_per_minute
            message = f"sampling rate limit reached: at most {limit} requests per minute from {server}"
            return self._fail(server, message, mcp_types.INVALID_REQUEST)
        if policy == "ask":
            # Shown as it will be sent: max_tokens capped (the transcript above keeps the server's ask).
            request = replace(request, max_tokens=min(request.max_tokens, self._settings.max_tokens_cap))
            decision = await self._review.review_request(server, asdict(request))
            if not decision.approved:
                return self._rejected(server, request)
            request = replace(request, system_prompt=decision.system_prompt, messages=decision.messages)
        answer = await answer_sampling(request, self._settings, self._model(), playback=self._playback())
        text = answer.text
        if policy == "ask":
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

    def _rejected(self, server: str, request: SamplingRequest) -> mcp_types.ErrorData:
        model = self._playback_or_chosen(request)
        self._transcript.sampling_response(model, "", approved=False, server=server)
        logger.debug("server=<%s> | sampling request rejected", server)
        return _user_rejected()

    def _playback_or_chosen(self, request: SamplingRequest) -> str:
        playback = self._playback()
        if playback is not None:
            return playback.get_config()["model_id"]
        try:
            return choose_model(request, self._settings, self._model()).spec
        except ConfigError:  # the name is only for the transcript; a bad hint map must not matter here
            return self._model().spec

    def _fail(self, server: str, message: str, code: int) -> mcp_types.ErrorData:
        self._notify(f"sampling request from {server} failed: {message}")
        self._transcript.error(f"sampling request from {server} failed: {message}", server=server)
        return mcp_types.ErrorData(code=code, message=message)


def _user_rejected() -> mcp_types.ErrorData:
    return mcp_types.ErrorData(code=USER_REJECTED, message=USER_REJECTED_MESSAGE)


def to_request(params: mcp_types.CreateMessageRequestParams) -> SamplingRequest:
    """Reduce the protocol request to the text-only request `answer_sampling` takes.

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
