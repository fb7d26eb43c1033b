import pytest

from agent.agentcore_client import SESSION_HEADER, BearerToken, invocation_url, platform_session_headers
from agent.errors import ConfigError

ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/trip_server-abc123"


def test_url_encodes_the_whole_arn_as_one_segment():
    exp_url = (
        "https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/"
        "arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Ftrip_server-abc123"
        "/invocations?qualifier=DEFAULT"
    )
    assert invocation_url(ARN) == exp_url


def test_region_and_qualifier_override_the_arn():
    arn = "arn:aws:bedrock-agentcore:ap-northeast-1:210987654321:runtime/planner-XyZ"
    tru_url = invocation_url(arn, region="us-west-2", qualifier="prod")
    assert tru_url.startswith("https://bedrock-agentcore.us-west-2.amazonaws.com/runtimes/arn%3Aaws%3A")
    assert "ap-northeast-1%3A210987654321%3Aruntime%2Fplanner-XyZ/invocations?qualifier=prod" in tru_url


@pytest.mark.parametrize("arn", ["trip_server-abc123", "arn:aws:lambda:us-east-1:1:function/x", "arn:aws:bedrock-agentcore:us-east-1:1:agent/x"])
def test_a_non_runtime_arn_is_refused_with_a_fix(arn):
    with pytest.raises(ConfigError) as caught:
        invocation_url(arn)
    assert "--agentcore-arn arn:aws:bedrock-agentcore:" in str(caught.value)


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


def test_platform_session_id_is_long_enough_and_new_per_session():
    first, second = platform_session_headers()[SESSION_HEADER], platform_session_headers()[SESSION_HEADER]
    assert len(first) >= 33 and first != second
