"""Bad input: always a clear error or a question asked again, never a crash or a wrong booking.

Property tests (hypothesis) drive the pure flow with many examples, the in-process server with
fewer, and a real trip-server over HTTP with malformed JSON-RPC and oversized bodies.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any

import httpx
import mcp_types
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from mcp.shared.exceptions import MCPError

from mcp_server.catalog import load_catalog
from mcp_server.flows.actions import (
    Answer,
    Book,
    Booked,
    CancelBooking,
    Elicit,
    Finish,
    Sample,
    SampleResult,
    Search,
    Searched,
)
from mcp_server.flows.confirm import Confirm
from mcp_server.flows.plan_trip import FIELDS, PlanOptions, PlanTrip
from mcp_server.flows.state import PlanTripState, dump_state, load_state
from mcp_server.flows.validation import (
    Invalid,
    travelers_range,
    validate_destination,
    validate_nights,
    validate_travelers,
    validate_trip,
    validate_trip_type,
)
from mcp_server.pricing import price_trip
from mcp_server.server import build_server
from mcp_server.settings import load_settings
from tests.mcp_server.conftest import bookings_by_quote, client, Human, MCP_HEADERS, rows, start_logged_server

CATALOG = load_catalog()
INTERNAL_ERROR = -32603
STATUSES = {"booked", "quoted", "declined", "cancelled", "failed"}

# --- strategies -----------------------------------------------------------------------------------

huge_text = st.builds(lambda char, count: char * count, st.characters(), st.integers(1_000, 100_000))
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats()
    | st.text(max_size=30)
    | huge_text
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8
)
# Per field, values a human or a model might plausibly give (valid and not), so flows get far enough to book.
PLAUSIBLE = {
    "destination": ["Kyoto", " kyoto ", "ＫＹＯＴＯ", "京都", "沖縄", "hakata", "Hokkaido", "Sapporo", "", "Kyoto\u202e", "K\x00yoto", 3],
    "trip_type": ["solo", "Couple", " FAMILY ", "friends", "group", "", 2],
    "nights": [1, 2, 3, 7, 0, 8, -3, 2.0, 2.5, "2", " 4 ", "+3", "٣", "2.0", "three", True],
    "travelers": [1, 2, 3, 5, 8, 9, 0, -1, "2", 2.0, 2.5, "٤", True, False],
    "decision": ["Book", "book ", "BOOK", "Cancel", "maybe", "Book\u200b", "", 1],
    "confirm": [True, False, "true", 1],
}
wire_values = scalars | st.lists(st.text(max_size=10), max_size=3)  # what ElicitResult content allows


def values_for(name: str, bad=json_values) -> st.SearchStrategy[Any]:
    plausible = st.sampled_from(PLAUSIBLE.get(name, [None]))
    return st.one_of(plausible, plausible, plausible, bad)


def trip_arguments(bad=json_values) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={name: values_for(name, bad) for name in FIELDS})


def answers_to(question: Elicit, bad=json_values) -> st.SearchStrategy[Answer]:
    """Replies to one question: mostly an accept that fills the asked fields, sometimes junk or nothing."""
    asked = list(question.schema["properties"])
    extra = {"destination": values_for("destination", bad), "unexpected": bad}
    extra = {name: value for name, value in extra.items() if name not in asked}
    filled = st.fixed_dictionaries({name: values_for(name, bad) for name in asked}, optional=extra)
    partial = st.fixed_dictionaries({}, optional={**{name: values_for(name, bad) for name in asked}, **extra})
    accept = st.builds(lambda content: Answer("accept", content), st.one_of(filled, filled, filled, partial, st.none()))
    ends = st.sampled_from([Answer("decline"), Answer("cancel"), Answer("unsupported")])
    return st.one_of(*[accept] * 12, ends)


# --- what a correct outcome is ----------------------------------------------------------------------


def expected_trip(given: dict[str, Any]) -> dict[str, Any]:
    """The trip the human's last answers (or the caller's valid arguments) describe, via the validators.

    Raises:
        Invalid: a last answer was not usable (then the flow must not have searched).
    """
    trip_type = validate_trip_type(CATALOG, given.get("trip_type"))
    if "travelers" in given:
        travelers = validate_travelers(CATALOG, given["travelers"], None)
    else:
        low, high = travelers_range(CATALOG, trip_type)
        assert low == high, "travellers can only be left out when the trip type fixes them"
        travelers = low
    return {
        "destination": validate_destination(CATALOG, given.get("destination")).name,
        "trip_type": trip_type,
        "nights": validate_nights(CATALOG, given.get("nights")),
        "travelers": travelers,
    }


def check_price(price: dict[str, Any], trip: dict[str, Any]) -> None:
    destination = CATALOG.resolve(trip["destination"])
    assert price == price_trip(destination, trip["trip_type"], trip["nights"], trip["travelers"], CATALOG.travelers_per_room).as_dict()


# --- the pure flow: many examples -------------------------------------------------------------------


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    arguments=trip_arguments(),
    style=st.sampled_from(["steps", "form"]),
    data=st.data(),
)
def test_the_pure_flow_books_only_the_trip_its_answers_describe(arguments, style, data):
    flow = PlanTrip(CATALOG, PlanOptions(elicitation_style=style))
    state = flow.start(arguments)
    given = {name: value for name, value in arguments.items() if value is not None}
    searched: Searched | None = None
    decision: Any = None
    for _ in range(60):
        action = flow.next_action(state)
        assert load_state(dump_state(state), "plan_trip", PlanTripState) == state  # it must survive the trip through requestState
        if isinstance(action, Finish):
            break
        if isinstance(action, Elicit):
            outcome: Any = data.draw(answers_to(action))
            if outcome.action == "accept":
                content = outcome.content or {}
                if action.key == "confirm":
                    decision = content.get("decision")
                for name in action.schema["properties"]:
                    given[name] = content.get(name)
        elif isinstance(action, Search):
            trip = expected_trip(given)  # Invalid here means the flow searched with an unusable answer
            assert asdict(action) == trip
            price = validate_trip(CATALOG, trip)
            searched = outcome = Searched("Q-FUZZ", "2099-01-01T00:00:00Z", price.as_dict())
        elif isinstance(action, Sample):
            outcome = SampleResult(data.draw(st.none() | st.text(max_size=400)), "no_capability")
        else:
            assert isinstance(action, Book) and action.quote_id == "Q-FUZZ"
            assert isinstance(decision, str) and decision.strip().casefold() == "book"
            outcome = Booked("TRV-FUZZ")
        state = flow.apply(state, action, outcome)
    else:
        pytest.fail("the flow did not finish within 60 steps")
    event(f"finished: {action.status}")
    assert action.status in STATUSES
    if action.status == "booked":
        assert searched is not None and action.data["quote"] == searched.price
        check_price(action.data["quote"], expected_trip(given))
        assert 1 <= len(action.data["recommendations"]) <= 3
        assert all(0 < len(line) <= 200 for line in action.data["recommendations"])


@settings(max_examples=300, deadline=None)
@given(answer=st.builds(Answer, st.sampled_from(["accept", "decline", "cancel", "unsupported"]),
                        st.none() | st.fixed_dictionaries({}, optional={"confirm": values_for("confirm"), "decision": values_for("decision")})))
def test_a_confirmation_acts_only_on_book_or_a_literal_true(answer):
    booking = Confirm("book_quote", "Book quote Q-1?", Book("Q-1"), amount_jpy=38_000)
    asked = booking.start()
    state = booking.apply(asked, booking.next_action(asked), answer)
    decision = (answer.content or {}).get("decision")
    chose_book = answer.action == "accept" and isinstance(decision, str) and decision.strip().casefold() == "book"
    assert isinstance(booking.next_action(state), Book) == chose_book
    cancelling = Confirm("cancel_booking", "Cancel reservation TRV-1?", CancelBooking("TRV-1"))
    asked = cancelling.start()
    state = cancelling.apply(asked, cancelling.next_action(asked), answer)
    confirmed = answer.action == "accept" and (answer.content or {}).get("confirm") is True
    assert isinstance(cancelling.next_action(state), CancelBooking) == confirmed


@settings(max_examples=1000, deadline=None)
@given(values=trip_arguments())
def test_get_quote_validation_prices_exactly_or_explains(values):
    try:
        price = validate_trip(CATALOG, values)
    except Invalid as error:
        assert str(error) and len(str(error)) < 400  # a short reason, even for huge input
        return
    check_price(price.as_dict(), expected_trip(values))


# --- the in-process server: fewer examples ----------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    mcp = build_server(load_settings(overrides={"db": tmp_path_factory.mktemp("fuzz") / "fuzz.db"}))
    yield mcp
    asyncio.run(mcp.services.store.close())  # module scope: no test's event loop is left


def call_outcome(call) -> tuple[str, Any]:
    """("result", CallToolResult) or ("error", MCPError); an internal error fails the test."""
    try:
        return "result", asyncio.run(call())
    except MCPError as error:
        assert error.error.code != INTERNAL_ERROR, error
        return "error", error


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arguments=trip_arguments())
def test_get_quote_over_mcp_answers_a_price_or_a_clear_error(fuzz_server, arguments):
    async def call():
        async with client(fuzz_server, None) as c:
            return await c.call_tool("get_quote", arguments, raise_on_error=False)

    kind, outcome = call_outcome(call)
    if kind == "result" and not outcome.is_error:
        check_price(outcome.structured_content, expected_trip(arguments))
    elif kind == "result":
        assert outcome.content[0].text.strip()


async def plan_modern(mcp, arguments: dict[str, Any], data) -> tuple[Any, dict[str, Any]]:
    """plan_trip as raw 2026-07-28 round trips, answering each question with drawn (often wrong) values."""
    given = {name: value for name, value in arguments.items() if value is not None}
    async with client(mcp, Human([])) as c:
        retry: dict[str, Any] = {}
        for _ in range(40):
            result = await c.session.call_tool("plan_trip", arguments, allow_input_required=True, **retry)
            if not isinstance(result, mcp_types.InputRequiredResult):
                return result, given
            ((key, request),) = result.input_requests.items()
            if isinstance(request, mcp_types.CreateMessageRequest):
                text = data.draw(st.text(max_size=300), label="sampling text")
                response: Any = mcp_types.CreateMessageResult(
                    role="assistant", content=mcp_types.TextContent(type="text", text=text), model="fuzz"
                )
            else:
                answer = data.draw(answers_to(Elicit(key, "", request.params.requested_schema), wire_values), label=key)
                action = "cancel" if answer.action == "unsupported" else answer.action
                response = mcp_types.ElicitResult(action=action, content=answer.content if action == "accept" else None)
                if action == "accept":
                    for name in request.params.requested_schema["properties"]:
                        given[name] = (answer.content or {}).get(name)
            retry = {"input_responses": {key: response}, "request_state": result.request_state}
    raise AssertionError("plan_trip did not finish within 40 rounds")


async def plan_legacy(mcp, arguments: dict[str, Any], data) -> tuple[Any, dict[str, Any]]:
    """plan_trip on a 2025-11-25 session, the elicitation handler answering with drawn values."""
    given = {name: value for name, value in arguments.items() if value is not None}

    async def answer(message, response_type, params, context):
        question = Elicit("", message, params.requested_schema)
        reply = data.draw(answers_to(question, wire_values), label="answer")
        action = "cancel" if reply.action == "unsupported" else reply.action
        if action == "accept":
            for name in params.requested_schema["properties"]:
                given[name] = (reply.content or {}).get(name)
        return mcp_types.ElicitResult(action=action, content=reply.content if action == "accept" else None)

    async def model(messages, params, context):
        return data.draw(st.text(max_size=300), label="sampling text")

    async with client(mcp, answer, mode="legacy", sampling=model) as c:
        return await c.call_tool("plan_trip", arguments, raise_on_error=False), given


@pytest.mark.parametrize("plan", [plan_modern, plan_legacy], ids=["modern", "legacy"])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arguments=trip_arguments(scalars), data=st.data())
def test_plan_trip_with_bad_arguments_and_answers_never_books_a_wrong_trip(fuzz_server, plan, arguments, data):
    kind, outcome = call_outcome(lambda: plan(fuzz_server, arguments, data))
    if kind == "error":
        return
    result, given = outcome
    if result.is_error:  # argument types the tool does not take at all: a clear validation message
        assert result.content[0].text.strip()
        return
    status = result.structured_content["status"]
    event(f"finished: {status}")
    assert status in STATUSES
    if status == "booked":
        booking = asyncio.run(fuzz_server.services.store.get_booking("local", result.structured_content["reservation_id"]))
        check_price(booking.price.as_dict(), expected_trip(given))


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_true_is_not_one_night_or_one_traveller(fuzz_server, mode):
    # Found by the property test above: lax argument parsing turned `true` into 1 before the flow saw it.
    trip = {"destination": "Kyoto", "trip_type": "solo", "nights": True, "travelers": 1}
    async with client(fuzz_server, Human([]), mode=mode) as c:
        quote = await c.call_tool("get_quote", trip, raise_on_error=False)
        planned = await c.call_tool("plan_trip", trip, raise_on_error=False)
        halves = await c.call_tool("get_quote", {**trip, "nights": 2.5}, raise_on_error=False)
    assert quote.is_error and planned.is_error and "nights" in quote.content[0].text
    assert halves.is_error and halves.content[0].text == "Nights must be a whole number from 1 to 7; 2.5 is not."


# --- raw HTTP: malformed JSON-RPC, oversized bodies ------------------------------------------------


@pytest.fixture(scope="module")
def http_target(tmp_path_factory):
    directory = tmp_path_factory.mktemp("fuzz-http")
    server = start_logged_server(directory, directory / "fuzz.db")
    yield server
    server.stop()


MODERN_META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}


def modern_call(name: str, arguments: Any) -> tuple[dict[str, str], bytes]:
    headers = {**MCP_HEADERS, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": name}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments, "_meta": MODERN_META}}
    return headers, json.dumps(body).encode()


def assert_handled(response: httpx.Response) -> None:
    """A 4xx, or a JSON-RPC answer that is not an internal error."""
    assert response.status_code < 500, response.text[:500]
    if response.headers.get("content-type", "").startswith("application/json"):
        error = response.json().get("error") if isinstance(response.json(), dict) else None
        assert error is None or error["code"] != INTERNAL_ERROR, error
    else:
        assert "-32603" not in response.text


MALFORMED = {
    "not json": b"{not json",
    "empty": b"",
    "a number": b"42",
    "an empty batch": b"[]",
    "no method": b'{"jsonrpc": "2.0", "id": 1}',
    "wrong jsonrpc version": b'{"jsonrpc": "1.0", "id": 1, "method": "initialize"}',
    "params not an object": b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": "x"}',
    "id an object": b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "ping"}',
    "deep nesting": b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "invalid utf-8": b'{"jsonrpc": "2.0", "id": 1, "method": "\xff\xfe"}',
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_json_rpc_is_a_json_rpc_error(http_target, name):
    response = httpx.post(http_target.url, content=MALFORMED[name], headers=MCP_HEADERS, timeout=30)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] in (-32700, -32600, -32602)


@pytest.mark.parametrize("megabytes", [5, 50])
def test_an_oversized_body_is_refused(http_target, megabytes):
    headers, body = modern_call("get_quote", {"destination": "x" * (megabytes << 20), "trip_type": "solo", "nights": 1, "travelers": 1})
    response = httpx.post(http_target.url, content=body, headers=headers, timeout=60)
    assert response.status_code == 413


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tool=st.sampled_from(["get_quote", "plan_trip", "book_quote", "get_booking"]), arguments=json_values)
def test_any_json_as_tool_arguments_is_handled(http_target, tool, arguments):
    headers, body = modern_call(tool, arguments)
    assert_handled(httpx.post(http_target.url, content=body, headers=headers, timeout=30))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values)
def test_any_json_as_a_message_is_handled(http_target, body):
    # json.dumps writes NaN and Infinity, which are not JSON: one more kind of malformed body.
    assert_handled(httpx.post(http_target.url, content=json.dumps(body).encode(), headers=MCP_HEADERS, timeout=30))


async def test_the_server_is_healthy_after_the_bad_input(http_target):
    # Its own bad input first, whichever of the tests above ran before it (or did not): then the
    # same process still books.
    async with httpx.AsyncClient(timeout=60) as http:
        for body in MALFORMED.values():
            assert_handled(await http.post(http_target.url, content=body, headers=MCP_HEADERS))
        bad_calls = [("get_quote", {"destination": "x" * (5 << 20)}), ("plan_trip", [None, {"a": []}]), ("book_quote", {"quote_id": 1e308})]
        for tool, arguments in bad_calls:
            headers, body = modern_call(tool, arguments)
            assert_handled(await http.post(http_target.url, content=body, headers=headers))
    async with client(http_target.url, Human([{"decision": "Book"}]), mode="legacy") as c:
        result = await c.call_tool("plan_trip", {"destination": "Fukuoka", "trip_type": "solo", "nights": 1})
    assert result.structured_content["status"] == "booked"
    assert list(bookings_by_quote(http_target.db).values()) == [result.structured_content["reservation_id"]]
    assert len(rows(http_target.db, "SELECT id FROM bookings")) == 1  # no bad input booked anything
    assert http_target.process.poll() is None and "Traceback" not in http_target.log_text()
