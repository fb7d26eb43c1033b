"""Wiring: settings -> model -> sampler -> MCP bridge -> Strands agent, and one conversation turn at a time.

This module imports strands, boto3 and fastmcp; the REPL imports it behind its first prompt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from strands import Agent
from strands.models.model import Model
from strands.types.exceptions import MaxTokensReachedException

from agent.agentcore_client import TOKEN_ENV, BearerToken, invocation_url, platform_session_headers
from agent.bridge import McpBridge
from agent.config import AgentSettings, ModelSettings, model_from_spec
from agent.errors import explain_model_error
from agent.human import Human
from agent.models import create_model, resolve_auto
from agent.outcomes import ToolOutcome
from agent.providers.playback import PlaybackModel
from agent.sampling_policy import Sampler
from agent.server_process import BundledServer
from agent.transcript import Transcript
from agent.ui.progress import ProgressView
from agent.ui.review import SamplingReview

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
    """Where the MCP server is: name shown to the user, url, headers and bearer token to send."""

    name: str
    url: str | None
    headers: dict[str, str] | None = None
    token: BearerToken | None = None

    @property
    def bundled(self) -> bool:
        return self.url is None


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
    """One conversation: the agent, its MCP bridge and (maybe) the bundled server it started."""

    def __init__(
        self,
        *,
        agent: Agent,
        bridge: McpBridge,
        transcript: Transcript,
        server_name: str,
        bundled: BundledServer | None,
        model_settings: ModelSettings,
        model_reason: str,
    ) -> None:
        self.agent = agent
        # The concrete model (`auto` resolved) and, when `auto` chose it, why.
        self.model_settings = model_settings
        self.model_reason = model_reason
        self.server_name = server_name
        self._bridge = bridge
        self._transcript = transcript
        self._bundled = bundled

    @property
    def server_url(self) -> str:
        """The server's URL now (a bundled server started again listens on a new port)."""
        return self._bridge.url

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
                self._transcript.tool_call(use["name"], use["input"])
            elif "toolResult" in block:
                result = block["toolResult"]
                name = tool_names.get(result["toolUseId"], "?")
                text = "\n".join(_content_text(item) for item in result["content"])
                # Strands itself may end a call (an unknown tool, bad input) before the bridge sees it.
                outcome = self._bridge.outcomes.pop(result["toolUseId"], None) or ToolOutcome(
                    name, result["status"], text.strip(), result["status"] == "success", text=text
                )
                outcomes.append(outcome)
                renderer.tool_result(outcome)
                self._transcript.tool_result(name, result["status"], text)
        return outcomes

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

    async def tools(self) -> list[tuple[str, str]]:
        """The server's tools as (name, first line of the description)."""
        listed = await self._bridge.list_tools()
        return [(tool.name, (tool.description or "").strip().split("\n", 1)[0]) for tool in listed]

    async def close(self) -> None:
        """Disconnect from the server and stop the bundled one. Safe to call twice."""
        try:
            await self._bridge.stop()
        finally:
            if self._bundled is not None:
                await self._bundled.stop()
                self._bundled = None


async def open_session(
    settings: AgentSettings,
    *,
    human: Human,
    review: SamplingReview | None,
    progress: ProgressView,
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
        human: Who answers elicitations (agent.human: FormHuman, ScriptedHuman or AbsentHuman).
        review: The sampling review used by the `ask` policy.
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
        target = resolve_server(settings, env)
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
    if target.bundled and bundled is None:
        status("starting trip-server…")
        bundled = await BundledServer.start()
    url = bundled.url if bundled is not None else target.url
    assert url is not None
    session: Session | None = None

    def agent_model() -> ModelSettings:
        return session.model_settings if session is not None else chosen

    def playback() -> PlaybackModel | None:
        # A playback script answers sampling too (its "sampling" list), as the contract says;
        # after /model the current agent model's script does.
        current = session.agent.model if session is not None else model
        return current if isinstance(current, PlaybackModel) else None

    sampler = Sampler(settings.sampling, agent_model, review, transcript, notify, playback=playback)
    bridge = McpBridge(
        target.name,
        url,
        human=human,
        sampler=sampler,
        progress=progress,
        transcript=transcript,
        notify=notify,
        headers=target.headers,
        token=target.token,
        revive=_reviver(bundled),
    )
    try:
        status(f"connecting to {target.name}…")
        await bridge.start()
        agent = Agent(
            model=model,
            tools=[bridge.tool_provider()],
            system_prompt=settings.system_prompt,
            callback_handler=None,
        )
    except BaseException:
        await bridge.stop()
        if bundled is not None:
            await bundled.stop()
        raise
    session = Session(
        agent=agent,
        bridge=bridge,
        transcript=transcript,
        server_name=target.name,
        bundled=bundled,
        model_settings=chosen,
        model_reason=reason,
    )
    return session


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

