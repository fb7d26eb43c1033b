import pytest

from agent.config import ModelSettings, SamplingSettings
from agent.sampling import ModelPerRequest, RateLimiter, SamplingRequest, choose_model, truncate_at_stop

pytestmark = pytest.mark.usefixtures("isolated_aws")  # no AWS credentials or settings from this machine

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
AGENT_MODEL = ModelSettings("bedrock", SONNET, "us-west-2", 4096, 0.3)


def sampling_settings(model: ModelSettings | None = None) -> SamplingSettings:
    return SamplingSettings(
        policy="auto",
        model=model,
        max_tokens_cap=200,
        rate_limit_per_minute=2,
        hint_map={"claude-haiku": HAIKU, "gpt": "openai:gpt-5"},
    )


def request(**fields) -> SamplingRequest:
    values = {
        "system_prompt": "You write travel tips.",
        "messages": [{"role": "user", "text": "Kyoto tips"}],
        "max_tokens": 100,
    }
    return SamplingRequest(**{**values, **fields})


@pytest.mark.parametrize(
    ("hints", "sampling_model", "exp_spec"),
    [
        (["claude-haiku-4-5"], None, f"bedrock:{HAIKU}"),  # map name inside the hint
        (["haiku"], None, f"bedrock:{HAIKU}"),  # hint inside the map name
        (["mistral", "gpt-5"], None, "openai:gpt-5"),  # first hint that matches wins
        (["mistral"], None, f"bedrock:{SONNET}"),  # no match: the agent's model
        (["mistral"], ModelSettings("ollama", "qwen3", "eu-west-1", 50, 0.9), "ollama:qwen3"),
    ],
)
def test_model_choice_hint_map_then_sampling_model_then_agent_model(hints, sampling_model, exp_spec):
    tru = choose_model(request(model_hints=hints), sampling_settings(sampling_model), AGENT_MODEL)

    assert tru.spec == exp_spec


@pytest.mark.parametrize(
    ("agent_provider", "hints", "exp_provider", "exp_model_id"),
    [
        ("auto", ["claude-haiku"], "auto", HAIKU),  # Bedrock if credentials resolve, else local
        ("local", ["claude-haiku"], "local", ""),  # an offline agent is never sent online by a hint
        ("local", ["gpt-5"], "local", ""),
    ],
)
def test_hints_never_take_an_offline_agent_online(agent_provider, hints, exp_provider, exp_model_id):
    agent = ModelSettings(agent_provider, "", "us-west-2", 4096, 0.3)

    tru = choose_model(request(model_hints=hints), sampling_settings(), agent)

    assert (tru.provider, tru.model_id) == (exp_provider, exp_model_id)


def test_hint_match_keeps_the_base_region():
    tru = choose_model(request(model_hints=["claude-haiku"]), sampling_settings(), AGENT_MODEL)

    assert tru.region == "us-west-2"


@pytest.mark.parametrize(("asked", "exp"), [(100, 100), (5000, 200)])
def test_max_tokens_capped_by_config(asked, exp):
    tru = choose_model(request(max_tokens=asked), sampling_settings(), AGENT_MODEL)

    assert tru.max_tokens == exp


@pytest.mark.parametrize(("asked", "exp"), [(None, 0.3), (0.9, 0.9)])
def test_temperature_requested_or_the_models(asked, exp):
    assert choose_model(request(temperature=asked), sampling_settings(), AGENT_MODEL).temperature == exp


@pytest.mark.parametrize(
    ("text", "stops", "exp"),
    [
        ("one. two END three", ["END"], ("one. two ", True)),
        ("a||b##c", ["##", "||"], ("a", True)),
        ("nothing here", ["END"], ("nothing here", False)),
        ("keep", [""], ("keep", False)),
    ],
)
def test_truncate_at_first_stop_sequence(text, stops, exp):
    assert truncate_at_stop(text, stops) == exp


async def test_sampling_answered_by_bedrock_with_request_settings(bedrock):
    bedrock.text("1. Fushimi Inari at dawn\nSTOP\n2. ignored")

    asked = request(model_hints=["claude-haiku"], max_tokens=900, temperature=0.5, stop_sequences=["STOP"])

    tru = await ModelPerRequest().answer(asked, choose_model(asked, sampling_settings(), AGENT_MODEL))

    assert (tru.model, tru.text, tru.stop_reason) == (f"bedrock:{HAIKU}", "1. Fushimi Inari at dawn\n", "stopSequence")
    sent = bedrock.requests[0]
    assert sent.url.startswith("https://bedrock-runtime.us-west-2.amazonaws.com/model/us.anthropic.claude-haiku-4-5")
    body = bedrock.request_json()
    assert body["inferenceConfig"] == {"maxTokens": 200, "temperature": 0.5, "stopSequences": ["STOP"]}
    assert body["system"] == [{"text": "You write travel tips."}]
    assert body["messages"] == [{"role": "user", "content": [{"text": "Kyoto tips"}]}]
    assert "toolConfig" not in body


async def test_sampling_maps_max_tokens_stop_reason(bedrock):
    bedrock.text("cut sho", stop_reason="max_tokens")

    tru = await ModelPerRequest().answer(request(), choose_model(request(), sampling_settings(), AGENT_MODEL))

    assert (tru.text, tru.stop_reason) == ("cut sho", "maxTokens")


def test_rate_limiter_sliding_window_per_server():
    now = [1000.0]
    limiter = RateLimiter(2, clock=lambda: now[0])

    first = [limiter.allow("a"), limiter.allow("a"), limiter.allow("a"), limiter.allow("b")]
    now[0] += 59.9
    still_full = limiter.allow("a")
    now[0] += 0.1
    after_window = [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")]

    assert first == [True, True, False, True]
    assert still_full is False
    assert after_window == [True, True, False]
