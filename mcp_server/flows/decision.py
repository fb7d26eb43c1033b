"""The money decision, the same whichever tool books: the quote's summary, then Book (with the real
total) or Cancel."""

from __future__ import annotations

from typing import Any, Literal

from mcp_server.catalog import Catalog
from mcp_server.flows.actions import Answer
from mcp_server.flows.state import FlowState
from mcp_server.messages import DEFAULT_LANGUAGE, say
from mcp_server.pricing import Price

QUESTION_KEY = "confirm"  # the key of the decision's question (and of its 2026-07-28 input request)


def decision_schema(language: str, total_jpy: int) -> dict[str, Any]:
    """The decision's form: one field, Book (with the real total) or Cancel."""
    return {
        "type": "object",
        "properties": {
            "decision": {
                "type": "string",
                "title": say(language, "field.decision"),
                "oneOf": [
                    {"const": "Book", "title": say(language, "confirm.book", total=f"{total_jpy:,}")},
                    {"const": "Cancel", "title": say(language, "confirm.cancel")},
                ],
            }
        },
        "required": ["decision"],
    }


def decided(answer: Answer) -> Literal["book", "cancel"] | None:
    """The decision an accepted answer chose, or None (not accepted, or neither Book nor Cancel)."""
    decision = (answer.content or {}).get("decision") if answer.action == "accept" else None
    chosen = decision.strip().casefold() if isinstance(decision, str) else None
    return chosen if chosen in ("book", "cancel") else None  # type: ignore[return-value]


def out_of_attempts(state: FlowState, max_attempts: int) -> bool:
    """Count one more unusable answer to the decision (in `state`, apply()'s copy); True when none is left."""
    state.attempts[QUESTION_KEY] = state.attempts.get(QUESTION_KEY, 0) + 1
    return state.attempts[QUESTION_KEY] >= max_attempts


def trip_summary(catalog: Catalog, price: Price, language: str) -> str:
    """A quote's one-line summary; English is Price.summary() itself."""
    if language == DEFAULT_LANGUAGE:
        return price.summary()
    destination = catalog.resolve(price.destination)
    trip_type = catalog.trip_types.get(price.trip_type)
    return say(
        language,
        "summary",
        destination=destination.words(language).name if destination else price.destination,
        trip_type=trip_type.title_in(language) if trip_type else price.trip_type,
        nights=say(language, "unit.nights", n=price.nights),
        travelers=say(language, "unit.travelers", n=price.travelers),
        rooms=say(language, "unit.rooms", n=price.rooms),
        transport=f"{price.transport_jpy:,}",
        hotel=f"{price.hotel_jpy:,}",
        total=f"{price.total_jpy:,}",
    )
