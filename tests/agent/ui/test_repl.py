"""The real REPL, driven key by key through prompt-toolkit pipe input, against the bundled server."""

import asyncio
import json
import socket

import pytest

from agent.config import load_settings
from agent.replay import read_events as replay_events
from agent.transcript import Transcript
from agent.ui.layout import cells
from agent.ui.repl import Help, Quit, Reset, Save, SwitchModel, Tools, Unknown, parse_command
from tests.agent.conftest import answer, read_events, serving_on_loopback

CTRL_C, CTRL_D, CTRL_X, BACKSPACE = "\x03", "\x04", "\x18", "\x7f"


@pytest.fixture
def start_repl(run_repl):
    def start(script, transcript_path=None, columns=160):
        settings = load_settings(config_file=None, env={}, flags={"model": f"playback:{script}"})
        transcript = Transcript.open(transcript_path) if transcript_path else Transcript.disabled()
        return run_repl(settings, transcript, columns)

    return start


async def test_plan_and_book_through_the_form(start_repl, screen, pipe, book_script, tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"turns": [{"text": "Other model here."}]}))
    transcript_path = tmp_path / "t.jsonl"
    repl = start_repl(book_script, transcript_path)

    await screen.wait_for(f"model playback:{book_script}")
    await screen.wait_for("Ctrl-D quits")
    pipe.send_text("Plan a trip to Kyoto\r")
    await screen.wait_for("trip-server asks")
    await answer(screen, pipe, "Trip type*>", "solo\r")
    await answer(screen, pipe, "Nights*>", "9\r")
    await screen.wait_for("must be")  # validation: 9 is above the maximum; the field is asked again
    pipe.send_text(BACKSPACE + "2\r")
    await screen.wait_for("Sagano scenic train")  # the sampling answer reached the confirmation question
    await answer(screen, pipe, "Decision*>", "Book\r")
    await screen.wait_for("← plan_trip (booked) Booked: reservation TRV-")
    await screen.wait_for("Booked!")

    pipe.send_text("/tools\r")
    await screen.wait_for("book_quote")
    pipe.send_text("/help\r")
    await screen.wait_for("/save FILE")
    pipe.send_text(f"/model playback:{other}\r")
    await screen.wait_for(f"model: playback:{other} (conversation kept)")
    pipe.send_text("Anyone there?\r")
    await screen.wait_for("Other model here.")
    saved = tmp_path / "session.jsonl"
    pipe.send_text(f"/save {saved}\r")
    await screen.wait_for(f"saved to {saved} (replay it with `trip-agent replay {saved}`)")
    pipe.send_text(CTRL_D)
    assert await repl == 0

    # /save writes what --transcript writes, so replay reads it.
    saved_events = replay_events(saved)
    assert saved_events == read_events(transcript_path)[: len(saved_events)]
    texts = [event["text"] for event in saved_events if event["type"] in ("user", "assistant")]
    assert texts[0] == "Plan a trip to Kyoto" and "Booked!" in texts and texts[-1] == "Other model here."
    types = [event["type"] for event in read_events(transcript_path)]
    assert types[:3] == ["user", "tool_call", "elicitation_request"]
    assert {"progress", "sampling_request", "sampling_response", "tool_result", "assistant"} <= set(types)


@pytest.mark.parametrize(("key", "exp_status", "exp_result"), [(CTRL_X, "declined", "You declined"), (CTRL_C, "cancelled", "You cancelled")])
async def test_decline_and_cancel_stay_distinct(start_repl, screen, pipe, book_script, key, exp_status, exp_result):
    repl = start_repl(book_script)
    await screen.wait_for("Ctrl-D quits")
    pipe.send_text("Plan a trip to Kyoto\r")
    await answer(screen, pipe, "Trip type*>", key)
    await screen.wait_for(f"← plan_trip ({exp_status}) {exp_result}")
    await screen.wait_for("Booked!")  # the turn ends normally: the form's Ctrl-C did not cancel it
    pipe.send_text("/quit\r")
    assert await repl == 0


async def test_ctrl_c_clears_the_line_and_unknown_commands_get_a_hint(start_repl, screen, pipe, book_script):
    repl = start_repl(book_script)
    await screen.wait_for("Ctrl-D quits")
    pipe.send_text("half a thought" + CTRL_C)
    pipe.send_text("/help\r")  # had the line survived, this would be "half a thought/help", a turn
    await screen.wait_for("/reset forget the conversation")
    pipe.send_text("/frobnicate\r")
    await screen.wait_for("unknown command /frobnicate; /help lists the commands")
    pipe.send_text("/model\r")
    await screen.wait_for(f"model: playback:{book_script}")
    pipe.send_text(CTRL_D)
    assert await repl == 0


async def test_a_failing_model_is_one_line_and_the_repl_carries_on(start_repl, screen, pipe, tmp_path):
    script = tmp_path / "empty.json"
    script.write_text(json.dumps({"turns": []}))
    repl = start_repl(script)
    await screen.wait_for("Ctrl-D quits")
    pipe.send_text("hello\r")
    await screen.wait_for(f"error: playback file {script} has no turn left after 0 (fix: add turns to the playback file)")
    pipe.send_text("/model no such model\r")
    await screen.wait_for("error: invalid model spec")
    pipe.send_text(CTRL_D)
    assert await repl == 0


@pytest.mark.parametrize(
    ("text", "exp_command"),
    [
        ("/help", Help()),
        ("/tools", Tools()),
        ("/model", SwitchModel(None)),
        ("/model bedrock:x.y", SwitchModel("bedrock:x.y")),
        ("/reset", Reset()),
        ("/quit", Quit()),
        ("/save", Unknown("/save needs a file: /save FILE")),
        ("/help me", Unknown("/help takes no argument")),
        ("hello", None),
    ],
)
def test_parse_command(text, exp_command):
    assert parse_command(text) == exp_command


def test_save_expands_the_path(tmp_path):
    command = parse_command("/save ~/talk.json")
    assert isinstance(command, Save) and not str(command.path).startswith("~")


@pytest.fixture
async def stuck_server():
    """A real MCP server over loopback whose one tool never finishes, so a turn is in flight."""
    from fastmcp import FastMCP

    mcp = FastMCP("stuck")
    entered = asyncio.Event()

    @mcp.tool
    async def wait() -> str:
        """Never returns."""
        entered.set()
        await asyncio.Event().wait()
        return "unreachable"

    async with serving_on_loopback(mcp.http_app()) as url:
        yield url, entered


async def test_ctrl_c_cancels_the_running_turn_and_the_conversation_goes_on(pipe, screen, tmp_path, stuck_server):
    from agent.ui.repl import Repl

    url, entered = stuck_server
    script = tmp_path / "stuck.json"
    script.write_text(json.dumps({"turns": [{"tool_use": {"name": "wait"}}, {"text": "Still here."}]}))
    settings = load_settings(config_file=None, env={}, flags={"model": f"playback:{script}", "server": url})
    repl = asyncio.create_task(Repl(settings, Transcript.disabled(), input=pipe, output=screen.output(), stream=screen).run())

    await screen.wait_for("Ctrl-D quits")
    pipe.send_text("Wait for me\r")
    await entered.wait()  # the MCP call is in flight on the server
    pipe.send_text(CTRL_C)
    await screen.wait_for("(turn cancelled)")
    pipe.send_text("Are you there?\r")
    await screen.wait_for("Still here.")
    pipe.send_text(CTRL_D)
    assert await repl == 0


SHOW_ALL = {
    "turns": [
        {"tool_use": {"name": "plan_trip", "input": {"destination": "Kyoto", "trip_type": "couple", "nights": 2, "travelers": 2}}},
        {"tool_use": {"name": "list_destinations", "input": {}}},
        {"tool_use": {"name": "list_bookings", "input": {}}},
        {"text": "Done."},
    ],
    "sampling": ["Go to Fushimi Inari before eight in the morning to beat the crowds.\nRent bicycles.\nEat yudofu."],
}


def joined(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


async def test_results_are_shown_whole_as_tables_and_wrapped_between_words_at_60_columns(start_repl, screen, pipe, tmp_path):
    script = tmp_path / "show.json"
    script.write_text(json.dumps(SHOW_ALL))
    repl = start_repl(script, columns=60)
    await screen.wait_for("Ctrl-D quits")
    pipe.send_text("Book Kyoto for two, two nights\r")
    await answer(screen, pipe, "Decision*>", "Book\r")
    await screen.wait_for("Done.")
    pipe.send_text("/tools\r")
    await screen.wait_for("cancel_booking")
    pipe.send_text(CTRL_D)
    assert await repl == 0

    lines = screen.lines()
    ours = lines[next(i for i, line in enumerate(lines) if line.startswith("← plan_trip")) :]
    printed = [line.rstrip() for line in ours if "\x08" not in line]  # the prompt's redraws are prompt-toolkit's
    assert all(cells(line) <= 59 for line in printed), [line for line in printed if cells(line) > 59]
    booked = ours[: next(i for i, line in enumerate(ours) if line.startswith("← list_destinations"))]
    # The confirmation whole, its words intact (a word cut in two would not rejoin as the text).
    assert joined(booked).startswith("← plan_trip (booked) Booked: reservation TRV-")
    assert "Kyoto, couple, 2 nights, 2 travellers (1 room): transport ¥28,000 + hotel ¥24,000 = ¥52,000." in joined(booked)
    assert "> “Go to Fushimi Inari before eight in the morning to beat the crowds.”" in joined(booked)
    quoted = next(i for i, line in enumerate(booked) if "“Go to Fushimi" in line)
    assert booked[quoted + 1].startswith("      ")  # a wrapped quoted line stays under its text
    # The catalogue as an aligned table: a column starts at the same cell on every row.
    start = ours.index("  destinations:") + 2  # after the title and the header row
    table = [line for line in ours[start : start + 4]]
    assert [line.split()[0] for line in table] == ["Kyoto", "Okinawa", "Hokkaido", "Fukuoka"]
    assert len({cells(line[: line.index("¥")]) for line in table}) == 1
    assert "Hokkaido (北海道)" in table[2] and "¥35,000" in table[2] and "¥9,000" in table[2]
    # Bookings do not fit 60 columns as a table: the server's own lines, whole.
    bookings = ours[next(i for i, line in enumerate(ours) if line.startswith("← list_bookings")) :]
    assert "[confirmed] Kyoto, couple, 2 nights, 2 travellers (1 room)" in joined(bookings)
    # /tools: names in one column (list_destinations too), descriptions wrapped beside them.
    tools = lines[next(i for i, line in enumerate(lines) if line.startswith("plan_trip ")) :]
    starts = {line.index(line.split()[1]) for line in tools if line and not line.startswith(" ") and len(line.split()) > 1}
    assert len(starts) == 1


@pytest.fixture
def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_on(pipe, screen, script, url):
    from agent.ui.repl import Repl

    settings = load_settings(config_file=None, env={}, flags={"model": f"playback:{script}", "server": url})
    return asyncio.create_task(Repl(settings, Transcript.disabled(), input=pipe, output=screen.output(), stream=screen).run())


async def test_local_commands_answer_while_the_server_is_still_connecting(pipe, screen, tmp_path):
    script = tmp_path / "hello.json"
    script.write_text(json.dumps({"turns": [{"text": "Hello there."}]}))
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        screen.answer_cursor_requests(pipe)
        repl = start_on(pipe, screen, script, f"http://127.0.0.1:{port}/mcp")
        # The toolbar says what is loading. Which step its first drawing catches depends on how
        # fast the earlier ones pass (agent.app may already be imported); the connect then hangs.
        await screen.wait_for("loading the agent…", f"loading model playback:{script}…", f"connecting to 127.0.0.1:{port}…")
        pipe.send_text("/help\r")
        await screen.wait_for("/save FILE save the session as a transcript")
        connection, _ = await asyncio.to_thread(silent.accept)  # the agent is connecting now, and hangs
        pipe.send_text("/model\r")
        await screen.wait_for(f"model: playback:{script} (connecting to 127.0.0.1:{port}…)")
        pipe.send_text(CTRL_D)
        assert await repl == 0
        connection.close()


async def test_a_dead_server_is_reported_before_the_first_turn_and_the_message_waits_for_it(pipe, screen, tmp_path, free_port):
    from tests.mcp_server.conftest import start_server_process

    script = tmp_path / "hello.json"
    script.write_text(json.dumps({"turns": [{"text": "Hello there."}]}))
    url = f"http://127.0.0.1:{free_port}/mcp"
    repl = start_on(pipe, screen, script, url)
    await screen.wait_for(f"trip-agent: cannot reach the MCP server at {url}")  # nothing typed yet
    await screen.wait_for("(the REPL goes on: a message tries again; Ctrl-D quits)")
    pipe.send_text("Plan a trip to Kyoto\r")
    await screen.wait_for(f"trip-agent: cannot reach the MCP server at {url}")  # tried again, failed again
    await screen.wait_for("> Plan a trip to Kyoto")  # the message is offered again, not lost
    server = start_server_process(tmp_path, "--port", str(free_port))
    try:
        pipe.send_text("\r")
        await screen.wait_for("Hello there.")
        pipe.send_text(CTRL_D)
        assert await repl == 0
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)


async def test_the_model_auto_chose_is_said_before_the_first_turn(pipe, screen, tmp_path, http_server):
    from agent.ui.repl import Repl

    settings = load_settings(config_file=None, env={}, flags={"model": "auto", "server": http_server.url})
    repl = asyncio.create_task(Repl(settings, Transcript.disabled(), input=pipe, output=screen.output(), stream=screen).run())
    await screen.wait_for("trip-agent · model auto")
    await screen.wait_for("model: local (no AWS credentials found)")  # nothing typed yet
    pipe.send_text(CTRL_D)
    assert await repl == 0
