"""Benchmark: sessions held open at once, each paused in an elicitation, and the server memory each costs.

For each server (trip-server, and the bare fastmcp server of bench/bare_server.py), opens N clients
that each call plan_trip and stop answering at the first question, waits until all N are paused
there, and reads the server process's resident memory (VmRSS in /proc/PID/status) before and while
they are held. Then every client cancels, so nothing is booked. On 2025-11-25 each paused call holds a
session, its SSE stream and a waiting tool task on the server; on 2026-07-28 the question went back
in an input_required result and the server holds nothing until the client retries.

    .venv/bin/python bench/sessions.py [--sessions 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fastmcp import Client
from fastmcp.client.elicitation import ElicitResult

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_flow import ROOT, one_flow, progress, sample, start  # noqa: E402

HOLD_TIMEOUT_S = 120


def rss_kib(process: subprocess.Popen) -> int:
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS line")


async def hold(url: str, mode: str, count: int, process: subprocess.Popen) -> tuple[int, float]:
    """Server RSS growth (KiB) with `count` calls paused in a question, and the seconds to get there."""
    paused = 0
    all_paused, release = asyncio.Event(), asyncio.Event()

    async def stop_at_the_first_question(message, response_type, params, context):
        nonlocal paused
        paused += 1
        if paused == count:
            all_paused.set()
        await release.wait()
        return ElicitResult(action="cancel")

    async def one() -> None:
        async with Client(url, mode=mode, elicitation_handler=stop_at_the_first_question, sampling_handler=sample, progress_handler=progress) as client:
            result = await client.call_tool("plan_trip", {})
        assert "nothing was booked" in result.content[0].text.lower() or result.content[0].text == "booked", result

    before = rss_kib(process)
    started = time.perf_counter()
    calls = [asyncio.create_task(one()) for _ in range(count)]
    async with asyncio.timeout(HOLD_TIMEOUT_S):
        await all_paused.wait()
        opened = time.perf_counter() - started
        held = rss_kib(process)
        release.set()
        await asyncio.gather(*calls)
    return held - before, opened


async def measure_once(command: list[str], mode: str, count: int) -> tuple[int, float]:
    """A fresh server each time: Python keeps freed memory, so a second hold would reuse the first's."""
    process, url = start(command)
    try:
        await one_flow(url, mode)  # warm-up: every code path loaded before the first reading
        return await hold(url, mode, count, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    db = Path(tempfile.mkdtemp()) / "bench.db"
    servers = {
        "trip-server": [sys.executable, "-m", "mcp_server.cli", "--port", "0", "--db", str(db)],
        "bare fastmcp": [sys.executable, str(ROOT / "bench" / "bare_server.py")],
    }
    print(f"{args.sessions} calls paused in a question at once (median of {args.repeat} fresh servers)")
    print(f"{'revision':<22}{'server':<14}{'RSS growth':>12}{'per session':>14}{'time to hold all':>18}")
    for mode, label in (("legacy", "2025-11-25 (legacy)"), ("auto", "2026-07-28 (modern)")):
        results: dict[str, list[tuple[int, float]]] = {name: [] for name in servers}
        for _ in range(args.repeat):  # alternate servers so machine noise hits both alike
            for name, command in servers.items():
                results[name].append(asyncio.run(measure_once(command, mode, args.sessions)))
        for name, runs in results.items():
            growth = statistics.median(g for g, _ in runs)
            opened = statistics.median(t for _, t in runs)
            print(f"{label:<22}{name:<14}{growth / 1024:>9.1f} MiB{growth / args.sessions:>10.1f} KiB{opened:>16.2f} s")


if __name__ == "__main__":
    main()
