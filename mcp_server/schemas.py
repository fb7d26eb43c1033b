"""Output schemas of the tools, and the catalogue as data."""

from __future__ import annotations

from typing import Any

from mcp_server.catalog import Catalog

# Draft-07 on purpose: the mcp Python client compiles each output schema with a metaschema check
# on first use, and the 2020-12 metaschema costs ~8 ms per tool there versus ~1.5 ms for draft-07.
# Nothing below needs 2020-12 features.
DIALECT = "http://json-schema.org/draft-07/schema#"

_STR = {"type": "string"}
_INT = {"type": "integer"}
_STRINGS = {"type": "array", "items": _STR}

_PRICE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "destination": _STR,
        "trip_type": _STR,
        "nights": _INT,
        "travelers": _INT,
        "rooms": _INT,
        "transport_jpy": _INT,
        "hotel_jpy": _INT,
        "total_jpy": _INT,
    },
    "required": ["destination", "trip_type", "nights", "travelers", "rooms", "transport_jpy", "hotel_jpy", "total_jpy"],
}
PRICE: dict[str, Any] = {"$schema": DIALECT, **_PRICE}

PLAN_RESULT: dict[str, Any] = {
    "$schema": DIALECT,
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["booked", "quoted", "declined", "cancelled", "failed"]},
        "message": _STR,
        "reservation_id": _STR,
        "quote_id": _STR,
        "quote_expires_at": _STR,
        "quote": _PRICE,
        "recommendations": _STRINGS,
        "recommendations_source": {"type": "string", "enum": ["sampling", "catalogue"]},
        "recommendations_note": _STR,
        "language": {"type": "string", "enum": ["en", "ja"]},
        "supplied": _STRINGS,
        "elicited": _STRINGS,
    },
    "required": ["status", "message"],
}

CONFIRM_RESULT: dict[str, Any] = {
    "$schema": DIALECT,
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["booked", "cancelled", "kept"]},
        "message": _STR,
        "reservation_id": _STR,
    },
    "required": ["status", "message"],
}

_BOOKING: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reservation_id": _STR,
        "quote_id": _STR,
        "status": {"type": "string", "enum": ["confirmed", "cancelled"]},
        "created_at": _STR,
        "cancelled_at": {"type": ["string", "null"]},
        "quote": _PRICE,
    },
    "required": ["reservation_id", "quote_id", "status", "created_at", "quote"],
}
BOOKING: dict[str, Any] = {"$schema": DIALECT, **_BOOKING}

BOOKING_LIST: dict[str, Any] = {
    "$schema": DIALECT,
    "type": "object",
    "properties": {"bookings": {"type": "array", "items": _BOOKING}},
    "required": ["bookings"],
}

DESTINATIONS: dict[str, Any] = {
    "$schema": DIALECT,
    "type": "object",
    "properties": {
        "currency": _STR,
        "destinations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": _STR,
                    "label": _STR,
                    "aliases": _STRINGS,
                    "transport_jpy": _INT,
                    "hotel_jpy": _INT,
                    "highlights": _STRINGS,
                    "local_food": _STRINGS,
                },
            },
        },
        "trip_types": {"type": "array", "items": {"type": "object"}},
        "nights": {"type": "object"},
        "travelers": {"type": "object"},
    },
    "required": ["destinations"],
}


def catalogue_data(catalog: Catalog) -> dict[str, Any]:
    return {
        "currency": catalog.currency,
        "destinations": [
            {
                "name": d.name,
                "label": d.label,
                "aliases": list(d.aliases),
                "transport_jpy": d.transport_jpy,
                "hotel_jpy": d.hotel_jpy,
                "highlights": list(d.highlights),
                "local_food": list(d.local_food),
            }
            for d in catalog.destinations
        ],
        "trip_types": [{"name": t.name, "title": t.title, "travelers": t.travelers} for t in catalog.trip_types.values()],
        "nights": {"minimum": catalog.nights.minimum, "maximum": catalog.nights.maximum},
        "travelers": {"minimum": catalog.travelers.minimum, "maximum": catalog.travelers.maximum},
    }
