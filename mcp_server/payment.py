"""The optional payment step, as pure flow logic: pay on trip-server's own page before Book.

When the `payment_step` setting is on and the client declared URL elicitation, a booking flow that
heard "Book" does not book yet: it opens a payment (StartPayment, an effect that stores a single-use
link bound to the flow), asks the human to open the link (ElicitUrl, URL-mode elicitation), then
waits until the page says the demo payment was confirmed (AwaitPayment). Only then does it Book.
Declining or cancelling at the link (which voids it: VoidPayment), cancelling on the page, or
letting the link expire ends the flow with nothing booked. No I/O here: payment_page.py serves the page, the store keeps the links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mcp_server.errors import FlowStateError
from mcp_server.messages import say

PAYMENT_KEY = "payment"  # the 2026-07-28 input request's key
LINK_TTL_S = 600.0  # how long a payment link can be confirmed
PAGE_PATH = "/pay"  # the page's route on the server's HTTP app: /pay/<payment id>


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


PaymentAction = StartPayment | ElicitUrl | AwaitPayment | VoidPayment


def require_payment(state: dict[str, Any], quote_id: str, amount_jpy: int) -> None:
    """Mark the decision to book as needing a payment first (when the flow was started with one)."""
    if state.get("pay"):
        state["payment"] = {"quote_id": quote_id, "amount_jpy": amount_jpy}


def pending_step(state: dict[str, Any], language: str) -> PaymentAction | None:
    """The payment step still due before Book, or None (no payment asked for, or it is confirmed)."""
    payment = state.get("payment")
    if payment is None or payment.get("status") == "confirmed":
        return None
    if "id" not in payment:
        return StartPayment(payment["quote_id"], payment["amount_jpy"])
    if "ended" in payment:
        return VoidPayment(payment["id"])
    elicitation_id = f"pay-{state['flow_id']}"
    if not payment.get("consented"):
        message = say(language, "payment.ask", total=f"{payment['amount_jpy']:,}", quote_id=payment["quote_id"])
        return ElicitUrl(PAYMENT_KEY, message, payment["url"], elicitation_id)
    return AwaitPayment(payment["id"], elicitation_id)


def apply_payment(state: dict[str, Any], action: PaymentAction, outcome: Any) -> str | None:
    """Record `outcome` in `state` (already the caller's copy); the `how.*` key if the flow ends unbooked.

    Raises:
        FlowStateError: the outcome does not answer the payment step.
    """
    payment = state["payment"] = dict(state["payment"])
    match action, outcome:
        case StartPayment(), PaymentStarted():
            payment.update(id=outcome.payment_id, url=outcome.url, expires_at=outcome.expires_at)
        case ElicitUrl(), _ if getattr(outcome, "action", None) == "accept":
            payment["consented"] = True
        case ElicitUrl(), _ if getattr(outcome, "action", None) in ("decline", "cancel", "unsupported"):
            payment["ended"] = f"how.payment_{outcome.action}"  # after the link is voided
        case VoidPayment(), PaymentSettled():
            return payment["ended"]
        case AwaitPayment(), PaymentSettled(status="confirmed"):
            payment["status"] = "confirmed"
        case AwaitPayment(), PaymentSettled(status="pending"):
            pass  # asked again: the driver decides how long to wait
        case AwaitPayment(), PaymentSettled():
            return f"how.payment_{outcome.status}"
        case _:
            raise FlowStateError(f"{type(outcome).__name__} does not answer {type(action).__name__}")
    return None
