"""A typed choice, by its letter or its word (agent/ui/choices.py; the prompts that use it are tested at a pipe terminal)."""

import pytest

from agent.ui.choices import read_choice

CHOICES = {"s": "send", "e": "edit", "d": "deny"}


@pytest.mark.parametrize(
    ("text", "exp"),
    [("s", "send"), (" SEND ", "send"), ("deny", "deny"), ("x", None), ("sen", None), ("", None)],
)
def test_a_letter_or_a_whole_word_names_a_choice(text, exp):
    assert read_choice(text, CHOICES) == exp


def test_enter_alone_is_the_default_only_when_one_is_given():
    assert read_choice("  ", CHOICES, enter="send") == "send"
    assert read_choice("", CHOICES) is None
