"""AgentCore Runtime entry point for tools that start a Python file: `trip-server --container`.

The starter toolkit (`agentcore configure -e mcp_server/agentcore.py -p MCP`) runs the file it is
given with no arguments; without --container the server would bind loopback only.
"""

import sys

from mcp_server.cli import main

if __name__ == "__main__":
    sys.exit(main(["--container", *sys.argv[1:]]))
