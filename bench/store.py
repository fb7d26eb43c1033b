"""Benchmark: the booking store, SQLite vs PostgreSQL, one trip-server replica vs two, side by side.

For each deployment, over loopback HTTP with 2026-07-28 clients whose every request goes to the
next replica in turn (tests/server/replicas.py):
- bookings/s: --bookings plan_trip calls with every argument given (quote saved, one Book round,
  booking written), --concurrency at a time; wall time from the first call to the last booking;
- flow latency: the median of --runs whole plan_trip flows from nothing (4 questions, sampling,
  the Book question), one at a time.
PostgreSQL is a throwaway cluster started here (Debian's binaries; see tests/server/postgres_cluster.py),
durability off as in the tests; SQLite runs with its defaults (WAL, synchronous=NORMAL).

    .venv/bin/python bench/store.py [--bookings 200] [--concurrency 20] [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.postgres_cluster import PostgresCluster  # noqa: E402
from tests.server.replicas import replicas, spread_client  # noqa: E402
from tests.server.conftest import Human  # noqa: E402

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


async def flow_latency(urls: list[str], runs: int) -> float:
    times = []
    for index in range(runs + 1):  # the first is a warm-up
        started = time.perf_counter()
        async with spread_client(urls, Human(list(FLOW)), start=index) as c:
            result = await c.call_tool("plan_trip", {})
        assert result.structured_content["status"] == "booked", result
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


async def measure(urls: list[str], args: argparse.Namespace) -> tuple[float, float]:
    await one_booking(urls, 0)  # warm-up: connections, caches
    rate = await bookings_per_second(urls, args.bookings, args.concurrency)
    return rate, await flow_latency(urls, args.runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    cluster = PostgresCluster().start()
    scratch = Path(tempfile.mkdtemp(prefix="trip-bench-"))
    deployments = [
        ("SQLite", 1, lambda: str(scratch / "one.db")),
        ("SQLite (one file)", 2, lambda: str(scratch / "two.db")),
        ("PostgreSQL", 1, lambda: cluster.new_database("one")),
        ("PostgreSQL", 2, lambda: cluster.new_database("two")),
    ]
    print(f"{'store':<20}{'replicas':>9}{'bookings/s':>12}{'flow median':>13}"
          f"   ({args.bookings} bookings, {args.concurrency} at a time; flow: median of {args.runs})")
    try:
        for label, count, db in deployments:
            directory = Path(tempfile.mkdtemp(dir=scratch))
            with replicas(directory, db(), count) as servers:
                rate, latency = asyncio.run(measure([s.url for s in servers], args))
            print(f"{label:<20}{count:>9}{rate:>12.1f}{latency * 1000:>10.1f} ms", flush=True)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
