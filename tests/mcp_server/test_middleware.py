"""mcp_server/middleware.py: argument errors as one short clause per argument."""

import pytest
from pydantic import StrictInt, ValidationError, validate_call

from mcp_server.middleware import MAX_NAME_CHARS, describe, shorten


@validate_call
def tool(nights: StrictInt | str, travelers: int = 1) -> None:
    """Stands for a tool: fastmcp validates a call's arguments the same way (pydantic's arguments schema)."""


def errors_of(**arguments) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        tool(**arguments)
    return raised.value


def test_missing_unknown_and_union_arguments_are_one_clause_each():
    assert describe(errors_of(nigths=2)) == "nights: missing; nigths: not an argument of this tool"
    assert describe(errors_of(nights=[1])) == "nights: should be a valid integer or a valid string (got [1])"


def test_a_long_value_and_a_long_name_are_cut():
    long_value = describe(errors_of(nights=["x" * 100]))
    assert long_value.endswith(f"(got {repr(['x' * 100])[:37]}...)") and len(long_value) < 110
    unknown = describe(errors_of(nights=1, **{"n" * 1000: 1}))
    assert unknown == f"{'n' * (MAX_NAME_CHARS - 1)}…: not an argument of this tool"


def test_shorten_keeps_text_within_its_limit():
    assert shorten("short", 10) == "short"
    assert shorten("x" * 11, 10) == "x" * 9 + "…"
