"""agent/eval/runner.py: which model a run loads and where its files go (runs end to end: test_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import ConfigError
from agent.eval.runner import RunPlan, model_spec, run_dir_name
from agent.eval.scenario import Scenario


def scenario(**fields) -> Scenario:
    return Scenario(**{"name": "happy-path", "description": "", "turns": ("hi",), "source": Path("s/happy-path.toml"), **fields})


def test_the_word_playback_loads_the_scenarios_own_script_and_any_other_spec_stays():
    own = scenario(playback=Path("s/happy-path.playback.json"))

    assert model_spec(own, "playback") == "playback:s/happy-path.playback.json"
    assert model_spec(own, "bedrock:x") == "bedrock:x"
    assert model_spec(own, None) is None


def test_playback_for_a_scenario_without_a_script_says_how_to_add_one():
    with pytest.raises(ConfigError, match="has no 'playback' file") as raised:
        model_spec(scenario(), "playback")

    assert "--model playback:FILE" in raised.value.hint


@pytest.mark.parametrize(
    ("label", "style", "exp"),
    [
        ("bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0", None, "happy-path/bedrock_us.anthropic.claude-haiku-4-5-20251001-v1_0"),
        ("playback", "form", "happy-path/playback-form"),
        ("::", None, "happy-path/model"),
    ],
)
def test_each_run_has_its_own_folder_named_after_model_and_style(tmp_path, label, style, exp):
    plan = RunPlan(scenario(), label, tmp_path, elicitation_style=style)

    assert run_dir_name(plan, label) == tmp_path / exp
