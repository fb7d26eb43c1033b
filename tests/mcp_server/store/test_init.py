"""mcp_server/store/__init__.py (open_store, parse_db) as trip-server's operator meets it, over real
processes and loopback HTTP: the --db setting, failing closed at start and at a write, reads that
never queue behind a stuck writer, bookings that survive a restart, a locked database."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from fastmcp import Client
from fastmcp.exceptions import ToolError

from mcp_server.cli import parse_args, settings_from_args
from mcp_server.launch import server_command
from mcp_server.settings import load_settings
from tests.mcp_server.conftest import ROOT, Human, bookings_by_quote, client, llm, post_on_session, rows, start_logged_server
from tests.mcp_server.store.test_sqlite import immutable


def trip_server(cwd, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """trip-server expected to exit at start (it would print `listening on` and serve otherwise)."""
    return subprocess.run(
        server_command(*args),
        capture_output=True, text=True, timeout=60, cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


@pytest.mark.parametrize("db", ["mysql://u:p@127.0.0.1/trips", "postgres+psycopg://u@127.0.0.1/trips", "sqlite:trips.db"])
def test_an_unsupported_url_is_one_line_with_exit_2_and_creates_nothing(tmp_path, db):
    done = trip_server(tmp_path, "--db", db)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "unsupported database URL scheme" in done.stderr
    assert "postgresql://user:password@host:port/database" in done.stderr
    assert list(tmp_path.iterdir()) == []  # no `mysql:` folder with a SQLite file in it


def test_an_unreachable_postgresql_is_one_line_with_exit_1_and_creates_nothing(tmp_path):
    done = trip_server(tmp_path, env={"TRIP_SERVER_DB": "postgresql://trips:s3cret-pw@127.0.0.1:1/trips?sslmode=disable"})
    assert done.returncode == 1, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("trip-server: Cannot connect to the booking database postgresql://trips@127.0.0.1:1/trips:")
    assert "s3cret-pw" not in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # before: a folder `postgresql:` holding a SQLite file


def test_a_read_only_database_stops_trip_server_at_start(tmp_path):
    with immutable(tmp_path / "trips.db") as path:
        done = trip_server(tmp_path, "--db", str(path))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"trip-server: The booking database {path} is read-only; nothing was changed. "
        "Make the file and its folder writable, or choose another file with --db."
    )
    assert "Traceback" not in done.stderr


async def test_a_database_deleted_under_a_running_server_is_reported_never_written(tmp_path):
    db = tmp_path / "trips.db"
    server = start_logged_server(tmp_path, db)
    try:
        async with client(server.url, Human([{"decision": "Cancel"}, {"decision": "Book"}]), mode="legacy") as c:
            planned = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 2})
            db.unlink()
            with pytest.raises(ToolError) as refused:
                await c.call_tool("book_quote", {"quote_id": planned.structured_content["quote_id"]})
        assert server.process.poll() is None
    finally:
        server.stop()
    assert str(refused.value) == (
        "The booking database file was deleted or replaced while trip-server was running; nothing was changed. "
        "The operator must restart trip-server."
    )
    assert "deleted or replaced since start; refusing to write" in server.log_text()
    assert not db.exists()  # the booking did not "succeed" into the unlinked file


async def test_reads_and_database_free_tools_answer_while_writers_wait_on_a_locked_file(tmp_path):
    """Before: writers held a Python lock through SQLite's busy wait, and 40 of them filled the tool
    thread pool, so get_booking, list_destinations and get_quote queued behind them."""
    server = start_logged_server(tmp_path, tmp_path / "trips.db")
    writers = 48  # more than anyio's 40 worker threads
    try:
        async with client(server.url, Human([{"decision": "Book"}]), mode="legacy") as c:
            booked = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 2})
        answered = asyncio.Semaphore(0)

        async def confirm(message, response_type, params, context):
            answered.release()
            return {"decision": "Book"}

        async with client(server.url, confirm, mode="legacy") as c:
            locker = sqlite3.connect(server.db, isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")
            try:
                # Each book_quote asks, then writes: the write waits on the lock.
                quote = booked.structured_content["quote_id"]
                writes = [asyncio.create_task(c.call_tool("book_quote", {"quote_id": quote}, raise_on_error=False)) for _ in range(writers)]
                for _ in range(writers):
                    await answered.acquire()
                reservation = booked.structured_content["reservation_id"]
                looked_up = await c.call_tool("get_booking", {"reservation_id": reservation})
                listed = await c.call_tool("list_bookings", {})
                destinations = await c.call_tool("list_destinations", {})
                price = await c.call_tool("get_quote", {"destination": "Fukuoka", "trip_type": "couple", "nights": 1, "travelers": 2})
                still_waiting = sum(not write.done() for write in writes)
            finally:
                locker.execute("ROLLBACK")
                locker.close()
            results = await asyncio.gather(*writes)
        assert server.process.poll() is None
    finally:
        server.stop()
    assert still_waiting == writers  # every read answered while every writer still waited
    assert looked_up.structured_content["status"] == "confirmed"
    assert [b["reservation_id"] for b in listed.structured_content["bookings"]] == [reservation]
    assert destinations.structured_content["destinations"] and price.structured_content["total_jpy"] == 22_000 * 2 + 8_000
    for result in results:  # the quote was booked already: each write returns it, or says the file was busy
        assert result.structured_content["reservation_id"] == reservation if not result.is_error else "busy" in result.content[0].text
    assert list(bookings_by_quote(server.db).values()) == [reservation]


def test_a_postgresql_url_survives_every_setting_source(tmp_path):
    url = "postgresql://trips:pw@db.example:5432/trips?sslmode=require"
    config = tmp_path / "server.toml"
    config.write_text(f'[trip_server]\ndb = "{url}"\n')
    assert load_settings(config).db == url  # not Path's "postgresql:/trips:pw@…"
    assert load_settings(env={"TRIP_SERVER_DB": url.replace("postgresql", "postgres")}).db.startswith("postgres://trips")
    assert settings_from_args(parse_args(["--db", url, "--container"])).db == url
    assert load_settings(overrides={"db": "~/trips.db"}).db == Path("~/trips.db").expanduser()


@pytest.mark.faults
async def test_a_restarted_server_keeps_bookings_and_a_retried_book_writes_once(tmp_path):
    db = tmp_path / "trips.db"
    first = start_logged_server(tmp_path, db, log_name="first.log")
    try:
        async with client(first.url, Human([{"decision": "Book"}]), mode="legacy") as c:
            booked = (await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})).structured_content

        # A second conversation is at its Book/Cancel question when the server dies.
        asked = asyncio.Event()

        async def still_thinking(message, response_type, params, context):
            asked.set()
            await asyncio.Event().wait()

        interrupted = Client(first.url, mode="legacy", elicitation_handler=still_thinking, sampling_handler=llm)
        async with interrupted:
            old_session = interrupted.transport.get_session_id()
            call = asyncio.create_task(interrupted.call_tool("plan_trip", {"destination": "Fukuoka", "trip_type": "couple", "nights": 3}))
            await asyncio.wait_for(asked.wait(), 30)
            first.process.kill()
            first.process.wait(timeout=10)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
    finally:
        first.stop()

    # The booking survived the kill; the interrupted conversation left a quote and no booking.
    (fukuoka_quote,) = [q for (q, price) in rows(db, "SELECT id, price FROM quotes") if '"Fukuoka"' in price]
    assert bookings_by_quote(db) == {booked["quote_id"]: booked["reservation_id"]}

    second = start_logged_server(tmp_path, db, log_name="second.log")
    try:
        assert post_on_session(second.url, old_session).status_code == 404  # the client must re-initialize
        async with client(second.url, Human([{"decision": "Book"}] * 3), mode="legacy") as c:
            retried = await c.call_tool("book_quote", {"quote_id": booked["quote_id"]})
            resumed = await c.call_tool("book_quote", {"quote_id": fukuoka_quote})
            resumed_again = await c.call_tool("book_quote", {"quote_id": fukuoka_quote})
    finally:
        second.stop()

    assert retried.structured_content["reservation_id"] == booked["reservation_id"]
    assert resumed.structured_content["status"] == "booked"
    assert resumed_again.structured_content["reservation_id"] == resumed.structured_content["reservation_id"]
    assert bookings_by_quote(db) == {
        booked["quote_id"]: booked["reservation_id"],
        fukuoka_quote: resumed.structured_content["reservation_id"],
    }


@pytest.mark.faults
async def test_a_locked_database_is_a_clear_error_and_booking_works_after_release(tmp_path):
    server = start_logged_server(tmp_path, tmp_path / "trips.db")
    try:
        async with client(server.url, Human([{"decision": "Cancel"}, {"decision": "Book"}, {"decision": "Book"}]), mode="legacy") as c:
            planned = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 2})
            quote_id = planned.structured_content["quote_id"]
            locker = sqlite3.connect(server.db, isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")
            try:
                locked = await c.call_tool("book_quote", {"quote_id": quote_id}, raise_on_error=False)
                assert bookings_by_quote(server.db) == {}
            finally:
                locker.execute("ROLLBACK")
                locker.close()
            released = await c.call_tool("book_quote", {"quote_id": quote_id})
        assert server.process.poll() is None
    finally:
        server.stop()

    assert locked.is_error
    assert locked.content[0].text == (
        "The booking database is busy (another process holds its lock); nothing was changed. Try again in a moment."
    )
    assert released.structured_content["status"] == "booked"
    assert bookings_by_quote(server.db) == {quote_id: released.structured_content["reservation_id"]}
