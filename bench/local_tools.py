"""The offline `local` model's first reply to 41 one-sentence requests, scored (a benchmark, not a test).

Each request is one user turn through LocalModel.stream with the trip server's own tools (listed
in-process from `build_server`: names, descriptions and input schemas exactly as the agent sees
them) and the system prompt of the settings (configs/default.toml unless a config is given), so
the "call or answer" decision, the call grammar and grounding run as in the REPL.

A reply is right when the tool is the expected one (or words when words are expected), every
expected argument has the expected value (a destination in English or Japanese alike), and no
other argument is present: an argument the user never gave is an invented value, and wrong.
`may` lists values that are right either way (given or left out), e.g. 1 traveller for "solo".
A tool that takes a `language` code is expected to get the request's language (en or ja): the
user gave it by writing in it, and without it a Japanese user is asked in English.

Prints a Markdown table, one row per request, and the score.

Usage: python bench/local_tools.py [CONFIG]   (needs the local extra: scripts/install-local.sh .venv)
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastmcp import Client

from agent.config import load_settings
from agent.models import create_model
from mcp_server.catalog import load_catalog
from mcp_server.messages import detect_language
from mcp_server.server import build_server
from mcp_server.settings import ServerSettings


@dataclass(frozen=True)
class Case:
    request: str
    tool: str | None  # None: an answer in words
    arguments: dict[str, Any] = field(default_factory=dict)
    may: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("Plan a trip to Kyoto.", "plan_trip", {"destination": "Kyoto"}),
    Case("I'd like to plan a trip to Kyoto.", "plan_trip", {"destination": "Kyoto"}),
    Case("Book a solo trip to Okinawa for 3 nights, just me.", "plan_trip",
         {"destination": "Okinawa", "trip_type": "solo", "nights": 3}, {"travelers": 1}),
    Case("Plan a family trip to Hokkaido for 4 people.", "plan_trip",
         {"destination": "Hokkaido", "trip_type": "family", "travelers": 4}),
    Case("We are a couple and want 2 nights in Fukuoka.", "plan_trip",
         {"destination": "Fukuoka", "trip_type": "couple", "nights": 2}, {"travelers": 2}),
    Case("Plan a trip for me.", "plan_trip"),
    Case("I want to go to Okinawa with friends for 5 nights.", "plan_trip",
         {"destination": "Okinawa", "trip_type": "friends", "nights": 5}),
    Case("How much would a solo trip to Kyoto for 2 nights cost?", "get_quote",
         {"destination": "Kyoto", "trip_type": "solo", "nights": 2}, {"travelers": 1}),
    Case("How much for Okinawa for two?", "get_quote", {"destination": "Okinawa", "travelers": 2}),
    Case("What's the price of a family trip to Fukuoka, 3 nights, 4 people?", "get_quote",
         {"destination": "Fukuoka", "trip_type": "family", "nights": 3, "travelers": 4}),
    Case("What destinations are there?", "list_destinations"),
    Case("Which places can I visit?", "list_destinations"),
    Case("Show my bookings.", "list_bookings"),
    Case("Do I have any reservations?", "list_bookings"),
    Case("Cancel TRV-7K3Q9.", "cancel_booking", {"reservation_id": "TRV-7K3Q9"}),
    Case("Please cancel my booking TRV-AB12C.", "cancel_booking", {"reservation_id": "TRV-AB12C"}),
    Case("Show me booking TRV-7K3Q9.", "get_booking", {"reservation_id": "TRV-7K3Q9"}),
    Case("Book quote Q-AB12CD34.", "book_quote", {"quote_id": "Q-AB12CD34"}),
    Case("Hello!", None),
    Case("Thanks, that's all.", None),
    Case("京都に2泊したい", "plan_trip", {"destination": "Kyoto", "nights": 2}),
    Case("沖縄旅行を計画して", "plan_trip", {"destination": "Okinawa"}),
    Case("一人で北海道に3泊の旅行を予約したい", "plan_trip",
         {"destination": "Hokkaido", "trip_type": "solo", "nights": 3}, {"travelers": 1}),
    Case("家族4人で福岡に行きたい", "plan_trip", {"destination": "Fukuoka", "trip_type": "family", "travelers": 4}),
    Case("カップルで京都に1泊したい", "plan_trip",
         {"destination": "Kyoto", "trip_type": "couple", "nights": 1}, {"travelers": 2}),
    Case("旅行を計画したい", "plan_trip"),
    Case("友達と沖縄に5泊したい", "plan_trip", {"destination": "Okinawa", "trip_type": "friends", "nights": 5}),
    Case("沖縄はいくらですか？", "get_quote", {"destination": "Okinawa"}),
    Case("京都に一人で2泊するといくら？", "get_quote",
         {"destination": "Kyoto", "trip_type": "solo", "nights": 2}, {"travelers": 1}),
    Case("福岡、家族3人、2泊の料金を教えて", "get_quote",
         {"destination": "Fukuoka", "trip_type": "family", "nights": 2, "travelers": 3}),
    Case("北海道に二人で3泊するといくらかかりますか？", "get_quote", {"destination": "Hokkaido", "nights": 3, "travelers": 2}),
    Case("どこに行けますか？", "list_destinations"),
    Case("行き先の一覧を見せて", "list_destinations"),
    Case("私の予約を見せて", "list_bookings"),
    Case("予約一覧", "list_bookings"),
    Case("予約TRV-7K3Q9をキャンセルして", "cancel_booking", {"reservation_id": "TRV-7K3Q9"}),
    Case("TRV-AB12Cの予約を取り消したい", "cancel_booking", {"reservation_id": "TRV-AB12C"}),
    Case("予約TRV-7K3Q9の詳細を見せて", "get_booking", {"reservation_id": "TRV-7K3Q9"}),
    Case("見積もりQ-AB12CD34で予約して", "book_quote", {"quote_id": "Q-AB12CD34"}),
    Case("こんにちは", None),
    Case("ありがとう", None),
]  # fmt: skip

_CATALOG = load_catalog()


def _same(name: str, expected: Any, actual: Any) -> bool:
    if name == "destination" and isinstance(actual, str):
        resolved = _CATALOG.resolve(actual)
        return resolved is not None and resolved.name == expected
    return actual == expected


def expected_arguments(case: Case, specs: list[dict[str, Any]]) -> dict[str, Any]:
    """The case's arguments, and the request's language for a tool that takes a language code."""
    schema = next((spec["inputSchema"]["json"] for spec in specs if spec["name"] == case.tool), {})
    if "enum" in schema.get("properties", {}).get("language", {}):
        return {**case.arguments, "language": detect_language(case.request) or "en"}
    return case.arguments


def score(case: Case, expected: dict[str, Any], tool: str | None, arguments: dict[str, Any]) -> list[str]:
    """What is wrong with a reply (empty when it is right); `expected`: its expected_arguments."""
    if tool != case.tool:
        return [f"tool {tool or 'words'}"]
    problems = [
        f"{name} {'missing' if name not in arguments else repr(arguments[name])}"
        for name, value in expected.items()
        if name not in arguments or not _same(name, value, arguments[name])
    ]
    for name, value in arguments.items():
        if name not in expected and not (name in case.may and _same(name, case.may[name], value)):
            problems.append(f"invented {name}={value!r}")
    return problems


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
    """The tool called (None for words) and its arguments as JSON, or the text."""
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
    config = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    settings = load_settings(config_file=config, env={}, flags={"model": "local"})
    model = create_model(settings.model)
    specs = await server_tool_specs()
    right = japanese = japanese_right = invented = 0
    seconds: list[float] = []
    print("| request | expected | reply | verdict | s |")
    print("|---|---|---|---|---|")
    for case in CASES:
        started = time.perf_counter()
        tool, output = await one_reply(model, case.request, specs, settings.system_prompt)
        seconds.append(time.perf_counter() - started)
        arguments = json.loads(output) if tool else {}
        wanted = expected_arguments(case, specs)
        problems = score(case, wanted, tool, arguments)
        is_japanese = not case.request.isascii()
        right += not problems
        japanese += is_japanese
        japanese_right += is_japanese and not problems
        invented += any(problem.startswith("invented") for problem in problems)
        expected = f"{case.tool} {json.dumps(wanted, ensure_ascii=False)}" if case.tool else "words"
        reply = f"{tool} {output}" if tool else f"words: {output[:50]}"
        verdict = "ok" if not problems else "✗ " + "; ".join(problems)
        print(f"| {case.request} | `{expected}` | `{reply.replace('|', '/')}` | {verdict} | {seconds[-1]:.1f} |")
    total = len(CASES)
    print(
        f"\n{right}/{total} right ({right / total:.0%}); Japanese {japanese_right}/{japanese}; "
        f"replies with an invented value: {invented}; median {sorted(seconds)[total // 2]:.1f} s per request, "
        f"first {seconds[0]:.1f} s (model load included)"
    )


if __name__ == "__main__":
    asyncio.run(main())
