"""Bedrock's errors, raised by Strands' own Bedrock code against a botocore-level stub, explained as
one line with the fix (agent/providers/bedrock_errors.py, through agent.errors.explain_model_error)."""

import pytest
from botocore.exceptions import EndpointConnectionError
from strands import Agent
from strands.event_loop._retry import ModelRetryStrategy

from agent.config import ModelSettings
from agent.errors import ConfigError, ModelError, explain_model_error
from agent.models import create_model

pytestmark = pytest.mark.usefixtures("isolated_aws")  # no AWS credentials or settings from this machine

SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SETTINGS = ModelSettings("bedrock", SONNET, "ap-northeast-1", 321, 0.2)


def run_agent(model, **agent_args):
    agent = Agent(model=model, callback_handler=None, **agent_args)
    with pytest.raises(Exception) as caught:
        agent("hello")
    return explain_model_error(caught.value, SETTINGS)


def test_no_credentials_is_explained(monkeypatch):
    tru = run_agent(create_model(SETTINGS))

    assert isinstance(tru, ModelError)
    assert tru.message == f"no AWS credentials found for Bedrock ({SONNET})"
    assert "aws configure" in tru.hint and "--model local" in tru.hint


def test_access_denied_is_explained(bedrock):
    bedrock.error(403, "AccessDeniedException", "You don't have access to the model with the specified model ID.")

    tru = run_agent(create_model(SETTINGS))

    assert tru.message == f"access denied to Bedrock model {SONNET} in ap-northeast-1"
    assert "Model access" in tru.hint
    assert "\n" not in str(tru)


def test_invalid_model_id_is_explained(bedrock):
    bedrock.error(400, "ValidationException", "The provided model identifier is invalid.")

    tru = run_agent(create_model(SETTINGS))

    assert isinstance(tru, ConfigError)
    assert tru.message == f"Bedrock does not know the model id {SONNET} in ap-northeast-1"


def test_throttling_is_retried_by_strands_then_explained(bedrock):
    bedrock.stream_exception("throttlingException", "Too many requests, please wait before trying again.")
    bedrock.stream_exception("throttlingException", "Too many requests, please wait before trying again.")
    # Strands' own retry policy, with no delay so the test does not wait through the backoff.
    retries = ModelRetryStrategy(max_attempts=2, initial_delay=0, max_delay=0)

    tru = run_agent(create_model(SETTINGS), retry_strategy=retries)

    assert len(bedrock.requests) == 2
    assert tru.message == f"Bedrock is throttling requests to {SONNET} in ap-northeast-1"


def test_unreachable_endpoint_is_explained(bedrock, monkeypatch):
    def refuse(request):
        raise EndpointConnectionError(endpoint_url=request.url)

    monkeypatch.setattr(bedrock, "send", refuse)

    tru = run_agent(create_model(SETTINGS))

    assert tru.message == "cannot reach the Bedrock endpoint in ap-northeast-1"
