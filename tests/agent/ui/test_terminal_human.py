"""agent/ui/terminal_human.py: the person at the terminal answers a question with the form and a web page with the consent prompt."""

from __future__ import annotations

import asyncio

from agent.human import ElicitationOutcome
from agent.ui.forms import ElicitationForm
from agent.ui.terminal_human import FormHuman
from agent.ui.url_prompt import UrlPrompt
from agent.url_elicitation import check_url
from tests.agent.conftest import answer

NIGHTS = {"type": "object", "properties": {"nights": {"type": "integer", "minimum": 1}}, "required": ["nights"]}


def human(pipe, screen, opened: list[str]) -> FormHuman:
    output = screen.output()
    return FormHuman(
        ElicitationForm(input=pipe, output=output),
        UrlPrompt(input=pipe, output=output, opener=lambda url: opened.append(url)),
    )


async def test_a_question_is_answered_with_the_form(pipe, screen):
    asked = asyncio.ensure_future(human(pipe, screen, []).elicit("travel-planner", "How many nights?", NIGHTS))

    await answer(screen, pipe, "nights*>", "3\r")

    assert await asked == ElicitationOutcome("accept", {"nights": 3})


async def test_a_web_page_is_opened_only_after_the_consent_prompt(pipe, screen):
    opened: list[str] = []
    page = check_url("travel-planner", "Pay.", "https://pay.example.com/p/1")
    asked = asyncio.ensure_future(human(pipe, screen, opened).open_url(page))

    await screen.wait_for("travel-planner asks you to open a web page")
    assert opened == []
    await answer(screen, pipe, "[c]ancel >", "o\r")

    assert await asked == "accept"
    assert opened == ["https://pay.example.com/p/1"]
