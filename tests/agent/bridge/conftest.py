"""Bridge fixtures: the real travel-planner (in-process and as a subprocess over loopback), a bridge factory."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agent.bridge import McpBridge
from agent.config import ModelSettings, SamplingSettings
from agent.human import Human
from agent.providers.playback import PlaybackModel
from agent.sampling_policy import Sampler
from agent.transcript import Transcript
from agent.ui.progress import ProgressView
from agent.ui.review import SamplingReview
from mcp_server.server import build_server
from mcp_server.settings import load_settings
from tests.server.conftest import RunningServer, start_server_process

MODES = ["auto", "legacy"]
PLAYBACK_MODEL = ModelSettings("playback", "bridge-test.json", "us-east-1", 1024, 0.2)
TIPS = "Visit Churaumi at opening time.\nDrive across the Kouri bridge.\nEat soki soba in Naha."


@dataclass
class Target:
    """Where a bridge connects (an in-process server or a URL) and the SQLite file behind it."""

    url: str
    transport: Any
    db: Path

    def bookings(self) -> list[str]:
        with sqlite3.connect(self.db) as db:
            return [row[0] for row in db.execute("SELECT id FROM bookings")]


@pytest.fixture
async def server(tmp_path):
    mcp = build_server(load_settings(overrides={"db": tmp_path / "trips.db"}))
    await mcp.services.store.open()  # as trip-server does at start
    yield mcp
    await mcp.services.store.close()


@pytest.fixture(scope="module")
def http_server(tmp_path_factory) -> Iterator[RunningServer]:
    running = start_server_process(tmp_path_factory.mktemp("bridge-http"))
    yield running
    running.process.terminate()
    running.process.wait(timeout=10)


@pytest.fixture(params=["memory", "http"])
def target(request, tmp_path) -> Target:
    if request.param == "memory":
        mcp = request.getfixturevalue("server")
        return Target("memory://travel-planner", mcp, tmp_path / "trips.db")
    running = request.getfixturevalue("http_server")
    return Target(running.url, None, running.db)


@dataclass
class Harness:
    """What a test reads back: lines shown to the user, progress output, transcript events."""

    notes: list[str] = field(default_factory=list)
    screen: io.StringIO = field(default_factory=io.StringIO)
    log: io.StringIO = field(default_factory=io.StringIO)

    def __post_init__(self) -> None:
        self.transcript = Transcript(self.log)
        self.progress = ProgressView(self.screen, interactive=False)

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        events = [json.loads(line) for line in self.log.getvalue().splitlines()]
        return [event for event in events if kind is None or event["type"] == kind]

    def sampler(
        self,
        policy: str = "auto",
        *,
        sampling: list[str] | None = None,
        review: SamplingReview | None = None,
        rate_limit: int = 10,
        max_tokens_cap: int = 500,
    ) -> Sampler:
        settings = SamplingSettings(
            policy=policy, model=None, max_tokens_cap=max_tokens_cap, rate_limit_per_minute=rate_limit, hint_map={}
        )
        playback = PlaybackModel([], [TIPS] if sampling is None else sampling, source="bridge-test.json")
        return Sampler(settings, lambda: PLAYBACK_MODEL, review, self.transcript, self.notes.append, lambda: playback)

    def bridge(self, target: Any, human: Human, *, mode: str = "auto", sampler: Sampler | None = None, **kwargs: Any) -> McpBridge:
        url, transport = (target.url, target.transport) if isinstance(target, Target) else ("memory://test", target)
        return McpBridge(
            "travel-planner",
            url,
            human=human,
            sampler=sampler or self.sampler(),
            progress=self.progress,
            transcript=self.transcript,
            notify=kwargs.pop("notify", self.notes.append),
            mode=mode,
            transport=transport,
            **kwargs,
        )


@pytest.fixture
def harness() -> Harness:
    return Harness()
