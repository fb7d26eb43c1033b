"""`trip-agent eval` end to end: the installed entry point, the real bundled server, real SQLite, playback models."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.agent.eval.test_scenario import SCENARIOS

TRIP_AGENT = Path(sys.executable).parent / "trip-agent"
STARTERS = sorted(SCENARIOS.glob("*.toml"))


def run(*args, cwd):
    return subprocess.run(
        [str(TRIP_AGENT), *map(str, args)], capture_output=True, text=True, cwd=cwd, stdin=subprocess.DEVNULL, timeout=300, env=os.environ
    )


@pytest.fixture(scope="module")
def starter_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval-out")
    done = run("eval", *STARTERS, "--model", "playback", "--out", out, cwd=out)
    return done, out


def test_every_starter_scenario_passes_offline_with_its_playback_file(starter_runs):
    done, out = starter_runs
    assert done.returncode == 0, done.stdout + done.stderr
    runs = json.loads((out / "summary.json").read_text())
    assert [(r["scenario"], r["success"]) for r in runs] == [(path.stem, True) for path in STARTERS]
    assert all(r["failed"] == [] and r["model"] == "playback" for r in runs)


def test_each_run_writes_its_transcript_and_summary(starter_runs):
    _, out = starter_runs
    for path in STARTERS:
        folder = out / path.stem / "playback"
        events = [json.loads(line) for line in (folder / "transcript.jsonl").read_text().splitlines()]
        assert events[0]["type"] == "user"
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["transcript"] == "transcript.jsonl" and summary["elicitation_style"] == "steps"
        assert summary["run_dir"] == f"{path.stem}/playback"  # relative to --out, where report.html links from
        assert set(summary["time_s"]) == {"total", "model", "human", "server"}


def test_the_summaries_measure_what_happened(starter_runs):
    _, out = starter_runs
    by_name = {r["scenario"]: r for r in json.loads((out / "summary.json").read_text())}
    happy = by_name["happy-path"]
    assert (happy["questions"], happy["supplied"], happy["elicited"], happy["bookings"]) == (3, ["destination"], ["trip_type", "nights"], 1)
    assert by_name["knows-everything"]["supplied"] == ["destination", "trip_type", "nights", "travelers"]
    assert by_name["knows-everything"]["elicited"] == []
    assert (by_name["declines"]["declines"], by_name["declines"]["status"], by_name["declines"]["bookings"]) == (1, "declined", 0)
    assert by_name["invalid-answers"]["questions"] == 4  # nights asked three times, then the booking
    assert by_name["changes-mind"]["bookings"] == 1 and by_name["changes-mind"]["sampling_calls"] == 2
    price = by_name["price-only"]
    assert (price["tool_calls"], price["questions"], price["sampling_calls"]) == (["get_quote"], 0, 0)


def test_the_terminal_table_and_the_html_chart_compare_the_runs(starter_runs):
    done, out = starter_runs
    header, *rows = done.stdout.split("\n\n")[0].splitlines()
    assert header.split()[:4] == ["scenario", "model", "style", "ok"]
    assert [row.split()[0] for row in rows] == [path.stem for path in STARTERS]
    page = (out / "report.html").read_text()
    assert page.startswith("<!doctype html>") and f"{len(STARTERS)} of {len(STARTERS)} runs met their expectations" in page
    assert "<script" not in page and "<link" not in page and "src=" not in page  # self-contained
    assert all(f"<h2>{path.stem}</h2>" in page for path in STARTERS)
    assert all(f'<a href="{path.stem}/playback/transcript.jsonl"' in page for path in STARTERS)


def test_the_form_style_asks_fewer_questions_for_the_same_scenario(tmp_path):
    happy = SCENARIOS / "happy-path.toml"
    done = run("eval", happy, "--model", "playback", "--elicitation-style", "form", "--out", tmp_path, cwd=tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    (form_run,) = json.loads((tmp_path / "summary.json").read_text())
    assert (form_run["elicitation_style"], form_run["questions"]) == ("form", 2)  # steps: 3
    assert sorted(form_run["elicited"]) == ["nights", "travelers", "trip_type"]
    assert (tmp_path / "happy-path" / "playback-form" / "summary.json").is_file()


def test_an_unmet_expectation_exits_1_and_is_listed(tmp_path):
    shutil.copy(SCENARIOS / "price-only.playback.json", tmp_path / "price.json")
    scenario = tmp_path / "strict.toml"
    scenario.write_text(
        'turns = ["How much?"]\npolicy = "decline-all"\nplayback = "price.json"\n[expect]\nbooking_exists = true\ntools = ["plan_trip"]\n'
    )

    done = run("eval", scenario, "--model", "playback", "--out", tmp_path / "out", cwd=tmp_path)

    assert done.returncode == 1
    assert "strict / playback: booking_exists: expected true, found 0 booking(s)" in done.stdout
    assert "tools: expected ['plan_trip'], called ['get_quote']" in done.stdout
    (summary,) = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["success"] is False and len(summary["failed"]) == 2


def test_a_playback_script_that_runs_out_fails_the_run(tmp_path):
    (tmp_path / "short.json").write_text(json.dumps({"turns": []}))
    scenario = tmp_path / "short.toml"
    scenario.write_text('turns = ["hi"]\npolicy = "decline-all"\nplayback = "short.json"\n')

    done = run("eval", scenario, "--model", "playback", "--out", tmp_path / "out", cwd=tmp_path)

    assert done.returncode == 1
    assert "completed: the run had errors: playback file" in done.stdout


@pytest.mark.parametrize(
    ("args", "exp_stderr"),
    [
        ([], "the following arguments are required: SCENARIO"),
        (["missing.toml"], "cannot read scenario missing.toml"),
        (["--elicitation-style", "wizard", "x.toml"], "invalid choice: 'wizard'"),
        ([SCENARIOS / "happy-path.toml", "--model", "nope nope"], "invalid model spec"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path, args, exp_stderr):
    done = run("eval", *args, "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trip-agent eval: ") and exp_stderr in lines[0]


def test_a_run_transcript_replays(starter_runs):
    _, out = starter_runs
    done = run("replay", out / "happy-path" / "playback" / "transcript.jsonl", cwd=out)
    assert done.returncode == 0, done.stderr
    assert "] user: I'd like to plan a trip to Kyoto." in done.stdout
    assert "] -> plan_trip {\"destination\": \"Kyoto\"}" in done.stdout
    assert done.stdout.count("? trip-server asks:") == 3 and "! accept {\"decision\": \"Book\"}" in done.stdout
    assert "~ plan_trip 5/5" in done.stdout and "sampling answered by playback:" in done.stdout
