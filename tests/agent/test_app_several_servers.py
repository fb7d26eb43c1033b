"""Several MCP servers in one session: the official "everything" server (npm, over stdio, started by
the agent) beside trip-server (over loopback HTTP), through the real REPL and the real CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.config import load_settings
from agent.transcript import Transcript
from tests.agent.conftest import answer, read_events, serving_on_loopback
from tests.peers.everything import everything_args, processes_mentioning

TRIP_AGENT = Path(sys.executable).parent / "trip-agent"
CTRL_D = "\x04"
TIPS = "Walk Fushimi Inari at dawn.\nTake the Sagano scenic train.\nTry yudofu near Nanzen-ji."
# The everything server's form, after its one required field: each optional field, in order.
EVERYTHING_OPTIONAL_FIELDS = (
    "Boolean>",
    "String with default>",
    "String with email format>",
    "String with uri format>",
    "String with date format>",
    "Integer>",
    "Number in range 1-1000>",
    "Untitled Single Select Enum>",
    "Untitled Multiple Select Enum>",
    "Titled Single Select Enum>",
    "Titled Multiple Select Enum>",
    "Legacy Titled Single Select Enum>",
)
SERVER_EVENTS = {
    "tool_call",
    "tool_result",
    "tool_structured",
    "elicitation_request",
    "elicitation_response",
    "sampling_request",
    "sampling_response",
    "progress",
}


def everything(marker: Path, **policy) -> dict:
    """An `mcpServers` entry for the everything server."""
    return {"command": "node", "args": everything_args(marker), **policy}


@pytest.fixture
def start_repl(run_repl, tmp_path):
    def start(script: dict, servers: dict, **flags):
        (tmp_path / "script.json").write_text(json.dumps(script), encoding="utf-8")
        (tmp_path / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
        (tmp_path / "agent.toml").write_text(f'[agent]\nlog_dir = "{tmp_path / "logs"}"\n', encoding="utf-8")
        settings = load_settings(
            config_file=tmp_path / "agent.toml",
            env={},
            flags={"model": f"playback:{tmp_path / 'script.json'}", **flags},
            mcp_config=tmp_path / "mcp.json",
        )
        return run_repl(settings, Transcript.open(tmp_path / "t.jsonl"))

    return start


async def test_everything_over_stdio_and_trip_server_over_http_in_one_repl(start_repl, screen, pipe, tmp_path, http_server):
    marker = tmp_path / "everything-marker"
    script = {
        "turns": [
            {"tool_use": {"name": "trigger-elicitation-request", "input": {}}},
            {"text": "Thanks, Ada."},
            {"tool_use": {"name": "plan_trip", "input": {"destination": "Kyoto", "trip_type": "couple", "nights": 2, "travelers": 2}}},
            {"text": "Booked!"},
            {"tool_use": {"name": "trigger-sampling-request", "input": {"prompt": "Say hello", "maxTokens": 20}}},
            {"tool_use": {"name": "trigger-long-running-operation", "input": {"duration": 0.2, "steps": 2}}},
            {"text": "All done."},
        ],
        "sampling": [TIPS, "Hello from your model."],
    }
    repl = start_repl(script, {"everything": everything(marker), "trip-server": {"url": http_server.url}}, sampling="ask")

    await screen.wait_for("servers everything, trip-server")
    await screen.wait_for("Ctrl-D quits")
    pipe.send_text("/tools\r")
    await screen.wait_for("everything: 16 tools")
    await screen.wait_for("trigger-elicitation-request")
    await screen.wait_for("trigger-url-elicitation")  # offered only to clients declaring URL elicitation
    await screen.wait_for("trip-server: 7 tools")
    await screen.wait_for("plan_trip")

    # A form from each server, each saying which server asks.
    pipe.send_text("Fill in the everything form\r")
    await screen.wait_for("── everything asks ──")
    await answer(screen, pipe, "String*>", "Ada Lovelace\r")
    for prompt in EVERYTHING_OPTIONAL_FIELDS:  # Enter keeps each optional field's default (or leaves it out)
        await answer(screen, pipe, prompt, "\r")
    await answer(screen, pipe, "[s]end (Enter)", "\r")
    await screen.wait_for("User provided the requested information!")
    await screen.wait_for("- Name: Ada Lovelace")
    await screen.wait_for("Thanks, Ada.")

    pipe.send_text("Book Kyoto for two\r")
    await screen.wait_for("trip-server · plan_trip: 1/5 (20%)")  # progress, named with its server
    await screen.wait_for("── trip-server asks to use your model (sampling)")
    await answer(screen, pipe, "[a]pprove", "a\r")
    await screen.wait_for("answered the request from trip-server")
    await answer(screen, pipe, "[s]end", "s\r")
    await screen.wait_for("── trip-server asks ──")
    await answer(screen, pipe, "Decision*>", "Book\r")
    await screen.wait_for("← plan_trip (booked) Booked: reservation TRV-")
    await screen.wait_for("Booked!")

    # Sampling and progress from the everything server, named as such.
    pipe.send_text("Now the everything server's sampling and progress\r")
    await screen.wait_for("── everything asks to use your model (sampling)")
    await screen.wait_for("Resource trigger-sampling-request context: Say hello")
    await answer(screen, pipe, "[a]pprove", "a\r")
    await screen.wait_for("answered the request from everything")
    await answer(screen, pipe, "[s]end", "s\r")
    await screen.wait_for('"text": "Hello from your model."')
    await screen.wait_for("everything · trigger-long-running-operation: 1/2 (50%)")
    await screen.wait_for("everything · trigger-long-running-operation: 2/2 (100%)")
    await screen.wait_for("All done.")
    assert processes_mentioning(marker)  # the agent started it ...
    pipe.send_text(CTRL_D)
    assert await repl == 0
    assert processes_mentioning(marker) == []  # ... and stopped it: no orphan

    events = read_events(tmp_path / "t.jsonl")
    server_events = [event for event in events if event["type"] in SERVER_EVENTS]
    assert all("server" in event for event in server_events)
    by_server = {}
    for event in server_events:
        by_server.setdefault(event["server"], set()).add(event["type"])
    assert by_server["everything"] >= {"tool_call", "tool_result", "elicitation_request", "elicitation_response", "sampling_request", "sampling_response", "progress"}
    assert by_server["trip-server"] >= {"tool_call", "tool_result", "elicitation_request", "elicitation_response", "sampling_request", "sampling_response", "progress"}
    (accepted,) = [event for event in events if event["type"] == "elicitation_response" and event["server"] == "everything"]
    assert accepted["action"] == "accept" and accepted["content"]["name"] == "Ada Lovelace"
    # The server's stderr went to its log, not the terminal.
    assert "Starting default (STDIO) server" in (tmp_path / "logs/servers/everything.log").read_text()
    assert "Starting default (STDIO) server" not in screen.plain()


async def test_clashing_tool_names_are_prefixed_and_each_server_keeps_its_own_sampling_policy(start_repl, screen, pipe, tmp_path):
    marker = tmp_path / "everything-marker"
    script = {"turns": [{"tool_use": {"name": "b_echo", "input": {"message": "from b"}}}, {"text": "Echoed."}]}
    # Under `deny` sampling is not declared, so the everything server does not offer its sampling tool.
    repl = start_repl(script, {"a": everything(marker, sampling="deny"), "b": everything(marker)})

    await screen.wait_for("Ctrl-D quits")
    pipe.send_text("/tools\r")
    await screen.wait_for("a: 15 tools")
    await screen.wait_for("a_echo")
    await screen.wait_for("b: 16 tools")
    await screen.wait_for("b_echo")
    await screen.wait_for("trigger-sampling-request")  # only b offers it: no clash, no prefix
    pipe.send_text("Echo it\r")
    await screen.wait_for("← b_echo (success) Echo: from b")
    await screen.wait_for("Echoed.")
    pipe.send_text(CTRL_D)
    assert await repl == 0
    assert "_trigger-sampling-request" not in screen.plain()

    (result,) = [event for event in read_events(tmp_path / "t.jsonl") if event["type"] == "tool_result"]
    assert (result["name"], result["server"]) == ("b_echo", "b")
    assert processes_mentioning(marker) == []


def run(*args, cwd):
    return subprocess.run(
        [str(TRIP_AGENT), *map(str, args)], capture_output=True, text=True, cwd=cwd, stdin=subprocess.DEVNULL, timeout=120, env=os.environ
    )


def test_a_server_that_fails_to_start_is_named_with_its_log_and_the_others_still_work(tmp_path):
    marker = tmp_path / "everything-marker"
    config = tmp_path / "mcp.json"
    crash = "console.error('missing API key'); process.exit(3)"
    servers = {"broken": {"command": "node", "args": ["-e", crash]}, "everything": everything(marker)}
    config.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    (tmp_path / "agent.toml").write_text(f'[agent]\nlog_dir = "{tmp_path / "logs"}"\n', encoding="utf-8")
    script = tmp_path / "echo.json"
    script.write_text(json.dumps({"turns": [{"tool_use": {"name": "echo", "input": {"message": "hi"}}}, {"text": "Done."}]}))

    done = run("--config", tmp_path / "agent.toml", "--mcp-config", config, "--model", f"playback:{script}", "--message", "Echo", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout == "Done.\n"
    log = tmp_path / "logs/servers/broken.log"
    (notice,) = [line for line in done.stderr.splitlines() if "broken" in line]
    assert notice.startswith("trip-agent: going on without broken: MCP server broken did not start:")
    assert "(its log ends: missing API key)" in notice and f"its stderr is in {log}" in notice
    assert "trip-agent: echo (success) Echo: hi" in done.stderr
    assert "missing API key" in log.read_text()
    assert processes_mentioning(marker) == []


def test_when_no_server_starts_the_run_fails_and_a_bad_mcp_config_is_a_usage_error(tmp_path):
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"absent": {"command": "no-such-command-for-trip-agent"}}}))
    script = tmp_path / "hello.json"
    script.write_text(json.dumps({"turns": [{"text": "Hello."}]}))

    done = run("--mcp-config", config, "--model", f"playback:{script}", "--message", "Hi", cwd=tmp_path)

    assert done.returncode == 1
    assert done.stderr.startswith("trip-agent: MCP server absent did not start:")
    assert "no-such-command-for-trip-agent" in done.stderr

    config.write_text(json.dumps({"mcpServers": {"absent": {"command": "x", "environment": {}}}}))
    done = run("--mcp-config", config, "--model", f"playback:{script}", "--message", "Hi", cwd=tmp_path)

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"trip-agent: server 'absent' in {config}: field 'environment': unknown field (fix: "
        + '{"mcpServers": {"NAME": {"command": "...", "args": [...], "env": {...}}}} '
        + 'or {"mcpServers": {"NAME": {"url": "https://...", "headers": {...}}}})'
    ]


def test_a_servers_own_rate_limit_refuses_its_second_sampling_request(tmp_path):
    marker = tmp_path / "everything-marker"
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"everything": everything(marker, rate_limit_per_minute=1)}}))
    sample = {"tool_use": {"name": "trigger-sampling-request", "input": {"prompt": "Hi", "maxTokens": 20}}}
    script = tmp_path / "twice.json"
    script.write_text(json.dumps({"turns": [sample, sample, {"text": "Done."}], "sampling": ["First.", "Second."]}))
    transcript = tmp_path / "t.jsonl"

    done = run("--mcp-config", config, "--model", f"playback:{script}", "--message", "Sample twice", "--transcript", transcript, cwd=tmp_path)

    assert "trip-agent: sampling request from everything failed: sampling rate limit reached: at most 1 requests per minute from everything" in done.stderr
    results = [event for event in read_events(transcript) if event["type"] == "tool_result"]
    assert [result["status"] for result in results] == ["success", "error"]
    assert '"text": "First."' in results[0]["text"] and "rate limit" in results[1]["text"]
    # The global default (10 a minute) would have allowed both.
    assert load_settings(config_file=None, env={}, flags={}).sampling.rate_limit_per_minute == 10


@pytest.fixture
async def header_echo_server():
    """A real MCP server over loopback whose one tool returns the X-Team header it was sent."""
    from fastmcp import FastMCP
    from fastmcp.server.dependencies import get_http_headers

    mcp = FastMCP("headers")

    @mcp.tool
    def team() -> str:
        """The X-Team header of this request."""
        return get_http_headers(include={"x-team"}).get("x-team", "(none)")

    async with serving_on_loopback(mcp.http_app()) as url:
        yield url


async def test_an_http_server_from_the_file_gets_its_headers(start_repl, screen, pipe, header_echo_server):
    script = {"turns": [{"tool_use": {"name": "team", "input": {}}}, {"text": "Sent."}]}
    repl = start_repl(script, {"planner": {"url": header_echo_server, "headers": {"X-Team": "travel"}}})

    await screen.wait_for("Ctrl-D quits")
    pipe.send_text("Which team?\r")
    await screen.wait_for("← team (success) travel")
    await screen.wait_for("Sent.")
    pipe.send_text(CTRL_D)
    assert await repl == 0
