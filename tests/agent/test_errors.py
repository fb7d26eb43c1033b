"""Our error type, its one-line form, and which errors are explained (agent/errors.py)."""

import pytest
from strands.types.exceptions import EventLoopException

from agent.config import ModelSettings
from agent.errors import ConfigError, TripAgentError, explain_model_error, first_line

SETTINGS = ModelSettings("bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-northeast-1", 321, 0.2)


@pytest.mark.parametrize(
    ("error", "exp_line"),
    [
        (RuntimeError("first\nsecond"), "first"),
        (RuntimeError("  "), "RuntimeError"),
        (ValueError("x" * 500), "x" * 200),
    ],
)
def test_first_line_is_one_bounded_line_or_the_type(error, exp_line):
    assert first_line(error) == exp_line


def test_our_own_error_passes_through_the_chain_strands_wraps_it_in():
    ours = ConfigError("bad model id", hint="pick another")
    try:
        try:
            raise ours
        except ConfigError as error:
            raise RuntimeError("while streaming") from error
    except RuntimeError as wrapped:
        chained = EventLoopException(wrapped)

    assert explain_model_error(chained, SETTINGS) is ours
    assert isinstance(ours, TripAgentError)


def test_unknown_errors_are_left_alone():
    assert explain_model_error(RuntimeError("boom"), SETTINGS) is None
