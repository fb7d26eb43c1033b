"""The pure step function, without any protocol: answers in, next action out."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_server.catalog import load_catalog
from mcp_server.flows.actions import Answer, Book, Booked, Elicit, Finish, Sample, SampleResult, Search, Searched
from mcp_server.flows.plan_trip import PlanOptions, PlanTrip
from mcp_server.flows.state import PlanTripState, dump_state, load_state
from tests.mcp_server.flows.conftest import apply_pending

CATALOG = load_catalog()


GOOD_TIPS = "Walk Fushimi Inari at dawn.\nTake the Sagano scenic train.\nTry yudofu near Nanzen-ji."


def run(flow, state, answers, sample_text=GOOD_TIPS):
    """Drive the flow with scripted answers; returns (finish, questions asked)."""
    asked = []
    while True:
        action = flow.next_action(state)
        if isinstance(action, Finish):
            return action, asked
        if isinstance(action, Elicit):
            asked.append(action)
            reply = answers.pop(0)
            outcome = Answer(reply) if isinstance(reply, str) else Answer("accept", reply)
        elif isinstance(action, Search):
            outcome = Searched("Q-TEST", "2026-01-01T00:00:00Z", {
                "destination": action.destination, "trip_type": action.trip_type, "nights": action.nights,
                "travelers": action.travelers, "rooms": 1, "transport_jpy": 1, "hotel_jpy": 1, "total_jpy": 2})
        elif isinstance(action, Sample):
            outcome = SampleResult(sample_text, "" if sample_text is not None else "no_capability")
        elif isinstance(action, Book):
            outcome = Booked("TRV-TEST0001")
        state = flow.apply(state, action, outcome)


def test_everything_known_asks_only_for_confirmation():
    flow = PlanTrip(CATALOG)
    state = flow.start({"destination": "京都", "trip_type": "family", "nights": 2, "travelers": 3})
    finish, asked = run(flow, state, [{"decision": "Book"}])
    assert [a.key for a in asked] == ["confirm"]
    assert finish.status == "booked" and finish.data["reservation_id"] == "TRV-TEST0001"
    assert state.supplied == ["destination", "trip_type", "nights", "travelers"]


def test_solo_and_couple_fix_the_head_count():
    flow = PlanTrip(CATALOG)
    state = flow.start({"destination": "Kyoto", "trip_type": "couple", "nights": 1})
    assert state.values["travelers"] == 2
    assert isinstance(flow.next_action(state), Search)


@pytest.mark.parametrize(
    ("arguments", "key", "reason"),
    [
        ({"destination": "Atlantis"}, "destination", "Atlantis is not in the catalogue; choose one of Kyoto, Okinawa, Hokkaido, Fukuoka."),
        ({"destination": "Kyoto", "trip_type": "business"}, "trip_type", "The trip type must be one of solo, couple, family, friends"),
        ({"destination": "Kyoto", "trip_type": "solo", "nights": 10}, "nights", "Nights must be from 1 to 7; 10 is out of range."),
        ({"destination": "Kyoto", "trip_type": "friends", "nights": 2, "travelers": -3}, "travelers", "Travellers must be from 1 to 8; -3 is out of range."),
        ({"destination": "Kyoto", "trip_type": "friends", "nights": 2, "travelers": 0}, "travelers", "out of range"),
        ({"destination": "Kyoto", "trip_type": "family", "nights": "two", "travelers": 3}, "nights", "'two' is not"),
    ],
)
def test_invalid_arguments_are_asked_again_with_the_reason(arguments, key, reason):
    flow = PlanTrip(CATALOG)
    action = flow.next_action(flow.start(arguments))
    assert isinstance(action, Elicit) and action.key == key
    assert reason in action.message.split("?")[0]


def test_head_count_that_does_not_fit_the_trip_type_asks_for_the_trip_type():
    flow = PlanTrip(CATALOG)
    state = flow.start({"destination": "Kyoto", "trip_type": "solo", "nights": 2, "travelers": 3})
    action = flow.next_action(state)
    assert action.key == "trip_type"
    assert "3 travellers do not fit a solo trip" in action.message
    assert [c["const"] for c in action.schema["properties"]["trip_type"]["oneOf"]] == ["family", "friends"]


def test_an_invalid_head_count_is_never_replaced_by_the_trip_types():
    flow = PlanTrip(CATALOG)
    state = flow.start({"destination": "Kyoto", "trip_type": "solo", "nights": 2, "travelers": -3})
    action = flow.next_action(state)
    assert action.key == "travelers" and "-3 is out of range" in action.message
    assert action.schema["properties"]["travelers"]["minimum"] == action.schema["properties"]["travelers"]["maximum"] == 1


def test_questions_carry_real_widgets():
    flow = PlanTrip(CATALOG)
    state = flow.start({"destination": "Kyoto", "trip_type": "friends"})
    nights = flow.next_action(state).schema["properties"]["nights"]
    assert (nights["type"], nights["minimum"], nights["maximum"]) == ("integer", 1, 7)
    state = apply_pending(flow, state, Answer("accept", {"nights": 3}))
    travelers = flow.next_action(state).schema["properties"]["travelers"]
    assert (travelers["minimum"], travelers["maximum"]) == (2, 8)
    destination = PlanTrip(CATALOG).next_action(PlanTrip(CATALOG).start({})).schema["properties"]["destination"]
    assert {"const": "Kyoto", "title": "Kyoto (京都)"} in destination["oneOf"]


def test_invalid_answers_are_bounded():
    flow = PlanTrip(CATALOG, PlanOptions(max_attempts=3))
    state = flow.start({"destination": "Kyoto", "trip_type": "solo"})
    finish, asked = run(flow, state, [{"nights": 0}, {"nights": "x"}, {"nights": 99}])
    assert finish.status == "failed" and "3 invalid answers for nights" in finish.message
    assert "Nothing was booked" in finish.message
    assert len(asked) == 3


@pytest.mark.parametrize("action", ["decline", "cancel"])
def test_decline_and_cancel_are_told_apart(action):
    flow = PlanTrip(CATALOG)
    finish, _ = run(flow, flow.start({}), [action])
    assert finish.status == ("declined" if action == "decline" else "cancelled")
    assert "Nothing was booked" in finish.message


def test_form_style_asks_every_missing_field_at_once():
    flow = PlanTrip(CATALOG, PlanOptions(elicitation_style="form"))
    action = flow.next_action(flow.start({"destination": "Kyoto"}))
    assert action.key == "form" and list(action.schema["properties"]) == ["trip_type", "nights", "travelers"]
    state = apply_pending(flow, flow.start({"destination": "Kyoto"}), Answer("accept", {"trip_type": "solo", "nights": 2, "travelers": 2}))
    retry = flow.next_action(state)
    assert retry.key == "trip_type"  # 2 travellers contradict "solo": asked again, with the reason
    assert "2 travellers do not fit a solo trip" in retry.message


def test_cancel_at_confirmation_keeps_the_quote():
    flow = PlanTrip(CATALOG)
    finish, _ = run(flow, flow.start({"destination": "Kyoto", "trip_type": "solo", "nights": 1}), [{"decision": "Cancel"}])
    assert finish.status == "quoted" and finish.data["quote_id"] == "Q-TEST"
    assert "reservation_id" not in finish.data


def test_missing_sampling_falls_back_to_catalogue_and_says_so():
    flow = PlanTrip(CATALOG)
    finish, asked = run(flow, flow.start({"destination": "Kyoto", "trip_type": "solo", "nights": 1}),
                        [{"decision": "Book"}], sample_text=None)
    assert finish.data["recommendations_source"] == "catalogue"
    assert any("Fushimi Inari" in item for item in finish.data["recommendations"])
    assert "Recommendations from the catalogue (your client did not declare sampling):" in asked[-1].message
    assert finish.data["recommendations_note"] == "your client did not declare sampling"


def test_a_place_given_as_an_argument_is_noted_at_the_confirmation_and_in_the_result():
    flow = PlanTrip(CATALOG)
    finish, asked = run(flow, flow.start({"destination": "Arashiyama", "trip_type": "solo", "nights": 1}), [{"decision": "Book"}])
    assert asked[0].message.startswith("Arashiyama is in Kyoto — planning Kyoto. Quote Q-TEST: Kyoto, solo")
    assert finish.message.startswith("Arashiyama is in Kyoto — planning Kyoto. Booked: reservation TRV-TEST0001.")


def test_a_destination_answered_in_japanese_switches_the_questions_to_japanese():
    flow = PlanTrip(CATALOG)
    state = apply_pending(flow, flow.start({}), Answer("accept", {"destination": "京都"}))
    assert flow.next_action(state).message.startswith("どんな旅行ですか？")
    fixed = apply_pending(flow, flow.start({"language": "en"}), Answer("accept", {"destination": "京都"}))
    assert flow.next_action(fixed).message.startswith("What kind of trip is it?")  # the caller's choice wins


def test_reasons_to_ask_again_follow_the_language():
    flow = PlanTrip(CATALOG)
    action = flow.next_action(flow.start({"destination": "Atlantis", "language": "ja"}))
    assert action.message.startswith("「Atlantis」はカタログにありません。次から選んでください: 京都、沖縄、北海道、福岡。")
    action = flow.next_action(flow.start({"destination": "京都", "trip_type": "couple", "nights": 2, "travelers": 3}))
    assert action.message.startswith("3名はカップル（2名）に合いません。次から選んでください: 家族旅行、友人との旅行。")


def test_the_state_stays_json_whatever_the_language():
    flow = PlanTrip(CATALOG)
    state = flow.start({"destination": "札幌", "trip_type": "solo", "nights": "x", "language": "xx"})
    assert load_state(dump_state(state), "plan_trip", PlanTripState) == state


def test_a_destination_with_hidden_characters_is_shown_escaped():
    action = PlanTrip(CATALOG).next_action(PlanTrip(CATALOG).start({"destination": "Kyoto\u202e"}))
    assert action.message.startswith("Kyoto\\u202e is not in the catalogue")


@given(
    destination=st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["札幌", "Sapporo", "京都", "Naha", "嵐山"])),
    language=st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["en", "ja", "ja-JP", "日本語", "fr"])),
    answers=st.lists(st.sampled_from(["京都", "Kyoto", "Otaru", "x", 3]), max_size=3),
    tips=st.one_of(st.none(), st.text(max_size=200)),
)
def test_any_language_and_destination_run_to_a_finish_in_one_language(destination, language, answers, tips):
    flow = PlanTrip(CATALOG)
    state = flow.start({"destination": destination, "trip_type": "solo", "nights": 1, "language": language})
    replies = [{"destination": a} for a in answers] + [{"destination": "Kyoto"}, {"decision": "Book"}]
    finish, asked = run(flow, state, replies, sample_text=tips)
    assert finish.status in {"booked", "quoted", "failed"}  # leftover replies may answer Book/Cancel
    assert all(action.message.strip() for action in asked)
    if finish.status != "failed":
        assert finish.data["language"] in {"en", "ja"} and len(finish.data["recommendations"]) == 3
        assert (finish.data["recommendations_note"] == "") == (finish.data["recommendations_source"] == "sampling")
