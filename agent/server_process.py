"""Run the bundled trip-server as a child process on a free loopback port, for the agent's lifetime."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from agent.errors import TripAgentError
from mcp_server.launch import ready_url, server_command

if TYPE_CHECKING:
    from agent.config import AgentSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
_STDERR_LINE_CHARS = 500


class BundledServer:
    """A started trip-server; `url` is its MCP endpoint. Stop it with `stop()`."""

    def __init__(self, command: list[str]) -> None:
        self._command = command
        self._process: asyncio.subprocess.Process | None = None
        self._stderr: tempfile._TemporaryFileWrapper | None = None
        self.url = ""

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
        command = server_command()
        if db is not None:
            command += ["--db", str(db)]
        if config is not None:
            command += ["--config", str(config)]
        server = cls(command)
        await server._launch(timeout)
        return server

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def revive(self, timeout: float = START_TIMEOUT_S) -> bool:
        """Start the server again if it has exited (crashed, killed); it comes back on a new port.

        Returns:
            True when it had exited and was started again (`url` changed), False when it was running.

        Raises:
            TripAgentError: It could not be started again (as `start`).
        """
        if self.running:
            return False
        code = self._process.returncode if self._process is not None else None
        logger.warning("status=<%s> | the bundled trip-server exited; starting it again", code)
        await self._launch(timeout)
        return True

    async def _launch(self, timeout: float) -> None:
        self._close_stderr()
        # stderr goes to a file, not a pipe: nobody reads it while the server runs, and a full
        # pipe would block the server's logging.
        self._stderr = tempfile.NamedTemporaryFile(prefix="trip-server-", suffix=".log")
        self._process = await asyncio.create_subprocess_exec(
            *self._command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=self._stderr
        )
        try:
            self.url = await asyncio.wait_for(self._ready_url(), timeout)
        except TimeoutError as error:
            tail = self._stderr_tail()
            await self.stop()
            raise TripAgentError(
                f"the bundled trip-server did not start within {timeout:g} s{tail}",
                hint="pass --server URL to use a running server",
            ) from error
        except BaseException:
            await self.stop()
            raise
        logger.debug("url=<%s>, pid=<%d> | bundled trip-server ready", self.url, self._process.pid)

    async def _ready_url(self) -> str:
        assert self._process is not None and self._process.stdout is not None
        while True:
            line = (await self._process.stdout.readline()).decode(errors="replace")
            if not line:
                code = await self._process.wait()
                raise TripAgentError(
                    f"the bundled trip-server exited with status {code}{self._stderr_tail()}",
                    hint="run `trip-server --port 0` to see why, or pass --server URL",
                )
            url = ready_url(line)
            if url is not None:
                return url

    def _stderr_tail(self) -> str:
        # The last line of a traceback names the error; the whole of it would break the one-line rule.
        if self._stderr is None:
            return ""
        lines = Path(self._stderr.name).read_text(errors="replace").strip().splitlines()
        return f": {lines[-1][:_STDERR_LINE_CHARS]}" if lines else ""

    async def stop(self) -> None:
        """Terminate the server, killing it if it does not exit in time. Safe to call twice."""
        process = self._process
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                logger.warning("pid=<%d> | trip-server ignored SIGTERM; killing it", process.pid)
                process.kill()
                await process.wait()
        self._close_stderr()

    def _close_stderr(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def needs_bundled(settings: AgentSettings) -> bool:
    """No --server, --agentcore-arn, [servers.NAME] or --mcp-config (flag, environment or config):
    the bundled server is used."""
    return not (settings.server.url or settings.server.agentcore_arn or settings.servers)


async def import_beside_server(settings: AgentSettings, load: Callable[[], T]) -> tuple[T, BundledServer | None]:
    """Run `load`, an import (strands, boto3, fastmcp: ~2 s), while the bundled server starts (~2 s).

    The two overlap: the server is another process, and the import runs in a thread.

    Returns:
        What `load` returned, and the bundled server (None when the settings name other servers).

    Raises:
        TripAgentError: the server could not start (as BundledServer.start).
    """
    starting = asyncio.create_task(BundledServer.start()) if needs_bundled(settings) else None
    try:
        loaded = await asyncio.to_thread(load)
    except BaseException:
        if starting is not None:
            starting.cancel()
            bundled = await asyncio.gather(starting, return_exceptions=True)
            if isinstance(bundled[0], BundledServer):
                await bundled[0].stop()
        raise
    return loaded, (await starting if starting is not None else None)
