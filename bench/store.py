"""Benchmark: the booking store, SQLite vs PostgreSQL, one trip-server replica vs two, side by side.

For each deployment, over loopback HTTP with 2026-07-28 clients whose every request goes to the
next replica in turn (tests/mcp_server/replicas.py):
- bookings/s: plan_trip calls with every argument given (quote saved, one Book round, booking
  written), --concurrency at a time, in batches; a batch's rate is its bookings over its wall time;
- flow latency: whole plan_trip flows from nothing (4 questions, sampling, the Book question), one
  at a time.
All deployments run at once and take turns, round after round, so machine noise hits them alike.
PostgreSQL is a throwaway cluster started here (Debian's binaries; see tests/mcp_server/postgres_cluster.py),
durability off as in the tests; SQLite runs with its defaults (WAL, synchronous=NORMAL).

    .venv/bin/python bench/store.py [--bookings 200] [--concurrency 20] [--runs 15] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.mcp_server.postgres_cluster import PostgresCluster  # noqa: E402
from tests.mcp_server.replicas import replicas, spread_client  # noqa: E402
from tests.mcp_server.conftest import Human  # noqa: E402

TRIP = {"destination": "Kyoto", "trip_type": "couple", "nights": 2}
FLOW = [{"destination": "Okinawa"}, {"trip_type": "friends"}, {"nights": 3}, {"travelers": 3}, {"decision": "Book"}]


async def one_booking(urls: list[str], index: int) -> None:
    async with spread_client(urls, Human([{"decision": "Book"}]), start=index, sampling=None) as c:
        result = await c.call_tool("plan_trip", TRIP)
    assert result.structured_content["status"] == "booked", result


async def bookings_per_second(urls: list[str], bookings: int, concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def limited(index: int) -> None:
        async with gate:
            await one_booking(urls, index)

    started = time.perf_counter()
    await asyncio.gather(*(limited(i) for i in range(bookings)))
    return bookings / (time.perf_counter() - started)


async def one_flow(urls: list[str], index: int) -> float:
    started = time.perf_counter()
    async with spread_client(urls, Human(list(FLOW)), start=index) as c:
        result = await c.call_tool("plan_trip", {})
    assert result.structured_content["status"] == "booked", result
    return time.perf_counter() - started


async def measure(deployments: list[list[str]], args: argparse.Namespace) -> list[tuple[float, float]]:
    """Per deployment: median bookings/s over --rounds batches and median flow time; the
    deployments take turns in every round, so the machine's drift hits them all alike."""
    for urls in deployments:
        await one_booking(urls, 0)  # warm-up: connections, caches
    rates: list[list[float]] = [[] for _ in deployments]
    flows: list[list[float]] = [[] for _ in deployments]
    batch = args.bookings // args.rounds
    for round_ in range(args.rounds):
        for index, urls in enumerate(deployments):
            rates[index].append(await bookings_per_second(urls, batch, args.concurrency))
            for run in range(args.runs // args.rounds):
                flows[index].append(await one_flow(urls, round_ + run))
    return [(statistics.median(r), statistics.median(f)) for r, f in zip(rates, flows, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=200, help="bookings per deployment in all")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15, help="whole flows per deployment in all")
    parser.add_argument("--rounds", type=int, default=5, help="turns the deployments take")
    args = parser.parse_args()
    cluster = PostgresCluster().start()
    scratch = Path(tempfile.mkdtemp(prefix="trip-bench-"))
    deployments = [
        ("SQLite", 1, str(scratch / "one.db")),
        ("SQLite (one file)", 2, str(scratch / "two.db")),
        ("PostgreSQL", 1, cluster.new_database("one")),
        ("PostgreSQL", 2, cluster.new_database("two")),
    ]
    try:
        with ExitStack() as stack:
            urls = [
                [server.url for server in stack.enter_context(replicas(Path(tempfile.mkdtemp(dir=scratch)), db, count))]
                for _, count, db in deployments
            ]
            results = asyncio.run(measure(urls, args))
    finally:
        cluster.stop()
    print(f"{'store':<20}{'replicas':>9}{'bookings/s':>12}{'flow median':>13}")
    for (label, count, _), (rate, latency) in zip(deployments, results, strict=True):
        print(f"{label:<20}{count:>9}{rate:>12.1f}{latency * 1000:>10.1f} ms")
    print(f"({args.bookings} bookings per store, {args.concurrency} at a time, in {args.rounds} batches: median batch rate; "
          f"flow: median of {args.runs // args.rounds * args.rounds}; stores take turns in each of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
