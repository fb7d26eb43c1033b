import asyncio
import io
import re
from dataclasses import replace

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.output.vt100 import Vt100_Output

from agent.sampling import SamplingRequest
from agent.sampling_review import RequestDecision, ResponseDecision
from agent.ui.review import SamplingReview

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FINISH_EDIT = "\x1b\r"  # Esc then Enter accepts a multiline prompt

REQUEST = SamplingRequest(
    system_prompt="You are a travel agent.",
    messages=[
        {"role": "user", "text": "Recommend three things in Kyoto"},
        {"role": "assistant", "text": "Which season?"},
        {"role": "user", "text": "Spring"},
    ],
    max_tokens=300,
    temperature=0.7,
    stop_sequences=["END"],
    model_hints=["claude-sonnet"],
)


@pytest.fixture
def screen():
    return io.StringIO()


@pytest.fixture
def review(pipe, screen):
    output = Vt100_Output(screen, lambda: Size(rows=40, columns=200), enable_cpr=False)
    return SamplingReview(input=pipe, output=output)


def visible(screen):
    return ANSI_ESCAPE.sub("", screen.getvalue()).replace("\r", "")


async def test_request_is_shown_in_full_and_approved(pipe, review, screen):
    pipe.send_text("a\r")

    decision = await review.review_request("travel-planner", REQUEST)

    assert decision == RequestDecision(True, "You are a travel agent.", REQUEST.messages)
    shown = visible(screen)
    assert "── travel-planner asks to use your model (sampling)" in shown
    assert "System prompt:\n  You are a travel agent.\n" in shown
    assert "  [user]\n    Recommend three things in Kyoto\n  [assistant]\n    Which season?\n  [user]\n    Spring\n" in shown
    assert "max_tokens: 300\ntemperature: 0.7\nstop sequences: 'END'\nmodel hints: 'claude-sonnet'\n" in shown


async def test_request_without_optional_parts_says_so(pipe, review, screen):
    request = replace(REQUEST, system_prompt=None, temperature=None, stop_sequences=[], model_hints=[])
    pipe.send_text("approve\r")

    await review.review_request("travel-planner", request)

    shown = visible(screen)
    assert "System prompt:\n  (none)\n" in shown
    assert "temperature: model default\nstop sequences: none\nmodel hints: none\n" in shown


async def test_request_edit_changes_system_prompt_and_last_user_message(pipe, review, screen):
    pipe.send_text("e\r" + " Be brief." + FINISH_EDIT + ", with cherry blossoms" + FINISH_EDIT + "a\r")

    decision = await review.review_request("travel-planner", REQUEST)

    exp_messages = [*REQUEST.messages[:2], {"role": "user", "text": "Spring, with cherry blossoms"}]
    assert decision == RequestDecision(True, "You are a travel agent. Be brief.", exp_messages)
    assert REQUEST.messages[2]["text"] == "Spring"  # the caller's request is left untouched
    shown = visible(screen)
    assert "System prompt> You are a travel agent." in shown
    assert "    Spring, with cherry blossoms\n" in shown  # the edited request is shown again


async def test_request_edit_that_empties_the_system_prompt_sends_none(pipe, review):
    pipe.send_text("e\r\x15" + FINISH_EDIT + FINISH_EDIT + "a\r")

    decision = await review.review_request("travel-planner", REQUEST)

    assert decision.system_prompt is None
    assert decision.messages == REQUEST.messages


@pytest.mark.parametrize("keys", ["d\r", "deny\r", "\x03", "\x18"])
async def test_request_denied(pipe, review, keys):
    pipe.send_text(keys)

    decision = await review.review_request("travel-planner", REQUEST)

    assert decision.approved is False


async def test_request_denied_when_input_closes(pipe, review):
    pipe.close()

    assert (await review.review_request("travel-planner", REQUEST)).approved is False


async def test_unknown_choice_is_asked_again(pipe, review):
    pipe.send_text("yes\r\x15a\r")

    assert (await review.review_request("travel-planner", REQUEST)).approved is True


async def test_response_is_shown_and_sent(pipe, review, screen):
    pipe.send_text("s\r")

    decision = await review.review_response("travel-planner", "1. Fushimi Inari\n2. Arashiyama", "claude-sonnet")

    assert decision == ResponseDecision(True, "1. Fushimi Inari\n2. Arashiyama")
    shown = visible(screen)
    assert "── claude-sonnet answered the request from travel-planner" in shown
    assert "  1. Fushimi Inari\n  2. Arashiyama\n" in shown


async def test_response_edit_is_prefilled_and_sent(pipe, review, screen):
    pipe.send_text("e\r" + "\n3. Kiyomizu-dera" + FINISH_EDIT + "s\r")

    decision = await review.review_response("travel-planner", "1. Fushimi Inari", "claude-sonnet")

    assert decision == ResponseDecision(True, "1. Fushimi Inari\n3. Kiyomizu-dera")
    assert "Answer> 1. Fushimi Inari" in visible(screen)


@pytest.mark.parametrize("keys", ["d\r", "\x03"])
async def test_response_denied(pipe, review, keys):
    pipe.send_text(keys)

    decision = await review.review_response("travel-planner", "1. Fushimi Inari", "claude-sonnet")

    assert decision == ResponseDecision(False, "1. Fushimi Inari")


async def test_an_unknown_choice_is_explained_beside_it_and_asked_again(pipe, terminal):
    review = SamplingReview(input=pipe, output=terminal.output)
    task = asyncio.create_task(review.review_request("travel-planner", REQUEST))
    await terminal.wait_for("[a]pprove")
    pipe.send_text("x\r")
    await terminal.wait_for("type one of")

    assert terminal.rows()[terminal.row_with("type one of")].endswith("> x  ✗ type one of: a, e, d")
    pipe.send_text("\x15a\r")
    assert (await asyncio.wait_for(task, 10)).approved
