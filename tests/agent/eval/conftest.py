"""A hand-written transcript whose numbers are worked out by hand in test_summary.py."""

import json

import pytest

KNOWN_EVENTS = [
    {"type": "user", "t": 0.0, "text": "Plan Kyoto"},
    {"type": "tool_call", "t": 0.5, "name": "plan_trip", "input": {"destination": "Kyoto"}},
    {"type": "elicitation_request", "t": 0.6, "server": "trip-server", "message": "What kind of trip?", "schema": {}},
    {"type": "elicitation_response", "t": 2.6, "action": "accept", "content": {"trip_type": "solo"}, "wait_s": 2.0},
    {"type": "progress", "t": 2.7, "tool": "plan_trip", "progress": 1, "total": 5, "message": "Looking up the destination…"},
    {"type": "sampling_request", "t": 2.8, "server": "trip-server", "messages": [{"role": "user", "text": "Trip: Kyoto"}],
     "system_prompt": "Be brief.", "max_tokens": 300, "model_preferences": None},
    {"type": "sampling_response", "t": 3.3, "model": "bedrock:haiku", "text": "tip one\ntip two", "approved": True},
    {"type": "elicitation_request", "t": 3.4, "server": "trip-server", "message": "Book this trip?", "schema": {}},
    {"type": "elicitation_response", "t": 4.4, "action": "accept", "content": {"decision": "Book"}, "wait_s": 1.0},
    {"type": "tool_structured", "t": 4.6, "name": "plan_trip",
     "content": {"status": "booked", "message": "Booked", "reservation_id": "TRV-1", "supplied": ["destination"], "elicited": ["trip_type"]}},
    {"type": "tool_result", "t": 4.7, "name": "plan_trip", "status": "success", "text": "Booked: reservation TRV-1."},
    {"type": "assistant", "t": 5.5, "text": "Booked TRV-1."},
    {"type": "user", "t": 6.0, "text": "Plan another one"},
    {"type": "tool_call", "t": 6.4, "name": "plan_trip", "input": {}},
    {"type": "elicitation_request", "t": 6.5, "server": "trip-server", "message": "Where to?", "schema": {}},
    {"type": "elicitation_response", "t": 6.7, "action": "decline", "content": None, "wait_s": 0.2},
    {"type": "tool_structured", "t": 6.8, "name": "plan_trip",
     "content": {"status": "declined", "message": "Nothing booked", "supplied": [], "elicited": []}},
    {"type": "tool_result", "t": 6.85, "name": "plan_trip", "status": "success", "text": "Nothing booked."},
    {"type": "error", "t": 6.9, "message": "a model error"},
    {"type": "assistant", "t": 7.0, "text": "Maybe later."},
]


@pytest.fixture
def known_transcript(tmp_path):
    path = tmp_path / "known.jsonl"
    path.write_text("".join(json.dumps(event, ensure_ascii=False) + "\n" for event in KNOWN_EVENTS), encoding="utf-8")
    return path
