"""The terminal form that answers a server's elicitation request.

Each field is its own prompt-toolkit prompt with live validation, followed by a
review step. Decline and cancel stay distinct everywhere because servers treat
them differently ("not this" versus "stop asking").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from prompt_toolkit import PromptSession
from prompt_toolkit.document import Document
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import Output
from prompt_toolkit.shortcuts import print_formatted_text
from prompt_toolkit.validation import ValidationError, Validator

from agent.elicitation_schema import (
    Field,
    FieldError,
    SchemaError,
    coerce,
    describe_constraints,
    display_value,
    parse_schema,
)

logger = logging.getLogger(__name__)

Action = Literal["accept", "decline", "cancel"]

DECLINE_COMMAND = "/decline"
CANCEL_COMMAND = "/cancel"
KEYS_HINT = f"Ctrl-X or {DECLINE_COMMAND}: decline · Ctrl-C or {CANCEL_COMMAND}: cancel · * required"
REVIEW_CHOICES = {"s": "send", "e": "edit", "d": "decline", "c": "cancel"}


@dataclass(frozen=True)
class ElicitationOutcome:
    action: Action
    content: dict | None = None


class _LeftForm(Exception):
    """The human declined or cancelled; unwinds from whichever prompt was open."""

    def __init__(self, action: Action) -> None:
        super().__init__(action)
        self.action = action


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
        session = PromptSession(input=self._input, output=self._output, key_bindings=_leave_bindings())
        try:
            fields = parse_schema(schema)
        except SchemaError as error:
            _say(session, f"{server} sent a form this terminal cannot show ({error}); declined.")
            return ElicitationOutcome("decline")
        try:
            return await _run_form(session, server, message, fields)
        except _LeftForm as left:
            return ElicitationOutcome(left.action)
        except EOFError:
            _say(session, "Input closed; the form was cancelled.")
            return ElicitationOutcome("cancel")
        except Exception as error:  # the brief: report, then answer the server anyway
            logger.exception("server=<%s> | elicitation form failed", server)
            _say(session, f"The form could not be shown ({error}); cancelled.")
            return ElicitationOutcome("cancel")


async def _run_form(session: PromptSession, server: str, message: str, fields: list[Field]) -> ElicitationOutcome:
    _say(session, f"── {server} asks ──")
    _say(session, message)
    _say(session, f"({KEYS_HINT})")
    previous = {field.name: field.default for field in fields if field.default is not None}
    while True:
        answers = await _fill(session, fields, previous)
        choice = await _review(session, fields, answers)
        if choice == "send":
            return ElicitationOutcome("accept", answers)
        previous = answers  # edit: start over with what the human already typed


async def _fill(session: PromptSession, fields: list[Field], previous: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for field in fields:
        _say(session, _field_intro(field))
        default = display_value(field, previous[field.name]) if field.name in previous else ""
        text = await session.prompt_async(
            f"{field.title}{'*' if field.required else ''}> ",
            default=default,
            validator=_FieldValidator(field),
        )
        _leave_if_commanded(text)
        if text.strip():
            answers[field.name] = coerce(field, text)
    return answers


async def _review(session: PromptSession, fields: list[Field], answers: dict[str, Any]) -> str:
    _say(session, "Review:")
    for field in fields:
        shown = display_value(field, answers[field.name]) if field.name in answers else "(left out)"
        _say(session, f"  {field.title}: {shown}")
    text = await session.prompt_async(
        "[s]end (Enter) / [e]dit / [d]ecline / [c]ancel > ",
        default="",
        validator=_ChoiceValidator(),
    )
    _leave_if_commanded(text)
    choice = _read_choice(text)
    if choice in ("decline", "cancel"):
        raise _LeftForm(choice)
    return choice


def _field_intro(field: Field) -> str:
    lines = [f"{field.title}{' *' if field.required else ''}"]
    rules = describe_constraints(field)
    if rules:
        lines[0] += f"  ({rules})"
    if field.description:
        lines.append(f"  {field.description}")
    for number, choice in enumerate(field.choices, start=1):
        label = choice.title if choice.title == choice.value else f"{choice.title} ({choice.value})"
        lines.append(f"    {number}. {label}")
    return "\n".join(lines)


class _FieldValidator(Validator):
    def __init__(self, field: Field) -> None:
        self._field = field

    def validate(self, document: Document) -> None:
        text = document.text
        if text.strip().lower() in (DECLINE_COMMAND, CANCEL_COMMAND):
            return
        if not text.strip():
            if self._field.required:
                raise ValidationError(message="required: type a value, or Ctrl-X to decline")
            return
        try:
            coerce(self._field, text)
        except FieldError as error:
            raise ValidationError(message=str(error), cursor_position=len(text)) from error


class _ChoiceValidator(Validator):
    def validate(self, document: Document) -> None:
        text = document.text
        if text.strip().lower() in (DECLINE_COMMAND, CANCEL_COMMAND) or _read_choice(text):
            return
        raise ValidationError(message="type s, e, d or c", cursor_position=len(text))


def _read_choice(text: str) -> str | None:
    word = text.strip().lower()
    if not word:
        return "send"  # Enter alone sends: reviewing a one-field answer should cost one key
    return REVIEW_CHOICES.get(word) or (word if word in REVIEW_CHOICES.values() else None)


def _leave_if_commanded(text: str) -> None:
    """Turn a typed /decline or /cancel into leaving the form.

    Raises:
        _LeftForm: the human typed /decline or /cancel.
    """
    command = text.strip().lower()
    if command == DECLINE_COMMAND:
        raise _LeftForm("decline")
    if command == CANCEL_COMMAND:
        raise _LeftForm("cancel")


def _leave_bindings() -> KeyBindings:
    bindings = KeyBindings()

    # eager: Emacs mode also uses Ctrl-X as a prefix (Ctrl-X Ctrl-E, ...), which
    # would otherwise make the key wait for a second keystroke.
    @bindings.add("c-x", eager=True)
    def _decline(event: KeyPressEvent) -> None:
        event.app.exit(exception=_LeftForm("decline"))

    # A SIGINT delivered as a signal (not as a key) must cancel too, not raise KeyboardInterrupt.
    @bindings.add("c-c", eager=True)
    @bindings.add("<sigint>")
    def _cancel(event: KeyPressEvent) -> None:
        event.app.exit(exception=_LeftForm("cancel"))

    return bindings


def _say(session: PromptSession, text: str) -> None:
    print_formatted_text(text, output=session.app.output)
