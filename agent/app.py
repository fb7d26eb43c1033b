"""Wiring: settings -> model -> sampler -> MCP bridge -> Strands agent, and one conversation turn at a time.

This module imports strands, boto3 and fastmcp; the REPL imports it behind its first prompt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from platformdirs import user_log_dir
from strands import Agent
from strands.models.model import Model
from strands.types.exceptions import MaxTokensReachedException

from agent.agentcore_client import invocation_url, platform_session_headers
from agent.bridge import McpBridge
from agent.config import AgentSettings, ModelSettings, SamplingPolicy, model_from_spec
from agent.errors import ConfigError, TripAgentError, explain_model_error
from agent.human import Human
from agent.mcp_http import TOKEN_ENV, BearerToken
from agent.models import create_model, resolve_auto
from agent.outcomes import ToolOutcome
from agent.providers.playback import PlaybackModel, PlaybackSampling
from agent.sampler import Sampler
from agent.sampling import ModelPerRequest, SamplingModel
from agent.sampling_review import SamplingReviewer
from agent.server_process import BundledServer
from agent.servers import HttpServerConfig, StdioServerConfig
from agent.tool_progress import ToolProgress
from agent.toolset import ServerTools
from agent.transcript import Transcript

logger = logging.getLogger(__name__)

BUNDLED_SERVER_NAME = "trip-server"


class Renderer(Protocol):
    """Where a turn's events are shown as they happen."""

    def assistant_text(self, delta: str) -> None: ...

    def tool_call(self, name: str, input: dict[str, Any]) -> None: ...

    def tool_result(self, outcome: ToolOutcome) -> None: ...


@dataclass(frozen=True)
class TurnResult:
    """text: the assistant's text of the turn; error: the one-line reason when it failed;
    outcomes: how each tool call of the turn ended."""

    text: str
    error: str | None = None
    outcomes: tuple[ToolOutcome, ...] = ()

    @property
    def completed(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ServerTarget:
    """Where an MCP server is: name shown to the user, url, headers and bearer token to send; or
    the stdio server to start. sampling and rate_limit_per_minute: this server's own, over [sampling]."""

    name: str
    url: str | None
    headers: dict[str, str] | None = None
    token: BearerToken | None = None
    stdio: StdioServerConfig | None = None
    sampling: SamplingPolicy | None = None
    rate_limit_per_minute: int | None = None

    @property
    def bundled(self) -> bool:
        return self.url is None and self.stdio is None


def resolve_servers(settings: AgentSettings, env: Mapping[str, str]) -> list[ServerTarget]:
    """Every server of the session: `--server`/`--agentcore-arn`/`[server]`, then `[servers.NAME]` and
    `--mcp-config` entries; none of these means the bundled trip-server alone.

    Raises:
        ConfigError: As resolve_server, or two servers have the same name.
    """
    targets = [resolve_server(settings, env)] if settings.server.url or settings.server.agentcore_arn else []
    for name, server in settings.servers.items():
        if any(target.name == name for target in targets):
            raise ConfigError(f"two servers are named {name!r}", hint="rename the [servers] or --mcp-config entry")
        targets.append(_target(name, server))
    return targets or [ServerTarget(BUNDLED_SERVER_NAME, None)]


def _target(name: str, server: StdioServerConfig | HttpServerConfig) -> ServerTarget:
    policy = {"sampling": server.sampling, "rate_limit_per_minute": server.rate_limit_per_minute}
    if isinstance(server, StdioServerConfig):
        return ServerTarget(name, None, stdio=server, **policy)
    return ServerTarget(name, server.url, headers=dict(server.headers) or None, **policy)


def server_log(settings: AgentSettings, name: str) -> Path:
    """Where a stdio server's stderr goes: `servers/NAME.log` under [agent] log_dir or the user log directory."""
    base = settings.log_dir or Path(user_log_dir("trip-agent", appauthor=False))
    return base / "servers" / f"{name}.log"


def resolve_server(settings: AgentSettings, env: Mapping[str, str]) -> ServerTarget:
    """Pick the server from the settings; url None means "start the bundled trip-server".

    Raises:
        ConfigError: The AgentCore ARN is malformed, no bearer token is available for it, or
            the token command failed.
    """
    server = settings.server
    if server.agentcore_arn:
        url = invocation_url(server.agentcore_arn, server.region, server.qualifier)
        name = "agentcore:" + server.agentcore_arn.rsplit("/", 1)[-1]
        # One runtime session id per agent session: the platform keeps it on one microVM.
        return ServerTarget(name, url, platform_session_headers(), BearerToken.resolve(env, server.token_command))
    if server.url:
        # A self-hosted trip-server may sit behind the same kind of authorizer; without a token, none is sent.
        wants_token = bool(env.get(TOKEN_ENV, "").strip() or server.token_command)
        token = BearerToken.resolve(env, server.token_command) if wants_token else None
        return ServerTarget(urlparse(server.url).netloc or server.url, server.url, token=token)
    return ServerTarget(BUNDLED_SERVER_NAME, None)


class Session:
    """One conversation: the agent, its MCP bridges and (maybe) the bundled server it started."""

    def __init__(
        self,
        *,
        agent: Agent,
        bridges: list[McpBridge],
        samplers: list[Sampler],
        toolset: ServerTools,
        transcript: Transcript,
        bundled: BundledServer | None,
        model_settings: ModelSettings,
        model_reason: str,
    ) -> None:
        self.agent = agent
        # The concrete model (`auto` resolved) and, when `auto` chose it, why.
        self.model_settings = model_settings
        self.model_reason = model_reason
        self._bridges = bridges
        self._samplers = samplers
        self._toolset = toolset
        self._transcript = transcript
        self._bundled = bundled

    @property
    def server_name(self) -> str:
        """The connected servers' names, e.g. "trip-server" or "everything, trip-server"."""
        return ", ".join(bridge.name for bridge in self._bridges)

    @property
    def model_label(self) -> str:
        """e.g. "local (no AWS credentials found)" or "bedrock:us.anthropic.claude-haiku-…"."""
        spec = self.model_settings.spec
        return f"{spec} ({self.model_reason})" if self.model_reason else spec

    async def run_turn(self, text: str, renderer: Renderer) -> TurnResult:
        """Run one user turn, streaming its events to `renderer` and the transcript.

        Model and tool errors end the turn with a one-line error instead of raising. When the
        task running this is cancelled, the turn's messages are dropped so the conversation stays
        valid for the model (no unanswered tool use, no two user messages in a row).

        Raises:
            asyncio.CancelledError: The turn was cancelled.
        """
        self._transcript.user(text)
        start = len(self.agent.messages)
        tool_names: dict[str, str] = {}
        parts: list[str] = []
        outcomes: list[ToolOutcome] = []
        try:
            async for event in self.agent.stream_async(text):
                if "data" in event:
                    renderer.assistant_text(event["data"])
                    parts.append(event["data"])
                elif "message" in event:
                    outcomes += self._record_message(event["message"], tool_names, renderer)
        except asyncio.CancelledError:
            del self.agent.messages[start:]
            self._transcript.error("turn cancelled by the user")
            raise
        except MaxTokensReachedException:
            # A reply cut at max_tokens is still a reply (Strands keeps it in the conversation, and its
            # message event already put it in the transcript): say so, as a notice, not a failed turn.
            notice = f"\n(reply cut off at max_tokens={self.model_settings.max_tokens})"
            renderer.assistant_text(notice)
            return TurnResult("".join(parts) + notice, outcomes=tuple(outcomes))
        except Exception as error:  # every failure becomes one line for the user
            logger.debug("model=<%s> | turn failed", self.model_settings.spec, exc_info=True)
            explained = explain_model_error(error, self.model_settings)
            message = str(explained) if explained is not None else f"{type(error).__name__}: {error}"
            self._transcript.error(message)
            return TurnResult("".join(parts), message, tuple(outcomes))
        return TurnResult("".join(parts), outcomes=tuple(outcomes))

    def _record_message(self, message: dict[str, Any], tool_names: dict[str, str], renderer: Renderer) -> list[ToolOutcome]:
        outcomes = []
        if message["role"] == "assistant":
            text = "".join(block["text"] for block in message["content"] if "text" in block)
            if text:
                self._transcript.assistant(text)
        for block in message["content"]:
            if "toolUse" in block:
                use = block["toolUse"]
                tool_names[use["toolUseId"]] = use["name"]
                renderer.tool_call(use["name"], use["input"])
                self._transcript.tool_call(use["name"], use["input"], server=self._toolset.server_of(use["name"]))
            elif "toolResult" in block:
                result = block["toolResult"]
                name = tool_names.get(result["toolUseId"], "?")
                text = "\n".join(_content_text(item) for item in result["content"])
                # Strands itself may end a call (an unknown tool, bad input) before the bridge sees it.
                outcome = self._take_outcome(result["toolUseId"]) or ToolOutcome(
                    name, result["status"], text.strip(), result["status"] == "success", text=text
                )
                outcomes.append(outcome)
                renderer.tool_result(outcome)
                self._transcript.tool_result(name, result["status"], text, server=self._toolset.server_of(name))
        return outcomes

    def _take_outcome(self, tool_use_id: str) -> ToolOutcome | None:
        return next((bridge.outcomes.pop(tool_use_id) for bridge in self._bridges if tool_use_id in bridge.outcomes), None)

    def switch_model(self, spec: str) -> ModelSettings:
        """Use another model from the next turn on, keeping the conversation.

        Raises:
            ConfigError: The spec is invalid or the model cannot be created.
        """
        requested = model_from_spec(spec, self.model_settings)
        chosen, reason = resolve_auto(requested)
        reason = reason if requested.provider == "auto" else ""
        self.agent.model = create_model(chosen)
        self.model_settings, self.model_reason = chosen, reason
        for sampler in self._samplers:
            sampler.use_model(chosen, sampling_model(self.agent.model))
        return chosen

    def reset(self) -> None:
        """Forget the conversation; the model and server stay."""
        self.agent.messages.clear()

    def save(self, path: Path) -> None:
        """Write the session so far as a transcript (the --transcript format, which `trip-agent replay` reads).

        Raises:
            OSError: The file cannot be written.
        """
        self._transcript.save(path)

    async def tools(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Each server with its tools as (the name the model calls it, first line of the description).

        Raises:
            TripAgentError: A server could not list its tools.
        """
        for bridge in self._bridges:
            await bridge.list_tools()
        names = self._toolset.names()
        return [
            (
                bridge.name,
                [(names[(bridge.name, tool.name)], (tool.description or "").strip().split("\n", 1)[0]) for tool in bridge.tools],
            )
            for bridge in self._bridges
        ]

    async def close(self) -> None:
        """Disconnect from every server (stopping stdio ones) and stop the bundled one. Safe to call twice."""
        try:
            await _stop_all(self._bridges)
        finally:
            if self._bundled is not None:
                await self._bundled.stop()
                self._bundled = None


async def open_session(
    settings: AgentSettings,
    *,
    human: Human,
    review: SamplingReviewer | None,
    progress: ToolProgress,
    transcript: Transcript,
    notify: Callable[[str], None],
    env: Mapping[str, str] = os.environ,
    bundled: BundledServer | None = None,
    status: Callable[[str], None] = lambda text: None,
) -> Session:
    """Connect everything: start the bundled server if needed, then the bridge, then the agent.

    `bundled` is a bundled server the caller already started (server_process.import_beside_server);
    the session owns it from here on and stops it on close or on failure.

    Args:
        settings: The merged settings.
        human: Who answers elicitations (the terminal's FormHuman, or agent.human's ScriptedHuman or AbsentHuman).
        review: Who reviews sampling requests under the `ask` policy; None: nobody can.
        progress: Where tool progress is drawn.
        transcript: Where events are recorded.
        notify: Shows a one-line notice to the user.
        env: The environment (AgentCore bearer token).
        status: Told what is loading now ("loading model local…", "connecting to trip-server…").

    Returns:
        The open session; close it with `close()`.

    Raises:
        TripAgentError: The model cannot be created, the server cannot be started or reached.
    """
    try:
        targets = resolve_servers(settings, env)
        # In threads: resolving credentials and loading a local model take seconds, and the
        # REPL's prompt keeps answering on this loop meanwhile.
        status("choosing the model…" if settings.model.provider == "auto" else f"loading model {settings.model.spec}…")
        chosen, reason = await asyncio.to_thread(resolve_auto, settings.model)
        reason = reason if settings.model.provider == "auto" else ""
        status(f"loading model {chosen.spec}…")
        model: Model = await asyncio.to_thread(create_model, chosen)
    except BaseException:
        if bundled is not None:
            await bundled.stop()
        raise
    if any(target.bundled for target in targets) and bundled is None:
        status("starting trip-server…")
        bundled = await BundledServer.start()
    samplers: list[Sampler] = []

    def bridge_for(target: ServerTarget) -> McpBridge:
        # Each server has its own sampler: its own policy and rate limit over the [sampling] defaults.
        own = replace(
            settings.sampling,
            policy=target.sampling or settings.sampling.policy,
            rate_limit_per_minute=target.rate_limit_per_minute or settings.sampling.rate_limit_per_minute,
        )
        sampler = Sampler(own, review, transcript, notify, model=chosen, writer=sampling_model(model))
        samplers.append(sampler)
        url = bundled.url if target.bundled and bundled is not None else target.url
        if target.stdio is not None:
            url = "stdio: " + shlex.join([target.stdio.command, *target.stdio.args])
        assert url is not None
        return McpBridge(
            target.name,
            url,
            human=human,
            sampler=sampler,
            progress=progress,
            transcript=transcript,
            notify=notify,
            headers=target.headers,
            token=target.token,
            revive=_reviver(bundled) if target.bundled else None,
            stdio=target.stdio,
            log_file=server_log(settings, target.name) if target.stdio is not None else None,
        )

    bridges = [bridge_for(target) for target in targets]
    try:
        status(f"connecting to {', '.join(target.name for target in targets)}…")
        bridges = await _start_all(bridges, notify)
        toolset = ServerTools(bridges)
        agent = Agent(model=model, tools=[toolset], system_prompt=settings.system_prompt, callback_handler=None)
    except BaseException:
        await _stop_all(bridges)
        if bundled is not None:
            await bundled.stop()
        raise
    return Session(
        agent=agent,
        bridges=bridges,
        samplers=samplers,
        toolset=toolset,
        transcript=transcript,
        bundled=bundled,
        model_settings=chosen,
        model_reason=reason,
    )


def sampling_model(model: Model) -> SamplingModel:
    """Who answers sampling for an agent running `model`: a playback script answers from its own
    "sampling" list, as the contract says; any other model's session creates the chosen model afresh."""
    return PlaybackSampling(model) if isinstance(model, PlaybackModel) else ModelPerRequest()


async def _start_all(bridges: list[McpBridge], notify: Callable[[str], None]) -> list[McpBridge]:
    """Start the bridges together; the ones that started, once each failure was told.

    Raises:
        TripAgentError: No server started (the first one's error).
    """
    results = await asyncio.gather(*(bridge.start() for bridge in bridges), return_exceptions=True)
    for result in results:  # anything but a server's failure (a cancellation, a bug) is not ours to swallow
        if isinstance(result, BaseException) and not isinstance(result, TripAgentError):
            await _stop_all(bridges)
            raise result
    failed = [(bridge, result) for bridge, result in zip(bridges, results) if isinstance(result, TripAgentError)]
    if len(failed) == len(bridges):
        raise failed[0][1]
    for bridge, error in failed:
        notify(f"going on without {bridge.name}: {error}")
    return [bridge for bridge, result in zip(bridges, results) if result is None]


async def _stop_all(bridges: list[McpBridge]) -> None:
    for bridge in bridges:
        await bridge.stop()


def _reviver(bundled: BundledServer | None) -> Callable[[], Awaitable[str | None]] | None:
    """The bridge's hook to start the bundled server again when it died: its new URL, or None."""
    if bundled is None:
        return None

    async def revive() -> str | None:
        return bundled.url if await bundled.revive() else None

    return revive


def _content_text(item: dict[str, Any]) -> str:
    if "text" in item:
        return item["text"]
    if "json" in item:
        return json.dumps(item["json"], ensure_ascii=False)
    return ""

