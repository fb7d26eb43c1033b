"""Errors shown to the user: one line saying what went wrong and how to fix it, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.config import ModelSettings


class TripAgentError(Exception):
    """An error meant for the user: `message` says what happened, `hint` how to fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.hint})" if self.hint else self.message


class ConfigError(TripAgentError):
    """A config file, environment variable, flag or data file the user supplied is wrong."""


class ModelError(TripAgentError):
    """The model provider refused or failed a request."""


class PlaybackExhausted(TripAgentError):
    """A playback model was asked for more turns or sampling texts than its file holds."""


def first_line(error: BaseException) -> str:
    """The error's first line (its type when it has no text), bounded: for a one-line notice."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:200]


def _causes(error: BaseException) -> Iterator[BaseException]:
    """Walk the chain Strands builds (EventLoopException, `raise ... from`) down to the provider's error."""
    from strands.types.exceptions import EventLoopException

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, EventLoopException):
            current = current.original_exception
        else:
            current = current.__cause__ or current.__context__


def explain_model_error(error: BaseException, spec: ModelSettings) -> TripAgentError | None:
    """Translate an error raised while calling a model into one line with its fix.

    Our own errors pass through; provider errors are explained next to their provider
    (agent/providers/bedrock_errors.py).

    Args:
        error: What the agent or model call raised.
        spec: The model settings that were in use, named in the message.

    Returns:
        The user-facing error, or None when the error is not one we know how to explain.
    """
    from agent.providers.bedrock_errors import explain_bedrock_error

    for cause in _causes(error):
        if isinstance(cause, TripAgentError):
            return cause
        explained = explain_bedrock_error(cause, spec)
        if explained is not None:
            return explained
    return None
