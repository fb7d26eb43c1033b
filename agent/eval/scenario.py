"""Scenario files (TOML or JSON): what the user says, how questions are answered, what must happen.

The format is documented at the top of configs/scenarios/happy-path.toml; ScenarioFile is its
strict model, and a file that breaks it gets one sentence naming the first problem.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StrictBool, StrictInt, StrictStr, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from agent.errors import ConfigError
from agent.file_format import FileFormat

Policy = Literal["accept-defaults", "decline-all", "cancel-all", "cancel-first"]
Style = Literal["steps", "form"]
POLICIES: tuple[str, ...] = get_args(Policy)
STYLES: tuple[str, ...] = get_args(Style)
_HINT = "see the format described at the top of configs/scenarios/happy-path.toml"

Count = Annotated[StrictInt, Field(ge=0)]


class Expectations(FileFormat):
    """What a run must show; None means "not checked". `completed` is checked unless set to false."""

    completed: StrictBool = True
    booking_exists: StrictBool | None = None
    max_questions: Count | None = None
    min_questions: Count | None = None
    no_sampling: StrictBool | None = None
    final_text_contains: StrictStr | None = None
    status: StrictStr | None = None
    tools: tuple[StrictStr, ...] | None = None
    # Several right ways: the tool calls must be exactly one of these lists.
    tools_one_of: Annotated[tuple[tuple[StrictStr, ...], ...], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_tools_check(self) -> Expectations:
        if self.tools is not None and self.tools_one_of is not None:
            raise PydanticCustomError("one_tools", "give at most one of expect.tools and expect.tools_one_of")
        return self

    def failures(self, stats: dict[str, Any]) -> list[str]:
        """One line per expectation the run's summary numbers do not meet."""
        failed = []
        if self.completed and stats["errors"]:
            failed.append(f"completed: the run had errors: {'; '.join(stats['errors'])}")
        if self.booking_exists is not None and (stats["bookings"] > 0) != self.booking_exists:
            failed.append(f"booking_exists: expected {str(self.booking_exists).lower()}, found {stats['bookings']} booking(s)")
        if self.max_questions is not None and stats["questions"] > self.max_questions:
            failed.append(f"max_questions: expected at most {self.max_questions}, asked {stats['questions']}")
        if self.min_questions is not None and stats["questions"] < self.min_questions:
            failed.append(f"min_questions: expected at least {self.min_questions}, asked {stats['questions']}")
        if self.no_sampling and stats["sampling_calls"]:
            failed.append(f"no_sampling: {stats['sampling_calls']} sampling call(s)")
        if self.final_text_contains is not None and self.final_text_contains not in stats["final_text"]:
            failed.append(f"final_text_contains: {self.final_text_contains!r} not in {stats['final_text'][:120]!r}")
        if self.status is not None and stats["status"] != self.status:
            failed.append(f"status: expected {self.status!r}, got {stats['status']!r}")
        if self.tools is not None and tuple(stats["tool_calls"]) != self.tools:
            failed.append(f"tools: expected {list(self.tools)}, called {stats['tool_calls']}")
        if self.tools_one_of is not None and tuple(stats["tool_calls"]) not in self.tools_one_of:
            expected = " or ".join(str(list(tools)) for tools in self.tools_one_of)
            failed.append(f"tools_one_of: expected {expected}, called {stats['tool_calls']}")
        return failed


class ScenarioFile(FileFormat):
    """One scenario file as written (see the format at the top of configs/scenarios/happy-path.toml)."""

    name: StrictStr | None = None  # None: the file name without extension
    description: StrictStr = ""
    turns: Annotated[tuple[StrictStr, ...], Field(min_length=1)]
    answers: list[Any] | None = None  # items in the --answers format, checked by the scenario's human
    policy: Policy | None = None
    check_answers: StrictBool = True
    playback: StrictStr | None = None  # relative to the scenario file's folder
    sampling: Literal["auto", "deny"] = "auto"
    elicitation_style: Style | None = None  # None: the server's default (steps)
    expect: Expectations = Expectations()

    @model_validator(mode="after")
    def _one_human(self) -> ScenarioFile:
        if (self.answers is None) == (self.policy is None):
            raise PydanticCustomError("one_human", "give exactly one of 'answers' (a list) or 'policy'")
        return self


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    turns: tuple[str, ...]
    source: Path
    answers: list[Any] | None = None
    policy: str | None = None
    check_answers: bool = True
    playback: Path | None = None  # resolved against the scenario file's folder
    sampling: str = "auto"
    elicitation_style: str | None = None  # None: the server's default (steps)
    expect: Expectations = field(default_factory=Expectations)


def load_scenario(path: Path) -> Scenario:
    """Read one scenario file; `.json` is JSON, anything else TOML.

    Raises:
        ConfigError: The file is unreadable, not TOML/JSON, or breaks the format.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read scenario {path}: {error.strerror}", hint="check the scenario path") from error
    try:
        document = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"scenario {path} cannot be parsed: {error}", hint=_HINT) from error
    try:
        written = ScenarioFile.model_validate(document)
    except ValidationError as error:
        raise ConfigError(f"scenario {path}: {_problem(error.errors())}", hint=_HINT) from error
    return Scenario(
        name=written.name or path.stem,
        description=written.description,
        turns=written.turns,
        source=path,
        answers=written.answers,
        policy=written.policy,
        check_answers=written.check_answers,
        playback=None if written.playback is None else path.parent / written.playback,
        sampling=written.sampling,
        elicitation_style=written.elicitation_style,
        expect=written.expect,
    )


# Checked in this order; the first key with a problem is the one reported.
_PROBLEMS = {
    "turns": "'turns' must be a non-empty list of strings",
    "answers": "'answers' must be a list",
    "policy": f"'policy' must be one of {', '.join(POLICIES)}",
    "elicitation_style": f"'elicitation_style' must be one of {', '.join(STYLES)}",
    "sampling": "'sampling' must be auto or deny (nobody is there to review)",
    "check_answers": "check_answers must be true or false",
    "name": "'name' must be a string",
    "description": "'description' must be a string",
    "playback": "'playback' must be a file name",
    "expect": "'expect' must be a table/object",
}


def _problem(errors: list[ErrorDetails]) -> str:
    """The sentence for the first problem pydantic found, in the words the format's docs use."""
    whole = [error for error in errors if not error["loc"] or error["type"] == "one_tools"]
    if whole:  # not a table, or the answers/policy rule (checked only once every key is valid)
        return "the document must be a table/object" if whole[0]["type"] == "model_type" else whole[0]["msg"]
    unknown = _unknown(errors, depth=1)
    if unknown:
        return f"unknown key(s) {', '.join(unknown)}"
    first = min(errors, key=lambda error: list(_PROBLEMS).index(str(error["loc"][0])))
    if first["loc"][0] != "expect" or len(first["loc"]) == 1:
        return _PROBLEMS[str(first["loc"][0])]
    unknown = _unknown(errors, depth=2)
    if unknown:
        return f"unknown expectation(s) {', '.join(unknown)}; known: {', '.join(Expectations.model_fields)}"
    key = first["loc"][1]
    if first["type"] == "bool_type":
        return f"{key} must be true or false"
    if first["type"] in ("int_type", "greater_than_equal"):
        return f"expect.{key} must be a whole number >= 0"
    if key == "tools":
        return f"expect.{key} must be a list of tool names"
    if key == "tools_one_of":
        return f"expect.{key} must be a non-empty list of lists of tool names"
    return f"expect.{key} must be a string"


def _unknown(errors: list[ErrorDetails], *, depth: int) -> list[str]:
    return sorted(str(error["loc"][-1]) for error in errors if error["type"] == "extra_forbidden" and len(error["loc"]) == depth)
