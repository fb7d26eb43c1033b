"""The terminal's consent prompt for a server's URL request: the page is opened only if the human says so.

It shows which server asks, its message, the full URL with the site (domain and port) highlighted,
and where the site is; then asks: open it in the system browser, print it for copying, decline, or
cancel. What happened is said plainly, including when no browser could be started (no display).
"""

from __future__ import annotations

import asyncio
import os
import sys
import webbrowser
from collections.abc import Callable

from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from prompt_toolkit.shortcuts import print_formatted_text
from prompt_toolkit.styles import Style

from agent.ui.checked_prompt import CheckedPrompt
from agent.ui.choices import Left, ask_choice, decline_cancel_bindings
from agent.url_elicitation import Action, UrlRequest

KEYS_HINT = "Ctrl-X: decline · Ctrl-C: cancel · nothing opens unless you choose o"
CHOICES = {"o": "open", "p": "print", "d": "decline", "c": "cancel"}
QUESTION = "[o]pen in your browser / [p]rint the link / [d]ecline / [c]ancel > "
_STYLE = Style.from_dict({"domain": "bold reverse", "url": "underline"})

Opener = Callable[[str], str | None]  # opens a URL; None once a browser took it, else why not


def open_in_browser(url: str) -> str | None:
    """Hand `url` to the system browser (Python's webbrowser, which honours $BROWSER).

    Returns None once a browser accepted it, else why none could.
    """
    graphical = sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if not graphical and not os.environ.get("BROWSER"):
        # webbrowser would fall back to a text browser (lynx, w3m) that takes over this terminal.
        return "no graphical display here (DISPLAY is not set) and no $BROWSER"
    try:
        opened = webbrowser.open(url, new=2)
    except webbrowser.Error as error:
        return f"no browser could be started ({error})"
    return None if opened else "no browser could be started"


class UrlPrompt:
    """Asks the human whether to open a page a server sent; never opens one without that consent."""

    def __init__(self, *, input: Input | None = None, output: Output | None = None, opener: Opener = open_in_browser) -> None:
        self._input = input
        self._output = output
        self._opener = opener

    async def ask(self, request: UrlRequest) -> Action:
        """Show the request and return what the server should hear. Never raises: a closed input cancels."""
        prompt = CheckedPrompt(input=self._input, output=self._output, key_bindings=decline_cancel_bindings())
        output = prompt.session.app.output
        prompt.say(f"── {request.server} asks you to open a web page ── ({KEYS_HINT})")
        if request.message:
            prompt.say(request.message)
        print_formatted_text(
            FormattedText([("", "  "), ("class:url", request.before), ("class:domain", request.domain), ("class:url", request.after)]),
            output=output,
            style=_STYLE,
        )
        where = "this computer" if request.loopback else "a web site, not this computer"
        print_formatted_text(
            FormattedText([("", "  site: "), ("class:domain", request.domain), ("", f" ({where})")]), output=output, style=_STYLE
        )
        try:
            choice = await ask_choice(prompt, QUESTION, CHOICES, refusal="type o, p, d or c")
        except Left as left:
            choice = left.action
        except EOFError:
            prompt.say("Input closed; cancelled, nothing was opened.")
            return "cancel"
        if choice in ("decline", "cancel"):
            prompt.say(f"{'Declined' if choice == 'decline' else 'Cancelled'}; nothing was opened.")
            return choice  # type: ignore[return-value]
        if choice == "open":
            problem = await asyncio.to_thread(self._opener, request.url)
            if problem is None:
                prompt.say("Opened in your browser.")
            else:
                prompt.say(f"Not opened: {problem}. Open this link yourself:")
                prompt.say(request.url)  # alone on its line, unwrapped, to copy whole
        else:
            prompt.say("Open this link in your browser:")
            prompt.say(request.url)
        prompt.say(f"{request.server} was told you agreed; it goes on once the page is done (Ctrl-C stops the turn).")
        return "accept"
