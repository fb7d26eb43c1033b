"""The tools of every connected MCP server as one set for Strands, and how they are named.

A tool keeps the name its server lists it under, unless another connected server lists a tool of
the same name: then both are offered as `SERVER_TOOL` (the server name with characters other than
letters, digits, `_` and `-` turned into `_`, as model APIs allow only those in tool names).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from strands.tools.tool_provider import ToolProvider
from strands.types.tools import AgentTool

from agent.bridge import McpBridge
from agent.strands_tool import McpTool

_NOT_IN_TOOL_NAMES = re.compile(r"[^A-Za-z0-9_-]")


def exposed_names(listing: Sequence[tuple[str, Sequence[str]]]) -> dict[tuple[str, str], str]:
    """The name the model sees for each (server, tool), from each server's listed tool names.

    Args:
        listing: (server name, the names of its tools), in the order the servers were configured.

    Returns:
        {(server, tool): exposed name}; exposed names are unique.
    """
    counts = Counter(tool for _, tools in listing for tool in set(tools))
    names: dict[tuple[str, str], str] = {}
    for server, tools in listing:
        prefix = _NOT_IN_TOOL_NAMES.sub("_", server)
        for tool in tools:
            names[(server, tool)] = f"{prefix}_{tool}" if counts[tool] > 1 else tool
    return names


class ServerTools(ToolProvider):
    """Every bridge's tools for one Strands Agent. The bridges' owner (the session) owns their lifetime."""

    def __init__(self, bridges: Sequence[McpBridge]) -> None:
        self._bridges = list(bridges)
        self._consumers: set[Any] = set()

    def names(self) -> dict[tuple[str, str], str]:
        """{(server, tool): exposed name} for the tools the bridges listed last."""
        return exposed_names([(bridge.name, [tool.name for tool in bridge.tools]) for bridge in self._bridges])

    def server_of(self, exposed: str) -> str | None:
        """Which server a tool the model called belongs to (None: no connected server lists it)."""
        return next((server for (server, _), name in self.names().items() if name == exposed), None)

    async def load_tools(self, **kwargs: Any) -> Sequence[AgentTool]:
        # Strands runs this on a worker thread with its own loop (registry run_async), where the
        # clients cannot be awaited; so it serves the lists fetched by start()/list_tools().
        names = self.names()
        return [
            McpTool(bridge, tool, names[(bridge.name, tool.name)]) for bridge in self._bridges for tool in bridge.tools
        ]

    def add_consumer(self, consumer_id: Any, **kwargs: Any) -> None:
        self._consumers.add(consumer_id)

    def remove_consumer(self, consumer_id: Any, **kwargs: Any) -> None:
        self._consumers.discard(consumer_id)
