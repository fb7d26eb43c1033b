"""Summary numbers against a hand-written transcript, and expectations against summary numbers."""

import pytest

from agent.eval.scenario import Expectations
from agent.eval.summary import summarize
from tests.agent.eval.conftest import KNOWN_EVENTS


def test_counts_of_the_known_transcript():
    tru = summarize(KNOWN_EVENTS, tokens={"inputTokens": 120, "outputTokens": 30, "totalTokens": 150}, bookings=1)

    assert tru["turns"] == 2
    assert tru["questions"] == 3
    assert tru["answers"] == {"accept": 2, "decline": 1, "cancel": 0}
    assert (tru["declines"], tru["cancels"]) == (1, 0)
    assert (tru["supplied"], tru["elicited"]) == (["destination"], ["trip_type"])
    assert tru["sampling_calls"] == 1
    assert tru["tool_calls"] == ["plan_trip", "plan_trip"]
    assert tru["status"] == "declined"  # the last structured result
    assert tru["bookings"] == 1
    assert tru["final_text"] == "Maybe later."
    assert tru["errors"] == ["a model error"]
    assert tru["tokens"] == {"input": 120, "output": 30, "total": 150}


def test_time_split_of_the_known_transcript():
    # turns: 0 -> 5.5 and 6.0 -> 7.0 = 6.5 s; human waits 2.0 + 1.0 + 0.2 = 3.2 s;
    # tools: plan_trip 0.5 -> 4.7 and 6.4 -> 6.85 = 4.65 s; sampling 2.8 -> 3.3 = 0.5 s (the model's);
    # server = 4.65 - 3.2 - 0.5 = 0.95 s; model = 6.5 - 4.65 + 0.5 = 2.35 s.
    tru = summarize(KNOWN_EVENTS)["time_s"]

    exp = {"total": 6.5, "model": 2.35, "human": 3.2, "server": 0.95}
    assert tru == pytest.approx(exp)
    assert tru["model"] + tru["human"] + tru["server"] == pytest.approx(tru["total"])


def test_no_usage_reported_means_no_token_counts():
    assert summarize(KNOWN_EVENTS)["tokens"] is None


def test_an_empty_transcript_is_all_zeros():
    tru = summarize([])
    assert (tru["turns"], tru["questions"], tru["status"], tru["final_text"]) == (0, 0, None, "")
    assert tru["time_s"] == {"total": 0.0, "model": 0.0, "human": 0.0, "server": 0.0}


@pytest.mark.parametrize(
    ("expect", "exp_failures"),
    [
        (Expectations(completed=False), []),
        (Expectations(), ["completed: the run had errors: a model error"]),
        (Expectations(completed=False, booking_exists=True, max_questions=3, min_questions=3, status="declined"), []),
        (Expectations(completed=False, booking_exists=False), ["booking_exists: expected false, found 1 booking(s)"]),
        (Expectations(completed=False, max_questions=2), ["max_questions: expected at most 2, asked 3"]),
        (Expectations(completed=False, min_questions=4), ["min_questions: expected at least 4, asked 3"]),
        (Expectations(completed=False, no_sampling=True), ["no_sampling: 1 sampling call(s)"]),
        (Expectations(completed=False, final_text_contains="later"), []),
        (Expectations(completed=False, final_text_contains="Booked"), ["final_text_contains: 'Booked' not in 'Maybe later.'"]),
        (Expectations(completed=False, status="booked"), ["status: expected 'booked', got 'declined'"]),
        (Expectations(completed=False, tools=("get_quote",)), ["tools: expected ['get_quote'], called ['plan_trip', 'plan_trip']"]),
    ],
)
def test_expectations_list_what_failed(expect, exp_failures):
    stats = summarize(KNOWN_EVENTS, bookings=1)
    assert expect.failures(stats) == exp_failures
