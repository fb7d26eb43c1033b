"""Fixtures for every agent test.

- a pipe of keys for real prompt-toolkit sessions, and a Screen that records what the REPL draws
  (tests wait on real output instead of sleeping);
- the real travel-planner (in-process and as a subprocess over loopback) and a bridge factory;
- an AWS environment with no real credentials, and Bedrock stubbed at botocore's HTTP layer: only
  the HTTP send is replaced, botocore still signs, serialises and parses (event streams included),
  and Strands' BedrockModel runs unchanged on top.
"""

from __future__ import annotations

import asyncio
import binascii
import io
import json
import re
import socket
import sqlite3
import struct
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.httpsession import URLLib3Session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output

from agent.bridge import McpBridge
from agent.config import ModelSettings, SamplingSettings
from agent.human import Human
from agent.providers.playback import PlaybackModel, PlaybackSampling
from agent.sampler import Sampler
from agent.sampling_review import SamplingReviewer
from agent.transcript import Transcript
from agent.ui.progress import ProgressView
from mcp_server.server import build_server
from mcp_server.settings import load_settings
from tests.mcp_server.conftest import http_server  # noqa: F401  (a fixture: trip-server over loopback HTTP)


@pytest.fixture
def pipe():
    """Keys for a real prompt-toolkit session. The context stays open for the whole test: a
    garbage-collected pipe makes the prompt raise EOFError."""
    with create_pipe_input() as pipe_input:
        yield pipe_input


# The terminal the REPL draws on.

BOOK_SCRIPT = {
    "turns": [{"tool_use": {"name": "plan_trip", "input": {"destination": "Kyoto"}}}, {"text": "Booked!"}],
    # Three real lines: the server refuses junk such as "tip one" and uses the catalogue instead.
    "sampling": ["Walk Fushimi Inari at dawn.\nTake the Sagano scenic train.\nTry yudofu near Nanzen-ji."],
}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[>=]|[\r\x07]")
WAIT_S = 60.0


class Screen:
    """A text stream the REPL and prompt-toolkit write to; `wait_for` resumes on each write."""

    encoding = "utf-8"

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._changed = asyncio.Event()
        self._seen = 0  # how much of the plain text earlier waits consumed
        self._keys = None

    def answer_cursor_requests(self, pipe) -> None:
        """Act as a terminal: claim to be one and answer cursor position requests on `pipe`.
        Until prompt-toolkit knows the rows below the prompt it draws no bottom toolbar."""
        self._keys = pipe

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._changed.set()
        if self._keys is not None and "\x1b[6n" in text:
            self._keys.send_text("\x1b[1;1R")
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self._keys is not None

    def plain(self) -> str:
        # Whitespace is dropped: the renderer moves the cursor instead of writing some spaces.
        return re.sub(r"\s+", "", _ANSI.sub("", "".join(self._parts)))

    async def wait_for(self, *needles: str) -> str:
        """Wait until one of `needles` (whitespace ignored) appears after what earlier waits matched.

        Returns:
            The needle that appeared first.
        """
        plain_needles = {re.sub(r"\s+", "", needle): needle for needle in needles}

        async def found() -> str:
            while True:
                text = self.plain()
                hits = [(text.find(plain, self._seen), plain) for plain in plain_needles]
                hits = [(index, plain) for index, plain in hits if index >= 0]
                if hits:
                    index, plain = min(hits)
                    self._seen = index + len(plain)
                    return plain_needles[plain]
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(found(), WAIT_S)
        except TimeoutError:
            shown = " or ".join(repr(plain) for plain in plain_needles)
            raise AssertionError(f"{shown} never appeared; screen ends with: {self.plain()[-600:]!r}") from None

    def lines(self) -> list[str]:
        """What was written, as lines, escapes dropped and spacing kept (for layout checks)."""
        return _ANSI.sub("", "".join(self._parts)).split("\n")

    def output(self, columns: int = 160) -> Vt100_Output:
        return Vt100_Output(self, lambda: Size(rows=40, columns=columns), term="xterm")


@pytest.fixture
def screen() -> Screen:
    return Screen()


@pytest.fixture
def book_script(tmp_path):
    path = tmp_path / "book.json"
    path.write_text(json.dumps(BOOK_SCRIPT), encoding="utf-8")
    return path


@pytest.fixture
def run_repl(pipe, screen):
    """Starts the real REPL on `pipe` and `screen` as a task; cancelled and its transcript closed at the end."""
    from agent.ui.repl import Repl

    started = []

    def run(settings, transcript, columns=160):
        task = asyncio.create_task(Repl(settings, transcript, input=pipe, output=screen.output(columns), stream=screen).run())
        started.append((task, transcript))
        return task

    yield run
    for task, transcript in started:
        task.cancel()
        transcript.close()


async def answer(screen, pipe, prompt, keys):
    await screen.wait_for(prompt)
    pipe.send_text(keys)


def read_events(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# The travel-planner and a bridge to it.

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


@asynccontextmanager
async def serving_on_loopback(app: Any) -> AsyncIterator[str]:
    """`app` served by uvicorn in this event loop; its MCP URL at once.

    The socket listens before uvicorn starts, so a client that connects early waits in the
    backlog: nothing waits for uvicorn's startup.
    """
    import uvicorn

    listener = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/mcp"
    finally:
        server.should_exit = True
        await serving
        listener.close()


@pytest.fixture
async def server(tmp_path):
    mcp = build_server(load_settings(overrides={"db": tmp_path / "trips.db"}))
    await mcp.services.store.open()  # as trip-server does at start
    yield mcp
    await mcp.services.store.close()


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
        review: SamplingReviewer | None = None,
        rate_limit: int = 10,
        max_tokens_cap: int = 500,
    ) -> Sampler:
        settings = SamplingSettings(
            policy=policy, model=None, max_tokens_cap=max_tokens_cap, rate_limit_per_minute=rate_limit, hint_map={}
        )
        playback = PlaybackModel([], [TIPS] if sampling is None else sampling, source="bridge-test.json")
        return Sampler(settings, review, self.transcript, self.notes.append, model=PLAYBACK_MODEL, writer=PlaybackSampling(playback))

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


# AWS without credentials, and Bedrock stubbed.

_AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "TRIP_AGENT_MODEL",
    "TRIP_AGENT_REGION",
    "TRIP_AGENT_SAMPLING",
    "TRIP_AGENT_SERVER",
)


@pytest.fixture
def isolated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No credentials, profiles or instance metadata from the machine running the tests.

    The model, config and sampling tests use it (`pytestmark = pytest.mark.usefixtures("isolated_aws")`).
    """
    for name in _AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    nowhere = tmp_path_factory.mktemp("aws") / "absent"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(nowhere))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # botocore's own retries would sleep through backoff on a stubbed 429; Strands' retries are what we test.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")


def _header(name: str, value: str) -> bytes:
    name_bytes, value_bytes = name.encode(), value.encode()
    # header: name length, name, value type 7 (string), value length, value
    return struct.pack("!B", len(name_bytes)) + name_bytes + b"\x07" + struct.pack("!H", len(value_bytes)) + value_bytes


def encode_event(name: str, payload: dict[str, Any], *, exception: bool = False) -> bytes:
    """One message of the AWS event-stream wire format (prelude, headers, payload, CRCs)."""
    kind = ":exception-type" if exception else ":event-type"
    headers = (
        _header(kind, name)
        + _header(":content-type", "application/json")
        + _header(":message-type", "exception" if exception else "event")
    )
    body = json.dumps(payload).encode()
    prelude = struct.pack("!II", 12 + len(headers) + len(body) + 4, len(headers))
    prelude += struct.pack("!I", binascii.crc32(prelude))
    message = prelude + headers + body
    return message + struct.pack("!I", binascii.crc32(message))


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data

    def close(self) -> None:
        return None


class BedrockStub:
    """Queued Bedrock runtime responses, and every request botocore sent."""

    def __init__(self) -> None:
        self.requests: list[AWSPreparedRequest] = []
        self._responses: deque[tuple[int, dict[str, str], bytes]] = deque()

    def events(self, *events: tuple[str, dict[str, Any]]) -> None:
        """Queue a 200 converse-stream response carrying these (event name, payload) messages."""
        body = b"".join(encode_event(name, payload) for name, payload in events)
        self._responses.append((200, {"content-type": "application/vnd.amazon.eventstream"}, body))

    def text(self, text: str, stop_reason: str = "end_turn") -> None:
        self.events(
            ("messageStart", {"role": "assistant"}),
            ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}}),
            ("contentBlockStop", {"contentBlockIndex": 0}),
            ("messageStop", {"stopReason": stop_reason}),
            (
                "metadata",
                {"usage": {"inputTokens": 5, "outputTokens": 7, "totalTokens": 12}, "metrics": {"latencyMs": 3}},
            ),
        )

    def stream_exception(self, code: str, message: str) -> None:
        """Queue a 200 response whose event stream fails with a modelled exception (e.g. throttlingException)."""
        body = encode_event("messageStart", {"role": "assistant"})
        body += encode_event(code, {"message": message}, exception=True)
        self._responses.append((200, {"content-type": "application/vnd.amazon.eventstream"}, body))

    def error(self, status: int, code: str, message: str) -> None:
        """Queue an HTTP error response as Bedrock sends them (rest-json)."""
        headers = {
            "content-type": "application/json",
            "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/",
        }
        self._responses.append((status, headers, json.dumps({"message": message}).encode()))

    def send(self, request: AWSPreparedRequest) -> AWSResponse:
        self.requests.append(request)
        status, headers, body = self._responses.popleft()
        return AWSResponse(request.url, status, headers, _Body(body))

    def request_json(self, index: int = -1) -> dict[str, Any]:
        body = self.requests[index].body
        return json.loads(body if isinstance(body, (str, bytes)) else body.read())


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch, aws_credentials: None) -> BedrockStub:
    stub = BedrockStub()
    monkeypatch.setattr(URLLib3Session, "send", lambda session, request: stub.send(request))
    return stub
