"""mcp_server/flows/payment.py: the payment step as pure flow steps, and the flows driven in-process in both revisions."""

from __future__ import annotations

import mcp_types
import pytest
from fastmcp import Client
from fastmcp.client.elicitation import ElicitResult

from mcp_server.catalog import load_catalog
from mcp_server.errors import FlowStateError
from mcp_server.flows.actions import (
    Answer,
    AwaitPayment,
    Book,
    Booked,
    ElicitUrl,
    Finish,
    PaymentSettled,
    PaymentStarted,
    SampleResult,
    Searched,
    StartPayment,
    VoidPayment,
)
from mcp_server.flows.confirm import confirm_booking
from mcp_server.flows.plan_trip import PlanTrip
from mcp_server.payment_page import PaymentSignals
from mcp_server.pricing import price_trip
from mcp_server.server import build_server
from mcp_server.settings import load_settings
from tests.mcp_server.conftest import MODES
from tests.mcp_server.flows.conftest import apply_pending

CATALOG = load_catalog(None)
TRIP = {"destination": "Kyoto", "trip_type": "solo", "nights": 2}


def at_the_decision(pay: bool) -> tuple[PlanTrip, dict]:
    flow = PlanTrip(CATALOG)
    state = flow.start(TRIP, pay=pay)
    state = apply_pending(flow, state, Searched("Q-1", "2026-12-03T00:00:00Z", price_trip(CATALOG.resolve("Kyoto"), "solo", 2, 1, 2).as_dict()))
    state = apply_pending(flow, state, SampleResult(None, "no_capability"))
    return flow, apply_pending(flow, state, Answer("accept", {"decision": "Book"}))


def test_without_payment_book_follows_the_decision():
    flow, state = at_the_decision(pay=False)
    assert flow.next_action(state) == Book("Q-1")


def test_with_payment_book_waits_for_a_confirmed_payment():
    flow, state = at_the_decision(pay=True)
    assert flow.next_action(state) == StartPayment("Q-1", 38_000)
    state = apply_pending(flow, state, PaymentStarted("secret", "http://127.0.0.1:1/pay/secret", "2026-12-02T01:10:00Z"))
    ask = flow.next_action(state)
    assert isinstance(ask, ElicitUrl) and ask.url == "http://127.0.0.1:1/pay/secret" and ask.key == "payment"
    assert "¥38,000" in ask.message and "Q-1" in ask.message
    state = apply_pending(flow, state, Answer("accept"))
    assert flow.next_action(state) == AwaitPayment("secret", ask.elicitation_id)
    assert apply_pending(flow, state, PaymentSettled("pending")) == state  # not yet: look again
    with pytest.raises(FlowStateError):
        apply_pending(flow, state, Booked("TRV-X"))  # no booking answers a wait for the payment
    state = apply_pending(flow, state, PaymentSettled("confirmed"))
    assert flow.next_action(state) == Book("Q-1")
    assert flow.next_action(apply_pending(flow, state, Booked("TRV-1"))).status == "booked"


@pytest.mark.parametrize(
    ("answer", "exp_how"),
    [("decline", "You declined to open the payment page"), ("cancel", "You cancelled at the payment step"), ("unsupported", "This client cannot open the payment page")],
)
def test_a_refused_link_is_voided_then_nothing_is_booked(answer, exp_how):
    flow, state = at_the_decision(pay=True)
    state = apply_pending(flow, state, PaymentStarted("secret", "http://127.0.0.1:1/pay/secret", "t"))
    state = apply_pending(flow, state, Answer(answer))
    assert flow.next_action(state) == VoidPayment("secret")
    finish = flow.next_action(apply_pending(flow, state, PaymentSettled("cancelled")))
    assert isinstance(finish, Finish) and finish.status == "quoted"
    assert finish.message.startswith(f"{exp_how} (no URL elicitation); nothing was booked." if answer == "unsupported" else f"{exp_how}; nothing was booked.")


@pytest.mark.parametrize(("status", "exp_how"), [("cancelled", "The payment was cancelled on the payment page"), ("expired", "The payment link expired")])
def test_a_page_that_cancels_or_expires_books_nothing(status, exp_how):
    flow, state = at_the_decision(pay=True)
    state = apply_pending(flow, state, PaymentStarted("secret", "u", "t"))
    state = apply_pending(flow, state, Answer("accept"))
    finish = flow.next_action(apply_pending(flow, state, PaymentSettled(status)))
    assert finish.status == "quoted" and finish.message.startswith(exp_how)


def test_book_quote_pays_first_and_ends_kept_when_refused():
    price = price_trip(CATALOG.resolve("Kyoto"), "solo", 2, 1, 2)
    flow = confirm_booking(CATALOG, "Q-1", price, None)
    state = apply_pending(flow, flow.start(pay=True), Answer("accept", {"decision": "Book"}))
    assert flow.next_action(state) == StartPayment("Q-1", 38_000)
    state = apply_pending(flow, apply_pending(flow, state, PaymentStarted("secret", "u", "t")), Answer("decline"))
    finish = flow.next_action(apply_pending(flow, state, PaymentSettled("cancelled")))
    assert (finish.status, finish.message) == ("kept", "You declined to open the payment page; nothing was booked.")


# --- in-process, both revisions: waits that find the payment still pending ---------------------


class SettlesOnLook(PaymentSignals):
    """Instrumentation: the page is confirmed (through the store, as the page does) at the `n`-th look."""

    def __init__(self, store, n: int) -> None:
        super().__init__()
        self.store, self.n, self.looks = store, n, 0

    async def wait(self, payment_id: str, timeout_s: float) -> None:
        self.looks += 1
        if self.looks == self.n:
            await self.store.settle_payment(payment_id, "confirmed")
        await super().wait(payment_id, timeout_s)


@pytest.fixture
async def paying_server(tmp_path):
    mcp = build_server(load_settings(overrides={"db": tmp_path / "trips.db"}, env={"TRIP_SERVER_PAYMENT_STEP": "yes"}))
    await mcp.services.store.open()
    yield mcp
    await mcp.services.store.close()


@pytest.mark.parametrize("mode", MODES)
async def test_a_payment_still_pending_is_looked_at_again_until_confirmed(paying_server, mode):
    services = paying_server.services
    services.payment_wait_s = 0.01  # each look gives up at once: the "not yet" path every time
    services.payments = signals = SettlesOnLook(services.store, n=3)

    async def human(message, response_type, params, context):
        if isinstance(params, mcp_types.ElicitRequestURLParams):
            return ElicitResult(action="accept")
        return ElicitResult(action="accept", content={"decision": "Book"})

    async with Client(paying_server, mode=mode, elicitation_handler=human) as client:
        result = await client.call_tool("plan_trip", TRIP)
    assert result.structured_content["status"] == "booked"
    assert signals.looks == 3  # two looks found it pending (2026-07-28: two rounds with the state alone)
