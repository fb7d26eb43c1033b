"""agent/sampler.py: the sampler's failure paths, without a server."""

from __future__ import annotations

import mcp_types

from agent.config import ModelSettings, SamplingSettings
from agent.providers.playback import PlaybackModel, PlaybackSampling
from agent.sampler import USER_REJECTED, USER_REJECTED_MESSAGE, Sampler
from agent.sampling import ModelPerRequest
from tests.agent.conftest import PLAYBACK_MODEL


def params(content) -> mcp_types.CreateMessageRequestParams:
    return mcp_types.CreateMessageRequestParams(
        messages=[mcp_types.SamplingMessage(role="user", content=content)], max_tokens=50
    )


TEXT = mcp_types.TextContent(type="text", text="tips")


async def test_a_failing_model_becomes_an_error_answer_not_an_exception(harness):
    sampler = harness.sampler(sampling=[])  # the playback script has no sampling text: the model fails
    answer = await sampler.handle("travel-planner", params(TEXT))
    assert answer.code == mcp_types.INTERNAL_ERROR
    assert "no sampling text left" in answer.message
    assert harness.notes == [f"sampling request from travel-planner failed: {answer.message}"]
    assert harness.events("error")[0]["message"] == harness.notes[0]


async def test_non_text_sampling_is_refused_as_invalid(harness):
    image = mcp_types.ImageContent(type="image", data="AAAA", mime_type="image/png")
    answer = await harness.sampler().handle("travel-planner", params(image))
    assert answer.code == mcp_types.INVALID_PARAMS
    assert answer.message == "only text sampling is supported (the request carries image)"


async def test_ask_without_a_terminal_is_a_refusal_said_aloud(harness):
    answer = await harness.sampler("ask", review=None).handle("travel-planner", params(TEXT))
    assert (answer.code, answer.message) == (USER_REJECTED, USER_REJECTED_MESSAGE)
    assert harness.notes == ["travel-planner asked to use your model, but there is no terminal to approve it; denied."]


async def test_a_broken_hint_map_fails_a_real_models_answer_but_not_a_playback_scripts(harness):
    settings = SamplingSettings(policy="auto", model=None, max_tokens_cap=500, rate_limit_per_minute=10, hint_map={"claude": "no such spec"})
    hinted = mcp_types.CreateMessageRequestParams(
        messages=[mcp_types.SamplingMessage(role="user", content=TEXT)],
        max_tokens=50,
        model_preferences=mcp_types.ModelPreferences(hints=[mcp_types.ModelHint(name="claude-haiku")]),
    )
    script = PlaybackSampling(PlaybackModel([], ["Try yudofu."], source="bridge-test.json"))
    scripted = Sampler(settings, None, harness.transcript, harness.notes.append, model=PLAYBACK_MODEL, writer=script)
    real = Sampler(settings, None, harness.transcript, harness.notes.append, model=ModelSettings("bedrock", "x", "us-west-2", 100, 0.3), writer=ModelPerRequest())

    answered = await scripted.handle("travel-planner", hinted)
    failed = await real.handle("travel-planner", hinted)

    assert (answered.model, answered.content.text) == ("playback:bridge-test.json", "Try yudofu.")
    assert failed.code == mcp_types.INTERNAL_ERROR and "no such spec" in failed.message
