"""Bearer tokens for real over loopback: a trip-server trusting a local identity provider, a token
command that prints the tokens a test lined up, and a 401 answered by running it once more."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import uvicorn

from agent.agentcore_client import SESSION_HEADER
from agent.mcp_http import BearerToken
from agent.app import resolve_server
from agent.config import ServerTable
from agent.errors import TripAgentError
from agent.human import AbsentHuman
from mcp_server.server import build_server, http_app
from mcp_server.settings import load_settings
from tests.mcp_server.conftest import RunningServer, start_server_process
from tests.mcp_server.test_auth import IdentityProvider, auth_config, idp  # noqa: F401 (idp is a fixture)
from tests.agent.conftest import MODES, Target

REFRESHED = "travel-planner: token refreshed after 401"
REJECTED = "travel-planner: the server rejected the token (401)"
ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/trip_server-abc123"


class TokenCommand:
    """A token command printing the tokens lined up for it, one per run; it counts its runs."""

    def __init__(self, directory: Path, tokens: list[str]) -> None:
        self.directory = directory
        for index, token in enumerate(tokens):
            (directory / f"token-{index}").write_text(token + "\n")
        self.path = directory / "token.sh"
        self.path.write_text(
            "#!/bin/sh\n"
            'dir=$(dirname "$0")\n'
            'run=$(cat "$dir/runs" 2>/dev/null || echo 0)\n'
            'echo $((run + 1)) > "$dir/runs"\n'
            'cat "$dir/token-$run"\n'
        )
        self.path.chmod(0o755)

    @property
    def runs(self) -> int:
        runs = self.directory / "runs"
        return int(runs.read_text()) if runs.exists() else 0

    def token(self) -> BearerToken:
        return BearerToken.resolve({}, str(self.path))


@pytest.fixture(scope="module")
def secured(tmp_path_factory, idp) -> Iterator[RunningServer]:  # noqa: F811
    tmp_path = tmp_path_factory.mktemp("agent-auth")
    server = start_server_process(tmp_path, "--config", auth_config(tmp_path, idp))
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)


@pytest.fixture
def target(secured) -> Target:
    return Target(secured.url, None, secured.db)


def assert_no_token_shown(harness, tokens: list[str]) -> None:
    shown = "\n".join(harness.notes) + harness.log.getvalue() + harness.screen.getvalue()
    assert not any(token in shown or token.split(".")[2] in shown for token in tokens)


@pytest.mark.parametrize("mode", MODES)
async def test_401_at_connect_runs_the_token_command_again_and_connects(target, harness, idp, tmp_path, mode):  # noqa: F811
    tokens = [idp.token(expires_in=-60), idp.token(sub=f"connect-{mode}")]
    command = TokenCommand(tmp_path, tokens)
    bridge = harness.bridge(target, AbsentHuman(harness.notes.append), mode=mode, token=command.token())
    await bridge.start()
    try:
        result = await bridge.call_tool("list_bookings", {})
    finally:
        await bridge.stop()
    assert result.structured_content == {"bookings": []}
    assert command.runs == 2
    assert harness.notes == [REFRESHED]
    assert_no_token_shown(harness, tokens)


@pytest.mark.parametrize("mode", MODES)
async def test_a_token_expiring_mid_conversation_is_refreshed_once(target, harness, idp, tmp_path, mode):  # noqa: F811
    lifetime = 3
    expires_at = int(time.time()) + lifetime
    tokens = [idp.token(sub=f"mid-{mode}", expires_in=lifetime), idp.token(sub=f"mid-{mode}")]
    command = TokenCommand(tmp_path, tokens)
    bridge = harness.bridge(target, AbsentHuman(harness.notes.append), mode=mode, token=command.token())
    await bridge.start()
    try:
        assert harness.notes == []  # the first token was still good when we connected
        # Not synchronisation: the server compares `exp` with its clock, so only the clock can expire it.
        while time.time() <= expires_at + 1:
            await asyncio.sleep(0.2)
        result = await bridge.call_tool("list_destinations", {})
        again = await bridge.call_tool("list_destinations", {})
    finally:
        await bridge.stop()
    assert "Kyoto" in result.content[0].text and not again.is_error
    assert command.runs == 2
    assert harness.notes == [REFRESHED]
    assert_no_token_shown(harness, tokens)


@pytest.mark.parametrize("mode", MODES)
async def test_a_fresh_token_rejected_again_is_one_clear_error(target, harness, idp, tmp_path, mode):  # noqa: F811
    tokens = [idp.token(expires_in=-60), idp.token(client_id="someone-else")]
    command = TokenCommand(tmp_path, tokens)
    bridge = harness.bridge(target, AbsentHuman(harness.notes.append), mode=mode, token=command.token())
    with pytest.raises(TripAgentError) as raised:
        await bridge.start()
    assert raised.value.message == REJECTED
    assert "token command" in raised.value.hint and "allowed clients" in raised.value.hint
    assert command.runs == 2  # once at start, once after the 401: never a third time
    assert harness.notes == [REFRESHED]
    assert_no_token_shown(harness, tokens)


async def test_a_token_command_failing_after_a_401_is_one_clear_error(target, harness, idp, tmp_path):  # noqa: F811
    command = TokenCommand(tmp_path, [idp.token(expires_in=-60)])  # nothing lined up for the second run
    bridge = harness.bridge(target, AbsentHuman(harness.notes.append), token=command.token())
    with pytest.raises(TripAgentError) as raised:
        await bridge.start()
    assert raised.value.message.startswith(REJECTED + " and the token command")
    assert raised.value.hint == "run it by hand, or export BEARER_TOKEN"
    assert command.runs == 2 and harness.notes == []


@pytest.mark.parametrize("mode", MODES)
async def test_a_fixed_bearer_token_rejected_is_one_clear_error_and_runs_nothing(target, harness, idp, tmp_path, mode):  # noqa: F811
    expired = idp.token(expires_in=-60)
    command = TokenCommand(tmp_path, [idp.token()])
    token = BearerToken.resolve({"BEARER_TOKEN": expired}, str(command.path))  # the variable wins
    bridge = harness.bridge(target, AbsentHuman(harness.notes.append), mode=mode, token=token)
    with pytest.raises(TripAgentError) as raised:
        await bridge.start()
    assert raised.value.message == REJECTED
    assert raised.value.hint == "export a fresh BEARER_TOKEN, or check the runtime's allowed clients"
    assert command.runs == 0 and harness.notes == []
    assert_no_token_shown(harness, [expired])


# --- the AgentCore platform session header -------------------------------------------------------


@pytest.fixture
async def recording_server(tmp_path) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """The real travel-planner on a loopback socket, recording each request's headers."""
    mcp = build_server(load_settings(overrides={"db": tmp_path / "trips.db"}))
    app = http_app(mcp, load_settings(overrides={"db": tmp_path / "trips.db"}))
    seen: list[dict[str, str]] = []

    async def recording(scope, receive, send):
        if scope["type"] == "http":
            seen.append({name.decode(): value.decode() for name, value in scope["headers"]})
        await app(scope, receive, send)

    # Listening before uvicorn starts: the kernel queues the first connection until it accepts.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(recording, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp", seen
    server.should_exit = True
    await serving
    sock.close()
    await mcp.services.store.close()


@pytest.mark.parametrize("mode", MODES)
async def test_agentcore_session_header_is_sent_on_every_request_and_never_changes(recording_server, harness, mode):
    url, seen = recording_server
    settings = ServerTable(url=None, agentcore_arn=ARN, region=None, qualifier="DEFAULT", token_command=None)
    resolved = resolve_server(SimpleNamespace(server=settings), {"BEARER_TOKEN": "header.only.token"})
    assert resolved.url.startswith("https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/arn%3Aaws%3A")
    bridge = harness.bridge(
        Target(url, None, Path()), AbsentHuman(harness.notes.append), mode=mode, headers=resolved.headers, token=resolved.token
    )
    await bridge.start()
    try:
        await bridge.call_tool("list_destinations", {})
        await bridge.call_tool("list_bookings", {})
    finally:
        await bridge.stop()
    session_ids = {headers.get(SESSION_HEADER.lower()) for headers in seen}
    assert len(seen) >= 3 and session_ids == {resolved.headers[SESSION_HEADER]}
    assert len(resolved.headers[SESSION_HEADER]) >= 33
    assert {headers.get("authorization") for headers in seen} == {"Bearer header.only.token"}

