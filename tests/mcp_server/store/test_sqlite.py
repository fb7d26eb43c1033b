"""The SQLite store fails closed: a deleted, replaced, read-only or foreign file is one clear error,
never a write into the void; and a writer waiting on the file's lock never holds up a read."""

import asyncio
import os
import sqlite3
import subprocess
from contextlib import contextmanager

import pytest

from mcp_server.errors import StoreBusy, StoreUnavailable
from mcp_server.store.sqlite import GONE, SqliteStore
from tests.mcp_server.store.test_base import PRICE


@pytest.fixture
async def store(tmp_path):
    store = SqliteStore(tmp_path / "trips.db", busy_timeout_s=2.0)
    await store.open()
    yield store
    await store.close()


def count(path, table):
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


async def test_a_deleted_file_is_refused_before_a_write(store):
    quote = await store.save_quote("local", PRICE)
    os.unlink(store.path)
    for write in (store.save_quote("local", PRICE), store.book("local", quote.id)):
        with pytest.raises(StoreUnavailable) as refused:
            await write
        assert str(refused.value) == GONE
    assert not store.path.exists()  # nothing recreated it, nothing was written to the unlinked file


async def test_a_replaced_file_is_refused_before_a_write(store, tmp_path):
    other = SqliteStore(tmp_path / "other.db")
    await other.open()
    await other.close()
    os.replace(tmp_path / "other.db", store.path)
    with pytest.raises(StoreUnavailable, match="deleted or replaced"):
        await store.save_quote("local", PRICE)
    assert count(store.path, "quotes") == 0


@contextmanager
def immutable(path):
    """A file even root cannot write (root ignores permission bits)."""
    path.touch()
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, f"chattr +i failed, so a read-only database cannot be made here: {done.stderr}"
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


async def test_a_read_only_file_fails_at_open_with_one_clear_message(tmp_path):
    with immutable(tmp_path / "trips.db") as path:
        store = SqliteStore(path)
        with pytest.raises(StoreUnavailable) as refused:
            await store.open()
        await store.close()
    message = str(refused.value)
    assert message.startswith(f"The booking database {path} is read-only; nothing was changed.")
    assert "attempt to write" not in message  # not SQLite's own text


async def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just notes\n" * 100)
    store = SqliteStore(path)
    with pytest.raises(StoreUnavailable, match=r"could not be opened \(the file is not a database\)"):
        await store.open()
    await store.close()


async def test_reads_never_wait_behind_writers_stuck_on_the_lock(store):
    booking = await store.book("local", (await store.save_quote("local", PRICE)).id)
    quotes = [await store.save_quote("local", PRICE) for _ in range(8)]
    locker = sqlite3.connect(store.path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        writes = [asyncio.create_task(store.book("local", q.id)) for q in quotes]
        await asyncio.sleep(0)  # let them start: they are now queued or waiting on the lock
        looked_up = await store.get_booking("local", booking.reservation_id)
        listed = await store.list_bookings("local")
        quote = await store.get_quote("local", quotes[0].id)
        assert not any(write.done() for write in writes)  # the reads finished while every write still waits
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert looked_up == booking and listed == [booking] and quote == quotes[0]
    results = await asyncio.gather(*writes, return_exceptions=True)
    assert all(isinstance(r, StoreBusy) or r.status == "confirmed" for r in results)
