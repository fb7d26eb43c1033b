"""agent/eval/humans.py: what scenario humans do with a request to open a web page."""

from __future__ import annotations

import pytest

from agent.eval.humans import PolicyHuman, UncheckedHuman
from agent.url_elicitation import check_url

PAGE = check_url("travel-planner", "Pay.", "https://pay.example.com/p/1")


@pytest.mark.parametrize(
    ("policy", "exp_action"),
    [("accept-defaults", "decline"), ("cancel-first", "decline"), ("decline-all", "decline"), ("cancel-all", "cancel")],
)
async def test_no_policy_visits_a_page(policy, exp_action):
    assert await PolicyHuman(policy).open_url(PAGE) == exp_action


async def test_unchecked_answers_take_only_a_url_item_for_a_page():
    human = UncheckedHuman(["Book", {"mode": "url", "action": "accept"}], source="scenario.json")
    assert await human.open_url(PAGE) == "decline"  # the next item is a form answer: kept for its question
    await human.elicit("travel-planner", "Book?", {"type": "object", "properties": {"decision": {"type": "string"}}})
    assert await human.open_url(PAGE) == "accept"
    assert human.errors == []
