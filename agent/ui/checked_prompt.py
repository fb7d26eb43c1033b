"""A one-line prompt whose refusal is shown beside the typed text, not in a bar at the screen's bottom.

prompt-toolkit draws a validator's error in a toolbar under its whole layout, and in a real
terminal (one that reports the cursor position) that layout stretches to the bottom of the
screen: the error lands up to a screenful below the field being edited. So Enter checks the text
itself and the refusal is drawn after the input, where the eye already is.
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit import PromptSession
from prompt_toolkit.filters import Condition, is_searching, is_true
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from prompt_toolkit.layout.processors import AfterInput
from prompt_toolkit.output import Output
from prompt_toolkit.shortcuts import print_formatted_text
from prompt_toolkit.styles import Style

Check = Callable[[str], str | None]  # why the text cannot be accepted, or None

_STYLE = Style.from_dict({"refusal": "fg:ansired"})


class CheckedPrompt:
    """One prompt-toolkit session for a dialogue: checked one-line answers, free multi-line edits, and notes."""

    def __init__(self, *, input: Input | None, output: Output | None, key_bindings: KeyBindings) -> None:
        self._check: Check | None = None
        self._refused: tuple[str, str] | None = None  # (the text refused, why)
        self.session: PromptSession[str] = PromptSession(
            input=input,
            output=output,
            key_bindings=merge_key_bindings([key_bindings, self._enter_binding()]),
            input_processors=[AfterInput(self._refusal)],
            style=_STYLE,
        )

    async def ask(self, message: str, *, check: Check, default: str = "") -> str:
        """One line, accepted by Enter only once `check` finds nothing wrong with it."""
        self._check, self._refused = check, None
        return await self.session.prompt_async(message, default=default, multiline=False)

    async def edit(self, message: str, text: str) -> str:
        """Free multi-line text (Esc then Enter finishes), unchecked."""
        self._check, self._refused = None, None
        return await self.session.prompt_async(message, default=text, multiline=True)

    def say(self, text: str) -> None:
        print_formatted_text(text, output=self.session.app.output)

    def _enter_binding(self) -> KeyBindings:
        bindings = KeyBindings()
        one_line = Condition(lambda: not is_true(self.session.multiline))

        @bindings.add("enter", filter=one_line & ~is_searching)
        def _enter(event: KeyPressEvent) -> None:
            buffer = event.current_buffer
            problem = self._check(buffer.text) if self._check else None
            if problem:
                self._refused = (buffer.text, problem)
            else:
                buffer.validate_and_handle()

        return bindings

    def _refusal(self) -> StyleAndTextTuples:
        # Shown only while the text is the one refused: typing a correction clears it.
        if self._refused is None or self._refused[0] != self.session.default_buffer.text:
            return []
        return [("class:refusal", f"  ✗ {self._refused[1]}")]
