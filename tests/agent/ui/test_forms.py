"""The elicitation form, driven key by key through a real prompt-toolkit session on an emulated terminal."""

import asyncio

import pytest
from prompt_toolkit.output import DummyOutput

from agent.human import ElicitationOutcome
from agent.ui.forms import ElicitationForm
from tests.agent.ui.conftest import WAIT_S

TRIP_SCHEMA = {
    "type": "object",
    "properties": {
        "destination": {"type": "string", "title": "Destination", "enum": ["Kyoto", "Okinawa"]},
        "nights": {"type": "integer", "title": "Nights", "description": "How long to stay", "minimum": 1, "maximum": 7},
        "note": {"type": "string", "title": "Note"},
    },
    "required": ["destination", "nights"],
}
# The questions trip-server asks (mcp_server/flows/plan_trip.py), one field each.
DESTINATION = {
    "type": "object",
    "properties": {
        "destination": {
            "type": "string",
            "title": "Destination",
            "description": "Where in Japan to go",
            "oneOf": [
                {"const": "Kyoto", "title": "Kyoto (京都)"},
                {"const": "Okinawa", "title": "Okinawa (沖縄)"},
                {"const": "Hokkaido", "title": "Hokkaido (北海道)"},
                {"const": "Fukuoka", "title": "Fukuoka (福岡)"},
            ],
        }
    },
    "required": ["destination"],
}
WHERE = "Where would you like to go? Choose one of: Kyoto (京都), Okinawa (沖縄), Hokkaido (北海道), Fukuoka (福岡)."
NIGHTS = {
    "type": "object",
    "properties": {"nights": {"type": "integer", "title": "Nights", "description": "Hotel nights, 1-7", "minimum": 1, "maximum": 7}},
    "required": ["nights"],
}
DECISION = {
    "type": "object",
    "properties": {
        "decision": {
            "type": "string",
            "title": "Decision",
            "oneOf": [{"const": "Book", "title": "Book (¥52,000)"}, {"const": "Cancel", "title": "Cancel (keep the quote for later)"}],
        }
    },
    "required": ["decision"],
}
SOLO_ONLY = {
    "type": "object",
    "properties": {"trip_type": {"type": "string", "title": "Trip type", "oneOf": [{"const": "solo", "title": "Solo (1 traveller)"}]}},
    "required": ["trip_type"],
}


@pytest.fixture
def form(pipe, terminal):
    return ElicitationForm(input=pipe, output=terminal.output)


async def ask(form, message, schema):
    """The form's outcome; a form still waiting for keys the test never sends fails instead of hanging."""
    return await asyncio.wait_for(form.ask("travel-planner", message, schema), WAIT_S)


async def test_every_field_type_is_prompted_and_coerced(pipe, form, terminal):
    schema = {
        "type": "object",
        "properties": {
            "destination": {"type": "string", "enum": ["Kyoto", "Okinawa"]},
            "trip_type": {"type": "string", "oneOf": [{"const": "solo", "title": "Solo"}, {"const": "couple", "title": "Couple"}]},
            "size": {"type": "string", "enum": ["s", "l"], "enumNames": ["Small", "Large"]},
            "nights": {"type": "integer", "minimum": 1, "maximum": 7},
            "budget": {"type": "number"},
            "email": {"type": "string", "format": "email", "minLength": 3},
            "insured": {"type": "boolean"},
            "extras": {"type": "array", "items": {"anyOf": [{"const": "onsen", "title": "Hot spring"}, {"const": "food", "title": "Food tour"}]}},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["quiet", "busy"]}},
            "code": {"type": "string", "enum": ["x1"], "enumNames": ["Express"]},
        },
    }
    pipe.send_text("okinawa\rcouple\r1\r3\r1500.5\rme@example.jp\ry\r2, hot spring\rbusy\rexpress\rs\r")

    outcome = await ask(form, "Plan your trip", schema)

    exp_content = {
        "destination": "Okinawa",
        "trip_type": "couple",
        "size": "s",
        "nights": 3,
        "budget": 1500.5,
        "email": "me@example.jp",
        "insured": True,
        "extras": ["food", "onsen"],
        "tags": ["busy"],
        "code": "x1",
    }
    assert outcome == ElicitationOutcome("accept", exp_content)
    shown = terminal.log()
    assert "  1. Solo\n  2. Couple\n" in shown  # a title that says its value is not followed by it again
    assert "  1. Express (x1)\n" in shown  # one that does not say it is
    assert "  (whole number between 1 and 7)\nnights> " in shown
    assert "  (y/n)\ninsured> " in shown
    assert "  (format email, at least 3 characters)\nemail> " in shown
    assert "  (comma-separated)\n  1. Hot spring (onsen)\n" in shown
    assert "  trip_type: Couple\n" in shown and "  extras: Food tour, Hot spring\n" in shown  # the review says titles


async def test_header_names_the_server_its_message_and_the_leave_keys(pipe, form, terminal):
    pipe.send_text("1\r2\r\rs\r")

    await ask(form, "Where to?", TRIP_SCHEMA)

    shown = terminal.log()
    assert "── travel-planner asks ── (Ctrl-X or /decline: decline · Ctrl-C or /cancel: cancel · * required)\nWhere to?\n" in shown
    assert "Destination*> " in shown and "  How long to stay (whole number between 1 and 7)\nNights*> " in shown


async def test_a_refused_entry_is_explained_beside_the_field_and_asked_again(pipe, form, terminal):
    task = asyncio.create_task(ask(form, "How many nights (1-7)?", NIGHTS))
    await terminal.wait_for("Nights*>")
    pipe.send_text("9\r")
    await terminal.wait_for("must be a whole number between 1 and 7")

    # On the field's own line, not in a bar at the bottom of the screen.
    row = terminal.row_with("must be a whole number")
    assert terminal.rows()[row] == "Nights*> 9  ✗ must be a whole number between 1 and 7"
    assert row < 10, terminal.rows()
    pipe.send_text("\x7f")  # Backspace: a correction clears the refusal
    await terminal.wait_until(lambda: "Nights*>" in terminal.rows(), "the emptied field")
    assert "✗" not in terminal.text()
    pipe.send_text("3\r")

    assert await task == ElicitationOutcome("accept", {"nights": 3})


async def test_a_review_choice_that_is_not_one_is_explained_beside_it(pipe, form, terminal):
    task = asyncio.create_task(ask(form, "Where to?", TRIP_SCHEMA))
    pipe.send_text("Kyoto\r2\r\r")
    await terminal.wait_for("[s]end")
    pipe.send_text("x\r")
    await terminal.wait_for("type s, e, d or c")

    assert terminal.rows()[terminal.row_with("type s, e, d or c")].endswith("> x  ✗ type s, e, d or c")
    pipe.send_text("\x15send\r")
    assert (await task).action == "accept"


async def test_required_field_left_empty_is_asked_again(pipe, form, terminal):
    task = asyncio.create_task(ask(form, "Where to?", TRIP_SCHEMA))
    await terminal.wait_for("Destination*>")
    pipe.send_text("\r")
    await terminal.wait_for("required: type a value")
    pipe.send_text("2\r1\r\rs\r")

    assert await task == ElicitationOutcome("accept", {"destination": "Okinawa", "nights": 1})


@pytest.mark.parametrize("typed", ["北海道", "Hokkaido", "hokkaido", "ＨＯＫＫＡＩＤＯ", "Hokkaido (北海道)", "  hokkaido ", "3"])
async def test_a_choice_is_its_title_value_alias_or_number_in_any_case_and_width(pipe, form, typed):
    pipe.send_text(typed + "\r")

    assert await ask(form, WHERE, DESTINATION) == ElicitationOutcome("accept", {"destination": "Hokkaido"})


async def test_an_alias_of_two_choices_is_asked_again_with_both(pipe, form, terminal):
    schema = {
        "type": "object",
        "properties": {"airport": {"type": "string", "title": "Airport", "oneOf": [
            {"const": "KIX", "title": "Kansai (大阪)"}, {"const": "ITM", "title": "Itami (大阪)"}, {"const": "HND", "title": "Haneda (東京)"}]}},
        "required": ["airport"],
    }
    task = asyncio.create_task(ask(form, "Which airport?", schema))
    await terminal.wait_for("Airport*>")
    pipe.send_text("大阪\r")
    await terminal.wait_for("type its number")

    assert "✗ '大阪' could be 1. Kansai (大阪) or 2. Itami (大阪): type its number" in terminal.rows()[terminal.row_with("Airport*>")]
    pipe.send_text("\x152\r")
    assert await task == ElicitationOutcome("accept", {"airport": "ITM"})


async def test_a_single_field_is_sent_by_its_own_enter_without_a_review(pipe, form, terminal):
    pipe.send_text("1\r")

    outcome = await ask(form, "Book this trip? Choose Book or Cancel.", DECISION)

    assert outcome == ElicitationOutcome("accept", {"decision": "Book"})
    assert "Review:" not in terminal.log() and "[s]end" not in terminal.log()


async def test_a_form_of_several_fields_keeps_its_review(pipe, form, terminal):
    pipe.send_text("Kyoto\r2\r\r")
    task = asyncio.create_task(ask(form, "Where to?", TRIP_SCHEMA))
    await terminal.wait_for("[s]end (Enter)")

    assert "Review:\n  Destination: Kyoto\n  Nights: 2\n  Note: (left out)\n" in terminal.log()
    pipe.send_text("\r")  # Enter alone sends
    assert await task == ElicitationOutcome("accept", {"destination": "Kyoto", "nights": 2})


async def test_a_question_says_each_thing_once(pipe, form, terminal):
    pipe.send_text("3\r")
    await ask(form, "How many nights (1-7)?", NIGHTS)
    pipe.send_text("1\r")
    await ask(form, "Book this trip? Choose Book or Cancel.", DECISION)

    shown = terminal.text()
    # The message asks the single question: no title line, description or range repeating it.
    assert "How many nights (1-7)?\nNights*> 3" in shown
    assert "Hotel nights" not in shown and "whole number" not in shown
    assert "Book this trip? Choose Book or Cancel.\n  1. Book (¥52,000)\n  2. Cancel (keep the quote for later)\nDecision*> 1" in shown


async def test_a_form_shows_a_description_once_without_repeating_its_range(pipe, form, terminal):
    schema = {"type": "object", "properties": {**NIGHTS["properties"], "note": {"type": "string", "title": "Note"}}, "required": ["nights"]}
    pipe.send_text("2\r\r\r")

    await ask(form, "How many nights (1-7)? Anything else?", schema)

    assert "  Hotel nights, 1-7\nNights*> 2" in terminal.text()


async def test_a_required_question_with_one_choice_is_answered_without_asking(form, terminal):
    outcome = await ask(form, "What kind of trip is it? Choose one of: solo.", SOLO_ONLY)

    assert outcome == ElicitationOutcome("accept", {"trip_type": "solo"})
    assert terminal.log() == (
        "── travel-planner asks ── What kind of trip is it? Choose one of: solo. → Trip type: Solo (1 traveller) — the only choice, answered for you\n"
    )


async def test_a_form_answers_its_one_choice_field_and_asks_the_rest(pipe, form, terminal):
    schema = {"type": "object", "properties": {**SOLO_ONLY["properties"], **NIGHTS["properties"]}, "required": ["trip_type", "nights"]}
    pipe.send_text("2\r")

    outcome = await ask(form, "What kind of trip is it? How many nights (1-7)?", schema)

    assert outcome == ElicitationOutcome("accept", {"trip_type": "solo", "nights": 2})
    shown = terminal.log()
    assert "Trip type: Solo (1 traveller) — the only choice, answered for you\n" in shown
    assert "Trip type*>" not in shown and "Review:" not in shown  # one question was left: no review


@pytest.mark.parametrize(
    ("prop", "required", "keys", "exp_value"),
    [
        ({"type": "string", "title": "Trip type", "enum": ["solo"]}, False, "\r", None),  # optional: leaving it out is a choice
        ({"type": "array", "title": "Trip type", "items": {"enum": ["solo"]}}, True, "1\r", ["solo"]),  # a multi-select may pick none
    ],
)
async def test_only_a_required_single_choice_is_answered_for_the_human(pipe, form, terminal, prop, required, keys, exp_value):
    schema = {"type": "object", "properties": {"trip_type": prop}, "required": ["trip_type"] if required else []}
    pipe.send_text(keys)

    outcome = await ask(form, "What kind of trip is it?", schema)

    assert outcome == ElicitationOutcome("accept", {} if exp_value is None else {"trip_type": exp_value})
    assert "Trip type" in terminal.log() and "answered for you" not in terminal.log()


async def test_optional_field_left_empty_is_omitted(pipe, form):
    pipe.send_text("Kyoto\r2\r\rs\r")

    outcome = await ask(form, "Where to?", TRIP_SCHEMA)

    assert outcome.content == {"destination": "Kyoto", "nights": 2}


async def test_defaults_are_prefilled_and_sent_when_kept(pipe, form, terminal):
    schema = {
        "type": "object",
        "properties": {
            "nights": {"type": "integer", "title": "Nights", "default": 2},
            "insured": {"type": "boolean", "title": "Insured", "default": False},
            "extras": {"type": "array", "title": "Extras", "items": {"enum": ["onsen", "food"]}, "default": ["food"]},
        },
        "required": ["nights"],
    }
    pipe.send_text("\r\r\rs\r")

    outcome = await ask(form, "Details", schema)

    assert outcome == ElicitationOutcome("accept", {"nights": 2, "insured": False, "extras": ["food"]})
    shown = terminal.log()
    assert "Nights*> 2" in shown and "Insured> no" in shown and "Extras> food" in shown


@pytest.mark.parametrize(
    ("keys", "exp_action"),
    [("\x18", "decline"), ("/decline\r", "decline"), ("\x03", "cancel"), ("/cancel\r", "cancel")],
)
async def test_decline_and_cancel_at_a_field_are_distinct(pipe, form, keys, exp_action):
    pipe.send_text("Kyoto\r" + keys)

    outcome = await ask(form, "Where to?", TRIP_SCHEMA)

    assert outcome == ElicitationOutcome(exp_action, None)


@pytest.mark.parametrize(
    ("keys", "exp_action"),
    [("d\r", "decline"), ("\x18", "decline"), ("c\r", "cancel"), ("\x03", "cancel"), ("/cancel\r", "cancel")],
)
async def test_decline_and_cancel_at_review_are_distinct(pipe, form, keys, exp_action):
    pipe.send_text("Kyoto\r2\r\r" + keys)

    outcome = await ask(form, "Where to?", TRIP_SCHEMA)

    assert outcome == ElicitationOutcome(exp_action, None)


async def test_edit_at_review_starts_over_with_current_values(pipe, form, terminal):
    pipe.send_text("Kyoto\r2\rquiet room\re\r")
    # Second pass: every field shows the first answers; keep, change, clear.
    pipe.send_text("\r\x154\r\x15\rs\r")

    outcome = await ask(form, "Where to?", TRIP_SCHEMA)

    assert outcome == ElicitationOutcome("accept", {"destination": "Kyoto", "nights": 4})
    shown = terminal.log()
    assert "Destination*> Kyoto" in shown and "Note> quiet room" in shown
    assert "  Note: (left out)" in shown


async def test_unsupported_schema_is_declined_with_an_explanation(form, terminal):
    schema = {"type": "object", "properties": {"where": {"type": "object"}}}

    outcome = await ask(form, "Where to?", schema)

    assert outcome == ElicitationOutcome("decline", None)
    assert "travel-planner sent a form this terminal cannot show (property 'where' has unsupported type 'object'); declined." in terminal.log()


async def test_closed_input_cancels_instead_of_raising(pipe):
    pipe.send_text("Kyoto\r")
    pipe.close()

    outcome = await ElicitationForm(input=pipe, output=DummyOutput()).ask("travel-planner", "Where to?", TRIP_SCHEMA)

    assert outcome == ElicitationOutcome("cancel", None)
