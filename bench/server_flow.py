"""Benchmark: a whole plan-and-book flow on trip-server vs a bare fastmcp server, side by side.

Both servers ask the same five questions, report five progress steps and one sampling request,
over loopback HTTP, to the same fastmcp client with scripted answers. Each figure is the median of
--runs flows (connect included), in both protocol revisions.

    .venv/bin/python bench/server_flow.py [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastmcp import Client

from mcp_server.launch import ServerDidNotStart, server_command, start_listening

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = {
    "destination": {"destination": "Okinawa"},
    "trip_type": {"trip_type": "friends"},
    "nights": {"nights": 3},
    "travelers": {"travelers": 3},
    "decision": {"decision": "Book"},
}


async def answer(message, response_type, params, context):
    return ANSWERS[next(iter(params.requested_schema["properties"]))]


async def sample(messages, params, context):
    return "one\ntwo\nthree"


async def progress(value, total, message):
    pass


async def one_flow(url: str, mode: str) -> tuple[float, int]:
    rounds = 0

    async def counting_answer(*args):
        nonlocal rounds
        rounds += 1
        return await answer(*args)

    start = time.perf_counter()
    async with Client(url, mode=mode, elicitation_handler=counting_answer, sampling_handler=sample, progress_handler=progress) as client:
        result = await client.call_tool("plan_trip", {})
    elapsed = time.perf_counter() - start
    assert "booked" in str(result.content[0].text).lower(), result
    return elapsed, rounds


def start(command: list[str], cwd: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """The server of `command`, run from `cwd` (`-m mcp_server.cli` runs the code found there)."""
    try:
        return start_listening(command, stderr=subprocess.DEVNULL, cwd=cwd)
    except ServerDidNotStart as error:
        raise SystemExit(str(error)) from None


async def alternate(urls: list[str], mode: str, runs: int, sample: Callable[[str, str], Awaitable[list[float]]]) -> list[float]:
    """Median of `sample`'s figures per server; runs alternate between servers so machine noise hits all alike."""
    for url in urls:
        await sample(url, mode)  # warm-up
    figures: list[list[float]] = [[] for _ in urls]
    for _ in range(runs):
        for index, url in enumerate(urls):
            figures[index].extend(await sample(url, mode))
    return [statistics.median(series) for series in figures]


async def flow_time(url: str, mode: str) -> list[float]:
    return [(await one_flow(url, mode))[0]]


@contextmanager
def ours_and_bare() -> Iterator[tuple[str, str]]:
    """trip-server (on a fresh database) and the bare server, both on loopback; their URLs."""
    db = Path(tempfile.mkdtemp()) / "bench.db"
    ours, ours_url = start(server_command("--db", str(db)))
    bare, bare_url = start([sys.executable, str(ROOT / "bench" / "bare_server.py")])
    try:
        yield ours_url, bare_url
    finally:
        for process in (ours, bare):
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with ours_and_bare() as urls:
        print(f"{'revision':<22}{'trip-server':>14}{'bare fastmcp':>14}{'ratio':>8}   (median of {args.runs}, connect included)")
        for mode, label in (("legacy", "2025-11-25 (legacy)"), ("auto", "2026-07-28 (modern)")):
            ours_time, bare_time = asyncio.run(alternate(list(urls), mode, args.runs, flow_time))
            print(f"{label:<22}{ours_time * 1000:>11.1f} ms{bare_time * 1000:>11.1f} ms{ours_time / bare_time:>8.2f}")
            print(f"{'  ÷ 5 questions':<22}{ours_time / 5 * 1000:>11.1f} ms{bare_time / 5 * 1000:>11.1f} ms")

if __name__ == "__main__":
    main()
