"""The test helper that copies a child's stderr: complete when read, waits end on the text or on exit."""

import subprocess
import sys

from tests.mcp_server.stderr_log import StderrLog

# Writes to stderr, then says so on stdout, then waits for stdin to close.
CHILD = "import sys; sys.stderr.write('one\\n'); sys.stderr.flush(); print('written', flush=True); sys.stdin.read(); sys.stderr.write('two\\n')"


def start(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return process, StderrLog(process.stderr, tmp_path / "child.log")


async def test_text_holds_all_the_child_wrote_before_the_call_and_the_file_gets_the_rest(tmp_path):
    process, log = start(tmp_path)
    assert process.stdout.readline() == "written\n"
    assert log.text() == "one\n"
    assert await log.wait_for("one", timeout=10)
    process.stdin.close()
    assert await log.wait_for("two", timeout=10)
    process.wait(timeout=10)
    process.stdout.close()
    log.close()
    assert log.text() == (tmp_path / "child.log").read_text() == "one\ntwo\n"


async def test_a_wait_for_text_never_written_is_false_once_the_child_exits(tmp_path):
    process, log = start(tmp_path)
    process.stdin.close()
    assert not await log.wait_for("never written", timeout=60)  # returns at the exit, not after 60 s
    process.wait(timeout=10)
    process.stdout.close()
    log.close()
