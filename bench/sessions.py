"""Benchmark: sessions held open at once, each paused in an elicitation, and the server memory each costs.

For each server (trip-server, and the bare fastmcp server of bench/bare_server.py), opens N clients
that each call plan_trip and stop answering at the first question, waits until all N are paused
there, and reads the server process's resident memory (VmRSS in /proc/PID/status) before and while
they are held. Then every client cancels, so nothing is booked. On 2025-11-25 each paused call holds a
session, its SSE stream and a waiting tool task on the server; on 2026-07-28 the question went back
in an input_required result and the server holds nothing until the client retries.

    .venv/bin/python bench/sessions.py [--sessions 200] [--repeat 3]

`--junk N` measures instead what N requests without a session id cost trip-server (malformed JSON, a
GET, a DELETE, a wrong content type, a ping without a session, in turn): RSS growth per request.
`--source DIR` runs trip-server from another checkout (e.g. `git archive main | tar -x -C DIR`) to
compare before and after a change; the default is this one.
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

import httpx
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


MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
JUNK = [
    ("POST", MCP_HEADERS, b'{"jsonrpc": "2.0", "id": 1, "method": "initi'),
    ("GET", {"Accept": "text/event-stream"}, b""),
    ("DELETE", {}, b""),
    ("POST", {**MCP_HEADERS, "Content-Type": "text/plain"}, b"{}"),
    ("POST", MCP_HEADERS, b'{"jsonrpc": "2.0", "id": 2, "method": "ping"}'),
]


async def junk(url: str, count: int, process: subprocess.Popen) -> int:
    """Server RSS growth (KiB) after `count` requests without a session id, every one answered 4xx."""
    async with httpx.AsyncClient(timeout=30) as http:
        for method, headers, body in JUNK:  # warm-up: every rejection path loaded before the first reading
            await http.request(method, url, headers=headers, content=body)
        before = rss_kib(process)
        for index in range(count):
            method, headers, body = JUNK[index % len(JUNK)]
            response = await http.request(method, url, headers=headers, content=body)
            assert 400 <= response.status_code < 500, response
    return rss_kib(process) - before


async def measure_junk(command: list[str], cwd: Path, count: int) -> int:
    process, url = start(command, cwd)
    try:
        return await junk(url, count, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


async def measure_once(command: list[str], mode: str, count: int, cwd: Path = ROOT) -> tuple[int, float]:
    """A fresh server each time: Python keeps freed memory, so a second hold would reuse the first's."""
    process, url = start(command, cwd)
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
    parser.add_argument("--junk", type=int, default=0, help="measure N junk requests instead of held sessions")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout whose trip-server runs (default: this one)")
    args = parser.parse_args()
    db = Path(tempfile.mkdtemp()) / "bench.db"
    if args.junk:
        ours = [sys.executable, "-m", "mcp_server.cli", "--port", "0", "--db", str(db)]
        growth = statistics.median(asyncio.run(measure_junk(ours, args.source, args.junk)) for _ in range(args.repeat))
        print(f"trip-server from {args.source}: {args.junk} junk requests (median of {args.repeat} fresh servers)")
        print(f"RSS growth {growth / 1024:.1f} MiB, {growth / args.junk:.2f} KiB per request")
        return
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
                cwd = args.source if name == "trip-server" else ROOT
                results[name].append(asyncio.run(measure_once(command, mode, args.sessions, cwd)))
        for name, runs in results.items():
            growth = statistics.median(g for g, _ in runs)
            opened = statistics.median(t for _, t in runs)
            print(f"{label:<22}{name:<14}{growth / 1024:>9.1f} MiB{growth / args.sessions:>10.1f} KiB{opened:>16.2f} s")


if __name__ == "__main__":
    main()
