"""The `playback:FILE` model: replays scripted turns so the agent runs offline and deterministically."""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Discriminator, StrictStr, Tag, ValidationError
from pydantic_core import ErrorDetails
from strands.models.model import Model
from strands.types.content import Messages
from strands.types.streaming import StreamEvent
from strands.types.tools import ToolSpec

from agent.config import ModelSettings, SamplingSettings
from agent.errors import ConfigError, PlaybackExhausted
from agent.file_format import FileFormat
from agent.providers.local_prompt import IDENTIFIER
from agent.sampling import SamplingAnswer, SamplingRequest

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

# In a scripted tool input, this string stands for the last id a tool returned (e.g. a reservation),
# which a script cannot know in advance.
LAST_ID = "$LAST_ID"
_FORMAT_HINT = (
    'expected {"turns": [{"text": TEXT} | {"tool_use": {"name": NAME, "input": {...}}}, ...], '
    '"sampling": [TEXT, ...]}'
)


class TextTurn(FileFormat):
    text: StrictStr


class ToolUse(FileFormat):
    name: StrictStr
    input: dict[str, Any] = {}


class ToolUseTurn(FileFormat):
    tool_use: ToolUse


def _turn_kind(turn: Any) -> str | None:
    """Which kind of turn this is: a file's turn must have exactly one key, text or tool_use."""
    if isinstance(turn, dict):
        return next(iter(turn)) if len(turn) == 1 and {"text", "tool_use"} & set(turn) else None
    return "text" if isinstance(turn, TextTurn) else "tool_use" if isinstance(turn, ToolUseTurn) else None


Turn = Annotated[
    Annotated[TextTurn, Tag("text")] | Annotated[ToolUseTurn, Tag("tool_use")],
    Discriminator(_turn_kind, custom_error_type="turn_kind", custom_error_message="a turn is exactly one of 'text' or 'tool_use'"),
]


class PlaybackScript(FileFormat):
    """A playback file as written."""

    turns: list[Turn]
    sampling: list[StrictStr] = []


class PlaybackModel(Model):
    """Each `stream` call replays the next turn; each `next_sampling_text` call the next sampling text.

    The queues are deques because sampling requests arrive on the MCP client's thread while the
    agent streams on its own, and deque.popleft is atomic.
    """

    def __init__(self, turns: list[dict[str, Any] | TextTurn | ToolUseTurn], sampling: list[str], *, source: str = "playback") -> None:
        """Validate the script.

        Args:
            turns: `{"text": TEXT}` or `{"tool_use": {"name": NAME, "input": {...}}}` items, or their models.
            sampling: Texts that answer sampling requests, in order.
            source: Where the script came from, named in errors.

        Raises:
            ConfigError: The script is malformed.
        """
        script = _script({"turns": turns, "sampling": sampling}, source)
        self._source = source
        self._turns = deque(script.turns)
        self._sampling = deque(script.sampling)
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
        script = _script(document, str(path))
        return cls(script.turns, script.sampling, source=str(path))

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
        if isinstance(turn, TextTurn):
            yield {"contentBlockStart": {"start": {}}}
            yield {"contentBlockDelta": {"delta": {"text": turn.text}}}
            stop_reason = "end_turn"
        else:
            tool_use_id = f"playback-{self._played}"
            arguments = _with_last_id(turn.tool_use.input, messages)
            yield {"contentBlockStart": {"start": {"toolUse": {"name": turn.tool_use.name, "toolUseId": tool_use_id}}}}
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


class PlaybackSampling:
    """A playback script answering sampling requests from its "sampling" list, whatever model was chosen:
    the sampling.SamplingModel of a session whose agent model is a playback script."""

    def __init__(self, model: PlaybackModel) -> None:
        self._model = model

    def choose(self, request: SamplingRequest, settings: SamplingSettings, agent_model: ModelSettings) -> ModelSettings:
        return agent_model  # the script answers whatever the hints ask for, so the hint map is not read

    def name(self, chosen: ModelSettings) -> str:
        return self._model.get_config()["model_id"]

    async def answer(self, request: SamplingRequest, chosen: ModelSettings) -> SamplingAnswer:
        """The script's next sampling text.

        Raises:
            PlaybackExhausted: Every sampling text has been used.
        """
        return SamplingAnswer(model=self.name(chosen), text=self._model.next_sampling_text(), stop_reason="endTurn")


def _script(document: Any, source: str) -> PlaybackScript:
    """The script a playback document holds.

    Raises:
        ConfigError: One sentence for the first problem, in the order a reader checks the file.
    """
    try:
        return PlaybackScript.model_validate(document)
    except ValidationError as error:
        raise ConfigError(_problem(error.errors(), source), hint=_FORMAT_HINT) from error


def _problem(errors: list[ErrorDetails], source: str) -> str:
    def rank(error: ErrorDetails) -> tuple[int, int]:
        loc = error["loc"]
        if not loc or loc == ("turns",):
            return (0, 0)
        if error["type"] == "extra_forbidden" and len(loc) == 1:
            return (1, 0)
        if loc == ("sampling",):
            return (2, 0)
        if loc[0] == "turns":  # within a turn, a bad name or key before a bad input
            return (3, int(loc[1]) * 2 + (loc[-1] == "input"))
        return (4, 0)

    first = min(errors, key=rank)
    loc = first["loc"]
    if rank(first)[0] == 0:
        return f"playback file {source} has no 'turns' list"
    if rank(first)[0] == 1:
        unknown = sorted(str(error["loc"][0]) for error in errors if rank(error)[0] == 1)
        return f"playback file {source} has unknown keys: {', '.join(unknown)}"
    if rank(first)[0] == 2:
        return f"playback file {source}: 'sampling' must be a list"
    if rank(first)[0] == 4:
        return f"playback file {source}: every 'sampling' item must be a string"
    where = f"playback file {source}, turn {int(loc[1]) + 1}"
    if len(loc) == 2:
        return f"{where}: {first['msg']}"
    if loc[2] == "text":
        return f"{where}: 'text' must be a string"
    if loc[-1] == "input":
        return f"{where}: 'tool_use.input' must be an object"
    return f"{where}: 'tool_use' needs a string 'name' and an optional 'input' object"


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
