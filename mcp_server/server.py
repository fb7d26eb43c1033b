"""FastMCP wiring: the travel-planner tools, the destinations resource, and the HTTP app."""

from __future__ import annotations

import json
import logging
from importlib import metadata
from dataclasses import dataclass, field
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar, get_type_hints

import anyio
from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_access_token, get_http_request
from fastmcp.tools.base import ToolResult
from mcp.server.request_state import RequestStateSecurity
from pydantic import StrictFloat, StrictInt, WithJsonSchema
from starlette.applications import Starlette
from starlette.middleware import Middleware

from mcp_server import schemas
from mcp_server.auth import build_auth, owner_of
from mcp_server.catalog import Catalog, load_catalog
from mcp_server.drivers import client_opens_urls, drive
from mcp_server.errors import TripServerError
from mcp_server.flows.actions import (
    AwaitPayment,
    Book,
    Booked,
    CancelBooking,
    Cancelled,
    PaymentSettled,
    PaymentStarted,
    Search,
    Searched,
    StartPayment,
    VoidPayment,
)
from mcp_server.flows.confirm import confirm_booking, confirm_cancellation
from mcp_server.flows.plan_trip import PlanOptions, PlanTrip
from mcp_server.flows.state import FlowState
from mcp_server.flows.validation import Invalid, validate_trip
from mcp_server.gate import Limits, SessionGate
from mcp_server.keys import default_key_file, load_or_create_key
from mcp_server.middleware import HoldSessions, ReadableArgumentErrors
from mcp_server.messages import LANGUAGES
from mcp_server.payment_page import LINK_TTL_S, PaymentSignals, add_payment_page, await_payment, payment_url
from mcp_server.pricing import price_trip
from mcp_server.sessions import SessionKeeper
from mcp_server.settings import ServerSettings
from mcp_server.store import Store, open_store

logger = logging.getLogger("trip_server")
T = TypeVar("T")

SERVER_NAME = "travel-planner"
# How long one look at an unpaid payment waits before the call (legacy) or the client (2026-07-28,
# a round with the state alone) asks again.
PAYMENT_WAIT_S = 20.0
INSTRUCTIONS = (
    "Plans and books domestic trips in Japan (prices in JPY). Call plan_trip with whatever the user "
    "already said; the server asks the user for anything missing. Use get_quote for price questions."
)


@dataclass
class Services:
    """What the tools share: settings, catalogue, store, and who owns the bookings."""

    settings: ServerSettings
    catalog: Catalog
    store: Store
    keeper: SessionKeeper = field(default_factory=SessionKeeper)
    payments: PaymentSignals = field(default_factory=PaymentSignals)
    payment_wait_s: float = PAYMENT_WAIT_S

    def owner(self, ctx: Context) -> str:
        """The token's user when auth is on (see auth.owner_of); one "local" user when it is off.

        Raises:
            ToolError: auth is on but the call carries no usable token (only possible in-process).
        """
        if not self.settings.auth_enabled:
            return "local"
        token = get_access_token()
        owner = owner_of(token) if token is not None else None
        if owner is None:
            # Fail closed: never fall back to a shared owner when identities are expected.
            raise ToolError("This server requires a bearer token that names a user (sub) or client (client_id).")
        return owner

    def pays(self, ctx: Context) -> bool:
        """Book goes through the payment page: the setting is on and the client can open URLs."""
        return self.settings.payment_step and client_opens_urls(ctx)

    def base_url(self) -> str:
        """Where this server is reached: the tool call's own HTTP request (its Host was checked)."""
        try:
            return str(get_http_request().base_url)
        except RuntimeError:  # in-process, no HTTP: the configured address
            return self.settings.url.removesuffix(self.settings.path)


def build_server(settings: ServerSettings, store: Store | None = None) -> FastMCP:
    """The FastMCP server with every tool, over the store at settings.db unless one is given.

    Raises:
        ConfigError: auth is configured by OIDC discovery and the document cannot be used.
    """
    catalog = load_catalog(settings.catalog)
    services = Services(
        settings=settings,
        catalog=catalog,
        store=store or open_store(settings.db, quote_ttl_s=settings.quote_ttl_hours * 3600),
    )
    keys = list(settings.request_state_keys) or [
        load_or_create_key(settings.request_state_key_file or default_key_file(settings.db))
    ]
    security = RequestStateSecurity(keys=keys, ttl=settings.request_state_ttl_s, audience=SERVER_NAME)
    mcp = FastMCP(
        SERVER_NAME,
        version=_version(),
        instructions=INSTRUCTIONS,
        request_state_security=security,
        auth=build_auth(settings),
    )
    mcp.add_middleware(HoldSessions(services.keeper))
    mcp.add_middleware(ReadableArgumentErrors())
    mcp.services = services  # type: ignore[attr-defined]  # for tests and the CLI
    _register_tools(mcp, services)
    if settings.payment_step:
        add_payment_page(mcp, services.store, services.payments)
    return mcp


def _version() -> str:
    try:
        return metadata.version("trip-agent")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def http_app(mcp: FastMCP, settings: ServerSettings) -> Starlette:
    """Streamable HTTP, stateful legacy sessions, Host/Origin checked against DNS rebinding, and a
    gate that lets only a valid initialize make a session, within the caps (gate.py)."""
    if settings.container:
        # Behind AgentCore the Host is the platform's; browsers' Origins are still refused.
        host_protection: Any = "auto"
        allowed_hosts = ["*"]
    else:
        host_protection = True
        allowed_hosts = [settings.host, *settings.allowed_hosts]
    app = mcp.http_app(
        path=settings.path,
        stateless_http=False,
        json_response=False,
        host_origin_protection=host_protection,
        allowed_hosts=allowed_hosts,
        allowed_origins=list(settings.allowed_origins),
        session_idle_timeout=settings.session_idle_timeout_s,
        middleware=[Middleware(SessionGate, limits=_limits(settings), keeper=mcp.services.keeper)],  # type: ignore[attr-defined]
    )
    mcp.services.keeper.attach(app)  # type: ignore[attr-defined]
    return app


def _limits(settings: ServerSettings) -> Limits:
    return Limits(
        path=settings.path,
        max_sessions=settings.max_sessions,
        max_held_calls=settings.max_held_calls,
        init_timeout_s=settings.init_timeout_s,
    )


# Loose types on purpose: a wrong value from the model is explained and asked again by the flow,
# not rejected by argument validation before the flow can help. The schemas clients see say the
# valid values instead (see _advertised).
Destination = str | None
TripType = str | None
# Strict numbers: lax int would turn `true` into 1 night before the flow could refuse it; 2.5 now
# reaches the flow too, which asks again instead of failing the call.
Number = StrictInt | StrictFloat | str
Nights = Number | None
Travelers = Number | None

# Advertised as the supported codes (a model sees the valid values); loose in Python, like the trip
# arguments: "Japanese" or "ja-JP" are understood, and anything else falls back as described.
Language = Annotated[
    str | None,
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(LANGUAGES),
            "description": (
                "Language to ask the user in: en or ja. Set it to the language the user writes in "
                "(plan_trip otherwise uses ja when the destination is written in Japanese; other tools use en)."
            ),
        }
    ),
]

F = TypeVar("F", bound=Callable[..., Any])


# Words people use for each trip type, shown beside it so a model (and the local model's grounding)
# can match a Japanese request to the value.
_TRIP_TYPE_WORDS = {"solo": "一人, ひとり", "couple": "カップル, 夫婦", "family": "家族, 子供", "friends": "友達, 友人"}


def _trip_type_title(name: str, kind: Any) -> str:
    parts = [] if kind.travelers is None else [f"{kind.travelers} traveller{'s' * (kind.travelers > 1)}"]
    parts += [word for word in _TRIP_TYPE_WORDS.get(name, "").split(", ") if word]
    return f"{name} ({', '.join(parts)})" if parts else name


def _advertised(catalog: Catalog) -> Callable[[F], F]:
    """Advertise the catalogue's valid values in the input schema of a tool's trip arguments.

    Any model (Claude, or the local model's grammar) then sees the destinations with their Japanese
    names, the trip types and the number ranges. Only the JSON schema changes: Python still accepts
    the loose types above, so a bad value reaches the flow and gets its re-ask.
    """
    names = [name for d in catalog.destinations for name in (d.name, *[a for a in d.aliases if not a.isascii()][:1])]
    nights, travelers = catalog.nights, catalog.travelers
    schemas = {
        "destination": {
            "type": "string",
            "enum": names,
            "description": "Where the user wants to go, in English or Japanese as they wrote it.",
        },
        "trip_type": {
            "type": "string",
            "oneOf": [{"const": name, "title": _trip_type_title(name, kind)} for name, kind in catalog.trip_types.items()],
        },
        "nights": {
            "type": "integer",
            "minimum": nights.minimum,
            "maximum": nights.maximum,
            "description": f"Hotel nights (泊), {nights.minimum}-{nights.maximum}.",
        },
        "travelers": {
            "type": "integer",
            "minimum": travelers.minimum,
            "maximum": travelers.maximum,
            "description": f"Number of travellers (people, 人, 名), {travelers.minimum}-{travelers.maximum}.",
        },
    }

    def advertise(fn: F) -> F:
        hints = get_type_hints(fn, include_extras=True)
        for name, schema in schemas.items():
            if name in hints:
                fn.__annotations__[name] = Annotated[hints[name], WithJsonSchema(schema)]
        return fn

    return advertise


def _register_tools(mcp: FastMCP, services: Services) -> None:
    catalog = services.catalog
    plan_flow = PlanTrip(
        catalog,
        PlanOptions(
            max_attempts=services.settings.max_attempts,
            sampling_max_tokens=services.settings.sampling_max_tokens,
            elicitation_style=services.settings.elicitation_style,  # type: ignore[arg-type]
        ),
    )

    async def effects(action: Any, ctx: Context, state: FlowState) -> Any:
        owner = services.owner(ctx)
        if isinstance(action, Search):
            return await _search(services, ctx, owner, action, state.flow_id)
        if isinstance(action, Book):
            # The flow's id makes a replayed round return this flow's booking, never a second one.
            paid_with = state.payment.id if state.payment else None
            booking = await services.store.book(owner, action.quote_id, state.flow_id, paid_with)
            return Booked(booking.reservation_id)
        if isinstance(action, StartPayment):
            payment = await services.store.start_payment(owner, state.flow_id, action.quote_id, action.amount_jpy, LINK_TTL_S)
            return PaymentStarted(payment.id, payment_url(services.base_url(), payment.id), payment.expires_at)
        if isinstance(action, VoidPayment):
            await services.store.settle_payment(action.payment_id, "cancelled")
            return PaymentSettled("cancelled")
        if isinstance(action, AwaitPayment):
            return await await_payment(
                services.store, services.payments, owner, state.flow_id, action.payment_id, services.payment_wait_s
            )
        if isinstance(action, CancelBooking):
            booking = await services.store.cancel(owner, action.reservation_id)
            return Cancelled(booking.reservation_id)
        raise TypeError(f"no effect for {action!r}")

    @mcp.tool(output_schema=schemas.PLAN_RESULT, annotations={"title": "Plan and book a trip"})
    @_advertised(catalog)
    async def plan_trip(
        ctx: Context,
        destination: Destination = None,
        trip_type: TripType = None,
        nights: Nights = None,
        travelers: Travelers = None,
        language: Language = None,
    ) -> Any:
        """Plan a trip in Japan and book it. Pass what the user already said; the server asks for the rest.

        Questions are asked in `language` (en or ja): pass the language of the conversation.
        """
        arguments = {
            "destination": destination, "trip_type": trip_type, "nights": nights, "travelers": travelers, "language": language,
        }
        return await drive(plan_flow, lambda: plan_flow.start(arguments, pay=services.pays(ctx)), ctx, effects)

    @mcp.tool(
        output_schema=schemas.DESTINATIONS,
        annotations={"title": "List destinations", "readOnlyHint": True, "idempotentHint": True},
    )
    def list_destinations() -> ToolResult:
        """The destinations, trip types and limits of the catalogue."""
        data = schemas.catalogue_data(catalog)
        lines = [
            f"- {d['label']}: transport ¥{d['transport_jpy']:,}/person, hotel ¥{d['hotel_jpy']:,}/room/night"
            for d in data["destinations"]
        ]
        return ToolResult(content="\n".join(lines), structured_content=data)

    @mcp.resource("trip://destinations", mime_type="application/json", name="destinations")
    def destinations_resource() -> str:
        """The catalogue as JSON."""
        return json.dumps(schemas.catalogue_data(catalog), ensure_ascii=False)

    @mcp.tool(
        output_schema=schemas.PRICE,
        annotations={"title": "Price a trip", "readOnlyHint": True, "idempotentHint": True},
    )
    @_advertised(catalog)
    def get_quote(destination: str, trip_type: str, nights: Number, travelers: Number) -> ToolResult:
        """Price a trip without booking or asking anything (for price questions)."""
        try:
            price = validate_trip(catalog, {"destination": destination, "trip_type": trip_type, "nights": nights, "travelers": travelers})
        except Invalid as error:
            raise ToolError(str(error)) from error
        return ToolResult(content=price.summary(), structured_content=price.as_dict())

    @mcp.tool(output_schema=schemas.CONFIRM_RESULT, annotations={"title": "Book a saved quote"})
    async def book_quote(ctx: Context, quote_id: str, language: Language = None) -> Any:
        """Book a quote saved by plan_trip (asks the user to confirm).

        The question is asked in `language` (en or ja): pass the language of the conversation.
        """
        owner = services.owner(ctx)
        quote = await _or_tool_error(services.store.get_quote(owner, quote_id))
        flow = confirm_booking(catalog, quote.id, quote.price, language, services.settings.max_attempts)
        return await drive(flow, lambda: flow.start(pay=services.pays(ctx)), ctx, effects)

    @mcp.tool(
        output_schema=schemas.BOOKING,
        annotations={"title": "Look up a booking", "readOnlyHint": True, "idempotentHint": True},
    )
    async def get_booking(ctx: Context, reservation_id: str) -> ToolResult:
        """A booking by its reservation id (TRV-…)."""
        booking = await _or_tool_error(services.store.get_booking(services.owner(ctx), reservation_id))
        return ToolResult(content=_booking_line(booking), structured_content=booking.as_dict())

    @mcp.tool(
        output_schema=schemas.BOOKING_LIST,
        annotations={"title": "List bookings", "readOnlyHint": True, "idempotentHint": True},
    )
    async def list_bookings(ctx: Context) -> ToolResult:
        """Your bookings, oldest first."""
        bookings = await _or_tool_error(services.store.list_bookings(services.owner(ctx)))
        text = "\n".join(_booking_line(b) for b in bookings) or "No bookings yet."
        return ToolResult(content=text, structured_content={"bookings": [b.as_dict() for b in bookings]})

    @mcp.tool(
        output_schema=schemas.CONFIRM_RESULT,
        annotations={"title": "Cancel a booking", "destructiveHint": True, "idempotentHint": True},
    )
    async def cancel_booking(ctx: Context, reservation_id: str, language: Language = None) -> Any:
        """Cancel a booking (asks the user to confirm).

        The question is asked in `language` (en or ja): pass the language of the conversation.
        """
        owner = services.owner(ctx)
        booking = await _or_tool_error(services.store.get_booking(owner, reservation_id))
        if booking.status == "cancelled":
            return ToolResult(
                content=f"Reservation {booking.reservation_id} was already cancelled.",
                structured_content={"status": "cancelled", "message": "already cancelled", "reservation_id": booking.reservation_id},
            )
        flow = confirm_cancellation(catalog, booking.reservation_id, booking.price, language)
        return await drive(flow, flow.start, ctx, effects)


SEARCH_STEPS = ("Looking up the destination…", "Comparing transport…", "Checking hotels…", "Calculating the total…", "Saving the quote…")


async def _search(services: Services, ctx: Context, owner: str, action: Search, flow_id: str | None) -> Searched:
    """The search, step by step, each step reported as progress when it is done."""
    total = len(SEARCH_STEPS)

    async def step(number: int) -> None:
        if services.settings.search_delay_s:
            await anyio.sleep(services.settings.search_delay_s)
        await ctx.report_progress(number, total, SEARCH_STEPS[number - 1])

    destination = services.catalog.resolve(action.destination)
    if destination is None:  # the flow validated it; a catalogue reload could still drop it
        raise TripServerError(f"{action.destination} is no longer in the catalogue.")
    await step(1)
    await step(2)  # transport: per traveller, round trip
    await step(3)  # hotel: rooms for the party, per night
    price = price_trip(destination, action.trip_type, action.nights, action.travelers, services.catalog.travelers_per_room)
    await step(4)
    quote = await services.store.save_quote(owner, price, flow_id)
    await step(5)
    # A replayed round gets the quote this flow saved first: its price, not this round's.
    return Searched(quote.id, quote.expires_at, quote.price.as_dict())


async def _or_tool_error(call: Awaitable[T]) -> T:
    """Await a store call.

    Raises:
        ToolError: the store's error, as the caller's message.
    """
    try:
        return await call
    except TripServerError as error:
        raise ToolError(str(error)) from error


def _booking_line(booking: Any) -> str:
    return f"{booking.reservation_id} [{booking.status}] {booking.price.summary()} (booked {booking.created_at})"

