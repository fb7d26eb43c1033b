"""What the form and the sampling review share: reading a typed choice, and the keys that leave a prompt."""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent


def read_choice(text: str, choices: dict[str, str], *, enter: str | None = None) -> str | None:
    """The choice a typed letter or word names ("s" or "send"), `enter` for Enter alone, else None."""
    word = text.strip().lower()
    if not word and enter is not None:
        return enter
    return choices.get(word) or (word if word in choices.values() else None)


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
