"""Is a value usable for a trip field, and if not, why: the reasons plan_trip asks again with and
get_quote's errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mcp_server.catalog import Catalog, Destination, Match
from mcp_server.messages import DEFAULT_LANGUAGE, join, say
from mcp_server.pricing import Price, price_trip


class Invalid(ValueError):
    """A value the flow cannot use; says why, for the next question (`key` is a messages.py key).

    `params` hold canonical names (destinations, trip types) so the flow can show them in the
    question's language; str() is the English message (get_quote's error).
    """

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(render_invalid(DEFAULT_LANGUAGE, key, params, lambda kind, name: name))


def render_invalid(language: str, key: str, params: dict[str, Any], name_of: Callable[[str, str], str]) -> str:
    """An Invalid's message in `language`; `name_of(kind, name)` shows a destination or trip type."""
    shown = dict(params)
    kind = shown.pop("kind", "")
    if "choices" in shown:
        shown["choices"] = join(language, [name_of(kind, choice) for choice in shown["choices"]])
    if "trip_type" in shown:
        shown["trip_type"] = name_of("trip_type", shown["trip_type"])
    if "what" in shown:
        shown["what"] = say(language, f"what.{shown['what']}")
    if key == "invalid.travelers_for_type":  # "A solo trip is for exactly 1 traveller; 3 does not fit."
        low, high = shown["low"], shown["high"]
        head = (
            say(language, "invalid.travelers_exactly", trip_type=shown["trip_type"], n=low)
            if low == high
            else say(language, "invalid.travelers_span", trip_type=shown["trip_type"], low=low, high=high)
        )
        return say(language, "invalid.travelers_tail", head=head, number=shown["number"])
    return say(language, key, **shown)


def _as_int(value: Any, what: str, low: int, high: int) -> int:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,6}\s*", value):
        number = int(value)
    if number is None:
        raise Invalid("invalid.number_type", what=what, low=low, high=high, value=show(value))
    if not low <= number <= high:
        raise Invalid("invalid.number_range", what=what, low=low, high=high, number=number)
    return number


def show(value: Any) -> str:
    """A value the user gave, as a message shows it: repr() (hidden characters escaped), bounded."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def lookup_destination(catalog: Catalog, value: Any) -> Match:
    """The destination (and the place inside it) a user's text names.

    Raises:
        Invalid: not a destination, alias or place of the catalogue.
    """
    choices = catalog.destination_names
    if not isinstance(value, str) or not value.strip():
        raise Invalid("invalid.destination_missing", kind="destination", choices=choices)
    match = catalog.lookup(value)
    if match is None:
        # repr() shows hidden characters escaped, so "Kyoto\u202e" is not mistaken for Kyoto.
        raise Invalid("invalid.destination_unknown", kind="destination", choices=choices, value=show(value.strip())[1:-1])
    return match


def validate_destination(catalog: Catalog, value: Any) -> Destination:
    return lookup_destination(catalog, value).destination


def validate_trip_type(catalog: Catalog, value: Any) -> str:
    trip_type = catalog.trip_type(value) if isinstance(value, str) else None
    if trip_type is None:
        raise Invalid("invalid.trip_type", kind="trip_type", choices=list(catalog.trip_types), value=show(value))
    return trip_type.name


def validate_nights(catalog: Catalog, value: Any) -> int:
    return _as_int(value, "nights", catalog.nights.minimum, catalog.nights.maximum)


def travelers_range(catalog: Catalog, trip_type: str | None) -> tuple[int, int]:
    """The head counts a trip type allows: solo exactly 1, couple exactly 2, groups 2 or more."""
    fixed = catalog.trip_types[trip_type].travelers if trip_type else None
    if fixed is not None:
        return fixed, fixed
    low = 2 if trip_type else catalog.travelers.minimum
    return low, catalog.travelers.maximum


def validate_travelers(catalog: Catalog, value: Any, trip_type: str | None) -> int:
    low, high = travelers_range(catalog, trip_type)
    number = _as_int(value, "travelers", catalog.travelers.minimum, catalog.travelers.maximum)
    if not low <= number <= high:
        raise Invalid("invalid.travelers_for_type", trip_type=trip_type, low=low, high=high, number=number)
    return number


def validate_trip(catalog: Catalog, values: dict[str, Any]) -> Price:
    """Validate a complete set of arguments and price it (used by get_quote).

    Raises:
        Invalid: the first argument that cannot be used, with the reason.
    """
    destination = validate_destination(catalog, values.get("destination"))
    trip_type = validate_trip_type(catalog, values.get("trip_type"))
    nights = validate_nights(catalog, values.get("nights"))
    travelers = validate_travelers(catalog, values.get("travelers"), trip_type)
    return price_trip(destination, trip_type, nights, travelers, catalog.travelers_per_room)
