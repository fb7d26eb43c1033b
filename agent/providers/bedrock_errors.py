"""Bedrock's failures as one line with the fix: credentials missing or rejected, no model access,
an unknown model id, throttling, an unreachable endpoint.

botocore and strands are imported where an error is explained, never at start-up: agent.config
imports agent.errors before the first prompt is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agent.errors import ConfigError, ModelError, TripAgentError

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

    from agent.config import ModelSettings


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


def explain_bedrock_error(cause: BaseException, spec: ModelSettings) -> TripAgentError | None:
    """One error from the chain a model call raised, explained, or None when it is not Bedrock's.

    Throttling arrives here only after Strands gave up: an Agent's event loop retries
    ModelThrottledException with exponential backoff (strands.event_loop._retry.ModelRetryStrategy,
    6 attempts, 4 s doubling up to 240 s), so it is reported as persistent, not transient.
    """
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError
    from strands.types.exceptions import ModelThrottledException

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
