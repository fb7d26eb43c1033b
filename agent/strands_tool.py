"""One MCP tool as a Strands tool: the call goes through its server's McpBridge, and its outcome is
kept for the turn's renderer."""

from __future__ import annotations

import logging
from typing import Any, Literal

import mcp_types
from strands.types.events import ToolResultEvent
from strands.types.tools import AgentTool, ToolGenerator, ToolResult, ToolSpec, ToolUse

from agent.bridge import McpBridge
from agent.errors import TripAgentError, first_line
from agent.outcomes import failed_outcome, outcome_of

logger = logging.getLogger(__name__)


class McpTool(AgentTool):
    """One MCP tool as a Strands tool; the call runs on the agent's own event loop."""

    def __init__(self, bridge: McpBridge, tool: mcp_types.Tool, exposed_name: str) -> None:
        """exposed_name: what the model calls it (agent.toolset: the server's name, or prefixed on a clash)."""
        super().__init__()
        self._bridge = bridge
        self._tool = tool
        self._name = exposed_name

    @property
    def tool_name(self) -> str:
        return self._name

    @property
    def tool_spec(self) -> ToolSpec:
        return {
            "name": self._name,
            "description": self._tool.description or self._tool.name,
            "inputSchema": {"json": self._tool.input_schema},
        }

    @property
    def tool_type(self) -> str:
        return "mcp"

    async def stream(self, tool_use: ToolUse, invocation_state: dict[str, Any], **kwargs: Any) -> ToolGenerator:
        bridge, use_id = self._bridge, tool_use["toolUseId"]
        answered = len(bridge.answers)
        try:
            result = await bridge.call_tool(self._tool.name, dict(tool_use["input"] or {}))
        except Exception as error:  # Strands would log a traceback for anything raised here: one line instead
            if not isinstance(error, TripAgentError):
                logger.debug("tool=<%s> | call failed", self._tool.name, exc_info=True)
                error = TripAgentError(f"{bridge.name}: call {self._tool.name} failed: {first_line(error)}")
            bridge.notify(str(error))
            bridge.outcomes[use_id] = failed_outcome(self._name, str(error))
            yield ToolResultEvent(_tool_result(use_id, "error", str(error)))
            return
        if result.structured_content is not None:
            bridge.transcript.tool_structured(self._tool.name, result.structured_content, server=bridge.name)
        # Calls run one at a time in practice; were two concurrent, their answers could be attributed to either.
        outcome = outcome_of(self._name, result, bridge.answers[answered:])
        bridge.outcomes[use_id] = outcome
        yield ToolResultEvent(_tool_result(use_id, "error" if result.is_error else "success", outcome.text))


def _tool_result(tool_use_id: str, status: Literal["success", "error"], text: str) -> ToolResult:
    return {"toolUseId": tool_use_id, "status": status, "content": [{"text": text}]}
