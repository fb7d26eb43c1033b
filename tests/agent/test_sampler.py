"""agent/sampler.py: the sampler's failure paths, without a server."""

from __future__ import annotations

import mcp_types

from agent.sampler import USER_REJECTED, USER_REJECTED_MESSAGE


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
