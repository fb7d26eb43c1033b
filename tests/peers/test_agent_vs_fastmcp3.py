"""The agent against an MCP server it has never seen: a legacy-only fastmcp 3.x server (own venv).

It asks with ctx.elicit for a str, an int, an enum and a multi-select, reports progress and
samples: the agent must answer all of it, from an --answers file, with a playback model.
"""

import json
import subprocess
import sys
from pathlib import Path

from mcp_server.launch import start_listening

SERVER = Path(__file__).with_name("fastmcp3_server.py")


def test_agent_completes_a_legacy_only_fastmcp3_tool(tmp_path, peers_python):
    server, url = start_listening([str(peers_python), str(SERVER)], stderr=subprocess.DEVNULL)
    try:
        playback = tmp_path / "play.json"
        playback.write_text(json.dumps({
            "turns": [{"tool_use": {"name": "find_onsen", "input": {}}}, {"text": "Found your inn."}],
            "sampling": ["Drink water between baths."],
        }))
        answers = tmp_path / "answers.json"
        answers.write_text(json.dumps(["Aki", 2, "Beppu", ["private bath", "late checkout"]]))
        transcript = tmp_path / "t.jsonl"
        run = subprocess.run(
            [sys.executable, "-m", "agent.ui.cli", "--server", url, "--model", f"playback:{playback}",
             "--answers", str(answers), "--transcript", str(transcript), "--message", "Find me an onsen"],
            capture_output=True, text=True, timeout=120,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "Found your inn."
    events = [json.loads(line) for line in transcript.read_text().splitlines()]
    questions = [e["message"] for e in events if e["type"] == "elicitation_request"]
    assert questions == ["Your name?", "How many nights?", "Which region?", "Any extras?"]
    answered = [e["content"] for e in events if e["type"] == "elicitation_response"]
    assert answered == [{"value": "Aki"}, {"value": 2}, {"value": "Beppu"}, {"value": ["private bath", "late checkout"]}]
    assert [e["progress"] for e in events if e["type"] == "progress"] == [1, 2, 3]
    (result,) = [e for e in events if e["type"] == "tool_result"]
    assert result["status"] == "success"
    assert result["text"] == "Aki: 2 nights in Beppu with private bath, late checkout. Tip: Drink water between baths."
