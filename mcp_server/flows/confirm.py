"""book_quote's and cancel_booking's conversation: one question, then one effect."""

from __future__ import annotations

import secrets

from mcp_server.catalog import Catalog
from mcp_server.errors import FlowStateError
from mcp_server.flows.actions import (
    Action,
    Answer,
    AwaitPayment,
    Book,
    Booked,
    CancelBooking,
    Cancelled,
    Elicit,
    ElicitUrl,
    Finish,
    Outcome,
    StartPayment,
    VoidPayment,
)
from mcp_server.flows.decision import QUESTION_KEY, decided, decision_schema, out_of_attempts, trip_summary
from mcp_server.flows.payment import apply_payment, pending_step, require_payment
from mcp_server.flows.state import ConfirmState
from mcp_server.messages import DEFAULT_LANGUAGE, parse_language, say
from mcp_server.pricing import Price


class Confirm:
    """Ask one question, then perform one effect: Book (the Book/Cancel decision) or CancelBooking (yes/no)."""

    state_type = ConfirmState

    def __init__(
        self,
        name: str,
        question: str,
        effect: Book | CancelBooking,
        max_attempts: int = 3,
        language: str = DEFAULT_LANGUAGE,
        amount_jpy: int = 0,
    ) -> None:
        """`amount_jpy`: what a Book effect costs: shown on its Book choice, paid first when the flow starts with `pay`."""
        self.name = name
        self.question = question
        self.effect = effect
        self.max_attempts = max_attempts
        self.language = language
        self.amount_jpy = amount_jpy

    def start(self, *, pay: bool = False) -> ConfirmState:
        """`pay`: a confirmed Book goes through the payment step first (payment.py)."""
        return ConfirmState(flow=self.name, flow_id=secrets.token_hex(6), pay=pay, target=_target(self.effect))

    def next_action(self, state: ConfirmState) -> Action:
        if state.finish is not None:
            return state.finish
        if state.confirmed:
            return pending_step(state, self.language) or self.effect
        if isinstance(self.effect, Book):
            return Elicit(key=QUESTION_KEY, message=self.question, schema=decision_schema(self.language, self.amount_jpy))
        schema = {
            "type": "object",
            "properties": {
                "confirm": {"type": "boolean", "title": say(self.language, "field.confirm"), "description": self.question}
            },
            "required": ["confirm"],
        }
        return Elicit(key=QUESTION_KEY, message=self.question, schema=schema)

    def apply(self, state: ConfirmState, action: Action, outcome: Outcome) -> ConfirmState:
        """The state after `outcome` answered `action`, which is `next_action(state)`.

        Raises:
            FlowStateError: the outcome does not answer the action.
        """
        state = state.copy()
        language = self.language
        match action, outcome:
            case Elicit(), Answer(action="accept"):
                if self._confirmed(outcome):
                    state.confirmed = True
                    if isinstance(self.effect, Book):
                        require_payment(state, self.effect.quote_id, self.amount_jpy)
                elif not self._asks_again(state, outcome):
                    state.finish = Finish("kept", say(language, "kept.not_confirmed"))
            case Elicit(), Answer():
                key = outcome.action if outcome.action in ("decline", "cancel") else "unsupported"
                state.finish = Finish("kept", say(language, f"kept.{key}"))
            case Book(), Booked():
                message = say(language, "confirmed.booked", reservation_id=outcome.reservation_id)
                state.finish = Finish("booked", message, {"reservation_id": outcome.reservation_id})
            case CancelBooking(), Cancelled():
                message = say(language, "confirmed.cancelled", reservation_id=outcome.reservation_id)
                state.finish = Finish("cancelled", message, {"reservation_id": outcome.reservation_id})
            case StartPayment() | ElicitUrl() | AwaitPayment() | VoidPayment(), _:
                ended = apply_payment(state, action, outcome)
                if ended:
                    state.finish = Finish("kept", say(language, "kept.payment", how=say(language, ended)))
            case _:
                raise FlowStateError(f"{type(outcome).__name__} does not answer {type(action).__name__}")
        return state

    def _confirmed(self, answer: Answer) -> bool:
        """Book: the decision "Book"; CancelBooking: a literal `true`."""
        if isinstance(self.effect, Book):
            return decided(answer) == "book"
        return (answer.content or {}).get("confirm") is True

    def _asks_again(self, state: ConfirmState, answer: Answer) -> bool:
        """A Book decision that is neither Book nor Cancel is asked again, at most max_attempts times in all.

        (cancel_booking's yes/no keeps anything but `true` as a no.)
        """
        return isinstance(self.effect, Book) and decided(answer) is None and not out_of_attempts(state, self.max_attempts)


def confirm_booking(catalog: Catalog, quote_id: str, price: Price, language: str | None, max_attempts: int = 3) -> Confirm:
    """book_quote's flow: "Book quote Q-…: <summary>?" then Book (¥total) / Cancel, in the caller's language."""
    chosen = parse_language(language) or DEFAULT_LANGUAGE
    question = say(chosen, "ask.book_quote", quote_id=quote_id, summary=trip_summary(catalog, price, chosen))
    return Confirm("book_quote", question, Book(quote_id), max_attempts, language=chosen, amount_jpy=price.total_jpy)


def confirm_cancellation(catalog: Catalog, reservation_id: str, price: Price, language: str | None) -> Confirm:
    """cancel_booking's flow: "Cancel reservation TRV-… (<summary>)?" in the caller's language."""
    chosen = parse_language(language) or DEFAULT_LANGUAGE
    question = say(chosen, "ask.cancel_booking", reservation_id=reservation_id, summary=trip_summary(catalog, price, chosen))
    return Confirm("cancel_booking", question, CancelBooking(reservation_id), language=chosen)


def _target(effect: Book | CancelBooking) -> str:
    return effect.quote_id if isinstance(effect, Book) else effect.reservation_id
