"""Benchmark: one elicitation round trip (server asks → client answers → server resumes and asks again).

Measured on the client as the time from the elicitation handler returning an answer to the handler
being called with the next question, over the three gaps between plan_trip's four trip questions
(destination → trip type → nights → travellers), where the server does nothing but take the answer
and ask again. trip-server and a bare fastmcp server asking the same questions (bench/bare_server.py)
run side by side over loopback, runs alternating, in both protocol revisions: on 2025-11-25 a round
trip is a POSTed response on the open session; on 2026-07-28 it is a whole retried tools/call
carrying the sealed requestState.

    .venv/bin/python bench/round_trip.py [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from fastmcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_flow import ANSWERS, alternate, ours_and_bare, progress, sample  # noqa: E402

TRIP_QUESTIONS = 4


async def round_trips(url: str, mode: str) -> list[float]:
    """The gaps between answering one trip question and being asked the next, in seconds."""
    answered_at: list[float] = []
    asked_at: list[float] = []

    async def answer(message, response_type, params, context):
        asked_at.append(time.perf_counter())
        reply = ANSWERS[next(iter(params.requested_schema["properties"]))]
        answered_at.append(time.perf_counter())
        return reply

    async with Client(url, mode=mode, elicitation_handler=answer, sampling_handler=sample, progress_handler=progress) as client:
        result = await client.call_tool("plan_trip", {})
    assert "booked" in result.content[0].text.lower(), result
    return [asked_at[i + 1] - answered_at[i] for i in range(TRIP_QUESTIONS - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with ours_and_bare() as urls:
        samples = args.runs * (TRIP_QUESTIONS - 1)
        print(f"{'revision':<22}{'trip-server':>14}{'bare fastmcp':>14}{'ratio':>8}   (median of {samples} round trips)")
        for mode, label in (("legacy", "2025-11-25 (legacy)"), ("auto", "2026-07-28 (modern)")):
            ours_time, bare_time = asyncio.run(alternate(list(urls), mode, args.runs, round_trips))
            print(f"{label:<22}{ours_time * 1000:>11.2f} ms{bare_time * 1000:>11.2f} ms{ours_time / bare_time:>8.2f}")

if __name__ == "__main__":
    main()
