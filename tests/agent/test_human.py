"""The --answers contract and the absent human, without a server."""

from __future__ import annotations

import json

import pytest

from agent.errors import ConfigError
from agent.human import AbsentHuman, ElicitationOutcome, ScriptedHuman
from agent.url_elicitation import check_url

FORM = {
    "type": "object",
    "properties": {
        "note": {"type": "string"},
        "nights": {"type": "integer", "minimum": 1, "maximum": 7},
        "extras": {"type": "array", "items": {"enum": ["sauna", "bath"]}},
    },
    "required": ["nights"],
}


@pytest.mark.parametrize(
    ("answer", "exp_outcome"),
    [
        (3, ElicitationOutcome("accept", {"nights": 3})),  # bare value: the first required field
        ({"action": "accept", "content": {"nights": 2, "extras": ["bath"]}}, ElicitationOutcome("accept", {"nights": 2, "extras": ["bath"]})),
        ({"action": "decline"}, ElicitationOutcome("decline")),
        ({"action": "cancel"}, ElicitationOutcome("cancel")),
    ],
)
async def test_answers_are_read_as_the_contract_says(answer, exp_outcome):
    human = ScriptedHuman([answer], source="answers.json")
    tru_outcome = await human.elicit("travel-planner", "How long?", FORM)
    assert tru_outcome == exp_outcome
    assert human.errors == []


@pytest.mark.parametrize(
    ("answer", "exp_problem"),
    [
        (9, "nights: must be a whole number between 1 and 7"),
        ({"action": "accept", "content": {"extras": ["gym"]}}, "extras: 'gym' is not allowed"),
        ({"action": "accept", "content": {"nights": 1, "pets": True}}, "pets: not a field of this form"),
    ],
)
async def test_an_answer_that_breaks_the_schema_is_cancelled_and_recorded(answer, exp_problem):
    human = ScriptedHuman([answer], source="answers.json")
    assert await human.elicit("travel-planner", "How long?", FORM) == ElicitationOutcome("cancel")
    (error,) = human.errors
    assert error.startswith("answers file answers.json: answer 1 does not fit travel-planner's question 'How long?'")
    assert exp_problem in error


DESTINATION = {
    "type": "object",
    "properties": {
        "destination": {
            "type": "string",
            "oneOf": [{"const": "Kyoto", "title": "Kyoto (京都)"}, {"const": "Hokkaido", "title": "Hokkaido (北海道)"}],
        }
    },
    "required": ["destination"],
}


@pytest.mark.parametrize("answer", ["北海道", "hokkaido", "ＨＯＫＫＡＩＤＯ", "Hokkaido (北海道)", "2"])
async def test_a_bare_value_may_name_a_choice_by_title_alias_or_number(answer):
    human = ScriptedHuman([answer], source="answers.json")
    assert await human.elicit("travel-planner", "Where to?", DESTINATION) == ElicitationOutcome("accept", {"destination": "Hokkaido"})
    assert human.errors == []


async def test_a_bare_value_naming_two_choices_is_not_guessed():
    schema = {"type": "object", "properties": {"airport": {"type": "string", "oneOf": [
        {"const": "KIX", "title": "Kansai (大阪)"}, {"const": "ITM", "title": "Itami (大阪)"}]}}}
    human = ScriptedHuman(["大阪"], source="answers.json")
    assert await human.elicit("travel-planner", "Which airport?", schema) == ElicitationOutcome("cancel")
    assert "airport: '大阪' could be 1. Kansai (大阪) or 2. Itami (大阪)" in human.errors[0]


async def test_a_bare_value_needs_a_field_to_fill():
    human = ScriptedHuman(["x"], source="answers.json")
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    assert await human.elicit("s", "?", schema) == ElicitationOutcome("cancel")
    assert "a bare value needs a form with one field or a required field" in human.errors[0]


@pytest.mark.parametrize(
    ("document", "exp_message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"action": "accept"}', "must hold a JSON list"),
        ('[{"action": "maybe"}]', 'item 1: "action" must be one of accept, decline, cancel'),
        ('["ok", {"action": "accept"}]', 'item 2: accept needs a "content" object'),
        ('[{"action": "decline", "content": {}}]', "item 1: unexpected keys for decline: content"),
        ("[null]", "item 1: null is not an answer"),
        ('[{"mode": "form", "action": "accept"}]', 'item 1: "mode" can only be "url"'),
        ('[{"mode": "url", "action": "open"}]', 'item 1: "action" must be one of accept, decline, cancel'),
        ('[{"mode": "url", "action": "accept", "content": {}}]', "item 1: unexpected keys for a url answer: content"),
    ],
)
def test_a_malformed_answers_file_is_one_clear_error(tmp_path, document, exp_message):
    path = tmp_path / "answers.json"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        ScriptedHuman.from_file(path)
    assert exp_message in raised.value.message and str(path) in raised.value.message
    assert raised.value.hint


def test_a_missing_answers_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match="cannot read answers file .*absent.json"):
        ScriptedHuman.from_file(tmp_path / "absent.json")


def test_a_valid_answers_file_loads(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(["Kyoto", 2, True, ["sauna"], {"action": "cancel"}]), encoding="utf-8")
    assert ScriptedHuman.from_file(path).errors == []


async def test_absent_human_cancels_and_says_why():
    notes: list[str] = []
    outcome = await AbsentHuman(notes.append).elicit("travel-planner", "Where to?", FORM)
    assert outcome == ElicitationOutcome("cancel")
    assert notes == [
        "travel-planner asked 'Where to?', but there is no terminal to answer on and no --answers file; "
        "cancelled. Run interactively or pass --answers FILE."
    ]


PAGE = check_url("travel-planner", "Pay ¥38,000.", "https://pay.example.com/p/secret")


@pytest.mark.parametrize("action", ["accept", "decline", "cancel"])
async def test_a_url_answer_answers_the_url_request(action):
    notes: list[str] = []
    human = ScriptedHuman([{"mode": "url", "action": action}], source="answers.json", notify=notes.append)
    assert await human.open_url(PAGE) == action
    assert human.errors == []
    exp_note = (
        "travel-planner asked to open a web page; accepted by the answers file, not opened: https://pay.example.com/p/secret"
        if action == "accept"
        else f"travel-planner asked to open https://pay.example.com/p/secret; {action} (answers file)"
    )
    assert notes == [exp_note]


async def test_a_form_question_meeting_a_url_answer_is_cancelled_and_recorded():
    human = ScriptedHuman([{"mode": "url", "action": "accept"}], source="answers.json")
    assert await human.elicit("travel-planner", "How long?", FORM) == ElicitationOutcome("cancel")
    assert human.errors == ["answers file answers.json: answer 1 is for a web page, but travel-planner asked 'How long?'; cancelled"]


async def test_absent_human_cancels_a_url_request_and_opens_nothing():
    notes: list[str] = []
    assert await AbsentHuman(notes.append).open_url(PAGE) == "cancel"
    assert notes == [
        "travel-planner asked to open https://pay.example.com/p/secret, but there is no terminal to ask for consent on "
        "and no --answers file; cancelled, nothing was opened."
    ]
