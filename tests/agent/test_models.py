import json
import subprocess
import sys
import textwrap

import pytest
from botocore.exceptions import EndpointConnectionError
from strands import Agent
from strands.event_loop._retry import ModelRetryStrategy
from strands.models.bedrock import BedrockModel

from agent.config import ModelSettings
from agent.errors import ConfigError, ModelError, explain_model_error
from agent.models import create_model
from agent.providers.playback import PlaybackModel

pytestmark = pytest.mark.usefixtures("isolated_aws")  # no AWS credentials or settings from this machine

SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SETTINGS = ModelSettings("bedrock", SONNET, "ap-northeast-1", 321, 0.2)


def test_choosing_bedrock_imports_no_other_provider():
    code = textwrap.dedent(
        """
        import sys
        from agent.config import ModelSettings
        from agent.models import create_model
        create_model(ModelSettings("bedrock", "anthropic.x-v1:0", "us-east-1", 10, 0.0))
        optional = ("anthropic", "openai", "ollama")
        optional += tuple(f"strands.models.{name}" for name in optional) + ("llama_cpp", "agent.providers.local")
        print([name for name in optional if name in sys.modules])
        """
    )

    tru = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert tru.stdout.strip() == "[]"


def test_importing_the_registry_imports_no_provider_module():
    code = "import sys, agent.models; print([m for m in sys.modules if m.startswith('agent.providers')])"

    tru = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert tru.stdout.strip() == "[]"


@pytest.mark.parametrize("provider", ["anthropic", "openai", "ollama"])
def test_missing_optional_package_names_the_pip_install(provider):
    with pytest.raises(ConfigError) as caught:
        create_model(ModelSettings(provider, "some-model", "us-east-1", 10, 0.0))

    assert caught.value.hint == f"pip install 'strands-agents[{provider}]'"


def test_playback_provider_loads_the_file(tmp_path):
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"turns": [{"text": "hi"}]}), encoding="utf-8")

    tru = create_model(ModelSettings("playback", str(path), "us-east-1", 10, 0.0))

    assert isinstance(tru, PlaybackModel)


async def test_bedrock_request_carries_configured_model_region_and_limits(bedrock):
    bedrock.text("こんにちは")
    model = create_model(SETTINGS)

    messages = [{"role": "user", "content": [{"text": "hi"}]}]

    events = [event async for event in model.stream(messages, system_prompt="be brief")]

    assert isinstance(model, BedrockModel)
    request = bedrock.requests[0]
    exp_path = f"/model/{SONNET.replace(':', '%3A')}/converse-stream"
    assert request.url == f"https://bedrock-runtime.ap-northeast-1.amazonaws.com{exp_path}"
    assert "/ap-northeast-1/bedrock/aws4_request" in request.headers["Authorization"].decode()
    body = bedrock.request_json()
    assert body["inferenceConfig"] == {"maxTokens": 321, "temperature": 0.2}
    assert body["system"] == [{"text": "be brief"}]
    assert {"contentBlockDelta": {"delta": {"text": "こんにちは"}, "contentBlockIndex": 0}} in events


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


def test_unknown_errors_are_left_alone():
    assert explain_model_error(RuntimeError("boom"), SETTINGS) is None

