"""Which tool the offline `local` model calls for a fixed set of simple requests (a benchmark, not a test).

The tools are the trip server's own, listed in-process from `build_server` (names, descriptions and
input schemas exactly as the agent sees them), and the system prompt is configs/local.toml's. Each
request is one user turn through LocalModel.stream, so choice and argument filling run as in the
REPL. Prints a Markdown table, one row per request, and the score.

Usage: python bench/local_tools.py [CONFIG]   (default configs/local.toml; needs the local extra)
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastmcp import Client

from agent.config import load_settings
from agent.models import create_model
from mcp_server.server import build_server
from mcp_server.settings import ServerSettings

# (request, the tool that serves it; None: an answer in words)
REQUESTS: list[tuple[str, str | None]] = [
    ("Plan a trip to Kyoto.", "plan_trip"),
    ("I'd like to plan a trip to Kyoto.", "plan_trip"),
    ("京都に2泊したい", "plan_trip"),
    ("Book a solo trip to Okinawa for 3 nights, just me.", "plan_trip"),
    ("How much for Okinawa for two?", "get_quote"),
    ("How much would a solo trip to Kyoto for 2 nights cost?", "get_quote"),
    ("沖縄はいくらですか？", "get_quote"),
    ("Show my bookings.", "list_bookings"),
    ("私の予約を見せて", "list_bookings"),
    ("Cancel TRV-7K3Q9.", "cancel_booking"),
    ("What destinations are there?", "list_destinations"),
    ("どこに行けますか？", "list_destinations"),
    ("Hello!", None),
]


async def server_tool_specs() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as scratch:
        server = build_server(ServerSettings(db=Path(scratch) / "bookings.db"))
        async with Client(server) as client:
            tools = await client.list_tools()
    return [
        {"name": tool.name, "description": tool.description or tool.name, "inputSchema": {"json": tool.input_schema}}
        for tool in tools
    ]


async def one_reply(model: Any, request: str, specs: list[dict[str, Any]], system_prompt: str) -> tuple[str | None, str]:
    """The tool called (None for a text reply) and its arguments or the start of the text."""
    messages = [{"role": "user", "content": [{"text": request}]}]
    name, parts = None, []
    async for event in model.stream(messages, specs, system_prompt):
        start = event.get("contentBlockStart", {}).get("start", {})
        if "toolUse" in start:
            name = start["toolUse"]["name"]
        delta = event.get("contentBlockDelta", {}).get("delta", {})
        parts.append(delta["toolUse"]["input"] if "toolUse" in delta else delta.get("text", ""))
    return name, "".join(parts)


async def main() -> None:
    config = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("configs/local.toml")
    settings = load_settings(config_file=config, env={}, flags={})
    model = create_model(settings.model)
    specs = await server_tool_specs()
    right = 0
    print("| request | expected | chosen | arguments or text | s |")
    print("|---|---|---|---|---|")
    for request, expected in REQUESTS:
        started = time.perf_counter()
        name, output = await one_reply(model, request, specs, settings.system_prompt)
        seconds = time.perf_counter() - started
        right += name == expected
        mark = "" if name == expected else " ✗"
        shown = json.dumps(output[:60], ensure_ascii=False)
        print(f"| {request} | {expected or 'text'} | {name or 'text'}{mark} | `{shown}` | {seconds:.1f} |")
    print(f"\n{right}/{len(REQUESTS)} right")


if __name__ == "__main__":
    asyncio.run(main())
