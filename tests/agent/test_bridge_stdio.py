"""The bridge to a stdio server it starts itself: the official everything server from npm."""

import os
import signal

from agent.bridge import McpBridge
from agent.human import AbsentHuman
from agent.servers import StdioServerConfig
from tests.peers.everything import everything_args, processes_mentioning


def stdio_bridge(harness, tmp_path, marker) -> McpBridge:
    return McpBridge(
        "everything",
        "stdio: node everything",
        human=AbsentHuman(harness.notes.append),
        sampler=harness.sampler(),
        progress=harness.progress,
        transcript=harness.transcript,
        notify=harness.notes.append,
        stdio=StdioServerConfig(command="node", args=everything_args(marker)),
        log_file=tmp_path / "logs" / "everything.log",
        reconnect_delays=(0.1, 0.2),
    )


async def test_a_stdio_server_that_died_is_started_again_on_the_next_request(harness, tmp_path):
    marker = tmp_path / "marker"
    bridge = stdio_bridge(harness, tmp_path, marker)
    await bridge.start()
    try:
        assert bridge.protocol_version == "2025-11-25"  # what the everything server speaks
        first = await bridge.call_tool("echo", {"message": "one"})
        (pid,) = processes_mentioning(marker)
        os.kill(pid, signal.SIGKILL)

        second = await bridge.call_tool("echo", {"message": "two"})

        (new_pid,) = processes_mentioning(marker)
    finally:
        await bridge.stop()
    assert [first.content[0].text, second.content[0].text] == ["Echo: one", "Echo: two"]
    assert new_pid != pid
    assert harness.notes[-1].startswith("everything: the connection was lost")
    assert harness.notes[-1].endswith("reconnected, the conversation goes on")
    assert processes_mentioning(marker) == []
    assert "Starting default (STDIO) server" in (tmp_path / "logs" / "everything.log").read_text()
