"""The booking conversations as pure step functions.

A flow never does I/O. Its whole state is a JSON-serialisable dict, so the same flow can be
driven by a legacy session (the driver awaits each answer in place) or by a 2026-07-28 request
(the state travels in the sealed `requestState` between retries). The driver repeatedly asks
`next_action(state)`, performs it, and feeds the outcome back through `apply(state, outcome)`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp_server import recommendations
from mcp_server.catalog import Catalog, Destination, Match
from mcp_server.errors import FlowStateError
from mcp_server.messages import DEFAULT_LANGUAGE, detect_language, join, parse_language, say, sentences
from mcp_server.payment import (
    AwaitPayment,
    ElicitUrl,
    PaymentSettled,
    PaymentStarted,
    StartPayment,
    VoidPayment,
    apply_payment,
    pending_step,
    require_payment,
)
from mcp_server.pricing import Price, price_trip

FIELDS = ("destination", "trip_type", "nights", "travelers")  # the order questions are asked in
# The head count is checked before the trip type, so a contradiction re-asks the trip type
# (with the choices that fit) instead of silently overriding the number the user gave.
VALIDATION_ORDER = ("destination", "nights", "travelers", "trip_type")
ElicitationStyle = Literal["steps", "form"]


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


@dataclass(frozen=True)
class Finish:
    status: Literal["booked", "quoted", "cancelled", "declined", "failed", "kept"]
    message: str
    data: dict[str, Any] = field(default_factory=dict)


Action = Elicit | Sample | Search | Book | CancelBooking | Finish | StartPayment | ElicitUrl | AwaitPayment | VoidPayment


# --- what the driver feeds back ----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The human's reply to an Elicit. `unsupported` means the client cannot be asked at all."""

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
    price: dict[str, Any]


@dataclass(frozen=True)
class Booked:
    reservation_id: str


@dataclass(frozen=True)
class Cancelled:
    reservation_id: str


Outcome = Answer | SampleResult | Searched | Booked | Cancelled | PaymentStarted | PaymentSettled


# --- validation ---------------------------------------------------------------------------------


class Invalid(ValueError):
    """A value the flow cannot use; says why, for the next question (`key` is a messages.py key).

    `params` hold canonical names (destinations, trip types) so the flow can show them in the
    question's language; str() is the English message (get_quote's error).
    """

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(render_invalid(DEFAULT_LANGUAGE, key, params, lambda kind, name: name))


def render_invalid(language: str, key: str, params: dict[str, Any], name_of: Callable[[str, str], str]) -> str:
    """An Invalid's message in `language`; `name_of(kind, name)` shows a destination or trip type."""
    shown = dict(params)
    kind = shown.pop("kind", "")
    if "choices" in shown:
        shown["choices"] = join(language, [name_of(kind, choice) for choice in shown["choices"]])
    if "trip_type" in shown:
        shown["trip_type"] = name_of("trip_type", shown["trip_type"])
    if "what" in shown:
        shown["what"] = say(language, f"what.{shown['what']}")
    if key == "invalid.travelers_for_type":  # "A solo trip is for exactly 1 traveller; 3 does not fit."
        low, high = shown["low"], shown["high"]
        head = (
            say(language, "invalid.travelers_exactly", trip_type=shown["trip_type"], n=low)
            if low == high
            else say(language, "invalid.travelers_span", trip_type=shown["trip_type"], low=low, high=high)
        )
        return say(language, "invalid.travelers_tail", head=head, number=shown["number"])
    return say(language, key, **shown)


def _as_int(value: Any, what: str, low: int, high: int) -> int:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,6}\s*", value):
        number = int(value)
    if number is None:
        raise Invalid("invalid.number_type", what=what, low=low, high=high, value=_show(value))
    if not low <= number <= high:
        raise Invalid("invalid.number_range", what=what, low=low, high=high, number=number)
    return number


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def lookup_destination(catalog: Catalog, value: Any) -> Match:
    """The destination (and the place inside it) a user's text names.

    Raises:
        Invalid: not a destination, alias or place of the catalogue.
    """
    choices = catalog.destination_names
    if not isinstance(value, str) or not value.strip():
        raise Invalid("invalid.destination_missing", kind="destination", choices=choices)
    match = catalog.lookup(value)
    if match is None:
        # repr() shows hidden characters escaped, so "Kyoto\u202e" is not mistaken for Kyoto.
        raise Invalid("invalid.destination_unknown", kind="destination", choices=choices, value=_show(value.strip())[1:-1])
    return match


def validate_destination(catalog: Catalog, value: Any) -> Destination:
    return lookup_destination(catalog, value).destination


def validate_trip_type(catalog: Catalog, value: Any) -> str:
    trip_type = catalog.trip_type(value) if isinstance(value, str) else None
    if trip_type is None:
        raise Invalid("invalid.trip_type", kind="trip_type", choices=list(catalog.trip_types), value=_show(value))
    return trip_type.name


def validate_nights(catalog: Catalog, value: Any) -> int:
    return _as_int(value, "nights", catalog.nights.minimum, catalog.nights.maximum)


def travelers_range(catalog: Catalog, trip_type: str | None) -> tuple[int, int]:
    """The head counts a trip type allows: solo exactly 1, couple exactly 2, groups 2 or more."""
    fixed = catalog.trip_types[trip_type].travelers if trip_type else None
    if fixed is not None:
        return fixed, fixed
    low = 2 if trip_type else catalog.travelers.minimum
    return low, catalog.travelers.maximum


def validate_travelers(catalog: Catalog, value: Any, trip_type: str | None) -> int:
    low, high = travelers_range(catalog, trip_type)
    number = _as_int(value, "travelers", catalog.travelers.minimum, catalog.travelers.maximum)
    if not low <= number <= high:
        raise Invalid("invalid.travelers_for_type", trip_type=trip_type, low=low, high=high, number=number)
    return number


def validate_trip(catalog: Catalog, values: dict[str, Any]) -> Price:
    """Validate a complete set of arguments and price it (used by get_quote).

    Raises:
        Invalid: the first argument that cannot be used, with the reason.
    """
    destination = validate_destination(catalog, values.get("destination"))
    trip_type = validate_trip_type(catalog, values.get("trip_type"))
    nights = validate_nights(catalog, values.get("nights"))
    travelers = validate_travelers(catalog, values.get("travelers"), trip_type)
    return price_trip(destination, trip_type, nights, travelers, catalog.travelers_per_room)


# --- plan_trip -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanOptions:
    max_attempts: int = 3
    sampling_max_tokens: int = 300
    elicitation_style: ElicitationStyle = "steps"


def catalogue_recommendations(destination: Destination, language: str = DEFAULT_LANGUAGE) -> list[str]:
    words = destination.words(language)
    return [
        say(language, "tip.visit", place=words.highlights[0]),
        say(language, "tip.time_for", first=words.highlights[1], second=words.highlights[2]),
        say(language, "tip.food", foods=join(language, words.local_food)),
    ]


class PlanTrip:
    """Collect the trip, search, recommend, confirm, book."""

    name = "plan_trip"

    def __init__(self, catalog: Catalog, options: PlanOptions = PlanOptions()) -> None:
        self.catalog = catalog
        self.options = options

    def start(self, arguments: dict[str, Any], *, pay: bool = False) -> dict[str, Any]:
        """State from the tool's arguments: valid ones are kept, invalid ones explained.

        `pay`: "Book" goes through the payment step first (payment.py).
        """
        state: dict[str, Any] = {
            "flow": self.name,
            "flow_id": secrets.token_hex(6),
            "pay": pay,
            "values": {},
            "notes": {},
            "attempts": {},
            "elicited": [],
            "supplied": [],
            "notices": [],  # said once, at the front of the next question
        }
        self._choose_language(state, arguments)
        for name in VALIDATION_ORDER:
            value = arguments.get(name)
            if value is None:
                continue
            try:
                state["values"][name] = self._validate(name, value, state)
                state["supplied"].append(name)
            except Invalid as error:
                state["notes"][name] = _note(error)
        state["supplied"].sort(key=FIELDS.index)
        self._derive_travelers(state)
        return state

    # The one step function: what to do next, given everything known so far.
    def next_action(self, state: dict[str, Any]) -> Action:
        if "finish" in state:
            return Finish(**state["finish"])
        if state.get("book"):
            return pending_step(state, state["language"]) or Book(state["quote"]["id"])
        missing = [name for name in FIELDS if name not in state["values"]]
        if missing:
            return self._question(state, missing)
        if "quote" not in state:
            values = state["values"]
            return Search(values["destination"], values["trip_type"], values["nights"], values["travelers"])
        if "recommendations" not in state:
            return self._sampling_request(state)
        return self._confirmation(state)

    def apply(self, state: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
        """The state after `outcome` answered `next_action(state)`.

        Raises:
            FlowStateError: the outcome does not answer the pending action.
        """
        action = self.next_action(state)
        state = _copy(state)
        match action, outcome:
            case Elicit(key="confirm"), Answer():
                state["notices"] = []
                self._on_confirm(state, outcome)
            case Elicit(), Answer():
                state["notices"] = []
                self._on_answer(state, action, outcome)
            case Search(), Searched():
                state["quote"] = {"id": outcome.quote_id, "expires_at": outcome.expires_at, "price": outcome.price}
            case Sample(), SampleResult():
                self._on_sample(state, outcome)
            case Book(), Booked():
                state["finish"] = self._booked(state, outcome.reservation_id)
            case StartPayment() | ElicitUrl() | AwaitPayment() | VoidPayment(), _:
                ended = apply_payment(state, action, outcome)
                if ended:
                    state["finish"] = self._quoted(state, ended)
            case _:
                raise FlowStateError(f"{type(outcome).__name__} does not answer {type(action).__name__}")
        return state

    # --- language

    def _choose_language(self, state: dict[str, Any], arguments: dict[str, Any]) -> None:
        """The `language` argument when it names one we speak, else Japanese for Japanese text, else English."""
        requested = arguments.get("language")
        chosen = parse_language(requested)
        detected = detect_language(*(arguments.get(name) for name in FIELDS))
        state["language"] = chosen or detected or DEFAULT_LANGUAGE
        state["language_fixed"] = chosen is not None
        if requested not in (None, "") and chosen is None:
            state["notices"].append({"key": "note.language", "params": {"value": _show(requested)}})

    def _follow_language(self, state: dict[str, Any], text: Any) -> None:
        """A destination typed in Japanese switches the questions to Japanese, unless the caller chose."""
        if not state.get("language_fixed"):
            state["language"] = detect_language(text) or state["language"]

    # --- questions

    def _validate(self, name: str, value: Any, state: dict[str, Any]) -> Any:
        values = state["values"]
        if name == "destination":
            match = lookup_destination(self.catalog, value)
            self._follow_language(state, value)
            state.pop("place", None)
            if match.place is not None:
                state["place"] = {"place": match.place, "destination": match.destination.name}
                state["notices"].append({"key": "note.place", "params": dict(state["place"])})
            return match.destination.name
        if name == "trip_type":
            trip_type = validate_trip_type(self.catalog, value)
            if "travelers" in values:  # the head count came first (arguments or a form): it must fit
                low, high = travelers_range(self.catalog, trip_type)
                if not low <= values["travelers"] <= high:
                    raise Invalid(
                        "invalid.type_for_travelers",
                        kind="trip_type",
                        travelers=values["travelers"],
                        trip_type=trip_type,
                        choices=self._trip_types_for(values["travelers"]),
                    )
            return trip_type
        if name == "nights":
            return validate_nights(self.catalog, value)
        return validate_travelers(self.catalog, value, values.get("trip_type"))

    def _trip_types_for(self, travelers: int | None) -> list[str]:
        return [
            name
            for name in self.catalog.trip_types
            if travelers is None
            or travelers_range(self.catalog, name)[0] <= travelers <= travelers_range(self.catalog, name)[1]
        ]

    def _derive_travelers(self, state: dict[str, Any]) -> None:
        """Solo and couple fix the head count: asking for it would be a pointless question."""
        trip_type = state["values"].get("trip_type")
        if trip_type and "travelers" not in state["values"] and "travelers" not in state["notes"]:
            low, high = travelers_range(self.catalog, trip_type)
            if low == high:
                state["values"]["travelers"] = low
                state["notes"].pop("travelers", None)

    def _name_of(self, language: str) -> Callable[[str, str], str]:
        """How a destination or trip type is shown in `language`: Kyoto / 京都, family / 家族旅行."""

        def name_of(kind: str, name: str) -> str:
            if kind == "destination":
                destination = self.catalog.resolve(name)
                return destination.words(language).name if destination else name
            trip_type = self.catalog.trip_types.get(name)
            return trip_type.title_in(language) if trip_type and language != DEFAULT_LANGUAGE else name

        return name_of

    def _field_schema(self, name: str, values: dict[str, Any], language: str) -> dict[str, Any]:
        catalog = self.catalog
        if name == "destination":
            return {
                "type": "string",
                "title": say(language, "field.destination"),
                "description": say(language, "field.destination.help"),
                "oneOf": [{"const": d.name, "title": d.label_in(language)} for d in catalog.destinations],
            }
        if name == "trip_type":
            return {
                "type": "string",
                "title": say(language, "field.trip_type"),
                "oneOf": [
                    {"const": t, "title": catalog.trip_types[t].title_in(language)}
                    for t in self._trip_types_for(values.get("travelers"))
                ],
            }
        if name == "nights":
            low, high = catalog.nights.minimum, catalog.nights.maximum
            return {
                "type": "integer",
                "title": say(language, "field.nights"),
                "description": say(language, "field.nights.help", low=low, high=high),
                "minimum": low,
                "maximum": high,
            }
        low, high = travelers_range(catalog, values.get("trip_type"))
        return {
            "type": "integer",
            "title": say(language, "field.travelers"),
            "description": say(language, "field.travelers.help", low=low, high=high),
            "minimum": low,
            "maximum": high,
        }

    def _question(self, state: dict[str, Any], missing: list[str]) -> Elicit:
        names = missing if self.options.elicitation_style == "form" else missing[:1]
        values, language = state["values"], state["language"]
        properties = {name: self._field_schema(name, values, language) for name in names}
        schema = {"type": "object", "properties": properties, "required": list(names)}
        notes = [self._explain(state, state["notes"][name]) for name in names if name in state["notes"]]
        prompts = [self._prompt(name, values, language) for name in names]
        message = sentences(language, [*self._notices(state), *notes, *prompts])
        return Elicit(key="form" if len(names) > 1 else names[0], message=message, schema=schema)

    def _notices(self, state: dict[str, Any]) -> list[str]:
        language = state["language"]
        name_of = self._name_of(language)
        shown = []
        for notice in state.get("notices", []):
            params = dict(notice["params"])
            if "destination" in params:
                params["destination"] = name_of("destination", params["destination"])
            shown.append(say(language, notice["key"], **params))
        return shown

    def _explain(self, state: dict[str, Any], note: dict[str, Any]) -> str:
        language = state["language"]
        return render_invalid(language, note["key"], note["params"], self._name_of(language))

    def _prompt(self, name: str, values: dict[str, Any], language: str) -> str:
        catalog = self.catalog
        if name == "destination":
            return say(language, "ask.destination", choices=join(language, [d.label_in(language) for d in catalog.destinations]))
        if name == "trip_type":
            name_of = self._name_of(language)
            choices = [name_of("trip_type", t) for t in self._trip_types_for(values.get("travelers"))]
            return say(language, "ask.trip_type", choices=join(language, choices))
        if name == "nights":
            return say(language, "ask.nights", low=catalog.nights.minimum, high=catalog.nights.maximum)
        low, high = travelers_range(catalog, values.get("trip_type"))
        if low == high:
            return say(language, "ask.travelers_fixed", trip_type=self._name_of(language)("trip_type", values["trip_type"]), low=low)
        return say(language, "ask.travelers", low=low, high=high)

    def _on_answer(self, state: dict[str, Any], action: Elicit, answer: Answer) -> None:
        asked = list(action.schema["properties"])
        if answer.action != "accept":
            state["finish"] = self._ended_early(state, answer.action, asked[0])
            return
        content = answer.content or {}
        for name in sorted(asked, key=VALIDATION_ORDER.index):
            state["notes"].pop(name, None)
            if name not in state["elicited"]:
                state["elicited"].append(name)
            try:
                state["values"][name] = self._validate(name, content.get(name), state)
            except Invalid as error:
                state["notes"][name] = _note(error)
                attempts = state["attempts"][name] = state["attempts"].get(name, 0) + 1
                if attempts >= self.options.max_attempts:
                    language = state["language"]
                    state["finish"] = asdict_finish(
                        Finish(
                            "failed",
                            say(
                                language,
                                "finish.too_many_invalid",
                                attempts=attempts,
                                field=say(language, f"subject.{name}"),
                                error=self._explain(state, state["notes"][name]),
                            ),
                        )
                    )
                    return
        self._derive_travelers(state)

    def _ended_early(self, state: dict[str, Any], action: str, field_name: str) -> dict[str, Any]:
        language = state["language"]
        subject = say(language, f"subject.{field_name}")
        if action == "unsupported":
            message = say(language, "finish.unsupported", field=subject, missing=", ".join(FIELDS))
            return asdict_finish(Finish("failed", message))
        status = "declined" if action == "decline" else "cancelled"
        return asdict_finish(Finish(status, say(language, f"finish.{status}", field=subject)))

    # --- recommendations

    def _sampling_request(self, state: dict[str, Any]) -> Sample:
        system_prompt, prompt = self._sampling_text(state)
        return Sample(
            key="recommendations",
            system_prompt=system_prompt,
            prompt=prompt,
            max_tokens=self.options.sampling_max_tokens,
            model_hints=("claude-haiku",),
        )

    def _sampling_text(self, state: dict[str, Any]) -> tuple[str, str]:
        """The system prompt and the prompt: the trip, in the user's language, asking for that language."""
        language = state["language"]
        price = state["quote"]["price"]
        destination = self._destination(state)
        words = destination.words(language)
        prompt = say(
            language,
            "sampling.prompt",
            destination=destination.label_in(language),
            trip_type=self._name_of(language)("trip_type", price["trip_type"]),
            nights=say(language, "unit.nights", n=price["nights"]),
            travelers=say(language, "unit.travelers", n=price["travelers"]),
            highlights=join(language, words.highlights),
            foods=join(language, words.local_food),
        )
        return say(language, "sampling.system"), prompt

    def _destination(self, state: dict[str, Any]) -> Destination:
        destination = self.catalog.resolve(state["quote"]["price"]["destination"])
        assert destination is not None  # the quote was made from the catalogue
        return destination

    def _trip_text(self, state: dict[str, Any]) -> recommendations.TripText:
        """What sampled lines are checked against: this destination's names, every other place, the prompt."""
        own = self._destination(state)
        others = [name for d in self.catalog.destinations if d is not own for name in (d.name, *d.aliases, *d.places)]
        system_prompt, prompt = self._sampling_text(state)
        return recommendations.TripText(
            own_places=recommendations.place_keys([own.name, *own.aliases, *own.places]),
            other_places=recommendations.place_keys([*others, *self.catalog.other_places]),
            prompt=f"{system_prompt}\n{prompt}",
        )

    def _on_sample(self, state: dict[str, Any], result: SampleResult) -> None:
        if result.text is not None:
            verdict = recommendations.review(result.text, self._trip_text(state))
            if verdict.accepted:
                state["recommendations"] = {"source": "sampling", "items": list(verdict.lines)}
                return
            why = {"key": f"review.{verdict.problem}", "params": {"line": verdict.line, "detail": verdict.detail, "n": verdict.detail}}
        else:
            why = {"key": f"reason.{result.reason or 'failed'}", "params": {"detail": result.detail}}
        state["recommendations"] = {
            "source": "catalogue",
            "items": catalogue_recommendations(self._destination(state), state["language"]),
            "why": why,
        }

    def _recommendations_note(self, state: dict[str, Any]) -> str:
        """Why the catalogue's recommendations were used ("" for sampled ones)."""
        why = state["recommendations"].get("why")
        return say(state["language"], why["key"], **why["params"]) if why else ""

    # --- confirmation and the end

    def _summary(self, state: dict[str, Any]) -> str:
        return trip_summary(self.catalog, Price(**state["quote"]["price"]), state["language"])

    def _confirmation(self, state: dict[str, Any]) -> Elicit:
        """The quote, the recommendations set apart as quoted text, then the decision with the real total.

        Sampled lines are untrusted: each is shown inside quotation marks under a heading that says
        so, between the quote and the question, so a sampled "Quote … ¥1" cannot pass for either.
        """
        language, total_jpy = state["language"], state["quote"]["price"]["total_jpy"]
        tips = state["recommendations"]
        if tips["source"] == "sampling":
            heading = say(language, "confirm.sampled")
            lines = [say(language, "quoted_line", line=item) for item in tips["items"]]
        else:
            heading = say(language, "confirm.catalogue", reason=self._recommendations_note(state))
            lines = [f"  - {item}" for item in tips["items"]]
        parts = [
            sentences(language, [*self._notices(state), say(language, "confirm.quote", quote_id=state["quote"]["id"], summary=self._summary(state))]),
            "",
            heading,
            *lines,
            "",
            say(language, "confirm.ask", total=f"{total_jpy:,}"),
        ]
        return Elicit(key="confirm", message="\n".join(parts), schema=decision_schema(language, total_jpy))

    def _on_confirm(self, state: dict[str, Any], answer: Answer) -> None:
        decision = decided(answer)
        if decision == "book":
            state["book"] = True  # next_action now returns Book (after any payment) until the booking is done
            require_payment(state, state["quote"]["id"], state["quote"]["price"]["total_jpy"])
            return
        if answer.action == "accept" and decision is None and not _out_of_attempts(state, self.options.max_attempts):
            return  # asked again
        state["finish"] = self._quoted(state, answer.action)

    def _quoted(self, state: dict[str, Any], action: str) -> dict[str, Any]:
        """Not booked: `action` is the answer to the confirmation, or a payment step's `how.*` key."""
        quote, language = state["quote"], state["language"]
        how_key = action if action.startswith("how.") else f"how.{action}" if action in ("accept", "decline", "cancel") else "how.unsupported"
        how = say(language, how_key)
        message = say(language, "finish.quoted", how=how, quote_id=quote["id"], expires_at=quote["expires_at"])
        return asdict_finish(Finish("quoted", self._with_place(state, message), self._result_data(state)))

    def _booked(self, state: dict[str, Any], reservation_id: str) -> dict[str, Any]:
        message = say(state["language"], "finish.booked", reservation_id=reservation_id, summary=self._summary(state))
        return asdict_finish(
            Finish("booked", self._with_place(state, message), {**self._result_data(state), "reservation_id": reservation_id})
        )

    def _with_place(self, state: dict[str, Any], message: str) -> str:
        """The final message, after the note that a place was planned as its destination."""
        if "place" not in state:
            return message
        language = state["language"]
        destination = self._name_of(language)("destination", state["place"]["destination"])
        return sentences(language, [say(language, "note.place", place=state["place"]["place"], destination=destination), message])

    def _result_data(self, state: dict[str, Any]) -> dict[str, Any]:
        tips = state["recommendations"]
        return {
            "quote_id": state["quote"]["id"],
            "quote_expires_at": state["quote"]["expires_at"],
            "quote": state["quote"]["price"],
            "recommendations": tips["items"],
            "recommendations_source": tips["source"],
            "recommendations_note": self._recommendations_note(state),
            "language": state["language"],
        }


def _note(error: Invalid) -> dict[str, Any]:
    """An Invalid as flow state (JSON): shown in the question's language when it is asked."""
    return {"key": error.key, "params": error.params}


# --- confirmations for book_quote and cancel_booking ---------------------------------------------


def decision_schema(language: str, total_jpy: int) -> dict[str, Any]:
    """The money decision, the same whichever tool books: Book (with the real total) or Cancel."""
    return {
        "type": "object",
        "properties": {
            "decision": {
                "type": "string",
                "title": say(language, "field.decision"),
                "oneOf": [
                    {"const": "Book", "title": say(language, "confirm.book", total=f"{total_jpy:,}")},
                    {"const": "Cancel", "title": say(language, "confirm.cancel")},
                ],
            }
        },
        "required": ["decision"],
    }


def decided(answer: Answer) -> Literal["book", "cancel"] | None:
    """The decision an accepted answer chose, or None (not accepted, or neither Book nor Cancel)."""
    decision = (answer.content or {}).get("decision") if answer.action == "accept" else None
    chosen = decision.strip().casefold() if isinstance(decision, str) else None
    return chosen if chosen in ("book", "cancel") else None  # type: ignore[return-value]


def _out_of_attempts(state: dict[str, Any], max_attempts: int) -> bool:
    """Count one more unusable answer to the confirmation; True when no attempt is left."""
    attempts = dict(state.get("attempts", {}))
    attempts["confirm"] = attempts.get("confirm", 0) + 1
    state["attempts"] = attempts
    return attempts["confirm"] >= max_attempts


class Confirm:
    """Ask one question, then perform one effect: Book (the Book/Cancel decision) or CancelBooking (yes/no)."""

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

    def start(self, *, pay: bool = False) -> dict[str, Any]:
        """`pay`: a confirmed Book goes through the payment step first (payment.py)."""
        return {"flow": self.name, "flow_id": secrets.token_hex(6), "target": _target(self.effect), "pay": pay}

    def next_action(self, state: dict[str, Any]) -> Action:
        if "finish" in state:
            return Finish(**state["finish"])
        if state.get("confirmed"):
            return pending_step(state, self.language) or self.effect
        if isinstance(self.effect, Book):
            return Elicit(key="confirm", message=self.question, schema=decision_schema(self.language, self.amount_jpy))
        schema = {
            "type": "object",
            "properties": {
                "confirm": {"type": "boolean", "title": say(self.language, "field.confirm"), "description": self.question}
            },
            "required": ["confirm"],
        }
        return Elicit(key="confirm", message=self.question, schema=schema)

    def apply(self, state: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
        """The state after `outcome` answered `next_action(state)`.

        Raises:
            FlowStateError: the outcome does not answer the pending action.
        """
        action = self.next_action(state)
        state = _copy(state)
        language = self.language
        match action, outcome:
            case Elicit(), Answer(action="accept"):
                if self._confirmed(outcome):
                    state["confirmed"] = True
                    if isinstance(self.effect, Book):
                        require_payment(state, self.effect.quote_id, self.amount_jpy)
                elif not self._asks_again(state, outcome):
                    state["finish"] = asdict_finish(Finish("kept", say(language, "kept.not_confirmed")))
            case Elicit(), Answer():
                key = outcome.action if outcome.action in ("decline", "cancel") else "unsupported"
                state["finish"] = asdict_finish(Finish("kept", say(language, f"kept.{key}")))
            case Book(), Booked():
                message = say(language, "confirmed.booked", reservation_id=outcome.reservation_id)
                state["finish"] = asdict_finish(Finish("booked", message, {"reservation_id": outcome.reservation_id}))
            case CancelBooking(), Cancelled():
                message = say(language, "confirmed.cancelled", reservation_id=outcome.reservation_id)
                state["finish"] = asdict_finish(Finish("cancelled", message, {"reservation_id": outcome.reservation_id}))
            case StartPayment() | ElicitUrl() | AwaitPayment() | VoidPayment(), _:
                ended = apply_payment(state, action, outcome)
                if ended:
                    state["finish"] = asdict_finish(Finish("kept", say(language, "kept.payment", how=say(language, ended))))
            case _:
                raise FlowStateError(f"{type(outcome).__name__} does not answer {type(action).__name__}")
        return state

    def _confirmed(self, answer: Answer) -> bool:
        """Book: the decision "Book"; CancelBooking: a literal `true`."""
        if isinstance(self.effect, Book):
            return decided(answer) == "book"
        return (answer.content or {}).get("confirm") is True

    def _asks_again(self, state: dict[str, Any], answer: Answer) -> bool:
        """A Book decision that is neither Book nor Cancel is asked again, at most max_attempts times in all.

        (cancel_booking's yes/no keeps anything but `true` as a no.)
        """
        return isinstance(self.effect, Book) and decided(answer) is None and not _out_of_attempts(state, self.max_attempts)


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


def trip_summary(catalog: Catalog, price: Price, language: str) -> str:
    """A quote's one-line summary; English is Price.summary() itself."""
    if language == DEFAULT_LANGUAGE:
        return price.summary()
    destination = catalog.resolve(price.destination)
    trip_type = catalog.trip_types.get(price.trip_type)
    return say(
        language,
        "summary",
        destination=destination.words(language).name if destination else price.destination,
        trip_type=trip_type.title_in(language) if trip_type else price.trip_type,
        nights=say(language, "unit.nights", n=price.nights),
        travelers=say(language, "unit.travelers", n=price.travelers),
        rooms=say(language, "unit.rooms", n=price.rooms),
        transport=f"{price.transport_jpy:,}",
        hotel=f"{price.hotel_jpy:,}",
        total=f"{price.total_jpy:,}",
    )


def _target(effect: Book | CancelBooking) -> str:
    return effect.quote_id if isinstance(effect, Book) else effect.reservation_id


def asdict_finish(finish: Finish) -> dict[str, Any]:
    return {"status": finish.status, "message": finish.message, "data": dict(finish.data)}


def _copy(state: dict[str, Any]) -> dict[str, Any]:
    """A copy apply() may change: flows mutate only the top-level dicts and lists, never deeper.

    (copy.deepcopy cost about 5% of a whole flow in the benchmark.)
    """
    return {key: value.copy() if isinstance(value, dict | list) else value for key, value in state.items()}
