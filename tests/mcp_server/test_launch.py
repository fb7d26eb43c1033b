"""mcp_server/launch.py: starting a server process and waiting for its `listening on` line."""

import subprocess
import sys

import pytest

from mcp_server.launch import ServerDidNotStart, ready_url, server_command, start_listening


def test_the_ready_line_gives_the_url_and_any_other_line_none():
    assert ready_url("listening on http://[::1]:8123/mcp\n") == "http://[::1]:8123/mcp"
    assert ready_url("WARNING something else\n") is None
    assert ready_url("") is None


def test_a_server_is_ready_on_the_port_it_chose(tmp_path):
    process, url = start_listening(server_command("--db", str(tmp_path / "t.db")), log=tmp_path / "server.log")
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp") and not url.startswith("http://127.0.0.1:0/")
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_a_process_that_exits_first_is_reported_with_its_stderr(tmp_path):
    with pytest.raises(ServerDidNotStart, match=r"did not start: ''\ntrip-server: port must be 0-65535: 70000"):
        start_listening(server_command("--port", "70000", "--db", str(tmp_path / "t.db")), stderr=subprocess.PIPE)
    script = "import sys; print('starting…'); print('oops', file=sys.stderr)"
    with pytest.raises(ServerDidNotStart, match=r"did not start: 'starting…\\n'\noops"):
        start_listening([sys.executable, "-c", script], log=tmp_path / "other.log")
