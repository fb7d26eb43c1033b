"""The interactive prompt: conversation turns, slash commands, Ctrl-C to cancel a turn.

The prompt is drawn before strands, boto3 and fastmcp are imported: the session is opened
(agent/ui/wiring.py) behind the first prompt; a turn waits for it only when it is submitted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from platformdirs import user_data_dir
from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.history import FileHistory
from prompt_toolkit.input import Input, create_input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys
from prompt_toolkit.output import Output, create_output

from agent.server_process import needs_bundled
from agent.ui.layout import StreamWrap, outcome_lines, two_columns, wrap
from agent.ui.progress import ProgressView
from agent.ui.wiring import open_terminal_session

if TYPE_CHECKING:
    from agent.app import Session
    from agent.config import AgentSettings
    from agent.outcomes import ToolOutcome
    from agent.transcript import Transcript

logger = logging.getLogger(__name__)

PROMPT = "> "
KEYS = "Enter sends · Esc-Enter or Alt-Enter: new line · Ctrl-C cancels a turn · Ctrl-D quits · /help"
HELP = (
    ("/help", "this list"),
    ("/tools", "each server's tools (as the model calls them)"),
    ("/model [SPEC]", "show the model, or switch to SPEC (bedrock:ID, anthropic:ID, openai:ID, ollama:ID, local, playback:FILE)"),
    ("/reset", "forget the conversation"),
    ("/save FILE", "save the session as a transcript (JSON Lines; `trip-agent replay FILE` shows it)"),
    ("/quit", "leave (Ctrl-D too)"),
)


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Tools:
    pass


@dataclass(frozen=True)
class SwitchModel:
    spec: str | None


@dataclass(frozen=True)
class Reset:
    pass


@dataclass(frozen=True)
class Save:
    path: Path


@dataclass(frozen=True)
class Quit:
    pass


@dataclass(frozen=True)
class Unknown:
    hint: str


Command = Help | Tools | SwitchModel | Reset | Save | Quit | Unknown


def parse_command(text: str) -> Command | None:
    """The slash command in `text`, or None when it is a message for the agent."""
    if not text.startswith("/"):
        return None
    name, _, rest = text.partition(" ")
    rest = rest.strip()
    simple: dict[str, Command] = {"/help": Help(), "/tools": Tools(), "/reset": Reset(), "/quit": Quit()}
    if name in simple:
        return simple[name] if not rest else Unknown(f"{name} takes no argument")
    if name == "/model":
        return SwitchModel(rest or None)
    if name == "/save":
        return Save(Path(rest).expanduser()) if rest else Unknown("/save needs a file: /save FILE")
    return Unknown(f"unknown command {shlex.quote(name)}; /help lists the commands")


def default_history_path() -> Path:
    return Path(user_data_dir("trip-agent", appauthor=False)) / "history"


class _Printer:
    """Writes the conversation (streamed text, tool lines, notices) around the progress line,
    wrapped between words at the terminal's width."""

    def __init__(self, stream: TextIO, progress: ProgressView, columns: Callable[[], int]) -> None:
        self._stream = stream
        self._progress = progress
        self._columns = columns
        self._at_line_start = True
        self._flow: StreamWrap | None = None  # the reply being streamed, until the next other output

    def assistant_text(self, delta: str) -> None:
        self._progress.done()
        if self._flow is None:
            self._flow = StreamWrap(self.width)
        self._write(self._flow.feed(delta))

    def tool_call(self, name: str, input: dict[str, Any]) -> None:
        self.line(f"→ {name} {json.dumps(input, ensure_ascii=False)}")

    def tool_result(self, outcome: ToolOutcome) -> None:
        self.lines(outcome_lines(outcome, self.width))

    @property
    def width(self) -> int:
        # One cell short: a line filling the last column makes some terminals wrap an empty row.
        return max(self._columns() - 1, 20)

    def line(self, text: str) -> None:
        self.lines(wrap(text, self.width))

    def lines(self, lines: list[str]) -> None:
        self._end_flow()
        self._progress.done()
        if not self._at_line_start:
            self._write("\n")
        self._write("".join(line + "\n" for line in lines))

    def end_turn(self) -> None:
        self._end_flow()
        self._progress.done()
        if not self._at_line_start:
            self._write("\n")

    def _end_flow(self) -> None:
        if self._flow is not None:
            self._write(self._flow.flush())
            self._flow = None

    def _write(self, text: str) -> None:
        if text:
            self._stream.write(text)
            self._stream.flush()
            self._at_line_start = text.endswith("\n")


class Repl:
    """The interactive session; `run()` returns the exit status."""

    def __init__(
        self,
        settings: AgentSettings,
        transcript: Transcript,
        *,
        input: Input | None = None,
        output: Output | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self._settings = settings
        self._transcript = transcript
        self._input = input or create_input()
        self._stream = stream or sys.stdout
        self._output = output or create_output(stdout=self._stream)
        self._progress = ProgressView(self._stream, interactive=self._stream.isatty())
        self._printer = _Printer(self._stream, self._progress, lambda: self._output.get_size().columns)
        self._session: Session | None = None
        self._prompt: PromptSession[str] | None = None
        self._opening: asyncio.Task[Session]
        self._status = ""  # what is loading now, shown in the toolbar

    async def run(self) -> int:
        """Prompt until /quit or Ctrl-D.

        Returns:
            0, or 1 (2 for a configuration error) when the session could never be opened.
        """
        history_path = self._settings.history_file or default_history_path()
        history_path.parent.mkdir(parents=True, exist_ok=True)
        self._prompt = prompt = PromptSession(
            input=self._input,
            output=self._output,
            history=FileHistory(str(history_path)),
            key_bindings=_newline_keys(),
            bottom_toolbar=self._toolbar,
        )
        self._banner()
        self._status = self._loading_status()  # already on the first drawing of the toolbar
        drawn = asyncio.Event()
        # Loading starts once the first prompt is on screen: the imports hold the GIL and would
        # otherwise delay the very drawing they are deferred for.
        prompt.app.after_render += lambda app: drawn.set()
        self._opening = asyncio.create_task(self._open(drawn))
        kept = ""  # a message that could not be sent yet, offered again at the next prompt
        try:
            while True:
                try:
                    text = (await prompt.prompt_async(PROMPT, default=kept)).strip()
                except KeyboardInterrupt:  # Ctrl-C at the prompt clears the line
                    kept = ""
                    continue
                except EOFError:
                    return self._exit_status()
                kept = ""
                if not text:
                    continue
                command = parse_command(text)
                if isinstance(command, Quit):
                    return self._exit_status()
                if self._answer_locally(command):
                    continue
                session = await self._ready()
                if session is None:
                    kept = text if command is None else ""
                    continue
                if command is None:
                    await self._turn(session, text)
                else:
                    await self._command(session, command)
        finally:
            await self._close(self._opening)

    def _answer_locally(self, command: Command | None) -> bool:
        """Commands that need neither the model nor the server answer at once, even while loading."""
        match command:
            case Help():
                self._printer.lines(two_columns(HELP, self._printer.width))
            case Unknown(hint=hint):
                self._printer.line(hint)
            case SwitchModel(spec=None) if self._session is None:
                self._printer.line(f"model: {self._settings.model.spec} ({self._status or 'not loaded'})")
            case _:
                return False
        return True

    async def _ready(self) -> Session | None:
        """The session, opening it again if the last attempt failed; None (said) when it cannot open."""
        if self._opening.done() and (self._opening.cancelled() or self._opening.exception() is not None):
            self._opening = asyncio.create_task(self._open(None))
        if not self._opening.done():  # the toolbar goes with the prompt: say what the message waits for
            self._printer.line(f"(waiting: {self._status or 'loading…'})")
        try:
            return await self._opening
        except Exception as error:
            self._report(error)
            return None

    def _exit_status(self) -> int:
        from agent.errors import ConfigError

        if self._session is not None or not self._opening.done() or self._opening.cancelled():
            return 0
        error = self._opening.exception()
        return 0 if error is None else 2 if isinstance(error, ConfigError) else 1

    def _banner(self) -> None:
        server = self._settings.server
        where = [server.url or (server.agentcore_arn and f"AgentCore {server.agentcore_arn}") or ""]
        where = [name for name in [*where, *self._settings.servers] if name] or ["bundled trip-server"]
        label = "server" if len(where) == 1 else "servers"
        self._printer.line(f"trip-agent · model {self._settings.model.spec} · {label} {', '.join(where)}")
        self._printer.line(KEYS)

    def _loading_status(self) -> str:
        return "starting trip-server… · loading the agent…" if needs_bundled(self._settings) else "loading the agent…"

    def _toolbar(self) -> str:
        if self._status:
            return f" {self._status}"
        if self._session is None:
            return " not connected: type a message to try again · Ctrl-D quits"
        return f" model {self._session.model_settings.spec} · server {self._session.server_name}"

    def _set_status(self, text: str) -> None:
        self._status = text
        if self._prompt is not None and self._prompt.app.is_running:
            self._prompt.app.invalidate()

    async def _open(self, drawn: asyncio.Event | None) -> Session:
        try:
            self._set_status(self._loading_status())
            if drawn is not None:
                await drawn.wait()
            self._session, _ = await open_terminal_session(
                self._settings,
                self._transcript,
                progress=self._progress,
                notify=self._notify,
                terminal=True,
                input=self._input,
                output=self._output,
                status=self._set_status,
            )
        except Exception as error:
            self._set_status("")
            if drawn is not None:  # the first attempt fails before any turn: say so now, above the prompt
                await self._print_above_prompt(lambda: self._report(error))
            raise
        self._set_status("")
        if self._session.model_reason:  # what `auto` chose, and why, as soon as it is known
            label = self._session.model_label
            await self._print_above_prompt(lambda: self._printer.line(f"model: {label}"))
        return self._session

    def _report(self, error: Exception) -> None:
        if getattr(error, "_reported", False):
            return
        error._reported = True  # type: ignore[attr-defined]
        logger.debug("startup failed", exc_info=error)
        self._printer.line(f"trip-agent: {error}")
        self._printer.line("(the REPL goes on: a message tries again; Ctrl-D quits)")
        self._transcript.error(str(error))

    def _notify(self, text: str) -> None:
        if self._prompt is not None and self._prompt.app.is_running:
            asyncio.ensure_future(self._print_above_prompt(lambda: self._printer.line(text)))
        else:
            self._printer.line(text)

    async def _print_above_prompt(self, show: Callable[[], None]) -> None:
        """Print while the prompt is on screen (it is drawn again below), or just print."""
        if self._prompt is not None and self._prompt.app.is_running:
            await run_in_terminal(show)
        else:
            show()

    async def _turn(self, session: Session, text: str) -> None:
        task = asyncio.create_task(session.run_turn(text, self._printer))

        # Outside a prompt nobody reads the keyboard: watch for Ctrl-C ourselves. A form or review
        # prompt opened by the turn attaches on top of this reader and takes the keys meanwhile.
        def on_keys() -> None:
            if any(press.key == Keys.ControlC for press in self._input.read_keys()):
                task.cancel()

        with self._input.raw_mode(), self._input.attach(on_keys):
            await asyncio.wait({task})
        self._printer.end_turn()
        if task.cancelled():
            self._printer.line("(turn cancelled)")
            return
        result = task.result()
        if result.error is not None:
            self._printer.line(f"error: {result.error}")

    async def _command(self, session: Session, command: Command) -> None:
        from agent.errors import TripAgentError

        match command:
            case Tools():
                try:
                    tools = await session.tools()
                except TripAgentError as error:
                    self._printer.line(f"error: {error}")
                else:
                    for server, listed in tools:
                        self._printer.line(f"{server}: {len(listed)} tools")
                        self._printer.lines(two_columns(listed, self._printer.width))
            case SwitchModel(spec=None):
                self._printer.line(f"model: {session.model_label}")
            case SwitchModel(spec=spec):
                try:
                    session.switch_model(spec)
                except TripAgentError as error:
                    self._printer.line(f"error: {error}")
                else:
                    self._printer.line(f"model: {session.model_label} (conversation kept)")
            case Reset():
                session.reset()
                self._printer.line("conversation cleared")
            case Save(path=path):
                try:
                    session.save(path)
                except OSError as error:
                    self._printer.line(f"error: cannot write {path}: {error.strerror}")
                else:
                    self._printer.line(f"saved to {path} (replay it with `trip-agent replay {path}`)")

    async def _close(self, opening: asyncio.Task[Session]) -> None:
        if not opening.done():
            opening.cancel()
        await asyncio.wait({opening})
        if self._session is not None:
            await self._session.close()


def _newline_keys() -> KeyBindings:
    bindings = KeyBindings()

    # Alt-Enter arrives as Esc followed by Enter, so one binding serves both.
    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return bindings
