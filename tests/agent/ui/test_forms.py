import asyncio
import io
import re

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.vt100 import Vt100_Output

from agent.ui.forms import ElicitationForm, ElicitationOutcome

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

TRIP_SCHEMA = {
    "type": "object",
    "properties": {
        "destination": {"type": "string", "title": "Destination", "enum": ["Kyoto", "Okinawa"]},
        "nights": {"type": "integer", "title": "Nights", "description": "How long to stay", "minimum": 1, "maximum": 7},
        "note": {"type": "string", "title": "Note"},
    },
    "required": ["destination", "nights"],
}


@pytest.fixture
def screen():
    return io.StringIO()


@pytest.fixture
def form(pipe, screen):
    output = Vt100_Output(screen, lambda: Size(rows=40, columns=200), enable_cpr=False)
    return ElicitationForm(input=pipe, output=output)


def visible(screen):
    return ANSI_ESCAPE.sub("", screen.getvalue()).replace("\r", "")


async def wait_for_text(screen, text):
    """Poll the rendered screen until `text` appears (the prompt runs in another task)."""
    for _ in range(500):
        if text in visible(screen):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{text!r} never rendered; screen: {visible(screen)!r}")


async def test_every_field_type_is_prompted_and_coerced(pipe, form, screen):
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
        },
    }
    pipe.send_text("okinawa\rcouple\r1\r3\r1500.5\rme@example.jp\ry\r2, hot spring\rbusy\rs\r")

    outcome = await form.ask("travel-planner", "Plan your trip", schema)

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
    }
    assert outcome == ElicitationOutcome("accept", exp_content)
    shown = visible(screen)
    assert "    2. Couple (couple)" in shown
    assert "    1. Small (s)" in shown
    assert "nights  (whole number between 1 and 7)" in shown
    assert "insured  (y/n)" in shown
    assert "email  (format email, at least 3 characters)" in shown
    assert "extras  (comma-separated numbers, values or titles)" in shown
    assert "  extras: food, onsen" in shown


async def test_header_names_the_server_its_message_and_the_leave_keys(pipe, form, screen):
    pipe.send_text("1\r2\r\rs\r")

    await form.ask("travel-planner", "Where to?", TRIP_SCHEMA)

    shown = visible(screen)
    assert "── travel-planner asks ──\nWhere to?\n" in shown
    assert "Ctrl-X or /decline: decline" in shown and "Ctrl-C or /cancel: cancel" in shown
    assert "Destination *" in shown and "Nights *" in shown and "  How long to stay" in shown


async def test_invalid_entry_shows_the_error_and_asks_again(pipe, form, screen):
    task = asyncio.create_task(form.ask("travel-planner", "Where to?", TRIP_SCHEMA))
    pipe.send_text("Kyoto\r9\r")
    await wait_for_text(screen, "must be a whole number between 1 and 7")
    pipe.send_text("\x15")  # Ctrl-U clears the rejected text
    pipe.send_text("3\r\rs\r")

    outcome = await task

    assert outcome == ElicitationOutcome("accept", {"destination": "Kyoto", "nights": 3})


async def test_required_field_left_empty_is_asked_again(pipe, form, screen):
    task = asyncio.create_task(form.ask("travel-planner", "Where to?", TRIP_SCHEMA))
    pipe.send_text("\r")
    await wait_for_text(screen, "required: type a value")
    pipe.send_text("2\r1\r\rs\r")

    outcome = await task

    assert outcome == ElicitationOutcome("accept", {"destination": "Okinawa", "nights": 1})


async def test_optional_field_left_empty_is_omitted(pipe, form):
    pipe.send_text("Kyoto\r2\r\rs\r")

    outcome = await form.ask("travel-planner", "Where to?", TRIP_SCHEMA)

    assert outcome.content == {"destination": "Kyoto", "nights": 2}


async def test_defaults_are_prefilled_and_sent_when_kept(pipe, form, screen):
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

    outcome = await form.ask("travel-planner", "Details", schema)

    assert outcome == ElicitationOutcome("accept", {"nights": 2, "insured": False, "extras": ["food"]})
    shown = visible(screen)
    assert "Nights*> 2" in shown and "Insured> no" in shown and "Extras> food" in shown


@pytest.mark.parametrize(
    ("keys", "exp_action"),
    [("\x18", "decline"), ("/decline\r", "decline"), ("\x03", "cancel"), ("/cancel\r", "cancel")],
)
async def test_decline_and_cancel_at_a_field_are_distinct(pipe, form, keys, exp_action):
    pipe.send_text("Kyoto\r" + keys)

    outcome = await form.ask("travel-planner", "Where to?", TRIP_SCHEMA)

    assert outcome == ElicitationOutcome(exp_action, None)


@pytest.mark.parametrize(
    ("keys", "exp_action"),
    [("d\r", "decline"), ("\x18", "decline"), ("c\r", "cancel"), ("\x03", "cancel"), ("/cancel\r", "cancel")],
)
async def test_decline_and_cancel_at_review_are_distinct(pipe, form, keys, exp_action):
    pipe.send_text("Kyoto\r2\r\r" + keys)

    outcome = await form.ask("travel-planner", "Where to?", TRIP_SCHEMA)

    assert outcome == ElicitationOutcome(exp_action, None)


async def test_edit_at_review_starts_over_with_current_values(pipe, form, screen):
    pipe.send_text("Kyoto\r2\rquiet room\re\r")
    # Second pass: every field shows the first answers; keep, change, clear.
    pipe.send_text("\r\x154\r\x15\rs\r")

    outcome = await form.ask("travel-planner", "Where to?", TRIP_SCHEMA)

    assert outcome == ElicitationOutcome("accept", {"destination": "Kyoto", "nights": 4})
    shown = visible(screen)
    assert "Destination*> Kyoto" in shown and "Note> quiet room" in shown
    assert "  Note: (left out)" in shown


async def test_review_rejects_unknown_choices(pipe, form, screen):
    task = asyncio.create_task(form.ask("travel-planner", "Where to?", TRIP_SCHEMA))
    pipe.send_text("Kyoto\r2\r\rx\r")
    await wait_for_text(screen, "type s, e, d or c")
    pipe.send_text("\x15send\r")

    assert (await task).action == "accept"


async def test_enter_alone_at_review_sends(pipe, form, screen):
    pipe.send_text("Kyoto\r2\r\r\r")

    outcome = await form.ask("travel-planner", "Where to?", TRIP_SCHEMA)

    assert outcome == ElicitationOutcome("accept", {"destination": "Kyoto", "nights": 2})
    assert "[s]end (Enter)" in visible(screen)


async def test_unsupported_schema_is_declined_with_an_explanation(pipe, form, screen):
    schema = {"type": "object", "properties": {"where": {"type": "object"}}}

    outcome = await form.ask("travel-planner", "Where to?", schema)

    assert outcome == ElicitationOutcome("decline", None)
    assert "travel-planner sent a form this terminal cannot show (property 'where' has unsupported type 'object'); declined." in visible(screen)


async def test_closed_input_cancels_instead_of_raising(pipe):
    pipe.send_text("Kyoto\r")
    pipe.close()

    outcome = await ElicitationForm(input=pipe, output=DummyOutput()).ask("travel-planner", "Where to?", TRIP_SCHEMA)

    assert outcome == ElicitationOutcome("cancel", None)
