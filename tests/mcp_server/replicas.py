"""Several trip-server replicas on one PostgreSQL, and a client that spreads its requests over them.

`spread_client` is a client-side round-robin balancer: every HTTP request of a 2026-07-28 call
goes to the next replica, as a load balancer without stickiness would send it. Legacy 2025-11-25
sessions live in one process, so they need stickiness: connect them to one replica's URL.
"""

from __future__ import annotations

import itertools
import secrets
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import psycopg
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport
from mcp.shared._httpx_utils import MCP_DEFAULT_SSE_READ_TIMEOUT, MCP_DEFAULT_TIMEOUT

from tests.mcp_server.conftest import llm, LoggedServer, start_logged_server


def shared_config(directory: Path, keys: list[str], extra: str = "") -> str:
    """A config file with the request_state_keys every replica must share."""
    config = directory / "replicas.toml"
    config.write_text("[trip_server]\nrequest_state_keys = [" + ", ".join(f'"{k}"' for k in keys) + "]\n" + extra)
    return str(config)


@contextmanager
def replicas(directory: Path, dsn: str, count: int = 2, extra: str = "") -> Iterator[list[LoggedServer]]:
    config = shared_config(directory, [secrets.token_urlsafe(32)], extra)
    started: list[LoggedServer] = []
    try:
        for index in range(count):
            started.append(start_logged_server(directory, dsn, "--config", config, log_name=f"replica{index}.log"))
        yield started
    finally:
        for server in started:
            server.stop()


def spread_client(urls: list[str], human: Any = None, *, start: int = 0, sampling: Any = llm, served: Counter | None = None) -> Client:
    """A 2026-07-28 client whose every request goes to the next replica in turn."""
    ports = itertools.islice(itertools.cycle([urlsplit(url).port for url in urls]), start, None)

    def factory(headers=None, timeout=None, auth=None, **_):
        # Requests alternate, so each kept-alive connection idles between its turns: under load
        # past uvicorn's 5 s keep-alive, when the server may close it as the next request goes out
        # (a ReadError seen in bench/store.py), and Nagle plus delayed ACKs add ~40 ms per request
        # (measured: 2x the flow time). A balancer's own pooling hides both; here: one connection
        # per request, TCP_NODELAY.
        http = httpx2.AsyncClient(
            limits=httpx2.Limits(max_keepalive_connections=0),
            headers=headers,
            timeout=timeout or httpx2.Timeout(MCP_DEFAULT_TIMEOUT, read=MCP_DEFAULT_SSE_READ_TIMEOUT),
            auth=auth,
            follow_redirects=True,
            transport=httpx2.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]),
        )

        async def next_replica(request):
            port = next(ports)
            request.url = request.url.copy_with(port=port)
            request.headers["host"] = f"127.0.0.1:{port}"
            if served is not None:
                served[port] += 1

        http.event_hooks["request"].append(next_replica)
        return http

    transport = StreamableHttpTransport(urls[0], httpx_client_factory=factory)
    return Client(transport, mode="auto", elicitation_handler=human, sampling_handler=sampling)


def pg_rows(dsn: str, sql: str) -> list[tuple]:
    with psycopg.connect(dsn) as connection:
        return connection.execute(sql).fetchall()
