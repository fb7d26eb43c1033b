"""agent/mcp_compat.py: the SDK seams it relies on, and servers that need sampling to go on.

Our own server goes on without sampling when a retry stops declaring it; these servers do not,
and the user must learn why the call ended without being told to allow what they refused.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import mcp_types
import pytest
from fastmcp import Client, Context, FastMCP
from fastmcp.client.elicitation import ElicitResult
from mcp import ClientSession
from mcp_types.version import LATEST_PROTOCOL_VERSION

import agent
from agent.errors import TripAgentError
from agent.human import ScriptedHuman
from agent.mcp_compat import AgentClient, AgentSession

TIP_REQUEST = mcp_types.CreateMessageRequest(
    params=mcp_types.CreateMessageRequestParams(
        messages=[mcp_types.SamplingMessage(role="user", content=mcp_types.TextContent(type="text", text="A tip?"))],
        max_tokens=50,
    )
)


def needs_sampling_server(*, insist: bool) -> FastMCP:
    """A 2026-07-28 tool that cannot finish without a sampled tip: it fails, or (insist) asks again."""
    mcp = FastMCP("tip-writer")

    @mcp.tool
    async def write_tip(ctx: Context) -> str | mcp_types.InputRequiredResult:
        """Writes a tip with the client's model."""
        answer = (ctx.input_responses or {}).get("tip")
        if isinstance(answer, mcp_types.CreateMessageResult):
            return f"Tip: {answer.content.text}"
        if ctx.request_state is not None and not insist:
            raise ValueError("no tip was written, and this tool has nothing else to offer")
        return mcp_types.InputRequiredResult(input_requests={"tip": TIP_REQUEST}, request_state="waiting for the tip")

    return mcp


def test_the_private_seams_are_where_mcp_compat_expects_them():
    # mcp 2.1.1 declares capabilities in ClientSession._build_capabilities and stamps 2026-07-28
    # requests through self._stamp; fastmcp 4.1.1 drives input rounds in Client._drive_input_required.
    assert list(inspect.signature(ClientSession._build_capabilities).parameters) == ["self", "version"]
    assert "self._stamp(data, opts)" in inspect.getsource(ClientSession.send_request)
    assert list(inspect.signature(Client._drive_input_required).parameters) == ["self", "first", "retry"]


async def test_the_agent_client_connects_with_the_agent_session():
    async def decline(*args: object) -> ElicitResult:
        return ElicitResult(action="decline")

    async with AgentClient(FastMCP("any"), elicitation_handler=decline) as client:
        assert isinstance(client.session, AgentSession), (
            "fastmcp no longer takes the session class from Client._transport_options (TransportOptions.session_class)"
        )
        declared = client.session._build_capabilities(LATEST_PROTOCOL_VERSION).elicitation
    assert declared is not None and declared.url is not None, "AgentSession no longer declares URL elicitation"


def modules_naming(names: tuple[str, ...], *, but: str) -> set[str]:
    """`module: name` for each module of agent/ other than `but` whose text holds one of `names`."""
    root = Path(agent.__file__).parent
    return {
        f"{module.relative_to(root)}: {name}"
        for module in root.rglob("*.py")
        if module.name != but
        for name in names
        if name in module.read_text(encoding="utf-8")
    }


def test_no_module_but_mcp_compat_reaches_into_mcp_privates():
    """The private names of mcp and fastmcp that the agent uses appear only in agent/mcp_compat.py."""
    upstream = ("._build_capabilities", "._stamp", "._session_state", "._transport_options", "._drive_input_required")
    assert modules_naming(upstream, but="mcp_compat.py") == set()


async def test_a_server_that_fails_without_sampling_is_named_as_the_reason(harness):
    bridge = harness.bridge(needs_sampling_server(insist=False), ScriptedHuman([], source="test"), sampler=harness.sampler(rate_limit=0))
    await bridge.start()
    try:
        result = await bridge.call_tool("write_tip", {})
    finally:
        await bridge.stop()
    assert result.is_error
    assert harness.notes[-1] == (
        "travel-planner: write_tip failed after its sampling request was declined "
        "(sampling rate limit reached: at most 0 requests per minute from travel-planner); "
        "this server could not go on without it"
    )


async def test_a_server_that_asks_again_after_the_refusal_ends_the_call_without_asking_the_user_twice(harness):
    bridge = harness.bridge(needs_sampling_server(insist=True), ScriptedHuman([], source="test"), sampler=harness.sampler(rate_limit=0))
    await bridge.start()
    try:
        with pytest.raises(TripAgentError) as raised:
            await bridge.call_tool("write_tip", {})
    finally:
        await bridge.stop()
    assert str(raised.value) == (
        "travel-planner: call write_tip stopped: the server cannot go on without the sampling request "
        "that was declined; nothing more was done"
    )
    assert "allow" not in str(raised.value)
    assert len(harness.notes) == 1  # the rate-limit notice of the one refusal; no second request was answered
