"""The `--answers` format: every item checked up front, and the field a bare answer fills (agent/answers.py)."""

import pytest

from agent.answers import Accept, NoAnswerField, Refusal, UrlAnswer, bare_answer_field, read_answers
from agent.errors import ConfigError

NIGHTS = {"type": "object", "properties": {"nights": {"type": "integer", "minimum": 1}}, "required": ["nights"]}


def test_each_kind_of_item_reads_as_its_own_type():
    tru = read_answers(
        [{"action": "accept", "content": {"nights": 2}}, {"action": "decline"}, {"mode": "url", "action": "cancel"}, "Kyoto", 2, [1]],
        "a.json",
    )

    assert [type(item) for item in tru[:3]] == [Accept, Refusal, UrlAnswer]
    assert tru[3:] == ["Kyoto", 2, [1]]


@pytest.mark.parametrize(
    ("document", "exp_message"),
    [
        ({"action": "accept"}, "answers file a.json must hold a JSON list"),
        ([{"action": "accept"}], 'answers file a.json, item 1: accept needs a "content" object'),
        (["ok", {"action": "maybe"}], 'answers file a.json, item 2: "action" must be one of accept, decline, cancel'),
        ([None], "answers file a.json, item 1: null is not an answer"),
        ([{"action": "decline", "content": {}}], "answers file a.json, item 1: unexpected keys for decline: content"),
        ([{"mode": "form", "action": "accept"}], 'answers file a.json, item 1: "mode" can only be "url"'),
    ],
)
def test_a_malformed_item_is_one_line_naming_the_file_and_the_item(document, exp_message):
    with pytest.raises(ConfigError) as caught:
        read_answers(document, "a.json")

    assert caught.value.message.startswith(exp_message) and "\n" not in caught.value.message


def test_a_bare_answer_fills_the_single_or_first_required_field_else_says_why():
    assert bare_answer_field(NIGHTS).name == "nights"
    optional = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    with pytest.raises(NoAnswerField, match="one field or a required field"):
        bare_answer_field(optional)
