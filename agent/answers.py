"""The `--answers` format (also a scenario's `answers`): what each item means, and where a bare value goes.

An item is {"action": "accept", "content": {...}}, {"action": "decline"}, {"action": "cancel"}, or a
bare string, number, boolean or list that fills the form's single (or first required) field; or
{"mode": "url", "action": ...}, the answer to a request to open a web page (URL elicitation).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, StrictBool, StrictFloat, StrictInt, StrictStr, Tag, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from agent.elicitation_schema import Field, SchemaError, parse_schema, single_answer_field
from agent.errors import ConfigError
from agent.file_format import FileFormat

ACTIONS = ("accept", "decline", "cancel")
FORMAT_HINT = (
    'a JSON list whose items are {"action": "accept", "content": {...}}, {"action": "decline"}, '
    '{"action": "cancel"}, a bare string, number, boolean or list, or for a request to open a web page '
    '{"mode": "url", "action": "accept" | "decline" | "cancel"}'
)


class Accept(FileFormat):
    action: Literal["accept"]
    content: dict[str, Any]


class Refusal(FileFormat):
    action: Literal["decline", "cancel"]


class UrlAnswer(FileFormat):
    """The answer to a request to open a web page; only such a request takes it."""

    mode: Literal["url"]
    action: Literal["accept", "decline", "cancel"]


Bare = StrictStr | StrictInt | StrictFloat | StrictBool | list[Any]


def _kind(answer: Any) -> str | None:
    if isinstance(answer, dict):
        if "mode" in answer:
            return "url"
        action = answer.get("action")
        return action if isinstance(action, str) and action in ACTIONS else None
    if isinstance(answer, UrlAnswer):
        return "url"
    return answer.action if isinstance(answer, Accept | Refusal) else "bare"


Answer = Annotated[
    Annotated[Accept, Tag("accept")]
    | Annotated[Refusal, Tag("decline")]
    | Annotated[Refusal, Tag("cancel")]
    | Annotated[UrlAnswer, Tag("url")]
    | Annotated[Bare, Tag("bare")],
    Discriminator(_kind, custom_error_type="action", custom_error_message=f'"action" must be one of {", ".join(ACTIONS)}'),
]
_ANSWERS = TypeAdapter(list[Answer])


def read_answers(document: Any, source: str) -> list[Accept | Refusal | UrlAnswer | Any]:
    """Every item of an answers list, checked up front so a typo fails before the run, not midway.

    Raises:
        ConfigError: The list or one of its items is malformed (the first problem, naming the item).
    """
    try:
        return _ANSWERS.validate_python(document)
    except ValidationError as error:
        raise ConfigError(_problem(error.errors(), source), hint=FORMAT_HINT) from error


def _problem(errors: list[ErrorDetails], source: str) -> str:
    first = errors[0]
    if not first["loc"]:
        return f"answers file {source} must hold a JSON list"
    index = int(first["loc"][0])
    item = [error for error in errors if error["loc"][0] == index]
    where = f"answers file {source}, item {index + 1}"
    if len(first["loc"]) == 1:
        return f"{where}: {first['msg']}"
    if first["loc"][1] == "bare":
        return f"{where}: {'null is not an answer' if first['input'] is None else 'unsupported value'}"
    unexpected = sorted(str(error["loc"][-1]) for error in item if error["type"] == "extra_forbidden")
    kind = "a url answer" if first["loc"][1] == "url" else first["loc"][1]
    if unexpected:
        return f"{where}: unexpected keys for {kind}: {', '.join(unexpected)}"
    if first["loc"][1] == "url":
        if first["loc"][-1] == "mode":
            return f'{where}: "mode" can only be "url" (an answer to a request to open a web page)'
        return f'{where}: "action" must be one of {", ".join(ACTIONS)}'
    return f'{where}: accept needs a "content" object'


class NoAnswerField(Exception):
    """A bare answer has no field to fill; the message says why."""


def bare_answer_field(schema: dict) -> Field:
    """The field a bare answer fills: the form's single field, else its first required one.

    Raises:
        NoAnswerField: The form is unsupported, or has neither a single field nor a required one.
    """
    try:
        field = single_answer_field(parse_schema(schema))
    except SchemaError as error:
        raise NoAnswerField(f"unsupported form: {error}") from error
    if field is None:
        raise NoAnswerField("a bare value needs a form with one field or a required field")
    return field
