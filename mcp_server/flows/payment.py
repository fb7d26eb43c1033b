"""The optional payment step, as pure flow logic: pay on trip-server's own page before Book.

When the `payment_step` setting is on and the client declared URL elicitation, a booking flow that
heard "Book" does not book yet: it opens a payment (StartPayment, an effect that stores a single-use
link bound to the flow), asks the human to open the link (ElicitUrl, URL-mode elicitation), then
waits until the page says the demo payment was confirmed (AwaitPayment). Only then does it Book.
Declining or cancelling at the link (which voids it: VoidPayment), cancelling on the page, or
letting the link expire ends the flow with nothing booked. No I/O here: payment_page.py serves the
page, the store keeps the links.
"""

from __future__ import annotations

from dataclasses import replace

from mcp_server.errors import FlowStateError
from mcp_server.flows.actions import (
    Answer,
    AwaitPayment,
    ElicitUrl,
    Outcome,
    PaymentAction,
    PaymentSettled,
    PaymentStarted,
    StartPayment,
    VoidPayment,
)
from mcp_server.flows.state import FlowState, Payment
from mcp_server.messages import say

PAYMENT_KEY = "payment"  # the 2026-07-28 input request's key


def require_payment(state: FlowState, quote_id: str, amount_jpy: int) -> None:
    """Mark the decision to book as needing a payment first (when the flow was started with one)."""
    if state.pay:
        state.payment = Payment(quote_id, amount_jpy)


def pending_step(state: FlowState, language: str) -> PaymentAction | None:
    """The payment step still due before Book, or None (no payment asked for, or it is confirmed)."""
    payment = state.payment
    if payment is None or payment.status == "confirmed":
        return None
    if payment.id is None:
        return StartPayment(payment.quote_id, payment.amount_jpy)
    if payment.ended is not None:
        return VoidPayment(payment.id)
    elicitation_id = f"pay-{state.flow_id}"
    if not payment.consented:
        assert payment.url is not None  # stored with the id
        message = say(language, "payment.ask", total=f"{payment.amount_jpy:,}", quote_id=payment.quote_id)
        return ElicitUrl(PAYMENT_KEY, message, payment.url, elicitation_id)
    return AwaitPayment(payment.id, elicitation_id)


def apply_payment(state: FlowState, action: PaymentAction, outcome: Outcome) -> str | None:
    """Record `outcome` in `state` (apply()'s copy); the `how.*` key if the flow ends unbooked.

    Raises:
        FlowStateError: the outcome does not answer the payment step.
    """
    payment = state.payment
    assert payment is not None  # a payment step is pending only with one
    match action, outcome:
        case StartPayment(), PaymentStarted():
            state.payment = replace(payment, id=outcome.payment_id, url=outcome.url, expires_at=outcome.expires_at)
        case ElicitUrl(), Answer(action="accept"):
            state.payment = replace(payment, consented=True)
        case ElicitUrl(), Answer(action="decline" | "cancel" | "unsupported"):
            state.payment = replace(payment, ended=f"how.payment_{outcome.action}")  # the flow ends after the link is voided
        case VoidPayment(), PaymentSettled():
            return payment.ended
        case AwaitPayment(), PaymentSettled(status="confirmed"):
            state.payment = replace(payment, status="confirmed")
        case AwaitPayment(), PaymentSettled(status="pending"):
            pass  # asked again: the driver decides how long to wait
        case AwaitPayment(), PaymentSettled():
            return f"how.payment_{outcome.status}"
        case _:
            raise FlowStateError(f"{type(outcome).__name__} does not answer {type(action).__name__}")
    return None
