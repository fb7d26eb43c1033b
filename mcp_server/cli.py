"""trip-server: run the travel-planner MCP server over Streamable HTTP."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import sys
from pathlib import Path

import uvicorn

from mcp_server.compat import CannotListen, ListeningServer
from mcp_server.errors import TripServerError
from mcp_server.launch import READY_PREFIX
from mcp_server.logs import install_redaction
from mcp_server.server import build_server, http_app
from mcp_server.settings import ServerSettings, http_url, load_settings
from mcp_server.store import describe_db, open_store


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="trip-server", description=__doc__)
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get("TRIP_SERVER_CONFIG") or None,
        help="TOML file with a [trip_server] table (see configs/server.toml); default $TRIP_SERVER_CONFIG",
    )
    parser.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--path", help="MCP endpoint path (default /mcp)")
    parser.add_argument(
        "--db", help="quotes and bookings: a SQLite file, or postgresql://user:password@host:port/database for replicas"
    )
    parser.add_argument("--container", action="store_true", help="AgentCore Runtime mode: 0.0.0.0:8000/mcp")
    return parser.parse_args(argv)


def settings_from_args(args: argparse.Namespace) -> ServerSettings:
    """Flags win over --container's defaults, which win over TRIP_SERVER_* variables and the config file."""
    overrides = {"host": args.host, "port": args.port, "path": args.path, "db": args.db}
    settings = load_settings(args.config, overrides, env=os.environ)
    if args.container:
        container = settings.with_container_defaults()
        # The values as load_settings parsed them (a --db URL stays text, a path becomes a Path).
        settings = container.model_copy(update={key: getattr(settings, key) for key, value in overrides.items() if value is not None})
    return settings


# File descriptors kept back from connections: the listening socket, SQLite, logs, the catalogue.
FD_HEADROOM = 64

logger = logging.getLogger("trip_server")


def raise_fd_limit() -> int:
    """Raise the soft open-file limit to the hard one; the soft limit now in force.

    At the limit, accept() fails and the event loop retries it forever, logging each failure.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as error:
            logger.warning("nofile=<%d> | could not raise the open-file limit: %s", soft, error)
    return soft


def connection_limit(settings: ServerSettings, fd_limit: int) -> int:
    """max_connections, lowered to fit the open-file limit so the server refuses instead of failing."""
    fitting = max(1, fd_limit - FD_HEADROOM)
    if settings.max_connections > fitting:
        logger.warning(
            "max_connections=<%d>, nofile=<%d> | serving at most %d connections (the open-file limit minus %d)",
            settings.max_connections, fd_limit, fitting, FD_HEADROOM,
        )
    return min(settings.max_connections, fitting)


async def serve(settings: ServerSettings) -> None:
    """Serve until interrupted.

    Raises:
        TripServerError: the address cannot be bound.
    """
    store = open_store(settings.db, quote_ttl_s=settings.quote_ttl_hours * 3600)
    # Fail at start, not at the first booking: unreachable, unwritable, too new. Before the server
    # is built, so that the requestState key file is made only beside a database that works.
    await store.open()
    try:
        mcp = build_server(settings, store)
        config = uvicorn.Config(
            http_app(mcp, settings),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            limit_concurrency=connection_limit(settings, raise_fd_limit()),
            # Open SSE streams would otherwise hold shutdown until every client goes away.
            timeout_graceful_shutdown=2,
        )

        def announce(host: str, port: int) -> None:
            """The one line on stdout, once the socket accepts connections: scripts wait for it."""
            print(f"{READY_PREFIX}{http_url(host, port, settings.path)}", flush=True)

        await ListeningServer(config, announce).serve()
    except CannotListen as error:
        raise TripServerError(
            f"could not listen on {settings.host}:{settings.port} (in use? pick another with --port, or 0 for any)"
        ) from error
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = settings_from_args(args)
    except TripServerError as error:
        print(f"trip-server: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    install_redaction()
    logger.info("db=<%s> | starting", describe_db(settings.db))
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 0
    except TripServerError as error:
        print(f"trip-server: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
