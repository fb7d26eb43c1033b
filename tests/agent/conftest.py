"""Fixtures for every agent test."""

import pytest
from prompt_toolkit.input import create_pipe_input


@pytest.fixture
def pipe():
    """Keys for a real prompt-toolkit session. The context stays open for the whole test: a
    garbage-collected pipe makes the prompt raise EOFError."""
    with create_pipe_input() as pipe_input:
        yield pipe_input
