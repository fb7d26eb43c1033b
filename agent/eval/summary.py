"""The numbers of one run, from its transcript events alone (pure; no I/O).

Time split, from the events' `t` (seconds since start):
- a turn lasts from its `user` event to its last event;
- human: the `wait_s` of every elicitation_response;
- sampling: sampling_request -> sampling_response, answered by our model, so counted as model time;
- server: tool_call -> tool_result (paired in order per tool) minus the human wait and the
  sampling time inside it;
- model: turn time minus tool time, plus sampling time.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Mapping
from typing import Any

PLAN_TOOL = "plan_trip"


def summarize(events: list[dict[str, Any]], *, tokens: Mapping[str, int] | None = None, bookings: int = 0) -> dict[str, Any]:
    """Summary numbers of one run.

    Args:
        events: The transcript's events, in file order.
        tokens: The provider's accumulated usage (inputTokens, outputTokens, totalTokens), if any.
        bookings: Confirmed bookings found in the run's database.

    Returns:
        turns, questions, answers by action, declines, cancels, supplied, elicited, sampling_calls,
        tool_calls, status, bookings, final_text, errors, time_s {total, model, human, server}, tokens.
    """
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_type[event["type"]].append(event)
    actions = Counter(event["action"] for event in by_type["elicitation_response"])
    supplied: list[str] = []
    elicited: list[str] = []
    status = None
    for event in by_type["tool_structured"]:
        content = event.get("content") or {}
        status = content.get("status", status)
        if event["name"] == PLAN_TOOL:
            supplied += [name for name in content.get("supplied", []) if name not in supplied]
            elicited += [name for name in content.get("elicited", []) if name not in elicited]
    assistant = by_type["assistant"]
    return {
        "turns": len(by_type["user"]),
        "questions": len(by_type["elicitation_request"]),
        "answers": {action: actions[action] for action in ("accept", "decline", "cancel")},
        "declines": actions["decline"],
        "cancels": actions["cancel"],
        "supplied": supplied,
        "elicited": elicited,
        "sampling_calls": len(by_type["sampling_request"]),
        "tool_calls": [event["name"] for event in by_type["tool_call"]],
        "status": status,
        "bookings": bookings,
        "final_text": assistant[-1]["text"] if assistant else "",
        "errors": [event["message"] for event in by_type["error"]],
        "time_s": time_split(events),
        "tokens": _tokens(tokens),
    }


def time_split(events: list[dict[str, Any]]) -> dict[str, float]:
    """total, model, human and server seconds (see the module docstring)."""
    total = sum(end - start for start, end in _turn_spans(events))
    human = sum(event["wait_s"] for event in events if event["type"] == "elicitation_response")
    sampling = _paired_time(events, "sampling_request", "sampling_response", key=lambda event: "")
    tools = _paired_time(events, "tool_call", "tool_result", key=lambda event: event["name"])
    server = max(tools - human - sampling, 0.0)
    model = max(total - tools + sampling, 0.0)
    return {name: round(value, 3) for name, value in (("total", total), ("model", model), ("human", human), ("server", server))}


def _turn_spans(events: list[dict[str, Any]]) -> list[tuple[float, float]]:
    spans: list[tuple[float, float]] = []
    for event in events:
        if event["type"] == "user":
            spans.append((event["t"], event["t"]))
        elif spans:
            spans[-1] = (spans[-1][0], max(spans[-1][1], event["t"]))
    return spans


def _paired_time(events: list[dict[str, Any]], opening: str, closing: str, *, key: Any) -> float:
    """Sum of close - open over events paired first-in first-out (per key); unclosed ones count 0."""
    open_at: dict[str, deque[float]] = defaultdict(deque)
    total = 0.0
    for event in events:
        if event["type"] == opening:
            open_at[key(event)].append(event["t"])
        elif event["type"] == closing and open_at[key(event)]:
            total += event["t"] - open_at[key(event)].popleft()
    return total


def _tokens(usage: Mapping[str, int] | None) -> dict[str, int] | None:
    if not usage:
        return None
    return {"input": usage.get("inputTokens", 0), "output": usage.get("outputTokens", 0), "total": usage.get("totalTokens", 0)}
