import json

import pytest
from strands import Agent, tool

from agent.config import ModelSettings
from agent.errors import ConfigError, PlaybackExhausted, explain_model_error
from agent.providers.playback import PlaybackModel, PlaybackSampling
from agent.sampling import SamplingRequest

pytestmark = pytest.mark.usefixtures("isolated_aws")  # no AWS credentials or settings from this machine


def write(tmp_path, document) -> str:
    path = tmp_path / "script.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


def test_agent_runs_a_tool_use_turn_then_a_text_turn(tmp_path):
    quotes: list[dict] = []

    @tool
    def get_quote(destination: str, nights: int) -> str:
        """Price a trip.

        Args:
            destination: Where to go.
            nights: How many nights.
        """
        quotes.append({"destination": destination, "nights": nights})
        return f"{destination}: {14000 + 12000 * nights} JPY"

    model = PlaybackModel.from_file(
        write(
            tmp_path,
            {
                "turns": [
                    {"tool_use": {"name": "get_quote", "input": {"destination": "Kyoto", "nights": 2}}},
                    {"text": "京都2泊で38,000円です。"},
                ],
                "sampling": [],
            },
        )
    )
    agent = Agent(model=model, tools=[get_quote], callback_handler=None)

    result = agent("京都に2泊するといくら？")

    assert quotes == [{"destination": "Kyoto", "nights": 2}]
    assert str(result).strip() == "京都2泊で38,000円です。"
    assert result.stop_reason == "end_turn"
    tool_use = agent.messages[1]["content"][0]["toolUse"]
    assert tool_use == {"toolUseId": "playback-1", "name": "get_quote", "input": {"destination": "Kyoto", "nights": 2}}
    tool_result = agent.messages[2]["content"][0]["toolResult"]
    assert (tool_result["toolUseId"], tool_result["status"]) == ("playback-1", "success")
    assert tool_result["content"] == [{"text": "Kyoto: 38000 JPY"}]


async def test_stream_events_for_a_text_turn():
    model = PlaybackModel([{"text": "hello"}], [])

    tru = [event async for event in model.stream([])]

    exp = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockStart": {"start": {}}},
        {"contentBlockDelta": {"delta": {"text": "hello"}}},
        {"contentBlockStop": {}},
        {"messageStop": {"stopReason": "end_turn"}},
        {"metadata": {"usage": {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0}, "metrics": {"latencyMs": 0}}},
    ]
    assert tru == exp


def test_exhausted_turns_raise_through_the_agent(tmp_path):
    model = PlaybackModel.from_file(write(tmp_path, {"turns": [{"text": "only one"}]}))
    agent = Agent(model=model, callback_handler=None)
    agent("first")

    with pytest.raises(Exception) as caught:
        agent("second")

    tru = explain_model_error(caught.value, ModelSettings("playback", "x", "us-east-1", 1, 0.0))
    assert isinstance(tru, PlaybackExhausted)
    assert tru.message == f"playback file {tmp_path / 'script.json'} has no turn left after 1"


def test_sampling_texts_are_consumed_in_order_then_exhausted():
    model = PlaybackModel([], ["first", "second"])

    tru = [model.next_sampling_text(), model.next_sampling_text()]

    assert tru == ["first", "second"]
    with pytest.raises(PlaybackExhausted, match="no sampling text left"):
        model.next_sampling_text()


@pytest.mark.parametrize(
    ("document", "exp_problem"),
    [
        ("{not json", "is not valid JSON"),
        ({"sampling": []}, "has no 'turns' list"),
        ({"turns": [], "extra": 1}, "unknown keys: extra"),
        ({"turns": [{"text": "a", "tool_use": {"name": "x"}}]}, "turn 1: a turn is exactly one of"),
        ({"turns": [{"text": 3}]}, "turn 1: 'text' must be a string"),
        ({"turns": [{"tool_use": {"input": {}}}]}, "turn 1: 'tool_use' needs a string 'name'"),
        ({"turns": [{"tool_use": {"name": "x", "input": []}}]}, "'tool_use.input' must be an object"),
        ({"turns": [], "sampling": "text"}, "'sampling' must be a list"),
        ({"turns": [], "sampling": [1]}, "every 'sampling' item must be a string"),
    ],
)
def test_malformed_file_names_the_file_and_problem(tmp_path, document, exp_problem):
    path = write(tmp_path, document)

    with pytest.raises(ConfigError) as caught:
        PlaybackModel.from_file(path)

    assert str(path) in caught.value.message
    assert exp_problem in caught.value.message


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read playback file"):
        PlaybackModel.from_file(tmp_path / "absent.json")


async def test_playback_answers_from_its_sampling_list():
    playback = PlaybackModel([], ["Try yudofu in Nanzen-ji."])
    request = SamplingRequest("You write travel tips.", [{"role": "user", "text": "Kyoto tips"}], 100)
    chosen = ModelSettings("bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-west-2", 4096, 0.3)

    tru = await PlaybackSampling(playback).answer(request, chosen)

    assert (tru.model, tru.text, tru.stop_reason) == ("playback:playback", "Try yudofu in Nanzen-ji.", "endTurn")
