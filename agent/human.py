"""Who answers a server's elicitation: the person at the terminal, an `--answers` script, or nobody.

Each implementation returns an outcome and never raises, because an elicitation callback that
raises breaks the MCP exchange; problems are recorded or shown instead. URL requests (a page to
open) reach `open_url` already checked (agent/url_elicitation.py); nobody but the person at the
terminal ever opens one.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from agent.answers import FORMAT_HINT, Accept, NoAnswerField, Refusal, UrlAnswer, bare_answer_field, read_answers
from agent.elicitation_schema import FieldError, read_bare_answer, validate_content
from agent.errors import ConfigError
from agent.ui.forms import ElicitationForm, ElicitationOutcome
from agent.ui.url_prompt import UrlPrompt
from agent.url_elicitation import Action, UrlRequest

logger = logging.getLogger(__name__)


class Human(Protocol):
    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        """Answer one elicitation request; never raises."""
        ...

    async def open_url(self, request: UrlRequest) -> Action:
        """Answer a request to open a web page (accept: the human agreed to go there); never raises."""
        ...


class FormHuman:
    """The person at the terminal, through the prompt-toolkit form and the URL consent prompt."""

    def __init__(self, form: ElicitationForm, url_prompt: UrlPrompt | None = None) -> None:
        self._form = form
        self._url_prompt = url_prompt or UrlPrompt()

    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        return await self._form.ask(server, message, schema)

    async def open_url(self, request: UrlRequest) -> Action:
        return await self._url_prompt.ask(request)


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
        outcome, problem = _outcome(answer, schema)
        if problem:
            self._record(f"answer {self._used} does not fit {server}'s question {message!r}: {problem}; cancelled")
            return ElicitationOutcome("cancel")
        return outcome

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


def _outcome(answer: Any, schema: dict) -> tuple[ElicitationOutcome, str | None]:
    """The outcome an answer stands for, or why it cannot be sent for this schema."""
    if isinstance(answer, Refusal):
        return ElicitationOutcome(answer.action), None
    if isinstance(answer, Accept):
        content = answer.content
    else:
        try:
            field = bare_answer_field(schema)
        except NoAnswerField as error:
            return ElicitationOutcome("cancel"), str(error)
        try:
            content = {field.name: read_bare_answer(field, answer)}
        except FieldError as error:
            return ElicitationOutcome("cancel"), f"{field.name}: {error}"
    problems = validate_content(schema, content)
    if problems:
        return ElicitationOutcome("cancel"), "; ".join(problems)
    return ElicitationOutcome("accept", content), None
