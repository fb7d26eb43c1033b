"""Scenario files (TOML or JSON): what the user says, how questions are answered, what must happen.

The format is documented at the top of configs/scenarios/happy-path.toml.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from agent.errors import ConfigError

POLICIES = ("accept-defaults", "decline-all", "cancel-all", "cancel-first")
STYLES = ("steps", "form")
_KEYS = {"name", "description", "turns", "answers", "policy", "check_answers", "playback", "sampling", "elicitation_style", "expect"}
_HINT = "see the format described at the top of configs/scenarios/happy-path.toml"


@dataclass(frozen=True)
class Expectations:
    """What a run must show; None means "not checked". `completed` is checked unless set to false."""

    completed: bool = True
    booking_exists: bool | None = None
    max_questions: int | None = None
    min_questions: int | None = None
    no_sampling: bool | None = None
    final_text_contains: str | None = None
    status: str | None = None
    tools: tuple[str, ...] | None = None

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
        return failed


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
    return _scenario(document, path)


def _scenario(document: Any, path: Path) -> Scenario:
    def bad(problem: str) -> ConfigError:
        return ConfigError(f"scenario {path}: {problem}", hint=_HINT)

    if not isinstance(document, dict):
        raise bad("the document must be a table/object")
    unknown = set(document) - _KEYS
    if unknown:
        raise bad(f"unknown key(s) {', '.join(sorted(unknown))}")
    turns = document.get("turns")
    if not isinstance(turns, list) or not turns or not all(isinstance(turn, str) for turn in turns):
        raise bad("'turns' must be a non-empty list of strings")
    answers, policy = document.get("answers"), document.get("policy")
    if (answers is None) == (policy is None):
        raise bad("give exactly one of 'answers' (a list) or 'policy'")
    if answers is not None and not isinstance(answers, list):
        raise bad("'answers' must be a list")
    if policy is not None and policy not in POLICIES:
        raise bad(f"'policy' must be one of {', '.join(POLICIES)}")
    style = document.get("elicitation_style")
    if style is not None and style not in STYLES:
        raise bad(f"'elicitation_style' must be one of {', '.join(STYLES)}")
    if document.get("sampling", "auto") not in ("auto", "deny"):
        raise bad("'sampling' must be auto or deny (nobody is there to review)")
    playback = document.get("playback")
    return Scenario(
        name=str(document.get("name") or path.stem),
        description=str(document.get("description", "")),
        turns=tuple(turns),
        source=path,
        answers=answers,
        policy=policy,
        check_answers=_bool(document.get("check_answers", True), "check_answers", bad),
        playback=(path.parent / playback) if isinstance(playback, str) else None,
        sampling=document.get("sampling", "auto"),
        elicitation_style=style,
        expect=_expectations(document.get("expect", {}), bad),
    )


def _expectations(table: Any, bad: Any) -> Expectations:
    if not isinstance(table, dict):
        raise bad("'expect' must be a table/object")
    known = {f.name: f for f in fields(Expectations)}
    unknown = set(table) - set(known)
    if unknown:
        raise bad(f"unknown expectation(s) {', '.join(sorted(unknown))}; known: {', '.join(known)}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        kind = str(known[key].type)
        if "bool" in kind:
            values[key] = _bool(value, key, bad)
        elif "int" in kind:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(f"expect.{key} must be a whole number >= 0")
            values[key] = value
        elif "tuple" in kind:
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise bad(f"expect.{key} must be a list of tool names")
            values[key] = tuple(value)
        elif not isinstance(value, str):
            raise bad(f"expect.{key} must be a string")
        else:
            values[key] = value
    return Expectations(**values)


def _bool(value: Any, key: str, bad: Any) -> bool:
    if not isinstance(value, bool):
        raise bad(f"{key} must be true or false")
    return value
