"""The offline `local` provider (the real Qwen2.5-Coder-1.5B through llama.cpp, loaded once per test
session) and the `auto` provider's choice."""

import importlib.util
import json
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
from agent.providers import local, weights
from agent.sampling import ModelPerRequest, SamplingRequest, choose_model
from mcp_server.messages import detect_language

pytestmark = pytest.mark.usefixtures("isolated_aws")  # no AWS credentials or settings from this machine

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


async def answer_sampling(request, settings, agent_model):
    """What a session's Sampler does with a request it lets through (agent/sampler.py)."""
    return await ModelPerRequest().answer(request, choose_model(request, settings, agent_model))


LOCAL = ModelSettings("local", "", "us-east-1", 32, 0.0)
LOCAL_PROFILE = DEFAULT_CONFIG.parent / "local.toml"

_MISSING = [
    *(["llama_cpp"] if importlib.util.find_spec("llama_cpp") is None else []),
    *([str(weights.default_path())] if not weights.default_path().is_file() else []),
]
needs_local = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"local model not installed ({', '.join(_MISSING)} missing): run scripts/install-local.sh .venv",
)


@pytest.fixture(scope="session")
def loaded_model():
    """The default model, loaded once for the whole session (every LocalModel shares this load)."""
    return local._MODELS.get(local.weights_path(""))


@tool
def get_weather(city: str) -> str:
    """Get the weather forecast for a city."""
    return f"Sunny in {city}."


@needs_local
def test_local_model_calls_the_tool_with_json_input(loaded_model):
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


@needs_local
async def test_local_model_answers_a_sampling_request_within_its_limits(loaded_model):
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
async def test_local_stream_respects_max_tokens_and_reports_usage(loaded_model):
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


# --- the default model with the trip server's own tools ------------------------------------------------


@pytest.fixture(scope="module")
def server_specs():
    import asyncio
    import tempfile
    from pathlib import Path

    from fastmcp import Client

    from mcp_server.server import build_server
    from mcp_server.settings import ServerSettings

    async def listed():
        with tempfile.TemporaryDirectory() as scratch:
            server = build_server(ServerSettings(db=Path(scratch) / "bookings.db"))
            async with Client(server) as client:
                return await client.list_tools()

    return [
        {"name": t.name, "description": t.description or "", "inputSchema": {"json": t.input_schema}}
        for t in asyncio.run(listed())
    ]


async def first_reply(request_text, specs, history=()):
    settings = load_settings(config_file=LOCAL_PROFILE, env={}, flags={})
    model = create_model(settings.model)
    messages = [*history, {"role": "user", "content": [{"text": request_text}]}]
    events = [event async for event in model.stream(messages, specs, settings.system_prompt)]
    starts = [e["contentBlockStart"]["start"] for e in events if "contentBlockStart" in e]
    deltas = [e["contentBlockDelta"]["delta"] for e in events if "contentBlockDelta" in e]
    if starts and "toolUse" in starts[0]:
        return starts[0]["toolUse"]["name"], json.loads("".join(d["toolUse"]["input"] for d in deltas))
    return None, "".join(d.get("text", "") for d in deltas)


@needs_local
@pytest.mark.parametrize("request_text", ["Hello!", "thanks", "ありがとう"])
async def test_greetings_and_thanks_get_words_not_a_tool(loaded_model, server_specs, request_text):
    tru_tool, tru_text = await first_reply(request_text, server_specs)

    assert tru_tool is None
    assert tru_text.strip()


@needs_local
@pytest.mark.parametrize(
    ("request_text", "exp_tool", "exp_arguments"),
    [
        # The model also writes nights 4 here; "4人" is four people, so grounding leaves nights out.
        ("家族4人で福岡に行きたい", "plan_trip", {"destination": "福岡", "trip_type": "family", "travelers": 4, "language": "ja"}),
        ("How much for Okinawa for two?", "get_quote", {"destination": "Okinawa", "travelers": 2}),
        ("Show my bookings.", "list_bookings", {}),
        ("予約TRV-7K3Q9をキャンセルして", "cancel_booking", {"reservation_id": "TRV-7K3Q9", "language": "ja"}),
        # Scored 0.77 for a call on its first token, as "Hello!" did, and got words asking for details.
        ("Plan a trip for me.", "plan_trip", {"language": "en"}),
        # "solo" is one traveller: the model wrote 2 (from "2 nights"), which was dropped, and the quote failed.
        ("How much would a solo trip to Kyoto for 2 nights cost?", "get_quote",
         {"destination": "Kyoto", "trip_type": "solo", "nights": 2, "travelers": 1}),
        # Left language out, and the Japanese user was asked to confirm in English.
        ("見積もりQ-AB12CD34を予約してください", "book_quote", {"quote_id": "Q-AB12CD34", "language": "ja"}),
    ],
)  # fmt: skip
async def test_calls_carry_valid_values_the_user_gave_and_nothing_else(
    loaded_model, server_specs, request_text, exp_tool, exp_arguments
):
    tru = await first_reply(request_text, server_specs)

    assert tru == (exp_tool, exp_arguments)


def _booked_in_japanese():
    return [
        {"role": "user", "content": [{"text": "一人で沖縄に1泊の旅行を予約して"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "plan_trip", "input": {"destination": "沖縄", "trip_type": "solo", "nights": 1}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "status": "success", "content": [{"text": BOOKED_JA}]}}]},
    ]  # fmt: skip


BOOKED_JA = "予約しました: 予約番号 TRV-7K3Q9。沖縄、一人、1泊、1名（1室）: 交通 ¥18,000 + ホテル ¥11,000 = ¥29,000。"
BOOKED_EN = "Booked: reservation TRV-7K3Q9. Kyoto, solo, 1 night, 1 traveller (1 room): transport ¥14,000 + hotel ¥12,000 = ¥26,000."


@needs_local
async def test_a_booking_just_made_is_cancelled_by_its_id_when_asked(loaded_model, server_specs):
    history = [*_booked_in_japanese(), {"role": "assistant", "content": [{"text": "予約しました。"}]}]

    # Got words ("キャンセルしました: TRV-7K3Q9。", untrue: nothing was called) or a question for the id.
    tru = await first_reply("その予約をキャンセルしてください", server_specs, history)

    assert tru == ("cancel_booking", {"reservation_id": "TRV-7K3Q9", "language": "ja"})


@needs_local
@pytest.mark.parametrize(("request_text", "result"), [("I'd like to plan a trip to Kyoto.", BOOKED_EN), ("一人で沖縄に1泊の旅行を予約して", BOOKED_JA)])
async def test_the_reply_after_a_result_passes_the_result_on_as_written(loaded_model, server_specs, request_text, result):
    settings = load_settings(config_file=LOCAL_PROFILE, env={}, flags={})
    messages = [
        {"role": "user", "content": [{"text": request_text}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "plan_trip", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "status": "success", "content": [{"text": result}]}}]},
    ]  # fmt: skip

    events = [event async for event in create_model(settings.model).stream(messages, server_specs, settings.system_prompt)]

    # The model's own retelling dropped the reservation number ("Kyoto, solo, 1 night, … = ¥26,000").
    tru = "".join(e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e)
    assert tru.endswith(result)
    # A lead of its own in the user's language (it had copied "Booked: reservation …", saying it twice).
    lead = tru[: -len(result)].strip()
    assert lead and lead not in result
    assert detect_language(lead) == detect_language(request_text), lead
    assert next(e["messageStop"]["stopReason"] for e in events if "messageStop" in e) == "end_turn"


@needs_local
@pytest.mark.parametrize("language", ["ja"])  # in English one line of three ran past the server's 200 characters
async def test_sampling_gives_recommendations_the_server_accepts_in_the_language_asked(loaded_model, language):
    from mcp_server.catalog import load_catalog
    from mcp_server.flows.actions import Sample, SampleResult, Search, Searched
    from mcp_server.flows.plan_trip import PlanTrip
    from mcp_server.pricing import price_trip

    catalog = load_catalog()
    flow = PlanTrip(catalog)
    state = flow.start({"destination": "Kyoto", "trip_type": "solo", "nights": 2, "language": language})
    search = flow.next_action(state)
    assert isinstance(search, Search)
    price = price_trip(catalog.resolve("Kyoto"), "solo", 2, 1, catalog.travelers_per_room)
    state = flow.apply(state, search, Searched("Q-TEST0001", "2026-12-03T00:00:00Z", price.as_dict()))
    sample = flow.next_action(state)
    assert isinstance(sample, Sample)
    settings = load_settings(config_file=LOCAL_PROFILE, env={}, flags={})
    request = SamplingRequest(sample.system_prompt, [{"role": "user", "text": sample.prompt}], max_tokens=sample.max_tokens)

    tru = await answer_sampling(request, settings.sampling, settings.model)

    state = flow.apply(state, sample, SampleResult(tru.text))
    assert state.recommendations.source == "sampling", (tru.text, state.recommendations)
    lines = state.recommendations.items
    assert len(lines) == 3
    japanese = [any("\u3040" <= ch <= "\u9fff" for ch in line) for line in lines]
    assert all(japanese) if language == "ja" else not any(japanese), lines


@needs_local
async def test_the_constant_prefix_is_restored_from_its_snapshot_after_a_sampling_request(loaded_model, server_specs):
    await first_reply("Plan a trip to Kyoto.", server_specs)
    agent_prefixes = set(loaded_model.snapshots)
    request = SamplingRequest("You are a travel guide.", [{"role": "user", "text": "One tip for Kyoto."}], max_tokens=8)
    settings = load_settings(config_file=LOCAL_PROFILE, env={}, flags={})
    await answer_sampling(request, settings.sampling, settings.model)
    llama = loaded_model.llama
    prefix = next(key for key in agent_prefixes if len(key) > 500)  # system prompt + the seven tools
    assert local._cached_length(llama, list(prefix)) < len(prefix)  # the sampling prompt replaced it

    tru_tool, _ = await first_reply("Plan a trip to Okinawa.", server_specs)

    assert tru_tool == "plan_trip"
    assert set(loaded_model.snapshots) >= agent_prefixes  # restored, not evaluated into a new snapshot
    assert local._cached_length(llama, list(prefix)) == len(prefix)
