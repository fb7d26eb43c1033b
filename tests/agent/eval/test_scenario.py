"""Scenario files and the policy humans."""

import asyncio
import json
from pathlib import Path

import pytest

from agent.errors import ConfigError
from agent.eval.humans import PolicyHuman, UncheckedHuman, scenario_human
from agent.eval.scenario import Expectations, load_scenario
from agent.human import ScriptedHuman

SCENARIOS = Path(__file__).resolve().parents[3] / "configs" / "scenarios"
STEP_SCHEMA = {
    "type": "object",
    "properties": {
        "trip_type": {"type": "string", "oneOf": [{"const": "solo", "title": "Solo"}, {"const": "couple", "title": "Couple"}]},
        "nights": {"type": "integer", "minimum": 1, "maximum": 7},
        "travelers": {"type": "integer", "minimum": 1, "maximum": 8, "default": 2},
    },
    "required": ["trip_type", "nights", "travelers"],
}


def test_every_starter_scenario_loads_with_an_existing_playback_file():
    scenarios = [load_scenario(path) for path in sorted(SCENARIOS.glob("*.toml"))]
    assert {s.name for s in scenarios} == {
        "happy-path", "knows-everything", "changes-mind", "declines", "invalid-answers", "price-only",
        "ja-plan-and-book", "ja-price-only", "ja-cancel-by-id",
    }  # fmt: skip
    assert all(s.playback is not None and s.playback.is_file() for s in scenarios)


def test_json_and_toml_read_the_same(tmp_path):
    document = {
        "name": "n",
        "turns": ["hi"],
        "answers": [{"action": "accept", "content": {"trip_type": "solo"}}, 2],
        "playback": "p.json",
        "elicitation_style": "form",
        "expect": {"max_questions": 2, "no_sampling": True, "tools": ["plan_trip"]},
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document))

    tru = load_scenario(path)

    assert tru.answers == document["answers"] and tru.playback == tmp_path / "p.json" and tru.elicitation_style == "form"
    assert tru.expect == Expectations(max_questions=2, no_sampling=True, tools=("plan_trip",))


@pytest.mark.parametrize(
    ("text", "exp_message"),
    [
        ('turns = ["hi"]', "give exactly one of 'answers' (a list) or 'policy'"),
        ('turns = ["hi"]\npolicy = "shrug"', "'policy' must be one of"),
        ('turns = []\npolicy = "decline-all"', "'turns' must be a non-empty list"),
        ('turns = ["hi"]\npolicy = "decline-all"\nturn = 1', "unknown key(s) turn"),
        ('turns = ["hi"]\npolicy = "decline-all"\n[expect]\nmax_question = 1', "unknown expectation(s) max_question"),
        ('turns = ["hi"]\npolicy = "decline-all"\n[expect]\nmax_questions = "1"', "expect.max_questions must be a whole number"),
        ('turns = ["hi"]\npolicy = "decline-all"\nsampling = "ask"', "'sampling' must be auto or deny"),
        ('turns = ["hi"', "cannot be parsed"),
        ('turns = ["hi"]\npolicy = "decline-all"\nplayback = 5', "'playback' must be a file name"),
        ('turns = ["hi"]\npolicy = "decline-all"\nname = 5', "'name' must be a string"),
        ('turns = ["hi"]\npolicy = "decline-all"\n[expect]\ntools_one_of = ["plan_trip"]', "expect.tools_one_of must be a non-empty list of lists"),
        ('turns = ["hi"]\npolicy = "decline-all"\n[expect]\ntools_one_of = []', "expect.tools_one_of must be a non-empty list of lists"),
        (
            'turns = ["hi"]\npolicy = "decline-all"\n[expect]\ntools = ["a"]\ntools_one_of = [["a"]]',
            "give at most one of expect.tools and expect.tools_one_of",
        ),
        ('turns = ["hi"]\npolicy = "decline-all"\nexpect = 1', "'expect' must be a table/object"),
    ],
)
def test_malformed_scenarios_are_config_errors(tmp_path, text, exp_message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert exp_message in str(caught.value) and str(path) in str(caught.value)


def test_tools_one_of_passes_any_listed_sequence_and_names_them_all_when_none_matches():
    expect = Expectations(tools_one_of=(("plan_trip", "plan_trip"), ("plan_trip", "book_quote")))
    stats = {"errors": [], "tool_calls": ["plan_trip", "book_quote"]}

    assert expect.failures(stats) == []
    assert expect.failures({**stats, "tool_calls": ["plan_trip", "plan_trip"]}) == []
    assert expect.failures({**stats, "tool_calls": ["plan_trip"]}) == [
        "tools_one_of: expected ['plan_trip', 'plan_trip'] or ['plan_trip', 'book_quote'], called ['plan_trip']"
    ]


def test_a_missing_scenario_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read scenario"):
        load_scenario(tmp_path / "nope.toml")


def ask(human, schema=STEP_SCHEMA):
    return asyncio.run(human.elicit("trip-server", "question?", schema))


def test_accept_defaults_takes_the_default_else_the_first_choice_else_the_minimum():
    outcome = ask(PolicyHuman("accept-defaults"))
    assert (outcome.action, outcome.content) == ("accept", {"trip_type": "solo", "nights": 1, "travelers": 2})


@pytest.mark.parametrize(
    ("policy", "exp_actions"),
    [
        ("decline-all", ["decline", "decline"]),
        ("cancel-all", ["cancel", "cancel"]),
        ("cancel-first", ["cancel", "accept"]),
        ("accept-defaults", ["accept", "accept"]),
    ],
)
def test_policies_answer_in_turn(policy, exp_actions):
    human = PolicyHuman(policy)
    assert [ask(human).action for _ in exp_actions] == exp_actions


def test_unchecked_answers_reach_the_server_as_written_and_running_out_cancels():
    human = UncheckedHuman([9, {"action": "accept", "content": {"nights": "many"}}], source="s.toml")
    single = {"type": "object", "properties": {"nights": STEP_SCHEMA["properties"]["nights"]}, "required": ["nights"]}

    tru = [ask(human, single) for _ in range(3)]

    assert [(o.action, o.content) for o in tru] == [("accept", {"nights": 9}), ("accept", {"nights": "many"}), ("cancel", None)]
    assert len(human.errors) == 1 and "ran out" in human.errors[0]


def test_checked_answers_are_the_cli_scripted_human():
    assert isinstance(scenario_human(["solo"], None, check=True, source="s"), ScriptedHuman)
    with pytest.raises(ConfigError):
        scenario_human([None], None, check=False, source="s")
