"""The eval report as a browser shows it: headless Chromium (Debian's `chromium`, installed by `make test`)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from agent.eval.report import _Scale, html_page

WIDTH = 1200
# Reads the layout from inside the page and leaves it on <body> for --dump-dom (the report itself has no script).
MEASURE = """<script>
const root = document.documentElement;
document.body.dataset.width = window.innerWidth;
document.body.dataset.overflow = root.scrollWidth - root.clientWidth;
document.body.dataset.links = JSON.stringify([...document.links].map((link) => link.href));
</script>"""
FAILURES = [
    "final_text_contains: 'TRV-' not in 'I have planned a trip to Kyoto for you with two nights and a couple of travellers, shall I book it now?'",
    "answers: answers file configs/scenarios/happy-path.toml: answer 2 does not fit trip-server's question 'What kind of trip "
    "is it? Choose one of: solo, couple, family, friends.': trip_type: must be one of: solo, couple, family, friends; cancelled",
    "tools: expected ['plan_trip'], called ['plan_trip', 'get_quote', 'list_destinations', 'plan_trip', 'get_quote', 'book_quote']",
]


def a_run(scenario: str, model: str, run_dir: str, *, total: float, failed: list[str]) -> dict:
    return {
        "scenario": scenario,
        "model": model,
        "elicitation_style": "steps",
        "success": not failed,
        "failed": failed,
        "turns": 1,
        "questions": 3,
        "declines": 0,
        "cancels": 0,
        "supplied": ["destination", "trip_type", "nights", "travelers"],
        "elicited": ["trip_type", "nights"],
        "sampling_calls": 1,
        "time_s": {"total": total, "model": total * 0.8, "human": total * 0.05, "server": total * 0.15},
        "tokens": {"input": 900, "output": 250, "total": 1150},
        "transcript": "transcript.jsonl",
        "run_dir": run_dir,
    }


RUNS = [
    a_run("happy-path", "bedrock:us.anthropic.claude-3-5-haiku-20241022-v1:0", "happy-path/bedrock_us.anthropic.claude-3-5-haiku-20241022-v1_0",
          total=18.84, failed=FAILURES),
    a_run("happy-path", "playback", "happy-path/playback", total=0.47, failed=[]),
    a_run("a scenario & more", "local", "a scenario & more/local-form", total=4.2, failed=FAILURES[:1]),
]


def chromium() -> str:
    path = shutil.which("chromium")
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed: on CI `make test` installs it (apt-get install chromium) before the tests")
    pytest.skip("chromium is not installed: `apt-get install chromium` (or `make test` as root) to render the eval report")


def render(page: Path) -> dict[str, str]:
    """The page's measurements, taken by Chromium at a 1200 px wide window."""
    measured = page.with_name("measured.html")  # beside the report, so its relative links resolve the same
    measured.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        done = subprocess.run(
            [
                chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", f"--window-size={WIDTH},900", "--dump-dom", measured.as_uri(),
            ],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )
    body = re.search(r"<body([^>]*)>", done.stdout)
    assert body, f"chromium rendered nothing (exit {done.returncode}): {done.stderr[-2000:]}"
    return {name: html.unescape(value) for name, value in re.findall(r'data-(\w+)="([^"]*)"', body.group(1))}


@pytest.fixture
def report(tmp_path) -> Path:
    for run in RUNS:
        folder = tmp_path / run["run_dir"]
        folder.mkdir(parents=True)
        (folder / "transcript.jsonl").write_text('{"type": "user", "t": 0.0, "text": "Plan Kyoto"}\n', encoding="utf-8")
    page = tmp_path / "report.html"
    page.write_text(html_page(RUNS), encoding="utf-8")
    return page


def test_the_report_fits_a_1200_px_window_and_links_every_transcript(report):
    measured = render(report)

    assert measured["width"] == str(WIDTH)
    assert measured["overflow"] == "0"  # no horizontal scrollbar, long failures and model names included
    linked = [Path(unquote(urlsplit(href).path)) for href in json.loads(measured["links"])]
    assert linked == [report.parent / run["run_dir"] / "transcript.jsonl" for run in RUNS]
    assert all(path.is_file() for path in linked)


def test_the_bars_have_an_axis_in_seconds_and_in_questions(report):
    page = report.read_text(encoding="utf-8")

    time_axis = re.search(r'<div class="axis" style="width:320px">(.*?)</div>', page).group(1)
    assert re.findall(r">([^<]+)</span>", time_axis) == ["0 s", "5 s", "10 s", "15 s", "20 s"]
    assert 'style="width:75.4%;background:#4e79a7"' in page  # 18.84 s × 0.8 of model time, on the 20 s axis
    question_axis = re.search(r'<div class="axis" style="width:120px">(.*?)</div>', page).group(1)
    assert re.findall(r">([^<]+)</span>", question_axis) == ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    ("largest", "exp_ticks"),
    [(0.47, [0, 0.2, 0.4, 0.6]), (1.0, [0, 0.5, 1.0]), (18.84, [0, 5, 10, 15, 20]), (37, [0, 10, 20, 30, 40])],
)
def test_an_axis_ends_on_a_round_number_at_or_above_the_longest_bar(largest, exp_ticks):
    scale = _Scale.over(largest, unit=" s")
    assert [round(index * scale.step, 6) for index in range(round(scale.end / scale.step) + 1)] == exp_ticks
