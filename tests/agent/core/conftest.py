"""Shared fixtures: an AWS environment with no real credentials, and Bedrock stubbed at botocore's HTTP layer.

Only the HTTP send is replaced: botocore still signs, serialises and parses (event streams
included), and Strands' BedrockModel runs unchanged on top.
"""

from __future__ import annotations

import binascii
import json
import struct
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.httpsession import URLLib3Session

_AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "TRIP_AGENT_MODEL",
    "TRIP_AGENT_REGION",
    "TRIP_AGENT_SAMPLING",
    "TRIP_AGENT_SERVER",
)


@pytest.fixture(autouse=True)
def isolated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No credentials, profiles or instance metadata from the machine running the tests."""
    for name in _AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    nowhere = tmp_path_factory.mktemp("aws") / "absent"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(nowhere))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # botocore's own retries would sleep through backoff on a stubbed 429; Strands' retries are what we test.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")


def _header(name: str, value: str) -> bytes:
    name_bytes, value_bytes = name.encode(), value.encode()
    # header: name length, name, value type 7 (string), value length, value
    return struct.pack("!B", len(name_bytes)) + name_bytes + b"\x07" + struct.pack("!H", len(value_bytes)) + value_bytes


def encode_event(name: str, payload: dict[str, Any], *, exception: bool = False) -> bytes:
    """One message of the AWS event-stream wire format (prelude, headers, payload, CRCs)."""
    kind = ":exception-type" if exception else ":event-type"
    headers = (
        _header(kind, name)
        + _header(":content-type", "application/json")
        + _header(":message-type", "exception" if exception else "event")
    )
    body = json.dumps(payload).encode()
    prelude = struct.pack("!II", 12 + len(headers) + len(body) + 4, len(headers))
    prelude += struct.pack("!I", binascii.crc32(prelude))
    message = prelude + headers + body
    return message + struct.pack("!I", binascii.crc32(message))


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data

    def close(self) -> None:
        return None


class BedrockStub:
    """Queued Bedrock runtime responses, and every request botocore sent."""

    def __init__(self) -> None:
        self.requests: list[AWSPreparedRequest] = []
        self._responses: deque[tuple[int, dict[str, str], bytes]] = deque()

    def events(self, *events: tuple[str, dict[str, Any]]) -> None:
        """Queue a 200 converse-stream response carrying these (event name, payload) messages."""
        body = b"".join(encode_event(name, payload) for name, payload in events)
        self._responses.append((200, {"content-type": "application/vnd.amazon.eventstream"}, body))

    def text(self, text: str, stop_reason: str = "end_turn") -> None:
        self.events(
            ("messageStart", {"role": "assistant"}),
            ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}}),
            ("contentBlockStop", {"contentBlockIndex": 0}),
            ("messageStop", {"stopReason": stop_reason}),
            (
                "metadata",
                {"usage": {"inputTokens": 5, "outputTokens": 7, "totalTokens": 12}, "metrics": {"latencyMs": 3}},
            ),
        )

    def stream_exception(self, code: str, message: str) -> None:
        """Queue a 200 response whose event stream fails with a modelled exception (e.g. throttlingException)."""
        body = encode_event("messageStart", {"role": "assistant"})
        body += encode_event(code, {"message": message}, exception=True)
        self._responses.append((200, {"content-type": "application/vnd.amazon.eventstream"}, body))

    def error(self, status: int, code: str, message: str) -> None:
        """Queue an HTTP error response as Bedrock sends them (rest-json)."""
        headers = {
            "content-type": "application/json",
            "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/",
        }
        self._responses.append((status, headers, json.dumps({"message": message}).encode()))

    def send(self, request: AWSPreparedRequest) -> AWSResponse:
        self.requests.append(request)
        status, headers, body = self._responses.popleft()
        return AWSResponse(request.url, status, headers, _Body(body))

    def request_json(self, index: int = -1) -> dict[str, Any]:
        body = self.requests[index].body
        return json.loads(body if isinstance(body, (str, bytes)) else body.read())


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch, aws_credentials: None) -> BedrockStub:
    stub = BedrockStub()
    monkeypatch.setattr(URLLib3Session, "send", lambda session, request: stub.send(request))
    return stub
