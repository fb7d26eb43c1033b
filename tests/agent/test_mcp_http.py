"""agent/mcp_http.py: the HTTP client of an MCP connection (the bearer token's refresh on a 401 is
exercised against a real IdP and server in test_bridge_auth_refresh.py)."""

from agent.mcp_http import HTTP_TIMEOUT, http_client


async def test_http_client_never_times_out_a_slow_human():
    client = http_client(headers={"Authorization": "Bearer x"})
    async with client:
        assert client.timeout.read is None and client.timeout.connect == HTTP_TIMEOUT.connect
        assert client.headers["authorization"] == "Bearer x"
