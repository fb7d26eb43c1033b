"""The flows' state, typed, and its JSON (what travels in the sealed requestState between rounds).

The JSON keeps the shape the flows wrote when their state was a plain dict: a state written by an
older server, or by another replica, loads here, and one written here loads there. Optional parts
are left out rather than written as null (older code asks `"quote" in state`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Literal, Self, TypeVar

from pydantic import TypeAdapter, ValidationError

from mcp_server.errors import FlowStateError
from mcp_server.flows.actions import Finish
from mcp_server.pricing import Price


@dataclass(frozen=True)
class Note:
    """A messages.py key and its parameters, said in the question's language when it is asked."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Place:
    """A place inside a destination the user named ("Arashiyama" in Kyoto)."""

    place: str
    destination: str


@dataclass(frozen=True)
class Quote:
    id: str
    expires_at: str
    price: Price


@dataclass(frozen=True)
class Recommendations:
    source: Literal["sampling", "catalogue"]
    items: tuple[str, ...]
    why: Note | None = None  # why the catalogue's were used


@dataclass(frozen=True)
class Payment:
    """The payment step of a decision to book (payment.py), as far as it got."""

    quote_id: str
    amount_jpy: int
    id: str | None = None  # the link, once stored
    url: str | None = None
    expires_at: str | None = None
    consented: bool = False  # the human accepted to open the link
    ended: str | None = None  # the `how.*` key the flow ends with, once the link is voided
    status: Literal["confirmed"] | None = None


@dataclass
class FlowState:
    """What every flow keeps. A flow's apply() changes a copy() of it, never the state it was given."""

    flow: str  # the tool's name: a retry's state must be this tool's
    flow_id: str  # a random id: replayed rounds of one flow make one quote, one payment link, one booking
    pay: bool = False  # Book goes through the payment step first
    attempts: dict[str, int] = field(default_factory=dict)  # unusable answers, per question
    payment: Payment | None = None
    finish: Finish | None = None

    def copy(self) -> Self:
        """A copy whose containers apply() may change (every nested value is frozen)."""
        return replace(self, attempts=dict(self.attempts))


@dataclass
class PlanTripState(FlowState):
    values: dict[str, str | int] = field(default_factory=dict)  # the usable trip fields so far
    notes: dict[str, Note] = field(default_factory=dict)  # why a field is asked (again)
    elicited: list[str] = field(default_factory=list)
    supplied: list[str] = field(default_factory=list)
    notices: list[Note] = field(default_factory=list)  # said once, at the front of the next question
    language: str = "en"
    language_fixed: bool = False  # the caller chose the language: a Japanese answer does not switch it
    place: Place | None = None
    quote: Quote | None = None
    recommendations: Recommendations | None = None
    book: bool = False  # "Book" was chosen: Book (after any payment) until the booking is done

    def copy(self) -> Self:
        return replace(
            super().copy(),
            values=dict(self.values),
            notes=dict(self.notes),
            elicited=list(self.elicited),
            supplied=list(self.supplied),
            notices=list(self.notices),
        )


@dataclass
class ConfirmState(FlowState):
    target: str = ""  # the quote or reservation id the question is about
    confirmed: bool = False


S = TypeVar("S", bound=FlowState)


@cache
def _adapter(state_type: type[S]) -> TypeAdapter[S]:
    return TypeAdapter(state_type)


def dump_state(state: FlowState) -> str:
    return _adapter(type(state)).dump_json(state, exclude_none=True).decode()


def load_state(text: str | None, flow: str, state_type: type[S]) -> S:
    """The state `text` holds, for the tool `flow`.

    Raises:
        FlowStateError: not JSON, another tool's state, or not a state of this flow's shape.
    """
    try:
        data = json.loads(text or "")
    except json.JSONDecodeError as error:
        raise FlowStateError("its requestState is not readable") from error
    if not isinstance(data, dict) or data.get("flow") != flow:
        raise FlowStateError("its requestState belongs to another tool")
    try:
        return _adapter(state_type).validate_python(data)
    except ValidationError as error:
        raise FlowStateError(f"its requestState does not hold a {flow} state") from error
