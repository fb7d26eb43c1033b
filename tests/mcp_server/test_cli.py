"""trip-server's command line: settings precedence and clear errors."""

import subprocess
import sys

import pytest
from pathlib import Path

from mcp_server.cli import parse_args, settings_from_args
from mcp_server.errors import ConfigError
from mcp_server.settings import load_settings


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "mcp_server.cli", *args], capture_output=True, text=True, timeout=30)


def test_defaults_are_local():
    settings = settings_from_args(parse_args([]))
    assert (settings.host, settings.port, settings.path, settings.container) == ("127.0.0.1", 8000, "/mcp", False)
    assert settings.db.name == "trips.db"


def test_flags_override_the_config_file(tmp_path):
    config = tmp_path / "s.toml"
    config.write_text('[trip_server]\nport = 9100\npath = "/travel"\nsearch_delay_s = 0.5\n')
    settings = settings_from_args(parse_args(["--config", str(config), "--port", "9200", "--db", str(tmp_path / "x.db")]))
    assert (settings.port, settings.path, settings.search_delay_s, settings.db) == (9200, "/travel", 0.5, tmp_path / "x.db")


def test_the_shipped_example_config_is_the_defaults():
    example = load_settings(Path(__file__).resolve().parents[2] / "configs" / "server.toml")
    assert example == load_settings()


def test_container_mode_defaults():
    settings = settings_from_args(parse_args(["--container"]))
    assert (settings.host, settings.port, settings.path, settings.container) == ("0.0.0.0", 8000, "/mcp", True)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[trip_server]\nprot = 1\n', "unknown [trip_server] key(s) prot"),
        ('[trip_server]\nport = "eighty"\n', "port must be an integer"),
        ('[trip_server]\nelicitation_style = "wizard"\n', "elicitation_style must be 'steps' or 'form'"),
        ("[server\n", "is not valid TOML"),
        ('[model]\nprovider = "bedrock"\n', "has no [trip_server] table"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, toml, message):
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        load_settings(config)


def test_bad_settings_exit_2_with_one_line(tmp_path):
    run = run_cli("--port", "70000", "--db", str(tmp_path / "x.db"))
    assert run.returncode == 2
    assert run.stderr.strip() == "trip-server: port must be 0-65535: 70000"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("session_idle_timeout_s = 0", "session_idle_timeout_s must be more than 0 seconds, not 0.0"),
        ("session_idle_timeout_s = -5", "session_idle_timeout_s must be more than 0 seconds, not -5.0"),
        ("request_state_ttl_s = 0", "request_state_ttl_s must be more than 0 seconds, not 0.0"),
        ("init_timeout_s = nan", "init_timeout_s must be more than 0 seconds, not nan"),
        ('request_state_keys = ["short"]', "request_state_keys[0] must be at least 32 bytes of secret randomness"),
        (f'request_state_keys = ["{"k" * 32}", "{"k" * 32}"]', "request_state_keys has the same key twice"),
        ("max_sessions = 0", "max_sessions must be at least 1, not 0"),
        ("max_held_calls = -1", "max_held_calls must be at least 1, not -1"),
        ("max_connections = 0", "max_connections must be at least 1, not 0"),
    ],
)
def test_bad_limits_and_keys_exit_2_with_one_line(tmp_path, toml, message):
    config = tmp_path / "bad.toml"
    config.write_text(f"[trip_server]\n{toml}\n")
    run = run_cli("--config", str(config), "--port", "0", "--db", str(tmp_path / "x.db"))
    assert run.returncode == 2
    (line,) = run.stderr.splitlines()
    assert line.startswith("trip-server: ") and message in line


def test_port_in_use_is_explained(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = run_cli("--port", str(port), "--db", str(tmp_path / "x.db"))
    assert run.returncode == 1
    assert f"trip-server: could not listen on 127.0.0.1:{port}" in run.stderr


def test_help_lists_every_flag():
    out = run_cli("--help").stdout
    for flag in ("--config", "--host", "--port", "--path", "--db", "--container"):
        assert flag in out
