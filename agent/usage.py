"""UsageError and the argparse parser every trip-agent command uses to raise it.

argparse's own `error` prints the usage block and exits; our commands instead print one line,
`PROG: message (fix: hint)`, and choose their exit code themselves.
"""

from __future__ import annotations

import argparse
import difflib
from typing import Any, NoReturn


class UsageError(Exception):
    """The command line is wrong; the message and hint are shown on one line."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.args[0]} (fix: {self.hint})"


class UsageParser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError, hinting `PROG --help` (or, with suggest_flags, the flag meant)."""

    def __init__(self, *args: Any, suggest_flags: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suggest_flags = suggest_flags

    def error(self, message: str) -> NoReturn:
        hint = _did_you_mean(message, list(self._option_string_actions), self.prog) if self.suggest_flags else None
        raise UsageError(message, hint or f"see `{self.prog} --help`")


def _did_you_mean(message: str, flags: list[str], prog: str) -> str | None:
    """For "unrecognized arguments: --sampel deny", the flag meant (Python 3.11's argparse has no suggestions)."""
    unknown = message.removeprefix("unrecognized arguments: ") if message.startswith("unrecognized arguments: ") else ""
    for word in unknown.split():
        close = difflib.get_close_matches(word.split("=", 1)[0], flags, n=1, cutoff=0.6) if word.startswith("--") else []
        if close:
            return f"did you mean {close[0]}? `{prog} --help` lists every flag"
    return None
