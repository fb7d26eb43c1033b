"""Time from starting `trip-agent` to its first prompt, next to the bare heavy imports.

Runs the REPL on a pseudo-terminal (so prompt-toolkit draws as for a person), waits for the
prompt, then sends Ctrl-D. Usage: python bench/startup.py [RUNS]
"""

from __future__ import annotations

import json
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT_MARK = b"Ctrl-D quits"
# The prompt's "> " is drawn as ">" and a cursor move, not a written space.
PROMPT = b">"
CURSOR_QUERY = b"\x1b[6n"
TIMEOUT_S = 30.0


def time_to_prompt(script: Path, data_dir: str) -> float:
    leader, follower = pty.openpty()
    env = {**os.environ, "XDG_DATA_HOME": data_dir, "TERM": "xterm"}
    command = [str(Path(sys.executable).parent / "trip-agent"), "--model", f"playback:{script}"]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    seen = b""
    try:
        while PROMPT not in seen.partition(PROMPT_MARK)[2]:
            if time.perf_counter() - start > TIMEOUT_S:
                raise RuntimeError(f"no prompt within {TIMEOUT_S} s: {seen[-300:]!r}")
            chunk = os.read(leader, 4096)
            if CURSOR_QUERY in chunk:  # answer like a terminal would, or prompt-toolkit warns
                os.write(leader, b"\x1b[1;1R")
            seen += chunk
        elapsed = time.perf_counter() - start
        os.write(leader, b"\x04")
        process.wait(timeout=TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    return elapsed


def time_imports() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import strands, boto3, fastmcp"], check=True)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "script.json"
        script.write_text(json.dumps({"turns": [{"text": "hi"}]}))
        prompt = [time_to_prompt(script, scratch) for _ in range(runs)]
    imports = [time_imports() for _ in range(runs)]
    print(f"{'measure':44} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, times in (("trip-agent: start to first prompt", prompt), ("python -c 'import strands, boto3, fastmcp'", imports)):
        print(f"{name:44} {statistics.median(times):9.3f} {min(times):7.3f} {max(times):7.3f}")


if __name__ == "__main__":
    main()
