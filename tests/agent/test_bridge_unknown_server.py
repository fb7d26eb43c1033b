"""A legacy-only server the bridge has never seen, written as a fastmcp 3.x server would be.

It asks with ctx.elicit (str, int, an enum list and a multi-select list of choices), reports
progress with ctx.report_progress and samples with ctx.session.create_message, the only sampling
call left for legacy sessions since fastmcp 4.0 removed ctx.sample().
"""

from __future__ import annotations

import asyncio

import anyio
import mcp_types
import pytest
from fastmcp import Context, FastMCP
from fastmcp.utilities.tests import run_server_async

from agent.human import ScriptedHuman
from tests.agent.conftest import MODES, Target

REGIONS = ["Kyushu", "Kanto", "Tohoku"]
EXTRAS = ["sauna", "outdoor bath", "private bath"]


class OnsenFinder:
    """The server, plus what the tests observe from its side."""

    def __init__(self) -> None:
        self.mcp = FastMCP("onsen-finder")
        self.waiting = asyncio.Event()
        self.cancelled = asyncio.Event()
        self._register()

    def _register(self) -> None:
        @self.mcp.tool
        async def find_onsen(ctx: Context) -> str:
            """Find an onsen ryokan, asking for what it needs."""
            name = await ctx.elicit("Your name?", response_type=str)
            nights = await ctx.elicit("How many nights?", response_type=int)
            region = await ctx.elicit(f"Which region ({', '.join(REGIONS)})?", response_type=REGIONS)
            extras = await ctx.elicit("Which extras?", response_type=[EXTRAS])
            if "decline" in (name.action, nights.action, region.action, extras.action):
                return "The search was declined."
            for step in (1, 2, 3):
                await ctx.report_progress(step, 3, f"searching {region.data}, step {step}")
            reply = await ctx.session.create_message(
                [mcp_types.SamplingMessage(role="user", content=mcp_types.TextContent(type="text", text=f"One tip for {region.data}"))],
                max_tokens=60,
            )
            return f"{name.data}: {nights.data} nights in {region.data} with {', '.join(extras.data)}. Tip: {reply.content.text}"

        @self.mcp.tool
        async def wait_forever(ctx: Context) -> str:
            """Blocks until cancelled."""
            self.waiting.set()
            try:
                await anyio.sleep_forever()
            finally:
                self.cancelled.set()


@pytest.fixture
def finder() -> OnsenFinder:
    return OnsenFinder()


@pytest.fixture(params=["memory", "http"])
async def finder_target(request, finder, tmp_path):
    if request.param == "memory":
        yield Target("memory://onsen-finder", finder.mcp, tmp_path / "unused.db")
        return
    async with run_server_async(finder.mcp) as url:
        yield Target(url, None, tmp_path / "unused.db")


# The server under test uses the deprecated sampling call on purpose: that is what 3.x servers do.
@pytest.mark.filterwarnings("ignore:The sampling capability is deprecated")
async def test_a_legacy_only_fastmcp_server_is_fully_served(finder_target, harness):
    answers = ["Aiko", 2, "Kyushu", ["sauna", "outdoor bath"]]
    human = ScriptedHuman(answers, source="answers.json")
    bridge = harness.bridge(finder_target, human, mode="legacy", sampler=harness.sampler(sampling=["Try Beppu's steam."]))
    await bridge.start()
    try:
        assert bridge.protocol_version == "2025-11-25"
        result = await bridge.call_tool("find_onsen", {})
    finally:
        await bridge.stop()
    assert human.errors == []
    assert result.content[0].text == "Aiko: 2 nights in Kyushu with sauna, outdoor bath. Tip: Try Beppu's steam."
    # fastmcp wraps scalar answers as {"value": ...}; a bare --answers value fills that single field.
    assert [event["content"] for event in harness.events("elicitation_response")] == [
        {"value": "Aiko"},
        {"value": 2},
        {"value": "Kyushu"},
        {"value": ["sauna", "outdoor bath"]},
    ]
    assert harness.screen.getvalue().splitlines()[-1] == "travel-planner · find_onsen: 3/3 (100%) searching Kyushu, step 3"
    assert harness.events("sampling_response")[0]["text"] == "Try Beppu's steam."


async def test_an_answer_outside_the_servers_choices_is_not_sent(finder, harness):
    human = ScriptedHuman(["Aiko", 2, "Hokkaido"], source="answers.json")
    bridge = harness.bridge(finder.mcp, human, mode="legacy")
    await bridge.start()
    try:
        await bridge.call_tool("find_onsen", {})
    finally:
        await bridge.stop()
    assert [event["action"] for event in harness.events("elicitation_response")][:3] == ["accept", "accept", "cancel"]
    assert "value: must be one of: Kyushu, Kanto, Tohoku" in human.errors[0]


@pytest.mark.parametrize("mode", MODES)
async def test_cancelling_the_caller_cancels_the_request_on_the_server(finder_target, finder, harness, mode):
    bridge = harness.bridge(finder_target, ScriptedHuman([], source="test"), mode=mode)
    await bridge.start()
    try:
        call = asyncio.create_task(bridge.call_tool("wait_forever", {}))
        await finder.waiting.wait()
        call.cancel()  # what Ctrl-C does to the running turn
        with pytest.raises(asyncio.CancelledError):
            await call
        await asyncio.wait_for(finder.cancelled.wait(), timeout=5)
        # The connection is still usable afterwards.
        assert [tool.name for tool in await bridge.list_tools()] == ["find_onsen", "wait_forever"]
    finally:
        await bridge.stop()
