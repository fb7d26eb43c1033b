"""Errors shown to the user: one line saying what went wrong and how to fix it, never a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # botocore and strands are imported where an error is explained, never at start-up:
    # agent.config imports this module before the first prompt is drawn.
    from botocore.exceptions import ClientError

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


def _access_denied(spec: ModelSettings, error: ClientError) -> TripAgentError:
    return ModelError(
        f"access denied to Bedrock model {spec.model_id} in {spec.region}",
        hint=f"enable the model on the Bedrock console's 'Model access' page for {spec.region} "
        "and allow bedrock:InvokeModelWithResponseStream in your IAM policy",
    )


def _validation(spec: ModelSettings, error: ClientError) -> TripAgentError | None:
    text = str(error).lower()
    if "model identifier is invalid" not in text and "model id" not in text:
        return None
    return ConfigError(
        f"Bedrock does not know the model id {spec.model_id} in {spec.region}",
        hint="pass --model bedrock:ID with an id (or inference profile) listed in the Bedrock console, "
        "e.g. us.anthropic.claude-haiku-4-5-20251001-v1:0",
    )


def _bad_credentials(spec: ModelSettings, error: ClientError) -> TripAgentError:
    return ModelError(
        "AWS rejected the credentials (invalid or expired)",
        hint="refresh them (`aws sso login` or `aws configure`), or pass --model local",
    )


def _throttled(spec: ModelSettings) -> TripAgentError:
    return ModelError(
        f"Bedrock is throttling requests to {spec.model_id} in {spec.region}",
        hint="wait a minute and retry, choose another model or region, or request a quota increase",
    )


_CLIENT_ERRORS: dict[str, Callable[[ModelSettings, ClientError], TripAgentError | None]] = {
    "AccessDeniedException": _access_denied,
    "ValidationException": _validation,
    "UnrecognizedClientException": _bad_credentials,
    "ExpiredTokenException": _bad_credentials,
    "ThrottlingException": lambda spec, error: _throttled(spec),
    "throttlingException": lambda spec, error: _throttled(spec),
}


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


def check_bedrock_credentials(spec: ModelSettings) -> None:
    """Fail in a second, before a server starts or a turn is sent, when Bedrock has no credentials.

    Only botocore's credential chain runs (~0.05 s here, IMDS included; importing botocore ~0.7 s);
    without it the error came at the first model call, after the imports and the bundled server.

    Raises:
        ModelError: The provider is bedrock and no AWS credentials resolve.
    """
    if spec.provider != "bedrock":
        return
    import botocore.session

    if botocore.session.Session().get_credentials() is None:
        raise _no_credentials(spec)


def _no_credentials(spec: ModelSettings) -> ModelError:
    return ModelError(
        f"no AWS credentials found for Bedrock ({spec.model_id})",
        hint="run `aws configure` (or set AWS_PROFILE), or pass --model local or playback:FILE",
    )


def explain_model_error(error: BaseException, spec: ModelSettings) -> TripAgentError | None:
    """Translate an error raised while calling a model into one line with its fix.

    Throttling arrives here only after Strands gave up: an Agent's event loop retries
    ModelThrottledException with exponential backoff (strands.event_loop._retry.ModelRetryStrategy,
    6 attempts, 4 s doubling up to 240 s), so it is reported as persistent, not transient.

    Args:
        error: What the agent or model call raised.
        spec: The model settings that were in use, named in the message.

    Returns:
        The user-facing error, or None when the error is not one we know how to explain.
    """
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError
    from strands.types.exceptions import ModelThrottledException

    for cause in _causes(error):
        if isinstance(cause, TripAgentError):
            return cause
        if isinstance(cause, ModelThrottledException):
            return _throttled(spec)
        if isinstance(cause, NoCredentialsError):
            return _no_credentials(spec)
        if isinstance(cause, NoRegionError):
            return ConfigError("no AWS region is set for Bedrock", hint="set TRIP_AGENT_REGION or AWS_REGION")
        if isinstance(cause, EndpointConnectionError):
            return ModelError(
                f"cannot reach the Bedrock endpoint in {spec.region}",
                hint="check the network or proxy, and that the region offers Bedrock",
            )
        if isinstance(cause, ClientError):
            translate = _CLIENT_ERRORS.get(cause.response.get("Error", {}).get("Code", ""))
            if translate is not None:
                return translate(spec, cause)
    return None
