"""Who answers a server's elicitation (the Human protocol), and the answerers that need no terminal.

The person at the terminal answers through agent/ui/terminal_human.py; here are an `--answers`
script and nobody. Each implementation returns an outcome and never raises, because an elicitation
callback that raises breaks the MCP exchange; problems are recorded or shown instead. URL requests
(a page to open) reach `open_url` already checked (agent/url_elicitation.py); nobody but the
person at the terminal ever opens one.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from agent.answers import FORMAT_HINT, Accept, NoAnswerField, Refusal, UrlAnswer, bare_answer_field, read_answers
from agent.elicitation_schema import FieldError, read_bare_answer, validate_content
from agent.errors import ConfigError
from agent.url_elicitation import Action, UrlRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ElicitationOutcome:
    """What the server hears: the action, and with accept the form's content."""

    action: Action
    content: dict | None = None


class Human(Protocol):
    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        """Answer one elicitation request; never raises."""
        ...

    async def open_url(self, request: UrlRequest) -> Action:
        """Answer a request to open a web page (accept: the human agreed to go there); never raises."""
        ...


class AbsentHuman:
    """No terminal and no --answers: cancel (never a silent decline) and say why."""

    def __init__(self, notify: Callable[[str], None]) -> None:
        self._notify = notify

    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        self._notify(
            f"{server} asked {message!r}, but there is no terminal to answer on and no --answers file; "
            "cancelled. Run interactively or pass --answers FILE."
        )
        return ElicitationOutcome("cancel")

    async def open_url(self, request: UrlRequest) -> Action:
        self._notify(
            f"{request.server} asked to open {request.url}, but there is no terminal to ask for consent on and no "
            "--answers file; cancelled, nothing was opened."
        )
        return "cancel"


class ScriptedHuman:
    """Answers from an `--answers` list, in order, held to the same schema rules as a typed answer.

    An answer that does not fit the form, or a question after the list ran out, is cancelled and
    recorded in `errors`, so a non-interactive run can exit non-zero. A request to open a web page
    takes the next item only if it is a `{"mode": "url", ...}` one; otherwise it is declined and
    the list is left as it was (a script cannot visit a page unless it says it will). Accept opens
    nothing: the link is shown through `notify` for whoever drives the script.
    """

    def __init__(self, answers: list[Any], *, source: str, notify: Callable[[str], None] | None = None) -> None:
        """Check every item's shape up front, so a typo fails before the run, not midway.

        Raises:
            ConfigError: The list or one of its items is malformed.
        """
        self._answers = deque(read_answers(answers, source))
        self._source = source
        self._notify = notify or (lambda text: None)
        self._used = 0
        self.errors: list[str] = []

    @classmethod
    def from_file(cls, path: Path, *, notify: Callable[[str], None] | None = None) -> ScriptedHuman:
        """Load an `--answers FILE`.

        Raises:
            ConfigError: The file is unreadable, not JSON, or not a list of valid answers.
        """
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ConfigError(f"cannot read answers file {path}: {error.strerror}", hint="check the --answers path") from error
        except json.JSONDecodeError as error:
            raise ConfigError(f"answers file {path} is not valid JSON: {error}", hint=FORMAT_HINT) from error
        return cls(document, source=str(path), notify=notify)

    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        if not self._answers:
            self._record(f"no answer left after {self._used} for {server}'s question {message!r}; cancelled")
            return ElicitationOutcome("cancel")
        answer = self._answers.popleft()
        self._used += 1
        if isinstance(answer, UrlAnswer):
            self._record(f"answer {self._used} is for a web page, but {server} asked {message!r}; cancelled")
            return ElicitationOutcome("cancel")
        try:
            return answer_outcome(answer, schema, checked=True)
        except (NoAnswerField, UnfitAnswer) as problem:
            self._record(f"answer {self._used} does not fit {server}'s question {message!r}: {problem}; cancelled")
            return ElicitationOutcome("cancel")

    async def open_url(self, request: UrlRequest) -> Action:
        if not self._answers or not isinstance(self._answers[0], UrlAnswer):
            self._notify(f"{request.server} asked to open {request.url}; declined (the answers file has no url answer here)")
            return "decline"
        action: Action = self._answers.popleft().action
        self._used += 1
        if action == "accept":
            self._notify(f"{request.server} asked to open a web page; accepted by the answers file, not opened: {request.url}")
        else:
            self._notify(f"{request.server} asked to open {request.url}; {action} (answers file)")
        return action

    def _record(self, error: str) -> None:
        text = f"answers file {self._source}: {error}"
        logger.warning("source=<%s> | %s", self._source, error)
        self.errors.append(text)


class UnfitAnswer(ValueError):
    """A checked answer that does not fit the form; str() says why."""


def answer_outcome(answer: Accept | Refusal | Any, schema: dict, *, checked: bool) -> ElicitationOutcome:
    """The outcome an answers-list item stands for: a refusal, an accept's content, or a bare value in
    the field it fills.

    checked: the bare value is read as the form reads a typed one (a choice by its title or number)
    and the content is held to the schema, as the form would; unchecked, both are sent as written.

    Raises:
        NoAnswerField: A bare value, and the form has no field it fills.
        UnfitAnswer: Checked, and the answer does not fit the form.
    """
    if isinstance(answer, Refusal):
        return ElicitationOutcome(answer.action)
    if isinstance(answer, Accept):
        content = answer.content
    else:
        field = bare_answer_field(schema)
        try:
            content = {field.name: read_bare_answer(field, answer) if checked else answer}
        except FieldError as error:
            raise UnfitAnswer(f"{field.name}: {error}") from error
    problems = validate_content(schema, content) if checked else []
    if problems:
        raise UnfitAnswer("; ".join(problems))
    return ElicitationOutcome("accept", content)
