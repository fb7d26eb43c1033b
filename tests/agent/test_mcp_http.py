"""agent/mcp_http.py: the HTTP client of an MCP connection and its bearer token (the refresh on a 401 is
exercised against a real IdP and server in test_bridge_auth_refresh.py)."""

import pytest

from agent.errors import ConfigError
from agent.mcp_http import HTTP_TIMEOUT, BearerToken, http_client


async def test_http_client_never_times_out_a_slow_human():
    client = http_client(headers={"Authorization": "Bearer x"})
    async with client:
        assert client.timeout.read is None and client.timeout.connect == HTTP_TIMEOUT.connect
        assert client.headers["authorization"] == "Bearer x"


def test_bearer_token_comes_from_the_environment():
    token = BearerToken.resolve({"BEARER_TOKEN": "abc.def"}, "never-run")
    assert token.authorization == "Bearer abc.def"
    assert not token.refreshable


def test_missing_bearer_token_names_the_variable():
    with pytest.raises(ConfigError) as caught:
        BearerToken.resolve({})
    assert "BEARER_TOKEN" in caught.value.message and "export BEARER_TOKEN" in caught.value.hint


def test_token_command_is_used_when_the_variable_is_unset(tmp_path):
    script = tmp_path / "token.sh"
    script.write_text("#!/bin/sh\necho ' jwt-from-command '\n")
    script.chmod(0o755)
    token = BearerToken.resolve({}, str(script))
    assert token.authorization == "Bearer jwt-from-command"
    assert token.refreshable and "jwt-from-command" not in repr(token)


@pytest.mark.parametrize(("body", "exp_message"), [("exit 3", "failed"), ("true", "printed no token")])
def test_a_failing_token_command_is_a_clear_error(tmp_path, body, exp_message):
    script = tmp_path / "token.sh"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    with pytest.raises(ConfigError) as caught:
        BearerToken.resolve({}, str(script))
    assert exp_message in caught.value.message and "export BEARER_TOKEN" in caught.value.hint
