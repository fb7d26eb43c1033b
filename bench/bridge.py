"""Benchmark: what the agent's MCP bridge adds to a round trip, next to a bare fastmcp client.

Both clients talk to the same trip-server over loopback and run the same plan-and-book flow with
scripted answers, runs alternating. Measured: the elicitation round trip (the handler returning
an answer → the handler called with the next question, over the three gaps between the four trip
questions), the progress gap (one progress notification → the next, over the search's five steps)
and the whole call. The bridge goes through its real callbacks: the human protocol, the sampling
policy (auto, answered by a playback script), the progress view (to /dev/null) and the transcript
(disabled).

    .venv/bin/python bench/bridge.py [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastmcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_flow import ANSWERS, sample, start  # noqa: E402

from agent.bridge import McpBridge  # noqa: E402
from mcp_server.launch import server_command  # noqa: E402
from agent.config import ModelSettings, SamplingSettings  # noqa: E402
from agent.providers.playback import PlaybackModel, PlaybackSampling  # noqa: E402
from agent.sampler import Sampler  # noqa: E402
from agent.transcript import Transcript  # noqa: E402
from agent.human import ElicitationOutcome  # noqa: E402
from agent.ui.progress import ProgressView  # noqa: E402

TRIP_QUESTIONS = 4


class Timings:
    def __init__(self) -> None:
        self.asked: list[float] = []
        self.answered: list[float] = []
        self.progress: list[float] = []

    def round_trips(self) -> list[float]:
        return [self.asked[i + 1] - self.answered[i] for i in range(TRIP_QUESTIONS - 1)]

    def progress_gaps(self) -> list[float]:
        return [later - earlier for earlier, later in zip(self.progress, self.progress[1:])]


async def bare_flow(url: str, mode: str) -> tuple[Timings, float]:
    timings = Timings()

    async def answer(message, response_type, params, context):
        timings.asked.append(time.perf_counter())
        reply = ANSWERS[next(iter(params.requested_schema["properties"]))]
        timings.answered.append(time.perf_counter())
        return reply

    async def on_progress(progress, total, message):
        timings.progress.append(time.perf_counter())

    started = time.perf_counter()
    async with Client(url, mode=mode, elicitation_handler=answer, sampling_handler=sample, progress_handler=on_progress) as client:
        result = await client.call_tool("plan_trip", {})
    assert result.structured_content["status"] == "booked", result
    return timings, time.perf_counter() - started


class TimedHuman:
    def __init__(self, timings: Timings) -> None:
        self.timings = timings

    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        self.timings.asked.append(time.perf_counter())
        reply = ANSWERS[next(iter(schema["properties"]))]
        self.timings.answered.append(time.perf_counter())
        return ElicitationOutcome("accept", reply)


class TimedProgress(ProgressView):
    def __init__(self, timings: Timings, sink) -> None:
        super().__init__(sink, interactive=False)
        self.timings = timings

    def update(self, tool, progress, total, message) -> None:
        self.timings.progress.append(time.perf_counter())
        super().update(tool, progress, total, message)


async def bridge_flow(url: str, mode: str, sink) -> tuple[Timings, float]:
    timings = Timings()
    settings = SamplingSettings(policy="auto", model=None, max_tokens_cap=1024, rate_limit_per_minute=1000, hint_map={})
    model = ModelSettings("playback", "bench", "us-east-1", 1024, 0.3)
    script = PlaybackModel([], ["one\ntwo\nthree"], source="bench")
    sampler = Sampler(settings, None, Transcript.disabled(), lambda text: None, model=model, writer=PlaybackSampling(script))
    bridge = McpBridge(
        "trip-server", url, human=TimedHuman(timings), sampler=sampler, progress=TimedProgress(timings, sink),
        transcript=Transcript.disabled(), notify=lambda text: None, mode=mode,
    )
    started = time.perf_counter()
    await bridge.start()
    try:
        result = await bridge.call_tool("plan_trip", {})
    finally:
        await bridge.stop()
    assert result.structured_content["status"] == "booked", result
    return timings, time.perf_counter() - started


async def measure(url: str, mode: str, runs: int) -> dict[str, tuple[float, float]]:
    with open(os.devnull, "w") as sink:
        await bare_flow(url, mode)  # warm-up
        await bridge_flow(url, mode, sink)
        series: dict[str, tuple[list[float], list[float]]] = {"round trip": ([], []), "progress gap": ([], []), "whole call": ([], [])}
        for _ in range(runs):
            for column, flow in enumerate((bare_flow(url, mode), bridge_flow(url, mode, sink))):
                timings, total = await flow
                series["round trip"][column].extend(timings.round_trips())
                series["progress gap"][column].extend(timings.progress_gaps())
                series["whole call"][column].append(total)
    return {name: (statistics.median(bare), statistics.median(bridge)) for name, (bare, bridge) in series.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    db = Path(tempfile.mkdtemp()) / "bench.db"
    server, url = start(server_command("--db", str(db)))
    try:
        print(f"{'revision / measure':<34}{'bare client':>13}{'agent bridge':>14}{'ratio':>8}   (medians, {args.runs} flows each)")
        for mode, label in (("legacy", "2025-11-25"), ("auto", "2026-07-28")):
            for name, (bare, bridge) in asyncio.run(measure(url, mode, args.runs)).items():
                print(f"{label + ' ' + name:<34}{bare * 1000:>10.2f} ms{bridge * 1000:>11.2f} ms{bridge / bare:>8.2f}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
