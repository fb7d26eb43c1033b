import io
import json

import pytest

from agent.transcript import REDACTED, Transcript

pytestmark = pytest.mark.usefixtures("isolated_aws")  # no AWS credentials or settings from this machine


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_every_event_type_field_by_field(clock):
    buffer = io.StringIO()
    transcript = Transcript(buffer, clock=clock)
    schema = {"type": "object", "properties": {"destination": {"type": "string"}}}

    clock.now += 0.5
    transcript.user("京都に行きたい")
    transcript.assistant("いいですね")
    transcript.tool_call("plan_trip", {"destination": "Kyoto"})
    transcript.tool_result("plan_trip", "success", "booked")
    transcript.elicitation_request("travel planner", "Where to?", schema)
    transcript.elicitation_response("accept", {"destination": "Kyoto"}, 2.34567)
    preferences = {"hints": [{"name": "claude-haiku"}]}
    transcript.sampling_request("travel planner", [{"role": "user", "text": "tips"}], "be brief", 300, preferences)
    transcript.sampling_response("bedrock:haiku", "1. Fushimi Inari", True)
    clock.now += 1.25
    transcript.progress("plan_trip", 2, 5, "searching hotels")
    transcript.error("Bedrock is throttling")

    exp = [
        {"type": "user", "t": 0.5, "text": "京都に行きたい"},
        {"type": "assistant", "t": 0.5, "text": "いいですね"},
        {"type": "tool_call", "t": 0.5, "name": "plan_trip", "input": {"destination": "Kyoto"}},
        {"type": "tool_result", "t": 0.5, "name": "plan_trip", "status": "success", "text": "booked"},
        {"type": "elicitation_request", "t": 0.5, "server": "travel planner", "message": "Where to?", "schema": schema},
        {
            "type": "elicitation_response",
            "t": 0.5,
            "action": "accept",
            "content": {"destination": "Kyoto"},
            "wait_s": 2.346,
        },
        {
            "type": "sampling_request",
            "t": 0.5,
            "server": "travel planner",
            "messages": [{"role": "user", "text": "tips"}],
            "system_prompt": "be brief",
            "max_tokens": 300,
            "model_preferences": {"hints": [{"name": "claude-haiku"}]},
        },
        {"type": "sampling_response", "t": 0.5, "model": "bedrock:haiku", "text": "1. Fushimi Inari", "approved": True},
        {"type": "progress", "t": 1.75, "tool": "plan_trip", "progress": 2, "total": 5, "message": "searching hotels"},
        {"type": "error", "t": 1.75, "message": "Bedrock is throttling"},
    ]
    assert lines(buffer) == exp
    assert "京都" in buffer.getvalue()  # written as UTF-8, not \u escapes


def test_declined_elicitation_and_unknown_total(clock):
    buffer = io.StringIO()
    transcript = Transcript(buffer, clock=clock)

    transcript.elicitation_response("decline", None, 0)
    transcript.progress("plan_trip", 1, None, None)

    assert lines(buffer) == [
        {"type": "elicitation_response", "t": 0.0, "action": "decline", "content": None, "wait_s": 0},
        {"type": "progress", "t": 0.0, "tool": "plan_trip", "progress": 1, "total": None, "message": None},
    ]


def test_secrets_never_written(clock):
    buffer = io.StringIO()
    transcript = Transcript(buffer, clock=clock)

    transcript.tool_call("login", {"user": "a", "api_key": "sk-1", "nested": [{"Access_Token": "t"}]})
    transcript.elicitation_response("accept", {"password": "hunter2", "name": "Aki"}, 1)

    assert lines(buffer)[0]["input"] == {"user": "a", "api_key": REDACTED, "nested": [{"Access_Token": REDACTED}]}
    assert lines(buffer)[1]["content"] == {"password": REDACTED, "name": "Aki"}
    assert "hunter2" not in buffer.getvalue() and "sk-1" not in buffer.getvalue()


def test_secret_keys_are_whole_words_so_token_counts_are_kept(clock):
    buffer = io.StringIO()
    transcript = Transcript(buffer, clock=clock)
    secret = ["bearerToken", "client-secret", "APIKey", "apiKey", "x_api_key", "Authorization", "db_passwd", "token"]
    kept = ["maxTokens", "max_tokens", "tokens_used", "keyword", "monkey", "tokenizer"]

    transcript.tool_call("t", {key: "v" for key in secret + kept})

    assert lines(buffer)[0]["input"] == {**{key: REDACTED for key in secret}, **{key: "v" for key in kept}}


def test_each_line_is_on_disk_before_the_next_event(tmp_path, clock):
    path = tmp_path / "run.jsonl"
    transcript = Transcript.open(path, clock=clock)

    transcript.user("hello")
    tru = path.read_text(encoding="utf-8")
    transcript.close()

    assert json.loads(tru) == {"type": "user", "t": 0.0, "text": "hello"}


def test_disabled_transcript_writes_nothing(tmp_path):
    transcript = Transcript.disabled()

    transcript.user("hello")
    transcript.error("nothing")
    transcript.close()

    assert list(tmp_path.iterdir()) == []
