"""The payment step's I/O: trip-server's own demo payment page, and the wait for it to be confirmed.

GET /pay/<id> shows the amount with Confirm payment / Cancel buttons; POST settles the payment once
(the store decides which click wins). The id is the link's only secret (256 random bits), so the
page asks for no login; it is served by the same HTTP app as /mcp, behind the same Host and Origin
checks, and a foreign site's form post is refused there with 403.
"""

from __future__ import annotations

import asyncio
import html
from urllib.parse import parse_qs

from fastmcp import FastMCP
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from mcp_server.errors import PaymentNotConfirmed
from mcp_server.flows.actions import PaymentSettled
from mcp_server.store import Store
from mcp_server.store.base import Payment

PAGE_PATH = "/pay"  # the page's route on the server's HTTP app: /pay/<payment id>
LINK_TTL_S = 600.0  # how long a payment link can be confirmed
MAX_FORM_BYTES = 256  # "decision=confirm" is all a real form sends
RECHECK_S = 2.0  # another replica may settle the payment: look at the store this often while waiting
# The page holds a payment button: no framing (clickjacking), no scripts, no referrer (the URL is a secret).
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d2733}"
    ".card{border:1px solid #d0d7de;border-radius:12px;padding:1.5rem 2rem;box-shadow:0 2px 8px #0001}"
    ".amount{font-size:2.4rem;font-weight:700;margin:.5rem 0}.demo{color:#8a5a00;background:#fff4d6;"
    "border-radius:6px;padding:.5rem .75rem}button{font-size:1.05rem;padding:.6rem 1.2rem;border-radius:8px;"
    "border:1px solid #8c959f;background:#f6f8fa;margin-right:.5rem;cursor:pointer}"
    "button.pay{background:#1f883d;border-color:#1a7f37;color:#fff}.muted{color:#57606a}"
)


class PaymentSignals:
    """Wakes a waiting flow as soon as this process's page settles its payment."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def settled(self, payment_id: str) -> None:
        event = self._events.get(payment_id)
        if event is not None:
            event.set()

    async def wait(self, payment_id: str, timeout_s: float) -> None:
        event = self._events.setdefault(payment_id, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
        except TimeoutError:
            pass
        finally:  # one waiter per flow; a signal between two waits is caught by the next store check
            self._events.pop(payment_id, None)


async def await_payment(
    store: Store, signals: PaymentSignals, owner: str, flow_id: str, payment_id: str, wait_s: float
) -> PaymentSettled:
    """The payment's status once settled, or "pending" after `wait_s` seconds without news.

    Raises:
        PaymentNotConfirmed: the payment is not this owner's and flow's (a forged state).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        payment = await store.payment_of_flow(owner, flow_id, payment_id)
        if payment is None:
            raise PaymentNotConfirmed("This payment link does not belong to this booking; nothing was booked.")
        remaining = deadline - loop.time()
        if payment.status != "pending" or remaining <= 0:
            return PaymentSettled(payment.status)  # type: ignore[arg-type]
        await signals.wait(payment_id, min(remaining, RECHECK_S))


def payment_url(base_url: str, payment_id: str) -> str:
    return f"{base_url.rstrip('/')}{PAGE_PATH}/{payment_id}"


def add_payment_page(mcp: FastMCP, store: Store, signals: PaymentSignals) -> None:
    """Serve GET and POST /pay/<id> on the server's HTTP app."""

    @mcp.custom_route(PAGE_PATH + "/{payment_id}", methods=["GET", "POST"], include_in_schema=False)
    async def payment_page(request: Request) -> Response:
        payment_id = request.path_params["payment_id"]
        if request.method == "GET":
            payment = await store.get_payment(payment_id)
            return _page(payment, None)
        body = await _bounded_body(request)
        if body is None:
            return _plain("The form is too large.", 413)
        decision = (parse_qs(body).get("decision") or [""])[0]
        if decision not in ("confirm", "cancel"):
            return _plain("Choose Confirm payment or Cancel on the payment page.", 400)
        wanted = "confirmed" if decision == "confirm" else "cancelled"
        payment, settled = await store.settle_payment(payment_id, wanted)
        if settled:
            signals.settled(payment_id)
        return _page(payment, wanted if settled else "late")


async def _bounded_body(request: Request) -> str | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    return body.decode("utf-8", "replace")


def _plain(text: str, status: int) -> Response:
    return Response(text, status_code=status, media_type="text/plain; charset=utf-8", headers=_HEADERS)


def _page(payment: Payment | None, wanted: str | None) -> HTMLResponse:
    """The page for a payment's state; `wanted`: what this POST settled, "late" if it settled nothing, None for a GET."""
    if payment is None:
        return _html("Payment link not found", "<p>This payment link does not exist. Ask the agent to book again.</p>", 404)
    amount = f"¥{payment.amount_jpy:,}"
    quote = html.escape(payment.quote_id)
    head = f'<p class="muted">travel-planner · quote {quote}</p><div class="amount">{amount}</div>'
    if payment.status == "pending":
        body = (
            f'{head}<p class="demo">Demo payment: no card is charged and no money moves.</p>'
            f"<p>Confirm to book the trip. This link works once, until {html.escape(_readable(payment.expires_at))}.</p>"
            '<form method="post"><button class="pay" name="decision" value="confirm">Confirm payment</button>'
            '<button name="decision" value="cancel">Cancel</button></form>'
        )
        return _html("Confirm payment", body, 200)
    if payment.status == "confirmed":
        already = " (this link was already used)" if wanted == "late" else ""
        body = f"{head}<p><strong>Payment confirmed{already}.</strong> Return to the agent: it makes the booking.</p>"
        return _html("Payment confirmed", body, 200 if wanted in (None, "confirmed") else 409)
    if payment.status == "cancelled":
        already = " (this link can no longer be used)" if wanted == "late" else ""
        body = f"{head}<p><strong>Payment cancelled{already}.</strong> Nothing was booked.</p>"
        return _html("Payment cancelled", body, 200 if wanted in (None, "cancelled") else 409)
    body = f"{head}<p><strong>This payment link expired.</strong> Nothing was booked; ask the agent to book again.</p>"
    return _html("Payment link expired", body, 200 if wanted is None else 410)


def _readable(iso_time: str) -> str:
    """2026-12-02T01:32:20Z -> 2026-12-02 01:32:20 UTC."""
    return iso_time.replace("T", " ").replace("Z", " UTC")


def _html(title: str, body: str, status: int) -> HTMLResponse:
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><div class="card"><h1>{html.escape(title)}</h1>{body}</div></body></html>'
    )
    return HTMLResponse(page, status_code=status, headers=_HEADERS)
