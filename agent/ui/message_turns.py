"""`trip-agent --message`: each message is one turn; replies go to stdout, tool activity and notices to stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.ui.progress import ProgressView
from agent.ui.wiring import open_terminal_session

if TYPE_CHECKING:
    from agent.config import AgentSettings
    from agent.outcomes import ToolOutcome
    from agent.transcript import Transcript


class _StdoutRenderer:
    """Non-interactive output: assistant text on stdout, tool activity on stderr (through `say`)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say

    def assistant_text(self, delta: str) -> None:
        sys.stdout.write(delta)
        sys.stdout.flush()

    def tool_call(self, name: str, input: dict[str, Any]) -> None:
        self._say(f"calling {name}")

    def tool_result(self, outcome: ToolOutcome) -> None:
        # The server's own account, whole: the reservation id is here even if the model never repeats it.
        self._say(outcome.summary())


async def run_messages(
    settings: AgentSettings, messages: list[str], answers: Path | None, transcript: Transcript, *, say: Callable[[str], None]
) -> bool:
    """Run each message as one turn; elicitations go to --answers, a terminal, or are cancelled.

    Args:
        say: Shows one line on stderr, the command's name before it.

    Returns:
        True when every turn completed, no tool call failed or was stopped by a declined or cancelled
        question, and every elicitation was answered from the script.

    Raises:
        TripAgentError: The answers file is invalid, or the session cannot be opened.
    """
    session, scripted = await open_terminal_session(
        settings,
        transcript,
        progress=ProgressView(sys.stderr, interactive=sys.stderr.isatty()),
        notify=say,
        terminal=sys.stdin.isatty(),
        answers=answers,
    )
    if session.model_reason:
        say(f"model {session.model_label}")
    succeeded = True
    try:
        for text in messages:
            result = await session.run_turn(text, _StdoutRenderer(say))
            if result.text and not result.text.endswith("\n"):
                sys.stdout.write("\n")
            if result.error is not None:
                say(result.error)
                succeeded = False
                break
            if not all(outcome.completed for outcome in result.outcomes):
                succeeded = False
    finally:
        await session.close()
    for error in scripted.errors if scripted else []:
        say(error)
        succeeded = False
    return succeeded
