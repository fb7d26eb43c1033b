"""URL-mode elicitation: a server asks the human to open a web page (payment, sign-in) outside the agent.

The URL and its message are untrusted. Before any human sees them: the message loses escape
sequences and invisible characters (as sampled text does on the server), and the URL must be
printable ASCII (a real domain in its punycode form, so no look-alike letters), without a user
name (https://bank.example@evil.example), and https, or http only on this computer (127.0.0.1,
localhost, [::1]). A URL that fails is refused with the reason and declined to the server. Who
answers the rest (the terminal's consent prompt, an --answers script, nobody) is the Human.
Nothing here opens the URL: only the human's explicit choice does (agent/ui/url_prompt.py).
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import mcp_types

from mcp_server.recommendations import strip_invisible

if TYPE_CHECKING:
    from agent.human import Human
    from agent.transcript import Transcript


Action = Literal["accept", "decline", "cancel"]
MAX_URL_CHARS = 2048  # what every browser takes; longer is a smuggling attempt, not a link
LOOPBACK_NAMES = ("localhost",)
# Letters, digits and hyphens between dots: what DNS names are (browsers would read a "\\" as a "/").
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?")


@dataclass(frozen=True)
class UrlRequest:
    """A checked URL request: the server, its cleaned message, and the URL split for display.

    `url` == `before + domain + after`; `domain` is the host (and port) to highlight.
    """

    server: str
    message: str
    url: str
    before: str
    domain: str
    after: str
    loopback: bool  # the page is on this computer


class UrlRefused(ValueError):
    """A URL the agent will not show as openable; str() says why, for the human."""


def clean_message(text: str) -> str:
    """The server's message without escape sequences or invisible characters, blank lines folded."""
    lines = [" ".join(line.split()) for line in strip_invisible(text).split("\n")]
    return "\n".join(line for line in lines if line).strip()


def check_url(server: str, message: str, url: str) -> UrlRequest:
    """The request, ready to show.

    Raises:
        UrlRefused: the URL is not one the agent offers to open; the message says why.
    """
    if not url or len(url) > MAX_URL_CHARS:
        raise UrlRefused(f"the link is empty or longer than {MAX_URL_CHARS} characters")
    if not url.isascii() or not url.isprintable() or any(char.isspace() for char in url):
        raise UrlRefused(
            "the link holds characters a URL cannot (control, invisible, spaces or non-ASCII letters; "
            "an international domain must be sent in its xn-- form)"
        )
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port  # .port raises ValueError for a bad port
    except ValueError as error:
        raise UrlRefused(f"the link is not a valid URL ({error})") from None
    scheme = parts.scheme.lower()
    if not host:
        raise UrlRefused("the link names no web site")
    if "@" in parts.netloc:
        raise UrlRefused(f"the link hides its real site behind a user name (it goes to {host}, not what precedes the @)")
    if not (_HOSTNAME.fullmatch(host) or _is_ip(host)):
        raise UrlRefused(f"the link's site name {host!r} is not a plain domain name or address")
    loopback = _is_loopback(host)
    if scheme != "https" and not (scheme == "http" and loopback):
        raise UrlRefused(
            f"the link is {scheme or 'schemeless'}://, not https://; only https links are opened, "
            "or http:// on this computer (127.0.0.1, localhost, [::1])"
        )
    start = len(parts.scheme) + 3  # "https://"
    domain = parts.netloc
    return UrlRequest(
        server=server,
        message=clean_message(message),
        url=url,
        before=url[:start],
        domain=domain,
        after=url[start + len(domain):],
        loopback=loopback,
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def answer_url_request(
    server: str,
    params: mcp_types.ElicitRequestURLParams,
    human: Human,
    transcript: Transcript,
    notify: Callable[[str], None],
) -> Action:
    """Check the request, ask the human (or refuse it), record both, and return what the server hears.

    Accept means the human agreed to go to the page, not that the page is done: the server learns
    that from the page itself.
    """
    try:
        request = check_url(server, params.message, params.url)
    except UrlRefused as refused:
        notify(f"{server} asked you to open a web page, but {refused}. Declined; nothing was opened.")
        transcript.url_request(server, clean_message(params.message), None)
        transcript.elicitation_response("decline", None, 0.0, server=server)
        return "decline"
    transcript.url_request(server, request.message, request.before + request.domain)
    asked = time.monotonic()
    action = await human.open_url(request)
    transcript.elicitation_response(action, None, time.monotonic() - asked, server=server)
    return action


def completion_notices(server: str, notify: Callable[[str], None]) -> Callable[[Any], Awaitable[None]]:
    """A message handler that tells the human when a server says a page they opened is done
    (notifications/elicitation/complete, 2025-11-25 only)."""

    async def on_message(message: Any) -> None:
        if isinstance(message, mcp_types.ElicitCompleteNotification):
            notify(f"{server}: the web page you opened reports it is done.")

    return on_message
