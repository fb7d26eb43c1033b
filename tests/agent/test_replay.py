"""`trip-agent replay`: a known transcript re-rendered with its timings, pacing, and bad files."""

import io
import json
import subprocess

import pytest

from agent.replay import TranscriptError, read_events, replay
from tests.agent.eval.conftest import KNOWN_EVENTS, known_transcript  # noqa: F401  (a fixture)
from tests.agent.eval.test_cli import TRIP_AGENT

EXP_OUTPUT = """\
[   0.000s] user: Plan Kyoto
[   0.500s] -> plan_trip {"destination": "Kyoto"}
[   0.600s] ? trip-server asks: What kind of trip?
[   2.600s] ! accept {"trip_type": "solo"} (after 2.000 s)
[   2.700s] ~ plan_trip 1/5 Looking up the destination…
[   2.800s] sampling request from trip-server (max_tokens 300):
            user: Trip: Kyoto
[   3.300s] sampling answered by bedrock:haiku (approved):
            tip one
            tip two
[   3.400s] ? trip-server asks: Book this trip?
[   4.400s] ! accept {"decision": "Book"} (after 1.000 s)
[   4.600s] plan_trip structured: status="booked", reservation_id="TRV-1", supplied=["destination"], elicited=["trip_type"]
[   4.700s] <- plan_trip success: Booked: reservation TRV-1.
[   5.500s] assistant: Booked TRV-1.
[   6.000s] user: Plan another one
[   6.400s] -> plan_trip {}
[   6.500s] ? trip-server asks: Where to?
[   6.700s] ! decline (after 0.200 s)
[   6.800s] plan_trip structured: status="declined", supplied=[], elicited=[]
[   6.850s] <- plan_trip success: Nothing booked.
[   6.900s] error: a model error
[   7.000s] assistant: Maybe later.
"""


def run(*args):
    return subprocess.run([str(TRIP_AGENT), "replay", *map(str, args)], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)


def test_replay_renders_every_event_with_its_time(known_transcript):
    done = run(known_transcript)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == EXP_OUTPUT


def test_no_wait_is_the_default_and_speed_paces_by_the_gaps():
    waits: list[float] = []
    out = io.StringIO()

    replay(KNOWN_EVENTS[:4], out, speed=2.0, sleep=waits.append)

    assert waits == pytest.approx([0.0, 0.25, 0.05, 1.0])
    replay(KNOWN_EVENTS[:4], io.StringIO(), sleep=waits.append)
    assert len(waits) == 4  # no speed: nothing waited


def test_an_unknown_event_type_is_shown_raw(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"type": "future_thing", "t": 1, "detail": "x"}) + "\n")
    assert run(path).stdout == '[   1.000s] future_thing: {"detail": "x"}\n'


@pytest.mark.parametrize(
    ("lines", "exp_message"),
    [
        (['{"type": "user", "t": 0, "text": "hi"}', "{not json"], "line 2: not valid JSON"),
        (['{"t": 0}'], "line 1: an event needs a string 'type'"),
        (['{"type": "user", "text": "hi"}'], "line 1: an event needs a number 't'"),
        (["[1, 2]"], "line 1: an event needs a string 'type'"),
    ],
)
def test_a_malformed_line_is_named(tmp_path, lines, exp_message):
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TranscriptError, match=exp_message):
        read_events(path)
    done = run(path)
    assert done.returncode == 2 and exp_message in done.stderr and done.stdout == ""


@pytest.mark.parametrize(
    ("args", "exp_stderr"),
    [
        (["missing.jsonl"], "cannot read transcript missing.jsonl"),
        (["t.jsonl", "--speed", "0"], "must be above 0"),
        (["t.jsonl", "--speed", "2", "--no-wait"], "not allowed with"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, exp_stderr):
    done = run(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trip-agent replay: ") and exp_stderr in lines[0]
