"""Run the bundled trip-server as a child process on a free loopback port, for the agent's lifetime."""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from agent.errors import TripAgentError

if TYPE_CHECKING:
    from agent.config import AgentSettings

logger = logging.getLogger(__name__)

READY_PREFIX = "listening on "
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
_STDERR_LINE_CHARS = 500


class BundledServer:
    """A started trip-server; `url` is its MCP endpoint. Stop it with `stop()`."""

    def __init__(self, process: asyncio.subprocess.Process, url: str, stderr_file: tempfile._TemporaryFileWrapper) -> None:
        self._process = process
        self._stderr = stderr_file
        self.url = url

    @classmethod
    async def start(
        cls, *, db: Path | None = None, config: Path | None = None, timeout: float = START_TIMEOUT_S
    ) -> BundledServer:
        """Start trip-server with the agent's interpreter and wait for its `listening on` line.

        Args:
            db: The SQLite file; None leaves the server's default under the user's data directory.
            config: A trip-server settings file ([trip_server] table), e.g. to pick elicitation_style.
            timeout: Seconds to wait for the server to accept connections.

        Returns:
            The running server.

        Raises:
            TripAgentError: The server exited or did not become ready in time (its stderr is quoted).
        """
        command = [sys.executable, "-m", "mcp_server.cli", "--port", "0"]
        if db is not None:
            command += ["--db", str(db)]
        if config is not None:
            command += ["--config", str(config)]
        # stderr goes to a file, not a pipe: nobody reads it while the server runs, and a full
        # pipe would block the server's logging.
        stderr_file = tempfile.NamedTemporaryFile(prefix="trip-server-", suffix=".log")
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=stderr_file
        )
        server = cls(process, "", stderr_file)
        try:
            server.url = await asyncio.wait_for(server._ready_url(), timeout)
        except TimeoutError as error:
            await server.stop()
            raise TripAgentError(
                f"the bundled trip-server did not start within {timeout:g} s{server._stderr_tail()}",
                hint="pass --server URL to use a running server",
            ) from error
        except BaseException:
            await server.stop()
            raise
        logger.debug("url=<%s>, pid=<%d> | bundled trip-server ready", server.url, process.pid)
        return server

    async def _ready_url(self) -> str:
        assert self._process.stdout is not None
        while True:
            line = (await self._process.stdout.readline()).decode(errors="replace")
            if not line:
                code = await self._process.wait()
                raise TripAgentError(
                    f"the bundled trip-server exited with status {code}{self._stderr_tail()}",
                    hint="run `trip-server --port 0` to see why, or pass --server URL",
                )
            if line.startswith(READY_PREFIX):
                return line[len(READY_PREFIX) :].strip()

    def _stderr_tail(self) -> str:
        # The last line of a traceback names the error; the whole of it would break the one-line rule.
        lines = Path(self._stderr.name).read_text(errors="replace").strip().splitlines()
        return f": {lines[-1][:_STDERR_LINE_CHARS]}" if lines else ""

    async def stop(self) -> None:
        """Terminate the server, killing it if it does not exit in time. Safe to call twice."""
        if self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                logger.warning("pid=<%d> | trip-server ignored SIGTERM; killing it", self._process.pid)
                self._process.kill()
                await self._process.wait()
        self._stderr.close()


def needs_bundled(settings: AgentSettings) -> bool:
    """No --server and no --agentcore-arn (flag, environment or config): the bundled server is used."""
    return not (settings.server.url or settings.server.agentcore_arn)


async def import_beside_server(settings: AgentSettings, module: str) -> tuple[ModuleType, BundledServer | None]:
    """Import `module` (strands, boto3, fastmcp: ~2 s) while the bundled server starts (~2 s).

    The two overlap: the server is another process, and the import runs in a thread.

    Raises:
        TripAgentError: the server could not start (as BundledServer.start).
    """
    starting = asyncio.create_task(BundledServer.start()) if needs_bundled(settings) else None
    try:
        imported = await asyncio.to_thread(importlib.import_module, module)
    except BaseException:
        if starting is not None:
            starting.cancel()
            bundled = await asyncio.gather(starting, return_exceptions=True)
            if isinstance(bundled[0], BundledServer):
                await bundled[0].stop()
        raise
    return imported, (await starting if starting is not None else None)
