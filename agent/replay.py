"""`trip-agent replay TRANSCRIPT [--speed X | --no-wait]`: re-render a saved --transcript in the terminal.

Each event is one line (or a few) prefixed with its `t`. By default nothing waits; --speed X
replays in real time scaled by X (2 = twice as fast).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from agent.usage import UsageError, UsageParser

PROG = "trip-agent replay"
EXIT_USAGE = 2
_TEXT_CHARS = 300


class TranscriptError(Exception):
    """The transcript cannot be read or a line is not an event; the message names the line."""


def read_events(path: Path) -> list[dict[str, Any]]:
    """The events of a transcript file.

    Raises:
        TranscriptError: The file is unreadable, or a line is not a JSON object with `type` and a numeric `t`.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise TranscriptError(f"cannot read transcript {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise TranscriptError(f"transcript {path} is not UTF-8 text: {error.reason}") from error
    events = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as error:
            raise TranscriptError(f"transcript {path}, line {number}: not valid JSON ({error.msg})") from error
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise TranscriptError(f"transcript {path}, line {number}: an event needs a string 'type'")
        if isinstance(event.get("t"), bool) or not isinstance(event.get("t"), int | float):
            raise TranscriptError(f"transcript {path}, line {number}: an event needs a number 't'")
        events.append(event)
    return events


def render(event: dict[str, Any]) -> str:
    """The event as terminal text, without its time prefix."""
    kind = event["type"]
    show = _RENDERERS.get(kind)
    if show is None:
        return f"{kind}: " + json.dumps({k: v for k, v in event.items() if k not in ("type", "t")}, ensure_ascii=False)
    try:
        return show(event)
    except (KeyError, TypeError, ValueError) as error:  # an older or hand-edited line: show it raw
        return f"{kind} (unreadable field {error}): " + json.dumps(event, ensure_ascii=False)


def replay(events: list[dict[str, Any]], out: TextIO, *, speed: float | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
    """Write every event with its time; with `speed`, wait the gap between events divided by it."""
    previous = 0.0
    for event in events:
        if speed:
            sleep(max(event["t"] - previous, 0.0) / speed)
        previous = event["t"]
        prefix = f"[{event['t']:8.3f}s] "
        lines = render(event).splitlines() or [""]
        out.write(prefix + lines[0] + "\n")
        out.writelines(" " * len(prefix) + line + "\n" for line in lines[1:])
        out.flush()


def main(argv: Sequence[str]) -> int:
    """Replay the transcript named in `argv` on stdout.

    Returns:
        0 when the transcript was replayed; 2 when the flags or the file are wrong.
    """
    parser = UsageParser(prog=PROG, description="Re-render a saved --transcript with its timings.")
    parser.add_argument("transcript", type=Path, metavar="TRANSCRIPT", help="a JSON Lines transcript")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=_positive, metavar="X", help="replay in real time scaled by X (2: twice as fast)")
    pace.add_argument("--no-wait", action="store_true", help="print at once with the timings (the default)")
    try:
        args = parser.parse_args(argv)
        events = read_events(args.transcript)
    except (UsageError, TranscriptError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        replay(events, sys.stdout, speed=args.speed)
    except KeyboardInterrupt:
        return 130
    return 0


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from error
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0: {text!r}")
    return value


def _short(text: str) -> str:
    return text if len(text) <= _TEXT_CHARS else text[: _TEXT_CHARS - 1] + "…"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _sampling_request(event: dict[str, Any]) -> str:
    asked = "\n".join(f"{message.get('role', '?')}: {_short(str(message.get('text', '')))}" for message in event["messages"])
    return f"sampling request from {event['server']} (max_tokens {event['max_tokens']}):\n{asked}"


def _structured(event: dict[str, Any]) -> str:
    content = event["content"]
    keys = ("status", "reservation_id", "quote_id", "supplied", "elicited")
    return f"{event['name']} structured: " + ", ".join(f"{key}={_json(content[key])}" for key in keys if key in content)


_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "user": lambda event: f"user: {event['text']}",
    "assistant": lambda event: f"assistant: {event['text']}",
    "tool_call": lambda event: f"-> {event['name']} {_json(event['input'])}",
    "tool_result": lambda event: f"<- {event['name']} {event['status']}: {_short(event['text'])}",
    "tool_structured": _structured,
    "elicitation_request": lambda event: f"? {event['server']} asks: {event['message']}",
    "elicitation_response": lambda event: (
        f"! {event['action']}" + (f" {_json(event['content'])}" if event.get("content") else "") + f" (after {event['wait_s']:.3f} s)"
    ),
    "progress": lambda event: (
        f"~ {event['tool']} {event['progress']:g}" + (f"/{event['total']:g}" if event.get("total") else "") + (f" {event['message']}" if event.get("message") else "")
    ),
    "sampling_request": _sampling_request,
    "sampling_response": lambda event: (
        f"sampling answered by {event['model']} ({'approved' if event['approved'] else 'refused'}):\n{_short(event['text'])}"
    ),
    "error": lambda event: f"error: {event['message']}",
}
