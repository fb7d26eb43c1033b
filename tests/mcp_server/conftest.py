"""Server fixtures: a real server over a real SQLite file, a scripted human for its questions, and
trip-server processes on loopback (with their log, for tests that wait on what it says)."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastmcp import Client
from fastmcp.client.elicitation import ElicitResult

from mcp_server.launch import server_command, start_listening
from mcp_server.logs import session_tag
from mcp_server.server import build_server
from mcp_server.settings import load_settings
from tests.mcp_server.postgres_cluster import PostgresCluster, PostgresUnavailable
from tests.mcp_server.stderr_log import StderrLog

MODES = ["legacy", "auto"]  # auto negotiates 2026-07-28 with our server


@dataclass
class Human:
    """Answers elicitations from a script; records every question. Items: dict content or an action."""

    answers: list[Any]
    questions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def __call__(self, message, response_type, params, context):
        self.questions.append((message, params.requested_schema))
        if not self.answers:
            raise AssertionError(f"unexpected question: {message}")
        answer = self.answers.pop(0)
        if answer in ("decline", "cancel"):
            return ElicitResult(action=answer)
        return ElicitResult(action="accept", content=answer)

    @property
    def asked(self) -> list[str]:
        return [next(iter(schema["properties"])) for _, schema in self.questions]


@dataclass
class Progress:
    events: list[tuple[float, float | None, str | None]] = field(default_factory=list)

    async def __call__(self, progress, total, message):
        self.events.append((progress, total, message))


async def llm(messages, params, context):
    return "Walk Fushimi Inari at dawn.\nTake the Sagano train.\nTry yudofu near Nanzen-ji."


@pytest.fixture
def settings(tmp_path):
    return load_settings(overrides={"db": tmp_path / "trips.db"})


@pytest.fixture
async def server(settings):
    mcp = build_server(settings)
    await mcp.services.store.open()  # as trip-server does at start
    yield mcp
    await mcp.services.store.close()


@pytest.fixture
def store(server):
    return server.services.store


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL for the test session; a test that needs it fails loudly if it cannot start."""
    try:
        cluster = PostgresCluster().start()
    except PostgresUnavailable as error:
        pytest.fail(f"PostgreSQL did not start, so the tests that need it cannot run: {error}", pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_db(postgres_cluster) -> str:
    """The URL of a fresh, empty database in the session's cluster."""
    return postgres_cluster.new_database()


def client(target, human: Human | None = None, *, mode: str = "auto", sampling=llm, progress=None) -> Client:
    return Client(
        target,
        mode=mode,
        elicitation_handler=human,
        sampling_handler=sampling,
        progress_handler=progress,
    )


@dataclass
class RunningServer:
    url: str
    db: Path
    process: subprocess.Popen


def start_server_process(tmp_path: Path, *extra: str) -> RunningServer:
    """trip-server as a user runs it, on a free loopback port; ready when it prints its URL."""
    db = tmp_path / "http.db"
    process, url = start_listening(server_command("--db", str(db), *extra), stderr=subprocess.PIPE)
    return RunningServer(url=url, db=db, process=process)


ROOT = Path(__file__).resolve().parents[2]
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
PING = {"jsonrpc": "2.0", "id": 7, "method": "ping"}


@dataclass
class LoggedServer:
    """trip-server with its stderr copied to a file, so a test can wait for what it logs."""

    url: str
    db: Path
    log: Path
    process: subprocess.Popen
    stderr: StderrLog

    def log_text(self) -> str:
        return self.stderr.text()

    async def wait_for_log(self, text: str, timeout: float) -> None:
        if not await self.stderr.wait_for(text, timeout):
            raise AssertionError(f"trip-server did not log {text!r} within {timeout} s:\n{self.log_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process.stdout.close()
        self.stderr.close()


def start_logged_server(directory: Path, db: Path, *extra: str, log_name: str = "server.log", **popen: Any) -> LoggedServer:
    """trip-server on a free loopback port; ready once it prints its `listening on` line."""
    log = directory / log_name
    process, url = start_listening(server_command("--db", str(db), *extra), stderr=subprocess.PIPE, cwd=ROOT, **popen)
    return LoggedServer(url=url, db=db, log=log, process=process, stderr=StderrLog(process.stderr, log))


def idle_config(directory: Path, seconds: float, **more: float) -> str:
    config = directory / "server.toml"
    extra = "".join(f"{key} = {value!r}\n" for key, value in more.items())
    config.write_text(f"[trip_server]\nsession_idle_timeout_s = {seconds}\n{extra}")
    return str(config)


def idle_timeout_line(session_id: str) -> str:
    """mcp's line for a timed-out session, with the id as the logs show it (a one-way tag)."""
    return f"Session {session_tag(session_id)} idle timeout"


def post_on_session(url: str, session_id: str) -> httpx.Response:
    headers = {**MCP_HEADERS, "Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-11-25"}
    return httpx.post(url, json=PING, headers=headers, timeout=10)


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


def bookings_by_quote(db: Path) -> dict[str, str]:
    return dict(rows(db, "SELECT quote_id, id FROM bookings"))


@pytest.fixture(scope="module")
def http_server(tmp_path_factory) -> Iterator[RunningServer]:
    running = start_server_process(tmp_path_factory.mktemp("http"))
    yield running
    running.process.terminate()
    running.process.wait(timeout=10)


@pytest.fixture(scope="module")
def paying_server(tmp_path_factory) -> Iterator[RunningServer]:
    """trip-server over loopback HTTP with its payment step on (payment_step = true)."""
    directory = tmp_path_factory.mktemp("pay")
    config = directory / "server.toml"
    config.write_text("[trip_server]\npayment_step = true\n", encoding="utf-8")
    running = start_server_process(directory, "--config", str(config))
    yield running
    running.process.terminate()
    running.process.wait(timeout=10)


@dataclass
class Target:
    """Where a test's client connects, and the SQLite file behind it."""

    connect: Any
    db: Path

    def bookings(self) -> list[tuple]:
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT b.id, q.price FROM bookings b JOIN quotes q ON q.id = b.quote_id").fetchall()


@pytest.fixture(params=["memory", "http"])
def target(request, settings) -> Iterator[Target]:
    """The same tests in-process (fast) and over loopback HTTP (what only HTTP shows)."""
    if request.param == "memory":
        mcp = request.getfixturevalue("server")
        yield Target(mcp, settings.db)
    else:
        running = request.getfixturevalue("http_server")
        yield Target(running.url, running.db)
