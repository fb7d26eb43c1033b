"""Whether a trip field's value is usable, and the reason when it is not (English for get_quote)."""

import pytest

from mcp_server.catalog import load_catalog
from mcp_server.flows.validation import Invalid, render_invalid, show, travelers_range, validate_trip

CATALOG = load_catalog()


def test_loose_but_clear_values_price_the_trip():
    price = validate_trip(CATALOG, {"destination": " kyoto ", "trip_type": "Family", "nights": "+3", "travelers": 4.0})
    assert (price.destination, price.trip_type, price.nights, price.travelers, price.rooms, price.total_jpy) == ("Kyoto", "family", 3, 4, 2, 128_000)


@pytest.mark.parametrize(
    ("values", "exp_key", "exp_message"),
    [
        ({"destination": "Atlantis"}, "invalid.destination_unknown", "Atlantis is not in the catalogue; choose one of Kyoto, Okinawa, Hokkaido, Fukuoka."),
        ({"destination": "Kyoto", "trip_type": "solo", "nights": True}, "invalid.number_type", "Nights must be a whole number from 1 to 7; True is not."),
        ({"destination": "Kyoto", "trip_type": "friends", "nights": "2.5"}, "invalid.number_type", "Nights must be a whole number from 1 to 7; '2.5' is not."),
        ({"destination": "Kyoto", "trip_type": "solo", "nights": 2, "travelers": 3}, "invalid.travelers_for_type", "A solo trip is for exactly 1 traveller; 3 does not fit."),
    ],
)
def test_the_first_unusable_value_is_refused_with_its_reason(values, exp_key, exp_message):
    with pytest.raises(Invalid) as refused:
        validate_trip(CATALOG, values)
    assert (refused.value.key, str(refused.value)) == (exp_key, exp_message)


def test_a_reason_is_rendered_in_the_questions_language_with_its_names():
    error = Invalid("invalid.travelers_for_type", trip_type="couple", low=2, high=2, number=3)
    assert render_invalid("ja", error.key, error.params, lambda kind, name: {"couple": "カップル"}[name]) == "カップルはちょうど2名です（3名は当てはまりません）。"


def test_trip_types_bound_the_head_count():
    assert [travelers_range(CATALOG, t) for t in (None, "solo", "couple", "family")] == [(1, 8), (1, 1), (2, 2), (2, 8)]


def test_a_shown_value_is_escaped_and_bounded():
    assert show("Kyoto\u202e") == "'Kyoto\\u202e'"
    assert show("x" * 100) == "'" + "x" * 36 + "..."
