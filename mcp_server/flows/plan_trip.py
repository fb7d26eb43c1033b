"""plan_trip's conversation: collect the trip, search, recommend, take the decision, book."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mcp_server import recommendations
from mcp_server.catalog import Catalog, Destination
from mcp_server.errors import FlowStateError
from mcp_server.flows.actions import (
    Action,
    Answer,
    AwaitPayment,
    Book,
    Booked,
    Elicit,
    ElicitUrl,
    Finish,
    FinishStatus,
    Outcome,
    Sample,
    SampleResult,
    Search,
    Searched,
    StartPayment,
    VoidPayment,
)
from mcp_server.flows.decision import QUESTION_KEY, decided, decision_schema, out_of_attempts, trip_summary
from mcp_server.flows.payment import apply_payment, pending_step, require_payment
from mcp_server.flows.state import Note, Place, PlanTripState, Quote, Recommendations
from mcp_server.flows.validation import (
    Invalid,
    lookup_destination,
    render_invalid,
    show,
    travelers_range,
    validate_nights,
    validate_travelers,
    validate_trip_type,
)
from mcp_server.messages import DEFAULT_LANGUAGE, detect_language, join, parse_language, say, sentences
from mcp_server.pricing import Price

FIELDS = ("destination", "trip_type", "nights", "travelers")  # the order questions are asked in
# The head count is checked before the trip type, so a contradiction re-asks the trip type
# (with the choices that fit) instead of silently overriding the number the user gave.
VALIDATION_ORDER = ("destination", "nights", "travelers", "trip_type")
ElicitationStyle = Literal["steps", "form"]


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
    state_type = PlanTripState

    def __init__(self, catalog: Catalog, options: PlanOptions = PlanOptions()) -> None:
        self.catalog = catalog
        self.options = options

    def start(self, arguments: dict[str, Any], *, pay: bool = False) -> PlanTripState:
        """State from the tool's arguments: valid ones are kept, invalid ones explained.

        `pay`: "Book" goes through the payment step first (payment.py).
        """
        state = PlanTripState(flow=self.name, flow_id=secrets.token_hex(6), pay=pay)
        self._choose_language(state, arguments)
        for name in VALIDATION_ORDER:
            value = arguments.get(name)
            if value is None:
                continue
            try:
                state.values[name] = self._validate(name, value, state)
                state.supplied.append(name)
            except Invalid as error:
                state.notes[name] = _note(error)
        state.supplied.sort(key=FIELDS.index)
        self._derive_travelers(state)
        return state

    # The one step function: what to do next, given everything known so far.
    def next_action(self, state: PlanTripState) -> Action:
        if state.finish is not None:
            return state.finish
        if state.book:
            return pending_step(state, state.language) or Book(self._quote(state).id)
        missing = [name for name in FIELDS if name not in state.values]
        if missing:
            return self._question(state, missing)
        if state.quote is None:
            values = state.values
            return Search(values["destination"], values["trip_type"], values["nights"], values["travelers"])
        if state.recommendations is None:
            return self._sampling_request(state)
        return self._confirmation(state)

    def apply(self, state: PlanTripState, action: Action, outcome: Outcome) -> PlanTripState:
        """The state after `outcome` answered `action`, which is `next_action(state)`.

        Raises:
            FlowStateError: the outcome does not answer the action.
        """
        state = state.copy()
        match action, outcome:
            case Elicit(), Answer() if action.key == QUESTION_KEY:
                state.notices = []
                self._on_decision(state, outcome)
            case Elicit(), Answer():
                state.notices = []
                self._on_answer(state, action, outcome)
            case Search(), Searched():
                state.quote = Quote(outcome.quote_id, outcome.expires_at, Price(**outcome.price))
            case Sample(), SampleResult():
                self._on_sample(state, outcome)
            case Book(), Booked():
                self._booked(state, outcome.reservation_id)
            case StartPayment() | ElicitUrl() | AwaitPayment() | VoidPayment(), _:
                ended = apply_payment(state, action, outcome)
                if ended:
                    self._quoted(state, ended)
            case _:
                raise FlowStateError(f"{type(outcome).__name__} does not answer {type(action).__name__}")
        return state

    # --- language

    def _choose_language(self, state: PlanTripState, arguments: dict[str, Any]) -> None:
        """The `language` argument when it names one we speak, else Japanese for Japanese text, else English."""
        requested = arguments.get("language")
        chosen = parse_language(requested)
        detected = detect_language(*(arguments.get(name) for name in FIELDS))
        state.language = chosen or detected or DEFAULT_LANGUAGE
        state.language_fixed = chosen is not None
        if requested not in (None, "") and chosen is None:
            state.notices.append(Note("note.language", {"value": show(requested)}))

    def _follow_language(self, state: PlanTripState, text: Any) -> None:
        """A destination typed in Japanese switches the questions to Japanese, unless the caller chose."""
        if not state.language_fixed:
            state.language = detect_language(text) or state.language

    # --- questions

    def _validate(self, name: str, value: Any, state: PlanTripState) -> str | int:
        values = state.values
        if name == "destination":
            match = lookup_destination(self.catalog, value)
            self._follow_language(state, value)
            state.place = None
            if match.place is not None:
                state.place = Place(match.place, match.destination.name)
                state.notices.append(Note("note.place", {"place": match.place, "destination": match.destination.name}))
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

    def _trip_types_for(self, travelers: Any) -> list[str]:
        return [
            name
            for name in self.catalog.trip_types
            if travelers is None
            or travelers_range(self.catalog, name)[0] <= travelers <= travelers_range(self.catalog, name)[1]
        ]

    def _derive_travelers(self, state: PlanTripState) -> None:
        """Solo and couple fix the head count: asking for it would be a pointless question."""
        trip_type = state.values.get("trip_type")
        if trip_type and "travelers" not in state.values and "travelers" not in state.notes:
            low, high = travelers_range(self.catalog, trip_type)
            if low == high:
                state.values["travelers"] = low
                state.notes.pop("travelers", None)

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
        else:
            low, high = travelers_range(catalog, values.get("trip_type"))
        return {
            "type": "integer",
            "title": say(language, f"field.{name}"),
            "description": say(language, f"field.{name}.help", low=low, high=high),
            "minimum": low,
            "maximum": high,
        }

    def _question(self, state: PlanTripState, missing: list[str]) -> Elicit:
        names = missing if self.options.elicitation_style == "form" else missing[:1]
        values, language = state.values, state.language
        properties = {name: self._field_schema(name, values, language) for name in names}
        schema = {"type": "object", "properties": properties, "required": list(names)}
        notes = [self._explain(state, state.notes[name]) for name in names if name in state.notes]
        prompts = [self._prompt(name, values, language) for name in names]
        message = sentences(language, [*self._notices(state), *notes, *prompts])
        return Elicit(key="form" if len(names) > 1 else names[0], message=message, schema=schema)

    def _notices(self, state: PlanTripState) -> list[str]:
        language = state.language
        name_of = self._name_of(language)
        shown = []
        for notice in state.notices:
            params = dict(notice.params)
            if "destination" in params:
                params["destination"] = name_of("destination", params["destination"])
            shown.append(say(language, notice.key, **params))
        return shown

    def _explain(self, state: PlanTripState, note: Note) -> str:
        language = state.language
        return render_invalid(language, note.key, note.params, self._name_of(language))

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

    def _on_answer(self, state: PlanTripState, action: Elicit, answer: Answer) -> None:
        asked = list(action.schema["properties"])
        if answer.action != "accept":
            self._ended_early(state, answer.action, asked[0])
            return
        content = answer.content or {}
        for name in sorted(asked, key=VALIDATION_ORDER.index):
            state.notes.pop(name, None)
            if name not in state.elicited:
                state.elicited.append(name)
            try:
                state.values[name] = self._validate(name, content.get(name), state)
            except Invalid as error:
                state.notes[name] = _note(error)
                attempts = state.attempts[name] = state.attempts.get(name, 0) + 1
                if attempts >= self.options.max_attempts:
                    language = state.language
                    message = say(
                        language,
                        "finish.too_many_invalid",
                        attempts=attempts,
                        field=say(language, f"subject.{name}"),
                        error=self._explain(state, state.notes[name]),
                    )
                    self._finish(state, "failed", message)
                    return
        self._derive_travelers(state)

    def _ended_early(self, state: PlanTripState, action: str, field_name: str) -> None:
        language = state.language
        subject = say(language, f"subject.{field_name}")
        if action == "unsupported":
            self._finish(state, "failed", say(language, "finish.unsupported", field=subject, missing=", ".join(FIELDS)))
            return
        status: FinishStatus = "declined" if action == "decline" else "cancelled"
        self._finish(state, status, say(language, f"finish.{status}", field=subject))

    # --- recommendations

    def _sampling_request(self, state: PlanTripState) -> Sample:
        system_prompt, prompt = self._sampling_text(state)
        return Sample(
            key="recommendations",
            system_prompt=system_prompt,
            prompt=prompt,
            max_tokens=self.options.sampling_max_tokens,
            model_hints=("claude-haiku",),
        )

    def _sampling_text(self, state: PlanTripState) -> tuple[str, str]:
        """The system prompt and the prompt: the trip, in the user's language, asking for that language."""
        language = state.language
        price = self._quote(state).price
        destination = self._destination(state)
        words = destination.words(language)
        prompt = say(
            language,
            "sampling.prompt",
            destination=destination.label_in(language),
            trip_type=self._name_of(language)("trip_type", price.trip_type),
            nights=say(language, "unit.nights", n=price.nights),
            travelers=say(language, "unit.travelers", n=price.travelers),
            highlights=join(language, words.highlights),
            foods=join(language, words.local_food),
        )
        return say(language, "sampling.system"), prompt

    def _destination(self, state: PlanTripState) -> Destination:
        destination = self.catalog.resolve(self._quote(state).price.destination)
        assert destination is not None  # the quote was made from the catalogue
        return destination

    def _trip_text(self, state: PlanTripState) -> recommendations.TripText:
        """What sampled lines are checked against: this destination's names, every other place, the prompt."""
        own = self._destination(state)
        others = [name for d in self.catalog.destinations if d is not own for name in (d.name, *d.aliases, *d.places)]
        system_prompt, prompt = self._sampling_text(state)
        return recommendations.TripText(
            own_places=recommendations.place_keys([own.name, *own.aliases, *own.places]),
            other_places=recommendations.place_keys([*others, *self.catalog.other_places]),
            prompt=f"{system_prompt}\n{prompt}",
        )

    def _on_sample(self, state: PlanTripState, result: SampleResult) -> None:
        if result.text is not None:
            verdict = recommendations.review(result.text, self._trip_text(state))
            if verdict.accepted:
                state.recommendations = Recommendations("sampling", tuple(verdict.lines))
                return
            why = Note(f"review.{verdict.problem}", {"line": verdict.line, "detail": verdict.detail, "n": verdict.detail})
        else:
            why = Note(f"reason.{result.reason or 'failed'}", {"detail": result.detail})
        items = catalogue_recommendations(self._destination(state), state.language)
        state.recommendations = Recommendations("catalogue", tuple(items), why)

    def _recommendations_note(self, state: PlanTripState) -> str:
        """Why the catalogue's recommendations were used ("" for sampled ones)."""
        why = self._recommendations(state).why
        return say(state.language, why.key, **why.params) if why else ""

    # --- the decision and the end

    def _summary(self, state: PlanTripState) -> str:
        return trip_summary(self.catalog, self._quote(state).price, state.language)

    def _confirmation(self, state: PlanTripState) -> Elicit:
        """The quote, the recommendations set apart as quoted text, then the decision with the real total.

        Sampled lines are untrusted: each is shown inside quotation marks under a heading that says
        so, between the quote and the question, so a sampled "Quote … ¥1" cannot pass for either.
        """
        language, quote, tips = state.language, self._quote(state), self._recommendations(state)
        if tips.source == "sampling":
            heading = say(language, "confirm.sampled")
            lines = [say(language, "quoted_line", line=item) for item in tips.items]
        else:
            heading = say(language, "confirm.catalogue", reason=self._recommendations_note(state))
            lines = [f"  - {item}" for item in tips.items]
        parts = [
            sentences(language, [*self._notices(state), say(language, "confirm.quote", quote_id=quote.id, summary=self._summary(state))]),
            "",
            heading,
            *lines,
            "",
            say(language, "confirm.ask", total=f"{quote.price.total_jpy:,}"),
        ]
        return Elicit(key=QUESTION_KEY, message="\n".join(parts), schema=decision_schema(language, quote.price.total_jpy))

    def _on_decision(self, state: PlanTripState, answer: Answer) -> None:
        decision = decided(answer)
        if decision == "book":
            quote = self._quote(state)
            state.book = True  # next_action now returns Book (after any payment) until the booking is done
            require_payment(state, quote.id, quote.price.total_jpy)
            return
        if answer.action == "accept" and decision is None and not out_of_attempts(state, self.options.max_attempts):
            return  # asked again
        self._quoted(state, answer.action)

    def _quoted(self, state: PlanTripState, action: str) -> None:
        """Not booked: `action` is the answer to the decision, or a payment step's `how.*` key."""
        quote, language = self._quote(state), state.language
        how_key = action if action.startswith("how.") else f"how.{action}" if action in ("accept", "decline", "cancel") else "how.unsupported"
        how = say(language, how_key)
        message = say(language, "finish.quoted", how=how, quote_id=quote.id, expires_at=quote.expires_at)
        self._finish(state, "quoted", self._with_place(state, message), self._result_data(state))

    def _booked(self, state: PlanTripState, reservation_id: str) -> None:
        message = say(state.language, "finish.booked", reservation_id=reservation_id, summary=self._summary(state))
        self._finish(state, "booked", self._with_place(state, message), {**self._result_data(state), "reservation_id": reservation_id})

    def _finish(self, state: PlanTripState, status: FinishStatus, message: str, data: dict[str, Any] | None = None) -> None:
        """End the flow; every result also says which fields the caller passed and which were asked."""
        state.finish = Finish(status, message, {**(data or {}), "supplied": list(state.supplied), "elicited": list(state.elicited)})

    def _with_place(self, state: PlanTripState, message: str) -> str:
        """The final message, after the note that a place was planned as its destination."""
        if state.place is None:
            return message
        language = state.language
        destination = self._name_of(language)("destination", state.place.destination)
        return sentences(language, [say(language, "note.place", place=state.place.place, destination=destination), message])

    def _result_data(self, state: PlanTripState) -> dict[str, Any]:
        quote, tips = self._quote(state), self._recommendations(state)
        return {
            "quote_id": quote.id,
            "quote_expires_at": quote.expires_at,
            "quote": quote.price.as_dict(),
            "recommendations": list(tips.items),
            "recommendations_source": tips.source,
            "recommendations_note": self._recommendations_note(state),
            "language": state.language,
        }

    # The quote and the recommendations exist from the search and the sampling round on.

    def _quote(self, state: PlanTripState) -> Quote:
        assert state.quote is not None, "asked for the quote before the search"
        return state.quote

    def _recommendations(self, state: PlanTripState) -> Recommendations:
        assert state.recommendations is not None, "asked for the recommendations before the sampling round"
        return state.recommendations


def _note(error: Invalid) -> Note:
    """An Invalid as flow state: shown in the question's language when it is asked."""
    return Note(error.key, error.params)
