"""What the form, the sampling review and the URL prompt share: asking for a typed choice, and the keys that leave a prompt."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from agent.ui.checked_prompt import CheckedPrompt

if TYPE_CHECKING:
    from agent.url_elicitation import Action


def read_choice(text: str, choices: dict[str, str], *, enter: str | None = None) -> str | None:
    """The choice a typed letter or word names ("s" or "send"), `enter` for Enter alone, else None."""
    word = text.strip().lower()
    if not word and enter is not None:
        return enter
    return choices.get(word) or (word if word in choices.values() else None)


async def ask_choice(prompt: CheckedPrompt, message: str, choices: dict[str, str], *, refusal: str) -> str:
    """The chosen word; Enter lets only a known choice through, showing `refusal` otherwise."""
    text = await prompt.ask(message, check=lambda text: None if read_choice(text, choices) else refusal)
    choice = read_choice(text, choices)
    assert choice is not None  # the check let only a choice through
    return choice


class Left(Exception):
    """The human declined or cancelled; unwinds from whichever prompt was open."""

    def __init__(self, action: Action) -> None:
        super().__init__(action)
        self.action = action


def decline_cancel_bindings() -> KeyBindings:
    """Ctrl-X declines, Ctrl-C (or a SIGINT) cancels: each raises Left."""
    return leave_bindings(ctrl_x=lambda: Left("decline"), ctrl_c=lambda: Left("cancel"))


def leave_bindings(*, ctrl_x: Callable[[], Exception], ctrl_c: Callable[[], Exception]) -> KeyBindings:
    """Ctrl-X and Ctrl-C end the open prompt by raising what the caller makes of each key."""
    bindings = KeyBindings()

    # eager: Emacs mode also uses Ctrl-X as a prefix (Ctrl-X Ctrl-E, ...), which
    # would otherwise make the key wait for a second keystroke.
    @bindings.add("c-x", eager=True)
    def _ctrl_x(event: KeyPressEvent) -> None:
        event.app.exit(exception=ctrl_x())

    # A SIGINT delivered as a signal (not as a key) must leave too, not raise KeyboardInterrupt.
    @bindings.add("c-c", eager=True)
    @bindings.add("<sigint>")
    def _ctrl_c(event: KeyPressEvent) -> None:
        event.app.exit(exception=ctrl_c())

    return bindings
