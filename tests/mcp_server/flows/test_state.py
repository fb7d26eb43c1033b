"""Flow state as JSON: states written by the flows before they were typed load and go on unchanged.

The three plan_trip states and two book_quote states below were captured from main at 199a07f
(mcp_server/flow.py, state as a plain dict), as json.dumps wrote them into the requestState: a
retry sealed by a server of that version, or by another replica still running it, carries them.
"""

import json

import pytest

from mcp_server.catalog import load_catalog
from mcp_server.errors import FlowStateError
from mcp_server.flows.actions import Answer, AwaitPayment, Book, Booked, Elicit, ElicitUrl, Finish, Search, StartPayment, PaymentSettled
from mcp_server.flows.confirm import confirm_booking
from mcp_server.flows.plan_trip import PlanTrip
from mcp_server.flows.state import ConfirmState, PlanTripState, dump_state, load_state
from mcp_server.pricing import price_trip
from tests.mcp_server.flows.conftest import apply_pending

CATALOG = load_catalog()
PRICE = {"destination": "Kyoto", "trip_type": "solo", "nights": 2, "travelers": 1, "rooms": 1, "transport_jpy": 14000, "hotel_jpy": 24000, "total_jpy": 38000}
CATALOGUE_TIPS = {
    "source": "catalogue",
    "items": ["Visit Fushimi Inari Taisha.", "Make time for Arashiyama bamboo grove and Kiyomizu-dera.", "Try the local food: yudofu, matcha sweets, nishin soba."],
    "why": {"key": "reason.refused", "params": {"detail": ""}},
}
# plan_trip(destination="Arashiyama", trip_type="solo", nights="x", language="fr"), payment step on:
# waiting for the number of nights.
MID_QUESTION = {
    "flow": "plan_trip", "flow_id": "b2f11afa5497", "pay": True,
    "values": {"destination": "Kyoto", "trip_type": "solo", "travelers": 1},
    "notes": {"nights": {"key": "invalid.number_type", "params": {"what": "nights", "low": 1, "high": 7, "value": "'x'"}}},
    "attempts": {}, "elicited": [], "supplied": ["destination", "trip_type"],
    "notices": [{"key": "note.language", "params": {"value": "'fr'"}}, {"key": "note.place", "params": {"place": "Arashiyama", "destination": "Kyoto"}}],
    "language": "en", "language_fixed": False, "place": {"place": "Arashiyama", "destination": "Kyoto"},
}
# The same flow after nights=2, the search, a refused sampling request and one answer that was neither Book nor Cancel.
AT_CONFIRMATION = {
    **MID_QUESTION,
    "values": {"destination": "Kyoto", "trip_type": "solo", "travelers": 1, "nights": 2},
    "notes": {}, "attempts": {"confirm": 1}, "elicited": ["nights"], "notices": [],
    "quote": {"id": "Q-ABCD1234", "expires_at": "2026-12-03T04:00:00Z", "price": PRICE},
    "recommendations": CATALOGUE_TIPS,
}
# Then Book, the payment link stored and accepted: waiting for the page.
PAYMENT_PENDING = {
    **AT_CONFIRMATION,
    "book": True,
    "payment": {
        "quote_id": "Q-ABCD1234", "amount_jpy": 38000, "id": "p4y1d", "url": "http://127.0.0.1:8000/pay/p4y1d",
        "expires_at": "2026-12-02T04:10:00Z", "consented": True,
    },
}
# book_quote in Japanese with the payment step: just started, and after the yes with the link stored.
BOOK_QUOTE_STARTED = {"flow": "book_quote", "flow_id": "b585f5d45250", "target": "Q-ABCD1234", "pay": True}
BOOK_QUOTE_LINK = {
    **BOOK_QUOTE_STARTED,
    "confirmed": True,
    "payment": {"quote_id": "Q-ABCD1234", "amount_jpy": 38000, "id": "p4y1d", "url": "http://127.0.0.1:8000/pay/p4y1d", "expires_at": "2026-12-02T04:10:00Z"},
}


def loaded(captured: dict, state_type=PlanTripState):
    return load_state(json.dumps(captured), captured["flow"], state_type)


def assert_written_as_before(dumped: dict, captured: dict) -> None:
    """Every key written before is written the same; a key added now holds its "not yet" value
    (false, or no attempts), which the older code reads as absent (it asks with .get())."""
    for key, value in dumped.items():
        if key not in captured:
            assert value in (False, {}), (key, value)
        elif isinstance(value, dict) and key in ("payment", "quote", "recommendations", "place"):
            assert_written_as_before(value, captured[key])
        else:
            assert value == captured[key], key
    assert set(captured) <= set(dumped)


@pytest.mark.parametrize(
    ("captured", "state_type"),
    [(MID_QUESTION, PlanTripState), (AT_CONFIRMATION, PlanTripState), (PAYMENT_PENDING, PlanTripState),
     (BOOK_QUOTE_STARTED, ConfirmState), (BOOK_QUOTE_LINK, ConfirmState)],
)
def test_a_state_written_before_loads_and_is_written_back_the_same(captured, state_type):
    state = loaded(captured, state_type)
    assert_written_as_before(json.loads(dump_state(state)), captured)
    assert load_state(dump_state(state), captured["flow"], state_type) == state


def test_plan_trip_mid_question_goes_on_from_an_older_state():
    flow = PlanTrip(CATALOG)
    state = loaded(MID_QUESTION)
    ask = flow.next_action(state)
    assert isinstance(ask, Elicit) and ask.key == "nights"
    assert ask.message.startswith(
        "Language 'fr' is not supported; continuing in English. Arashiyama is in Kyoto — planning Kyoto. Nights must be a whole number"
    )
    assert flow.next_action(flow.apply(state, ask, Answer("accept", {"nights": 2}))) == Search("Kyoto", "solo", 2, 1)


def test_plan_trip_at_the_confirmation_goes_on_from_an_older_state():
    flow = PlanTrip(CATALOG)
    state = loaded(AT_CONFIRMATION)
    ask = flow.next_action(state)
    assert ask.key == "confirm" and "Recommendations from the catalogue (sampling was refused for this request):" in ask.message
    assert [c["title"] for c in ask.schema["properties"]["decision"]["oneOf"]] == ["Book (¥38,000)", "Cancel (keep the quote for later)"]
    assert flow.next_action(apply_pending(flow, state, Answer("accept", {"decision": "Book"}))) == StartPayment("Q-ABCD1234", 38000)
    again = apply_pending(flow, state, Answer("accept", {"decision": "?"}))  # the 2nd unusable answer: asked again
    assert flow.next_action(again) == ask
    finish = flow.next_action(apply_pending(flow, again, Answer("accept", {"decision": "?"})))  # the 3rd: the attempt counted before
    assert isinstance(finish, Finish) and finish.status == "quoted"


def test_plan_trip_with_a_payment_pending_goes_on_from_an_older_state():
    flow = PlanTrip(CATALOG)
    state = loaded(PAYMENT_PENDING)
    assert flow.next_action(state) == AwaitPayment("p4y1d", "pay-b2f11afa5497")
    state = apply_pending(flow, state, PaymentSettled("confirmed"))
    assert flow.next_action(state) == Book("Q-ABCD1234")
    finish = flow.next_action(apply_pending(flow, state, Booked("TRV-ABCD2345")))
    assert finish.status == "booked"
    assert finish.message.startswith("Arashiyama is in Kyoto — planning Kyoto. Booked: reservation TRV-ABCD2345. Kyoto, solo, 2 nights")
    assert (finish.data["quote"], finish.data["recommendations"]) == (PRICE, CATALOGUE_TIPS["items"])
    assert (finish.data["supplied"], finish.data["elicited"]) == (["destination", "trip_type"], ["nights"])


def test_book_quote_goes_on_from_older_states():
    flow = confirm_booking(CATALOG, "Q-ABCD1234", price_trip(CATALOG.resolve("Kyoto"), "solo", 2, 1, 2), "ja")
    ask = flow.next_action(loaded(BOOK_QUOTE_STARTED, ConfirmState))
    assert isinstance(ask, Elicit) and ask.message.startswith("見積もり Q-ABCD1234 を予約しますか？")
    link = flow.next_action(loaded(BOOK_QUOTE_LINK, ConfirmState))
    assert isinstance(link, ElicitUrl) and (link.url, link.elicitation_id) == ("http://127.0.0.1:8000/pay/p4y1d", "pay-b585f5d45250")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "its requestState is not readable"),
        (json.dumps(BOOK_QUOTE_STARTED), "its requestState belongs to another tool"),
        (json.dumps([MID_QUESTION]), "its requestState belongs to another tool"),
        (json.dumps({**MID_QUESTION, "values": ["Kyoto"]}), "its requestState does not hold a plan_trip state"),
        (json.dumps({**MID_QUESTION, "flow_id": None}), "its requestState does not hold a plan_trip state"),
    ],
)
def test_a_state_that_is_not_this_flows_is_refused_with_the_reason(text, reason):
    with pytest.raises(FlowStateError) as refused:
        load_state(text, "plan_trip", PlanTripState)
    assert str(refused.value) == reason
