"""agent/strands_tool.py: one MCP tool as a Strands tool, against a small in-process server."""

from __future__ import annotations

from fastmcp import FastMCP

from agent.human import ScriptedHuman
from agent.strands_tool import McpTool


def echo_server() -> FastMCP:
    mcp = FastMCP("echo")

    @mcp.tool
    def echo(text: str) -> str:
        """Says the text back."""
        return f"echo: {text}"

    @mcp.tool
    def refuse() -> str:
        """Always fails."""
        raise ValueError("no, never")

    return mcp


async def results(tool: McpTool, use_id: str, arguments: dict) -> list[dict]:
    return [event["tool_result"] async for event in tool.stream({"toolUseId": use_id, "name": tool.tool_name, "input": arguments}, {})]


async def test_a_tool_is_listed_under_its_exposed_name_and_its_result_is_kept_as_the_calls_outcome(harness):
    bridge = harness.bridge(echo_server(), ScriptedHuman([], source="test"))
    await bridge.start()
    try:
        tool = McpTool(bridge, next(tool for tool in bridge.tools if tool.name == "echo"), "echo_server_echo")
        spec = tool.tool_spec
        called = await results(tool, "use-1", {"text": "hi"})
        failed = await results(McpTool(bridge, next(tool for tool in bridge.tools if tool.name == "refuse"), "refuse"), "use-2", {})
    finally:
        await bridge.stop()
    assert (spec["name"], spec["description"], tool.tool_type) == ("echo_server_echo", "Says the text back.", "mcp")
    assert called == [{"toolUseId": "use-1", "status": "success", "content": [{"text": bridge.outcomes["use-1"].text}]}]
    assert "echo: hi" in called[0]["content"][0]["text"]
    assert failed[0]["status"] == "error" and bridge.outcomes["use-2"].status == "error"


async def test_a_call_that_cannot_be_made_is_one_line_to_the_user_and_an_error_result(harness):
    bridge = harness.bridge(echo_server(), ScriptedHuman([], source="test"))
    await bridge.start()
    tool = McpTool(bridge, bridge.tools[0], "echo")
    await bridge.stop()  # the call finds the bridge stopped
    called = await results(tool, "use-1", {"text": "hi"})
    assert called == [{"toolUseId": "use-1", "status": "error", "content": [{"text": "not connected to travel-planner (fix: start the bridge first)"}]}]
    assert harness.notes == ["not connected to travel-planner (fix: start the bridge first)"]
    assert bridge.outcomes["use-1"].completed is False
