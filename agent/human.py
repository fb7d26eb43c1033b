"""Who answers a server's elicitation: the person at the terminal, an `--answers` script, or nobody.

Each implementation returns an outcome and never raises, because an elicitation callback that
raises breaks the MCP exchange; problems are recorded or shown instead.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from agent.answers import FORMAT_HINT, Accept, NoAnswerField, Refusal, bare_answer_field, read_answers
from agent.elicitation_schema import FieldError, read_bare_answer, validate_content
from agent.errors import ConfigError
from agent.ui.forms import ElicitationForm, ElicitationOutcome

logger = logging.getLogger(__name__)


class Human(Protocol):
    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        """Answer one elicitation request; never raises."""
        ...


class FormHuman:
    """The person at the terminal, through the prompt-toolkit form."""

    def __init__(self, form: ElicitationForm) -> None:
        self._form = form

    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        return await self._form.ask(server, message, schema)


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


class ScriptedHuman:
    """Answers from an `--answers` list, in order, held to the same schema rules as a typed answer.

    An answer that does not fit the form, or a question after the list ran out, is cancelled and
    recorded in `errors`, so a non-interactive run can exit non-zero.
    """

    def __init__(self, answers: list[Any], *, source: str) -> None:
        """Check every item's shape up front, so a typo fails before the run, not midway.

        Raises:
            ConfigError: The list or one of its items is malformed.
        """
        self._answers = deque(read_answers(answers, source))
        self._source = source
        self._used = 0
        self.errors: list[str] = []

    @classmethod
    def from_file(cls, path: Path) -> ScriptedHuman:
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
        return cls(document, source=str(path))

    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        if not self._answers:
            self._record(f"no answer left after {self._used} for {server}'s question {message!r}; cancelled")
            return ElicitationOutcome("cancel")
        answer = self._answers.popleft()
        self._used += 1
        outcome, problem = _outcome(answer, schema)
        if problem:
            self._record(f"answer {self._used} does not fit {server}'s question {message!r}: {problem}; cancelled")
            return ElicitationOutcome("cancel")
        return outcome

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
