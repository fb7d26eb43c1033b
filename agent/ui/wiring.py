"""The terminal's session, wired in this one place for the REPL and for `--message` turns: who answers
the servers' questions (the form and consent prompt, an `--answers` script, or nobody), who reviews
their sampling requests, and where tool progress goes.

agent.app (strands, boto3, fastmcp: ~2 s) is imported only when a session is opened, in a thread
while the bundled server starts, so the REPL's first prompt is drawn before it loads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from agent.server_process import import_beside_server
from agent.tool_progress import ToolProgress

if TYPE_CHECKING:
    from agent.app import Session
    from agent.config import AgentSettings
    from agent.human import ScriptedHuman
    from agent.transcript import Transcript


async def open_terminal_session(
    settings: AgentSettings,
    transcript: Transcript,
    *,
    progress: ToolProgress,
    notify: Callable[[str], None],
    terminal: bool,
    answers: Path | None = None,
    input: Input | None = None,
    output: Output | None = None,
    status: Callable[[str], None] = lambda text: None,
) -> tuple[Session, ScriptedHuman | None]:
    """Open the session, the bundled server started beside the import of agent.app.

    Args:
        settings: The merged settings.
        transcript: Where events are recorded.
        progress: Where tool progress is drawn.
        notify: Shows a one-line notice to the user.
        terminal: A person is at the keyboard: forms and the sampling review can be shown.
        answers: An `--answers` file: it answers the questions instead of the person (or of nobody).
        input: The keyboard the forms and reviews read (None: the process's own).
        output: Where they draw (None: the process's own).
        status: Told what is loading now.

    Returns:
        The open session, and the answers script when `answers` was given (its `errors` fail the run).

    Raises:
        TripAgentError: The credentials, the answers file, the model or a server cannot be used.
    """
    from agent.providers.bedrock_errors import check_bedrock_credentials

    await asyncio.to_thread(check_bedrock_credentials, settings.model)
    open_session, bundled = await import_beside_server(settings, _load_open_session)
    # Already imported with agent.app: these cost nothing now, and would have delayed the first prompt before.
    from agent.human import AbsentHuman, Human, ScriptedHuman
    from agent.ui.forms import ElicitationForm
    from agent.ui.review import SamplingReview
    from agent.ui.terminal_human import FormHuman
    from agent.ui.url_prompt import UrlPrompt

    try:
        scripted = ScriptedHuman.from_file(answers, notify=notify) if answers else None
    except BaseException:
        if bundled is not None:
            await bundled.stop()
        raise
    human: Human
    if scripted is not None:
        human = scripted
    elif terminal:
        human = FormHuman(ElicitationForm(input=input, output=output), UrlPrompt(input=input, output=output))
    else:
        human = AbsentHuman(notify)
    session = await open_session(
        settings,
        human=human,
        review=SamplingReview(input=input, output=output) if terminal else None,
        progress=progress,
        transcript=transcript,
        notify=notify,
        bundled=bundled,
        status=status,
    )
    return session, scripted


def _load_open_session() -> Callable[..., Awaitable[Session]]:
    from agent.app import open_session

    return open_session
