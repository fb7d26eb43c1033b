"""The requestState sealing key: made once, kept beside the database, so a restart keeps flows going."""

from __future__ import annotations

import socket
import stat

import pytest

from mcp_server.errors import ConfigError
from mcp_server.keys import default_key_file, load_or_create_key
from mcp_server.server import build_server
from mcp_server.settings import load_settings
from tests.mcp_server.conftest import client, LoggedServer, start_logged_server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_2026_07_28_flow_continues_across_a_server_restart(tmp_path):
    db, port = tmp_path / "trips.db", free_port()
    servers: list[LoggedServer] = [start_logged_server(tmp_path, db, "--port", str(port), log_name="first.log")]
    questions = []

    async def restart_then_answer(message, response_type, params, context):
        questions.append(next(iter(params.requested_schema["properties"])))
        if len(questions) == 1:  # the first answer goes to a new process with the same database
            servers[0].stop()
            servers.append(start_logged_server(tmp_path, db, "--port", str(port), log_name="second.log"))
            return {"destination": "Kyoto"}
        return {"decision": "Cancel"}

    try:
        async with client(servers[0].url, restart_then_answer, mode="auto") as c:
            result = await c.call_tool("plan_trip", {"trip_type": "solo", "nights": 1}, raise_on_error=False)
    finally:
        for server in servers:
            server.stop()
    assert len(servers) == 2 and questions == ["destination", "decision"]
    assert not result.is_error, result.content[0].text
    assert result.structured_content["status"] == "quoted"
    key_file = tmp_path / "trips.db.state-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_key_file_is_made_once_and_reused(tmp_path):
    path = tmp_path / "nested" / "trips.db.state-key"
    first = load_or_create_key(path)
    assert len(first) == 64 and load_or_create_key(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_explicit_keys_win_and_no_file_is_made(tmp_path):
    server = build_server(load_settings(overrides={"db": tmp_path / "trips.db", "request_state_keys": ["k" * 32]}))
    await server.services.store.close()
    assert not (tmp_path / "trips.db.state-key").exists()


def test_a_database_url_keeps_its_key_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_key_file("postgresql://trips@localhost/trips") == tmp_path / "data" / "trip-agent" / "request-state.key"
    assert default_key_file(tmp_path / "trips.db") == tmp_path / "trips.db.state-key"


def test_a_short_or_unwritable_key_file_is_a_clear_error(tmp_path):
    short = tmp_path / "short.key"
    short.write_text("abc\n")
    with pytest.raises(ConfigError, match="shorter than 32 bytes; delete it"):
        load_or_create_key(short)
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(ConfigError, match=r"cannot use the requestState key file .*: Not a directory \(set request_state_key_file"):
        load_or_create_key(blocked / "sub" / "k.key")
