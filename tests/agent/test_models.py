import json
import subprocess
import sys
import textwrap

import pytest
from strands.models.bedrock import BedrockModel

from agent.config import ModelSettings
from agent.errors import ConfigError
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
