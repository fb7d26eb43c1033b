"""The `playback:FILE` model: replays scripted turns so the agent runs offline and deterministically."""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from strands.models.model import Model
from strands.types.content import Messages
from strands.types.streaming import StreamEvent
from strands.types.tools import ToolSpec

from agent.errors import ConfigError, PlaybackExhausted
from agent.providers.local_prompt import IDENTIFIER

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

# In a scripted tool input, this string stands for the last id a tool returned (e.g. a reservation),
# which a script cannot know in advance.
LAST_ID = "$LAST_ID"
_FORMAT_HINT = (
    'expected {"turns": [{"text": TEXT} | {"tool_use": {"name": NAME, "input": {...}}}, ...], '
    '"sampling": [TEXT, ...]}'
)


class PlaybackModel(Model):
    """Each `stream` call replays the next turn; each `next_sampling_text` call the next sampling text.

    The queues are deques because sampling requests arrive on the MCP client's thread while the
    agent streams on its own, and deque.popleft is atomic.
    """

    def __init__(self, turns: list[dict[str, Any]], sampling: list[str], *, source: str = "playback") -> None:
        """Validate the script.

        Args:
            turns: `{"text": TEXT}` or `{"tool_use": {"name": NAME, "input": {...}}}` items.
            sampling: Texts that answer sampling requests, in order.
            source: Where the script came from, named in errors.

        Raises:
            ConfigError: The script is malformed.
        """
        self._source = source
        self._turns = deque(_check_turn(turn, index, source) for index, turn in enumerate(turns))
        if not all(isinstance(text, str) for text in sampling):
            raise ConfigError(f"playback file {source}: every 'sampling' item must be a string", hint=_FORMAT_HINT)
        self._sampling = deque(sampling)
        self._played = 0
        self.config: dict[str, Any] = {"model_id": f"playback:{source}"}

    @classmethod
    def from_file(cls, path: Path) -> PlaybackModel:
        """Load a playback script.

        Args:
            path: The JSON file.

        Returns:
            The model replaying it.

        Raises:
            ConfigError: The file is unreadable, not JSON, or not in the playback format.
        """
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            message = f"cannot read playback file {path}: {error.strerror}"
            raise ConfigError(message, hint="check the playback:FILE path") from error
        except json.JSONDecodeError as error:
            raise ConfigError(f"playback file {path} is not valid JSON: {error}", hint=_FORMAT_HINT) from error
        if not isinstance(document, dict) or not isinstance(document.get("turns"), list):
            raise ConfigError(f"playback file {path} has no 'turns' list", hint=_FORMAT_HINT)
        unknown = set(document) - {"turns", "sampling"}
        if unknown:
            raise ConfigError(f"playback file {path} has unknown keys: {', '.join(sorted(unknown))}", hint=_FORMAT_HINT)
        sampling = document.get("sampling", [])
        if not isinstance(sampling, list):
            raise ConfigError(f"playback file {path}: 'sampling' must be a list", hint=_FORMAT_HINT)
        return cls(document["turns"], sampling, source=str(path))

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        return self.config

    def structured_output(
        self, output_model: type[T], prompt: Messages, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, T | Any], None]:
        """Not scripted by the playback format, so it fails as soon as it is asked for.

        Raises:
            ConfigError: Always.
        """
        raise ConfigError("the playback model cannot produce structured output", hint="use --model bedrock:ID")

    async def stream(
        self,
        messages: Messages,
        tool_specs: list[ToolSpec] | None = None,
        system_prompt: str | None = None,
        **kwargs: Any,
    ) -> AsyncGenerator[StreamEvent, None]:
        """Replay the next turn as the events a real provider would stream.

        Raises:
            PlaybackExhausted: Every turn has been played.
        """
        try:
            turn = self._turns.popleft()
        except IndexError as error:
            raise PlaybackExhausted(
                f"playback file {self._source} has no turn left after {self._played}",
                hint="add turns to the playback file",
            ) from error
        self._played += 1
        logger.debug("turn=<%d>, source=<%s> | replaying playback turn", self._played, self._source)
        yield {"messageStart": {"role": "assistant"}}
        if "text" in turn:
            yield {"contentBlockStart": {"start": {}}}
            yield {"contentBlockDelta": {"delta": {"text": turn["text"]}}}
            stop_reason = "end_turn"
        else:
            tool_use = turn["tool_use"]
            tool_use_id = f"playback-{self._played}"
            arguments = _with_last_id(tool_use.get("input", {}), messages)
            yield {"contentBlockStart": {"start": {"toolUse": {"name": tool_use["name"], "toolUseId": tool_use_id}}}}
            yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(arguments)}}}}
            stop_reason = "tool_use"
        yield {"contentBlockStop": {}}
        yield {"messageStop": {"stopReason": stop_reason}}
        # Nothing is generated, so nothing is counted.
        usage = {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0}
        yield {"metadata": {"usage": usage, "metrics": {"latencyMs": 0}}}

    def next_sampling_text(self) -> str:
        """The next scripted answer to a sampling request.

        Raises:
            PlaybackExhausted: Every sampling text has been used.
        """
        try:
            return self._sampling.popleft()
        except IndexError as error:
            raise PlaybackExhausted(
                f"playback file {self._source} has no sampling text left",
                hint="add texts to the playback file's 'sampling' list",
            ) from error


def _check_turn(turn: Any, index: int, source: str) -> dict[str, Any]:
    where = f"playback file {source}, turn {index + 1}"
    if not isinstance(turn, dict) or len(turn) != 1 or not ({"text", "tool_use"} & set(turn)):
        raise ConfigError(f"{where}: a turn is exactly one of 'text' or 'tool_use'", hint=_FORMAT_HINT)
    if "text" in turn:
        if not isinstance(turn["text"], str):
            raise ConfigError(f"{where}: 'text' must be a string", hint=_FORMAT_HINT)
        return turn
    tool_use = turn["tool_use"]
    if not isinstance(tool_use, dict) or not isinstance(tool_use.get("name"), str) or set(tool_use) - {"name", "input"}:
        message = f"{where}: 'tool_use' needs a string 'name' and an optional 'input' object"
        raise ConfigError(message, hint=_FORMAT_HINT)
    if not isinstance(tool_use.get("input", {}), dict):
        raise ConfigError(f"{where}: 'tool_use.input' must be an object", hint=_FORMAT_HINT)
    return turn


def _with_last_id(arguments: dict[str, Any], messages: Messages) -> dict[str, Any]:
    """The arguments with each LAST_ID value replaced by the last identifier in the tool results so far."""
    if LAST_ID not in arguments.values():
        return arguments
    texts = [
        item["text"]
        for message in messages
        for block in message["content"]
        if "toolResult" in block
        for item in block["toolResult"]["content"]
        if "text" in item
    ]
    found = [match.group() for text in texts for match in IDENTIFIER.finditer(text)]
    last = found[-1] if found else LAST_ID
    return {name: last if value == LAST_ID else value for name, value in arguments.items()}
