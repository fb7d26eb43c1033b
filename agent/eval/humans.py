"""Scenario humans: an answering policy, or an answers list sent without the client's form checks.

An answers list with the form checks on is the CLI's own ScriptedHuman (agent.human).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

from agent.answers import NoAnswerField, UrlAnswer, read_answers
from agent.elicitation_schema import Field, SchemaError, parse_schema
from agent.human import ElicitationOutcome, Human, ScriptedHuman, answer_outcome
from agent.url_elicitation import Action, UrlRequest


class ScenarioHuman(Human, Protocol):
    """A human whose `errors` list the answers that could not be given (a failed run)."""

    errors: list[str]


class PolicyHuman:
    """Answers every question the same way.

    accept-defaults: each field's default, else its first choice, else its minimum (or true/"");
    decline-all / cancel-all: decline or cancel every question;
    cancel-first: cancel the first question, then accept defaults.
    A request to open a web page is declined (cancelled under cancel-all): no policy visits pages.
    """

    def __init__(self, policy: str) -> None:
        self._policy = policy
        self._asked = 0
        self.errors: list[str] = []

    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        self._asked += 1
        if self._policy == "decline-all":
            return ElicitationOutcome("decline")
        if self._policy == "cancel-all" or (self._policy == "cancel-first" and self._asked == 1):
            return ElicitationOutcome("cancel")
        try:
            return ElicitationOutcome("accept", {field.name: _default(field) for field in parse_schema(schema)})
        except SchemaError as error:
            self.errors.append(f"policy {self._policy}: cannot answer {server}'s question {message!r}: {error}")
            return ElicitationOutcome("cancel")

    async def open_url(self, request: UrlRequest) -> Action:
        return "cancel" if self._policy == "cancel-all" else "decline"


class UncheckedHuman:
    """Sends answers as written, unchecked against the form: a client without form validation.

    Items have the --answers format. Lets a scenario measure how the server re-asks a bad answer.
    """

    def __init__(self, answers: list[Any], *, source: str) -> None:
        """Check every item's shape up front, as --answers does.

        Raises:
            ConfigError: An item is malformed.
        """
        self._answers = deque(read_answers(answers, source))
        self._source = source
        self.errors: list[str] = []

    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        if not self._answers:
            self.errors.append(f"answers in {self._source} ran out at {server}'s question {message!r}; cancelled")
            return ElicitationOutcome("cancel")
        answer = self._answers.popleft()
        if isinstance(answer, UrlAnswer):
            self.errors.append(f"answers in {self._source}: a url answer cannot answer {message!r}; cancelled")
            return ElicitationOutcome("cancel")
        try:
            return answer_outcome(answer, schema, checked=False)
        except NoAnswerField:
            self.errors.append(f"answers in {self._source}: a bare value cannot answer {message!r}; cancelled")
            return ElicitationOutcome("cancel")

    async def open_url(self, request: UrlRequest) -> Action:
        """The next item if it is a url answer (as --answers does), else decline."""
        if self._answers and isinstance(self._answers[0], UrlAnswer):
            return self._answers.popleft().action
        return "decline"


def scenario_human(answers: list[Any] | None, policy: str | None, *, check: bool, source: str) -> ScenarioHuman:
    """The human a scenario describes.

    Raises:
        ConfigError: The answers list is malformed.
    """
    if policy is not None:
        return PolicyHuman(policy)
    assert answers is not None
    return ScriptedHuman(answers, source=source) if check else UncheckedHuman(answers, source=source)


def _default(field: Field) -> Any:
    if field.default is not None:
        return field.default
    if field.choices:
        first = field.choices[0].value
        return [first] if field.kind == "multi" else first
    if field.kind in ("integer", "number"):
        return int(field.minimum) if field.kind == "integer" and field.minimum is not None else field.minimum or 0
    if field.kind == "boolean":
        return True
    return ""
