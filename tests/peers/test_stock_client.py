"""A stock 2025-11-25 client (fastmcp 3.x on mcp 1.x, in its own venv) books a trip over HTTP."""

import json
import subprocess
from pathlib import Path

from tests.mcp_server.conftest import start_server_process

CLIENT = Path(__file__).with_name("fastmcp3_client.py")


def test_fastmcp3_client_completes_a_booking(tmp_path, peers_python):
    server = start_server_process(tmp_path)
    try:
        run = subprocess.run([str(peers_python), str(CLIENT), server.url], capture_output=True, text=True, timeout=120)
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    result = report["result"]
    assert result["status"] == "booked" and result["quote"]["total_jpy"] == 35_000 * 4 + 9_000 * 2 * 2
    assert [q["message"].split("?")[0] for q in report["questions"]][:2] == [
        "Where would you like to go",
        "What kind of trip is it",
    ]
    assert [p[0] for p in report["progress"]] == [1, 2, 3, 4, 5]
    assert report["samples"] == [{"system": report["samples"][0]["system"], "max_tokens": 300}]
    assert result["recommendations_source"] == "sampling"
    assert [b["reservation_id"] for b in report["bookings"]["bookings"]] == [result["reservation_id"]]
