"""agent/ui/message_turns.py: `--message` turns in-process: the reply on stdout, the rest through `say`, and the verdict."""

from __future__ import annotations

import json

from agent.config import load_settings
from agent.transcript import Transcript
from agent.ui.message_turns import run_messages


def settings_for(script, server):
    return load_settings(config_file=None, env={}, flags={"model": f"playback:{script}", "server": server.url})


async def test_a_booked_turn_succeeds_with_the_reply_on_stdout_and_tool_lines_said(tmp_path, book_script, http_server, capsys):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([{"action": "accept", "content": {"trip_type": "solo"}}, 2, "Book"]))
    said: list[str] = []

    succeeded = await run_messages(settings_for(book_script, http_server), ["Plan Kyoto"], answers, Transcript.disabled(), say=said.append)

    assert succeeded
    assert capsys.readouterr().out == "Booked!\n"
    assert said[0] == "calling plan_trip" and said[1].startswith("plan_trip (booked) Booked: reservation TRV-")


async def test_a_tool_call_the_answers_cancel_fails_the_run(tmp_path, book_script, http_server):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([{"action": "cancel"}]))
    said: list[str] = []

    succeeded = await run_messages(settings_for(book_script, http_server), ["Plan Kyoto"], answers, Transcript.disabled(), say=said.append)

    assert not succeeded
    assert "calling plan_trip" in said
