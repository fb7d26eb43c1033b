import httpx
import pytest

from agent.errors import TripAgentError
from agent.server_process import BundledServer


async def test_starts_on_a_free_loopback_port_and_stops(tmp_path):
    server = await BundledServer.start(db=tmp_path / "trips.db")
    try:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/mcp")
        async with httpx.AsyncClient() as client:
            response = await client.get(server.url)
        assert response.status_code < 500  # it answers HTTP: the port is really open
    finally:
        await server.stop()
    await server.stop()  # twice is harmless
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(server.url)


async def test_a_server_that_dies_is_reported_with_its_stderr(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(TripAgentError) as caught:
        await BundledServer.start(db=blocker / "trips.db")
    assert "exited with status" in caught.value.message
    # trip-server's own one-line reason (it fails at start, before listening), shown as is.
    assert caught.value.message.endswith(f"trip-server: Cannot create the folder for the booking database {blocker / 'trips.db'}: File exists.")
    assert "--server URL" in caught.value.hint
