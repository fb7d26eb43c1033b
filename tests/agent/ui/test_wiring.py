"""agent/ui/wiring.py: who answers, reviews and sees progress in the terminal's session, against the real server."""

from __future__ import annotations

import asyncio
import json

import pytest

from agent.config import load_settings
from agent.errors import ConfigError
from agent.tool_progress import UnshownProgress
from agent.transcript import Transcript
from agent.ui.wiring import open_terminal_session
from tests.agent.conftest import answer

BOOKED = [{"action": "accept", "content": {"trip_type": "solo"}}, 2, "Book"]


class Quiet:
    def assistant_text(self, delta):
        pass

    def tool_call(self, name, input):
        pass

    def tool_result(self, outcome):
        pass


def settings_for(script, server, **flags):
    return load_settings(config_file=None, env={}, flags={"model": f"playback:{script}", "server": server.url, **flags})


async def plan(session):
    try:
        return await session.run_turn("Plan Kyoto", Quiet())
    finally:
        await session.close()


async def test_without_a_terminal_or_answers_nobody_answers_and_says_so(book_script, http_server):
    notes: list[str] = []

    session, scripted = await open_terminal_session(
        settings_for(book_script, http_server), Transcript.disabled(), progress=UnshownProgress(), notify=notes.append, terminal=False
    )
    result = await plan(session)

    assert scripted is None
    assert [(outcome.name, outcome.completed) for outcome in result.outcomes] == [("plan_trip", False)]
    assert any("there is no terminal to answer on and no --answers file; cancelled" in note for note in notes)


async def test_an_answers_file_answers_even_at_a_terminal(tmp_path, book_script, http_server):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(BOOKED))

    session, scripted = await open_terminal_session(
        settings_for(book_script, http_server), Transcript.disabled(), progress=UnshownProgress(), notify=lambda text: None, terminal=True, answers=answers
    )
    result = await plan(session)

    assert scripted is not None and scripted.errors == []
    assert [(outcome.name, outcome.status) for outcome in result.outcomes] == [("plan_trip", "booked")]


async def test_a_malformed_answers_file_is_a_config_error_naming_it(tmp_path, book_script, http_server):
    answers = tmp_path / "answers.json"
    answers.write_text('{"action": "accept"}')

    with pytest.raises(ConfigError, match="answers.json must hold a JSON list"):
        await open_terminal_session(
            settings_for(book_script, http_server), Transcript.disabled(), progress=UnshownProgress(), notify=lambda text: None, terminal=False, answers=answers
        )


async def test_at_a_terminal_the_form_answers_and_the_review_approves_sampling(book_script, http_server, pipe, screen):
    session, _ = await open_terminal_session(
        settings_for(book_script, http_server, sampling="ask"),
        Transcript.disabled(),
        progress=UnshownProgress(),
        notify=lambda text: None,
        terminal=True,
        input=pipe,
        output=screen.output(),
    )
    turn = asyncio.create_task(plan(session))
    await answer(screen, pipe, "Trip type*>", "solo\r")
    await answer(screen, pipe, "Nights*>", "2\r")
    await answer(screen, pipe, "[a]pprove / [e]dit / [d]eny >", "a\r")
    await answer(screen, pipe, "[s]end / [e]dit / [d]eny >", "s\r")
    await answer(screen, pipe, "Decision*>", "Book\r")
    result = await turn

    assert [(outcome.name, outcome.status) for outcome in result.outcomes] == [("plan_trip", "booked")]
