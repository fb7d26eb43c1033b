"""trip-agent command line (placeholder until the agent issue lands)."""

import sys


def main() -> int:
    print("trip-agent: the agent is not built yet; run `trip-server` for the MCP server.", file=sys.stderr)
    return 2
