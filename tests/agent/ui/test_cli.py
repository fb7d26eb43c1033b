"""The non-interactive contract, end to end through the installed `trip-agent` entry point."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.agent.conftest import BOOK_SCRIPT, read_events

TRIP_AGENT = Path(sys.executable).parent / "trip-agent"


def run(*args, cwd):
    # stdin is not a terminal here, so elicitations without --answers are cancelled (AbsentHuman).
    return subprocess.run(
        [str(TRIP_AGENT), *map(str, args)], capture_output=True, text=True, cwd=cwd, stdin=subprocess.DEVNULL, timeout=120, env=os.environ
    )


def test_importing_the_cli_loads_no_heavy_package():
    code = "import sys, agent.ui.cli; print(sorted({'strands', 'boto3', 'botocore', 'fastmcp', 'mcp'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_plan_and_book_with_answers_and_transcript(tmp_path, book_script):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([{"action": "accept", "content": {"trip_type": "solo"}}, 2, "Book"]))
    transcript = tmp_path / "t.jsonl"

    done = run("--model", f"playback:{book_script}", "--message", "Plan Kyoto", "--answers", answers, "--transcript", transcript, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout == "Booked!\n"
    # The model never says the reservation id; the tool's outcome line on stderr does, whole.
    (outcome,) = [line for line in done.stderr.splitlines() if line.startswith("trip-agent: plan_trip (")]
    assert outcome.startswith("trip-agent: plan_trip (booked) Booked: reservation TRV-")
    assert outcome.endswith("transport ¥14,000 + hotel ¥24,000 = ¥38,000.")
    events = read_events(transcript)
    assert all(isinstance(event["t"], float | int) and event["t"] >= 0 for event in events)
    assert [event["t"] for event in events] == sorted(event["t"] for event in events)
    by_type = {}
    for event in events:
        by_type.setdefault(event["type"], []).append(event)
    assert by_type["user"] == [{"type": "user", "t": by_type["user"][0]["t"], "text": "Plan Kyoto"}]
    call = by_type["tool_call"][0]
    assert (call["name"], call["input"]) == ("plan_trip", {"destination": "Kyoto"})
    requests = by_type["elicitation_request"]
    assert [request["server"] for request in requests] == ["trip-server"] * 3
    assert list(requests[0]["schema"]["properties"]) == ["trip_type"]
    assert "Choose one of" in requests[0]["message"]
    responses = by_type["elicitation_response"]
    assert [(r["action"], r["content"]) for r in responses] == [
        ("accept", {"trip_type": "solo"}),
        ("accept", {"nights": 2}),
        ("accept", {"decision": "Book"}),
    ]
    assert all(r["wait_s"] >= 0 for r in responses)
    progress = by_type["progress"]
    assert {p["tool"] for p in progress} == {"plan_trip"} and progress[-1]["progress"] == progress[-1]["total"]
    assert all(isinstance(p["message"], str) for p in progress)
    sampling = by_type["sampling_request"][0]
    assert sampling["server"] == "trip-server" and sampling["messages"][0]["role"] == "user"
    assert sampling["max_tokens"] > 0 and "system_prompt" in sampling and "model_preferences" in sampling
    sampled = by_type["sampling_response"][0]
    assert sampled == {**sampled, "model": f"playback:{book_script}", "text": BOOK_SCRIPT["sampling"][0], "approved": True}
    result = by_type["tool_result"][0]
    assert (result["name"], result["status"]) == ("plan_trip", "success")
    assert result["text"].startswith("Booked: reservation TRV-") and "¥38,000" in result["text"]
    assert by_type["assistant"] == [{"type": "assistant", "t": by_type["assistant"][0]["t"], "text": "Booked!"}]
    assert "error" not in by_type


@pytest.mark.parametrize(
    ("answers", "exp_stderr"),
    [
        (["solo"], "no answer left after 1"),
        (["Paris"], "answer 1 does not fit"),
    ],
)
def test_exhausted_or_invalid_answers_fail_the_run(tmp_path, book_script, answers, exp_stderr):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    done = run("--model", f"playback:{book_script}", "--message", "Plan Kyoto", "--answers", path, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == "Booked!\n"  # the playback text still arrives; the status reports the gap
    assert exp_stderr in done.stderr


def test_without_answers_or_terminal_elicitation_is_cancelled_said_and_fails_the_run(tmp_path, book_script):
    transcript = tmp_path / "t.jsonl"
    done = run("--model", f"playback:{book_script}", "--message", "Plan Kyoto", "--transcript", transcript, cwd=tmp_path)
    assert done.returncode == 1
    assert "no terminal to answer on and no --answers file; cancelled" in done.stderr
    assert "trip-agent: plan_trip (cancelled) You cancelled when asked for the trip type. Nothing was booked.\n" in done.stderr
    responses = [event for event in read_events(transcript) if event["type"] == "elicitation_response"]
    assert [response["action"] for response in responses] == ["cancel"]


@pytest.mark.parametrize(
    ("answers", "exp_status", "exp_outcome"),
    [
        ([{"action": "decline"}], 1, "plan_trip (declined) You declined to answer when asked for the trip type. Nothing was booked."),
        (["solo", 2, "Cancel"], 0, "plan_trip (quoted) You chose not to book; nothing was booked. Quote Q-"),
    ],
)
def test_a_trip_stopped_by_the_answers_fails_the_run_and_a_deliberate_choice_does_not(
    tmp_path, book_script, answers, exp_status, exp_outcome
):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    done = run("--model", f"playback:{book_script}", "--message", "Plan Kyoto", "--answers", path, cwd=tmp_path)
    assert done.returncode == exp_status, done.stderr
    assert f"trip-agent: {exp_outcome}" in done.stderr
    assert "returned success" not in done.stderr


def test_sampling_deny_still_books_with_the_catalogue(tmp_path, book_script):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(["solo", 2, "Book"]))
    transcript = tmp_path / "t.jsonl"
    done = run(
        "--model", f"playback:{book_script}", "--sampling", "deny", "--message", "Plan Kyoto", "--answers", answers,
        "--transcript", transcript, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "trip-agent: plan_trip (booked) Booked: reservation TRV-" in done.stderr
    structured = [event["content"] for event in read_events(transcript) if event["type"] == "tool_structured"]
    assert structured[0]["recommendations_source"] == "catalogue"


def test_a_model_error_exits_1_with_one_line(tmp_path):
    script = tmp_path / "empty.json"
    script.write_text(json.dumps({"turns": []}))
    done = run("--model", f"playback:{script}", "--message", "hi", "--server", "http://127.0.0.1:9/mcp", cwd=tmp_path)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("trip-agent: ")
    assert "(fix: " in done.stderr


@pytest.mark.parametrize(
    ("args", "exp_stderr"),
    [
        (["--sampling", "maybe"], "invalid choice: 'maybe'"),
        (["--server", "http://x/mcp", "--agentcore-arn", "arn:aws:bedrock-agentcore:us-east-1:1:runtime/x"], "not allowed with"),
        (["--region", "us-east-1"], "--region applies only with --agentcore-arn"),
        (["--answers", "a.json"], "--answers needs --message"),
        (["--sampel", "deny", "--message", "hi"], "unrecognized arguments: --sampel deny (fix: did you mean --sampling?"),
        (["--model", "nope nope", "--message", "hi"], "invalid model spec"),
        (["--config", "missing.toml", "--message", "hi"], "cannot read config file"),
        (["--agentcore-arn", "arn:aws:bedrock-agentcore:us-east-1:1:runtime/x", "--message", "hi"], "BEARER_TOKEN is not set"),
    ],
)
def test_usage_and_config_errors_exit_2_with_one_line_and_a_fix(tmp_path, args, exp_stderr):
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trip-agent: ") and "(fix: " in lines[0]
    assert exp_stderr in lines[0]


def test_invalid_answers_file_exits_2(tmp_path, book_script):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"not": "a list"}))
    done = run("--model", f"playback:{book_script}", "--message", "hi", "--answers", path, cwd=tmp_path)
    assert done.returncode == 2
    assert "must hold a JSON list" in done.stderr


def test_bedrock_without_credentials_fails_before_anything_starts(tmp_path):
    transcript = tmp_path / "t.jsonl"
    done = run("--model", "bedrock:foo", "--message", "hi", "--transcript", transcript, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == (
        "trip-agent: no AWS credentials found for Bedrock (foo) "
        "(fix: run `aws configure` (or set AWS_PROFILE), or pass --model local or playback:FILE)\n"
    )
    assert transcript.read_text() == ""  # no turn was sent: the check came first
