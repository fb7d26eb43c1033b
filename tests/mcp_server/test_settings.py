"""mcp_server/settings.py: the layers (defaults < file < TRIP_SERVER_* < flags) and their errors."""

from pathlib import Path

import pytest

from mcp_server.errors import ConfigError
from mcp_server.settings import FILE_KEYS, ServerSettings, load_settings


def write(tmp_path: Path, table: str) -> Path:
    config = tmp_path / "s.toml"
    config.write_text(f"[trip_server]\n{table}\n")
    return config


def test_each_layer_wins_over_the_one_below(tmp_path):
    config = write(tmp_path, "port = 9100\nmax_attempts = 5\nlog_level = 'DEBUG'")
    env = {"TRIP_SERVER_PORT": "9200", "TRIP_SERVER_MAX_ATTEMPTS": "6"}
    settings = load_settings(config, overrides={"port": 9300}, env=env)
    assert (settings.port, settings.max_attempts, settings.log_level, settings.path) == (9300, 6, "DEBUG", "/mcp")


def test_lists_are_comma_separated_in_the_environment_and_a_lone_string_in_the_file(tmp_path):
    config = write(tmp_path, "allowed_hosts = 'a.example'\nallowed_origins = ['https://b.example']")
    settings = load_settings(config, env={"TRIP_SERVER_REQUEST_STATE_KEYS": f" {'x' * 32}, ,{'y' * 32} "})
    assert settings.allowed_hosts == ("a.example",)
    assert settings.allowed_origins == ("https://b.example",)
    assert settings.request_state_keys == ("x" * 32, "y" * 32)


def test_environment_text_becomes_the_fields_type_and_an_empty_variable_is_unset(tmp_path):
    env = {
        "TRIP_SERVER_QUOTE_TTL_HOURS": "2",
        "TRIP_SERVER_CATALOG": "~/catalog.json",
        "TRIP_SERVER_HOST": "",
        "TRIP_SERVER_CONTAINER": "1",  # a mode, set only by --container
    }
    settings = load_settings(env=env)
    assert settings.quote_ttl_hours == 2.0 and isinstance(settings.quote_ttl_hours, float)
    assert settings.catalog == Path("~/catalog.json").expanduser()
    assert settings.host == "127.0.0.1"
    assert settings.container is False


def test_a_variable_that_is_not_a_number_is_named():
    with pytest.raises(ConfigError, match=r"^TRIP_SERVER_INIT_TIMEOUT_S must be a number, not 'soon'$"):
        load_settings(env={"TRIP_SERVER_INIT_TIMEOUT_S": "soon"})


def test_every_wrong_type_is_one_clause_of_one_error():
    with pytest.raises(ConfigError) as raised:
        load_settings(overrides={"port": 80.0, "max_sessions": True, "allowed_hosts": [1]})
    assert str(raised.value) == (
        "invalid server setting: port must be an integer, not 80.0; allowed_hosts must be a list of strings, not [1]; "
        "max_sessions must be an integer, not True"
    )


def test_container_is_not_a_file_key(tmp_path):
    assert "container" not in FILE_KEYS
    with pytest.raises(ConfigError, match=r"unknown \[trip_server\] key\(s\) container; known: host, port"):
        load_settings(write(tmp_path, "container = true"))


def test_built_directly_the_settings_are_what_is_passed(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIP_SERVER_PORT", "9999")
    settings = ServerSettings(db=tmp_path / "t.db")
    assert (settings.port, settings.db) == (8000, tmp_path / "t.db")
    with pytest.raises(ConfigError, match="max_attempts must be at least 1"):
        ServerSettings(max_attempts=0)


def test_container_defaults_keep_every_other_setting():
    settings = load_settings(overrides={"max_attempts": 7}).with_container_defaults()
    assert (settings.host, settings.port, settings.container, settings.max_attempts) == ("0.0.0.0", 8000, True, 7)
    assert settings.url == "http://0.0.0.0:8000/mcp"
    assert load_settings(overrides={"host": "::1", "port": 0}).url == "http://[::1]:0/mcp"


@pytest.mark.parametrize(("raw", "exp_value"), [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False), ("off", False)])
def test_a_boolean_setting_reads_the_usual_words_from_the_environment(raw, exp_value):
    assert load_settings(env={"TRIP_SERVER_PAYMENT_STEP": raw}).payment_step is exp_value


def test_a_boolean_setting_refuses_other_words_from_the_environment():
    with pytest.raises(ConfigError, match="payment_step must be true or false, not 'sometimes'"):
        load_settings(env={"TRIP_SERVER_PAYMENT_STEP": "sometimes"})


def test_a_boolean_setting_in_the_file_is_a_toml_boolean(tmp_path):
    assert load_settings(write(tmp_path, "payment_step = true")).payment_step is True
    with pytest.raises(ConfigError, match="payment_step must be true or false, not 'yes'"):
        load_settings(write(tmp_path, 'payment_step = "yes"'))
