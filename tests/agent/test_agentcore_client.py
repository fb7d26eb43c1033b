import pytest

from agent.agentcore_client import SESSION_HEADER, invocation_url, platform_session_headers
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


def test_platform_session_id_is_long_enough_and_new_per_session():
    first, second = platform_session_headers()[SESSION_HEADER], platform_session_headers()[SESSION_HEADER]
    assert len(first) >= 33 and first != second
