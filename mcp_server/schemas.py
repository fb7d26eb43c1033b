"""Output schemas of the tools, and the catalogue as data."""

from __future__ import annotations

from typing import Any

from mcp_server.catalog import Catalog

_STR = {"type": "string"}
_INT = {"type": "integer"}
_STRINGS = {"type": "array", "items": _STR}

PRICE: dict[str, Any] = {
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

PLAN_RESULT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["booked", "quoted", "declined", "cancelled", "failed"]},
        "message": _STR,
        "reservation_id": _STR,
        "quote_id": _STR,
        "quote_expires_at": _STR,
        "quote": PRICE,
        "recommendations": _STRINGS,
        "recommendations_source": {"type": "string", "enum": ["sampling", "catalogue"]},
        "supplied": _STRINGS,
        "elicited": _STRINGS,
    },
    "required": ["status", "message"],
}

CONFIRM_RESULT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["booked", "cancelled", "kept"]},
        "message": _STR,
        "reservation_id": _STR,
    },
    "required": ["status", "message"],
}

BOOKING: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reservation_id": _STR,
        "quote_id": _STR,
        "status": {"type": "string", "enum": ["confirmed", "cancelled"]},
        "created_at": _STR,
        "cancelled_at": {"type": ["string", "null"]},
        "quote": PRICE,
    },
    "required": ["reservation_id", "quote_id", "status", "created_at", "quote"],
}

BOOKING_LIST: dict[str, Any] = {
    "type": "object",
    "properties": {"bookings": {"type": "array", "items": BOOKING}},
    "required": ["bookings"],
}

DESTINATIONS: dict[str, Any] = {
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
