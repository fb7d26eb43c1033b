"""The terminal form that answers a server's elicitation request.

Each field is its own one-line prompt, checked when Enter is pressed; a form of several fields
ends with a review step. Decline and cancel stay distinct everywhere because servers treat them
differently ("not this" versus "stop asking").
"""

from __future__ import annotations

import logging
from typing import Any

from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from agent.elicitation_schema import (
    Field,
    FieldError,
    SchemaError,
    choice_label,
    coerce,
    describe_constraints,
    says_bounds,
    display_value,
    parse_schema,
)
from agent.human import ElicitationOutcome
from agent.ui.checked_prompt import CheckedPrompt
from agent.ui.choices import Left, decline_cancel_bindings, read_choice

logger = logging.getLogger(__name__)

DECLINE_COMMAND = "/decline"
CANCEL_COMMAND = "/cancel"
KEYS_HINT = f"Ctrl-X or {DECLINE_COMMAND}: decline · Ctrl-C or {CANCEL_COMMAND}: cancel · * required"
REVIEW_CHOICES = {"s": "send", "e": "edit", "d": "decline", "c": "cancel"}


class ElicitationForm:
    """Asks the human to fill a server's form, one field at a time."""

    def __init__(self, *, input: Input | None = None, output: Output | None = None) -> None:
        self._input = input
        self._output = output

    async def ask(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        """Show the form and wait, without a time limit, for the human's answer.

        Never raises: an elicitation callback that raises breaks the MCP exchange,
        so every failure becomes a decline (unusable form) or cancel (broken terminal).
        """
        # A fresh session per form, so one form's answers do not show up in another's history.
        # Ctrl-X declines; Ctrl-C (or a SIGINT) cancels.
        prompt = CheckedPrompt(input=self._input, output=self._output, key_bindings=decline_cancel_bindings())
        try:
            fields = parse_schema(schema)
        except SchemaError as error:
            prompt.say(f"{server} sent a form this terminal cannot show ({error}); declined.")
            return ElicitationOutcome("decline")
        try:
            return await _run_form(prompt, server, message, fields)
        except Left as left:
            return ElicitationOutcome(left.action)
        except EOFError:
            prompt.say("Input closed; the form was cancelled.")
            return ElicitationOutcome("cancel")
        except Exception as error:  # the brief: report, then answer the server anyway
            logger.exception("server=<%s> | elicitation form failed", server)
            prompt.say(f"The form could not be shown ({error}); cancelled.")
            return ElicitationOutcome("cancel")


async def _run_form(prompt: CheckedPrompt, server: str, message: str, fields: list[Field]) -> ElicitationOutcome:
    # A required question with one possible answer is no question: answer it and say so.
    given = {field.name: field.choices[0].value for field in fields if _only_choice(field)}
    asked = [field for field in fields if field.name not in given]
    if not asked:
        # The message stays in view: it may say why only one choice is left (an answer that did not fit).
        answered = "; ".join(_answered_for_you(field) for field in fields)
        prompt.say(f"── {server} asks ── {message} → {answered}" if message else f"── {server} asks ── {answered}")
        return ElicitationOutcome("accept", given)
    prompt.say(f"── {server} asks ── ({KEYS_HINT})")
    if message:
        prompt.say(message)
    for field in fields:
        if field.name in given:
            prompt.say(_answered_for_you(field))
    # A single question's message already asks it; a form's message introduces several.
    said = message if len(asked) == 1 else ""
    previous = {field.name: field.default for field in asked if field.default is not None}
    while True:
        answers = await _fill(prompt, asked, previous, said=said)
        if len(asked) == 1:  # nothing to review that was not just typed
            return ElicitationOutcome("accept", {**given, **answers})
        choice = await _review(prompt, asked, answers)
        if choice == "send":
            return ElicitationOutcome("accept", {**given, **answers})
        previous = answers  # edit: start over with what the human already typed


async def _fill(prompt: CheckedPrompt, fields: list[Field], previous: dict[str, Any], *, said: str) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for field in fields:
        for line in _field_intro(field, said):
            prompt.say(line)
        default = display_value(field, previous[field.name]) if field.name in previous else ""
        label = f"{field.title}{'*' if field.required else ''}> "
        text = await prompt.ask(label, default=default, check=lambda text, field=field: _problem(field, text))
        _leave_if_commanded(text)
        if text.strip():
            answers[field.name] = coerce(field, text)
    return answers


async def _review(prompt: CheckedPrompt, fields: list[Field], answers: dict[str, Any]) -> str:
    prompt.say("Review:")
    for field in fields:
        shown = _as_read(field, answers[field.name]) if field.name in answers else "(left out)"
        prompt.say(f"  {field.title}: {shown}")
    text = await prompt.ask("[s]end (Enter) / [e]dit / [d]ecline / [c]ancel > ", check=_review_problem)
    _leave_if_commanded(text)
    choice = _read_choice(text)
    if choice in ("decline", "cancel"):
        raise Left(choice)
    return choice


def _as_read(field: Field, value: Any) -> str:
    """An answer as the human knows it: a choice by its title, as listed, not by the value sent."""
    titles = {choice.value: choice.title for choice in field.choices}
    if field.kind == "enum":
        return titles[value]
    if field.kind == "multi":
        return ", ".join(titles[item] for item in value)
    return display_value(field, value)


def _only_choice(field: Field) -> bool:
    return field.kind == "enum" and field.required and len(field.choices) == 1


def _answered_for_you(field: Field) -> str:
    return f"{field.title}: {choice_label(field.choices[0])} — the only choice, answered for you"


def _field_intro(field: Field, said: str) -> list[str]:
    """What the question has not said yet about a field: its description, rules and choices, each once.

    The prompt itself shows the title.
    """
    about = field.description if field.description and not said else None
    heard = f"{said} {about or ''}"
    rules = describe_constraints(field)
    if says_bounds(field, heard):
        rules = ""
    line = " ".join(part for part in (about, f"({rules})" if rules else "") if part)
    lines = [f"  {line}"] if line else []
    lines += [f"  {number}. {choice_label(choice)}" for number, choice in enumerate(field.choices, start=1)]
    return lines


def _problem(field: Field, text: str) -> str | None:
    """Why Enter cannot accept `text` for `field`, or None."""
    if text.strip().lower() in (DECLINE_COMMAND, CANCEL_COMMAND):
        return None
    if not text.strip():
        return "required: type a value, or Ctrl-X to decline" if field.required else None
    try:
        coerce(field, text)
    except FieldError as error:
        return str(error)
    return None


def _review_problem(text: str) -> str | None:
    if text.strip().lower() in (DECLINE_COMMAND, CANCEL_COMMAND) or _read_choice(text):
        return None
    return "type s, e, d or c"


def _read_choice(text: str) -> str | None:
    # Enter alone sends: the answers were just typed and shown.
    return read_choice(text, REVIEW_CHOICES, enter="send")


def _leave_if_commanded(text: str) -> None:
    """Turn a typed /decline or /cancel into leaving the form.

    Raises:
        Left: the human typed /decline or /cancel.
    """
    command = text.strip().lower()
    if command == DECLINE_COMMAND:
        raise Left("decline")
    if command == CANCEL_COMMAND:
        raise Left("cancel")
