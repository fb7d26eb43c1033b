"""What a flow asks its driver to do (an Action), and what the driver feeds back (an Outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# --- what a flow asks the driver to do -------------------------------------------------------


@dataclass(frozen=True)
class Elicit:
    """Ask the human; `key` names the question (also the key of a 2026-07-28 input request)."""

    key: str
    message: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Sample:
    """Ask the client's LLM for text."""

    key: str
    system_prompt: str
    prompt: str
    max_tokens: int
    model_hints: tuple[str, ...]


@dataclass(frozen=True)
class Search:
    """Price the trip and save the quote (server work, reported as progress)."""

    destination: str
    trip_type: str
    nights: int
    travelers: int


@dataclass(frozen=True)
class Book:
    quote_id: str


@dataclass(frozen=True)
class CancelBooking:
    reservation_id: str


FinishStatus = Literal["booked", "quoted", "cancelled", "declined", "failed", "kept"]


@dataclass(frozen=True)
class Finish:
    """The end of the flow: the tool's result is `status`, `message` and `data`."""

    status: FinishStatus
    message: str
    data: dict[str, Any] = field(default_factory=dict)


# The payment step (payment.py): pay on trip-server's own page before Book.


@dataclass(frozen=True)
class StartPayment:
    """Store a new payment link for this flow (or return the one it already has)."""

    quote_id: str
    amount_jpy: int


@dataclass(frozen=True)
class ElicitUrl:
    """Ask the human to open `url` (URL-mode elicitation); `key` as for Elicit."""

    key: str
    message: str
    url: str
    elicitation_id: str


@dataclass(frozen=True)
class AwaitPayment:
    """Wait a while for the page to settle the payment."""

    payment_id: str
    elicitation_id: str


@dataclass(frozen=True)
class VoidPayment:
    """The flow ends without paying: the link must not be payable any more."""

    payment_id: str


PaymentAction = StartPayment | ElicitUrl | AwaitPayment | VoidPayment
Action = Elicit | Sample | Search | Book | CancelBooking | Finish | PaymentAction


# --- what the driver feeds back ----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The human's reply to an Elicit or ElicitUrl. `unsupported` means the client cannot be asked at all."""

    action: Literal["accept", "decline", "cancel", "unsupported"]
    content: dict[str, Any] | None = None


SampleReason = Literal["", "no_capability", "refused", "failed", "not_text"]


@dataclass(frozen=True)
class SampleResult:
    """The LLM's text, or None with the reason it is missing (a `reason.*` key of messages.py)."""

    text: str | None
    reason: SampleReason = ""
    detail: str = ""  # e.g. the client's error for "reason.failed"


@dataclass(frozen=True)
class Searched:
    quote_id: str
    expires_at: str
    price: dict[str, Any]  # Price.as_dict()


@dataclass(frozen=True)
class Booked:
    reservation_id: str


@dataclass(frozen=True)
class Cancelled:
    reservation_id: str


@dataclass(frozen=True)
class PaymentStarted:
    payment_id: str
    url: str
    expires_at: str


PaymentStatus = Literal["confirmed", "pending", "cancelled", "expired"]


@dataclass(frozen=True)
class PaymentSettled:
    """What the page made of the payment; "pending": not yet (the driver waits or returns to the client)."""

    status: PaymentStatus


Outcome = Answer | SampleResult | Searched | Booked | Cancelled | PaymentStarted | PaymentSettled
