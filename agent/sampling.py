"""Answer MCP sampling requests with a model called directly: never the running agent, never tools.

A fresh model instance per request keeps the agent's own instance (which may be streaming at the
same moment) untouched, and calling the model rather than an Agent avoids Strands'
ConcurrencyException. Who writes the answer is a SamplingModel chosen where the session is wired
(a playback script answers from its own list: agent/providers/playback.py).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from strands.types.content import Messages

from agent.config import ModelSettings, SamplingSettings, model_from_spec
from agent.models import create_model

logger = logging.getLogger(__name__)

# Strands stop reasons -> MCP CreateMessageResult.stopReason.
_STOP_REASONS = {"end_turn": "endTurn", "max_tokens": "maxTokens", "stop_sequence": "stopSequence"}


@dataclass(frozen=True)
class SamplingRequest:
    """A sampling/createMessage request reduced to plain data. messages: [{"role", "text"}]."""

    system_prompt: str | None
    messages: list[dict[str, str]]
    max_tokens: int
    temperature: float | None = None
    stop_sequences: list[str] = field(default_factory=list)
    model_hints: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SamplingAnswer:
    model: str
    text: str
    stop_reason: str


def choose_model(request: SamplingRequest, settings: SamplingSettings, default_model: ModelSettings) -> ModelSettings:
    """Pick the model for a request: a hint-map match first, else the sampling model, else the agent's.

    A hint matches a map name when either contains the other (MCP treats hints as substrings of
    model names); hints are tried in the server's order of preference.

    Args:
        request: The sampling request.
        settings: The sampling settings.
        default_model: The agent's own model.

    Returns:
        The model settings with max_tokens capped, the requested temperature and stop sequences.

    Raises:
        ConfigError: A hint-map entry is not a valid model spec.
    """
    base = settings.model or default_model
    chosen = base
    matches = (
        spec
        for hint in request.model_hints
        for name, spec in settings.hint_map.items()
        if name.lower() in hint.lower() or hint.lower() in name.lower()
    )
    spec = next(matches, None)
    if spec is not None:
        chosen = _hinted(model_from_spec(spec, base), base)
    return replace(
        chosen,
        max_tokens=min(request.max_tokens, settings.max_tokens_cap),
        temperature=base.temperature if request.temperature is None else request.temperature,
        stop_sequences=tuple(request.stop_sequences),
    )


def _hinted(hinted: ModelSettings, base: ModelSettings) -> ModelSettings:
    """The hint map's model, unless following it would take an offline agent online.

    Under `auto` a Bedrock hint stays `auto` (Bedrock when credentials resolve, else local); an agent
    running `local` keeps its own model for hints naming another provider.
    """
    if base.provider == "auto" and hinted.provider == "bedrock":
        return replace(hinted, provider="auto")
    if base.provider == "local" and hinted.provider != "local":
        return base
    return hinted


def truncate_at_stop(text: str, stop_sequences: tuple[str, ...]) -> tuple[str, bool]:
    """Cut text at the earliest stop sequence, since a provider may apply only some of them.

    Returns:
        The text up to the stop sequence, and whether one was found.
    """
    cuts = [index for index in (text.find(stop) for stop in stop_sequences if stop) if index >= 0]
    return (text[: min(cuts)], True) if cuts else (text, False)


class SamplingModel(Protocol):
    """Who writes the answer to a request the policy let through."""

    def choose(self, request: SamplingRequest, settings: SamplingSettings, agent_model: ModelSettings) -> ModelSettings:
        """The model settings for `request`, chosen once per request.

        Raises:
            ConfigError: A hint-map entry is not a valid model spec.
        """
        ...

    def name(self, chosen: ModelSettings) -> str:
        """The model named in the transcript and to the server, `chosen` being choose_model's pick."""
        ...

    async def answer(self, request: SamplingRequest, chosen: ModelSettings) -> SamplingAnswer:
        """The answer to `request`.

        Raises:
            Exception: Whatever the model raises (explain it with errors.explain_model_error).
        """
        ...


class ModelPerRequest:
    """The chosen model, created afresh for each request."""

    def choose(self, request: SamplingRequest, settings: SamplingSettings, agent_model: ModelSettings) -> ModelSettings:
        return choose_model(request, settings, agent_model)

    def name(self, chosen: ModelSettings) -> str:
        return chosen.spec

    async def answer(self, request: SamplingRequest, chosen: ModelSettings) -> SamplingAnswer:
        """The generated text, the model that wrote it, and the MCP stop reason.

        Raises:
            ConfigError: The chosen model cannot be created.
            Exception: Whatever the provider raises (explain it with errors.explain_model_error).
        """
        model = create_model(chosen)
        messages: Messages = [{"role": item["role"], "content": [{"text": item["text"]}]} for item in request.messages]
        logger.debug("model=<%s>, max_tokens=<%d> | answering sampling request", chosen.spec, chosen.max_tokens)

        parts: list[str] = []
        stop_reason = "endTurn"
        async for event in model.stream(messages, tool_specs=None, system_prompt=request.system_prompt):
            if "contentBlockDelta" in event:
                parts.append(event["contentBlockDelta"]["delta"].get("text", ""))
            elif "messageStop" in event:
                reason = event["messageStop"]["stopReason"]
                stop_reason = _STOP_REASONS.get(reason, reason)

        text, stopped = truncate_at_stop("".join(parts), chosen.stop_sequences)
        return SamplingAnswer(model=chosen.spec, text=text, stop_reason="stopSequence" if stopped else stop_reason)


class RateLimiter:
    """At most `per_minute` requests per server in any sliding 60-second window."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._recent: defaultdict[str, deque[float]] = defaultdict(deque)

    def allow(self, server: str) -> bool:
        """Record a request from `server` and say whether it is within the limit.

        Refused requests are not recorded, so a server that keeps retrying is not locked out forever.

        Args:
            server: The requesting server's name.

        Returns:
            True when the request may be answered.
        """
        now = self._clock()
        recent = self._recent[server]
        while recent and now - recent[0] >= 60:
            recent.popleft()
        if len(recent) >= self._per_minute:
            return False
        recent.append(now)
        return True
