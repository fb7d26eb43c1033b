"""The URL consent prompt, on a real prompt-toolkit session through pipe input and a VT100 screen."""

from __future__ import annotations

import asyncio

import pytest

from agent.ui.url_prompt import UrlPrompt, open_in_browser
from agent.url_elicitation import check_url

URL = "https://pay.example.com/checkout/abc123?amount=38000"


def ask(terminal, pipe, url: str = URL, opener=None) -> asyncio.Task:
    opened: list[str] = []

    def record(target: str) -> str | None:
        opened.append(target)
        return None

    prompt = UrlPrompt(input=pipe, output=terminal.output, opener=opener or record)
    task = asyncio.ensure_future(prompt.ask(check_url("travel-planner", "Pay ¥38,000 for quote Q-1.", url)))
    task.opened = opened  # type: ignore[attr-defined]
    return task


async def test_the_server_message_url_and_highlighted_site_are_shown_before_any_choice(terminal, pipe):
    task = ask(terminal, pipe)
    await terminal.wait_for("[o]pen in your browser / [p]rint the link / [d]ecline / [c]ancel >")
    text = terminal.text()
    assert "── travel-planner asks you to open a web page ── (Ctrl-X: decline · Ctrl-C: cancel" in text
    assert "Pay ¥38,000 for quote Q-1." in text
    assert f"  {URL}" in text
    assert "  site: pay.example.com (a web site, not this computer)" in text
    row = terminal.row_with(URL)
    cells = terminal.screen.buffer[row]
    start = terminal.rows()[row].index("pay.example.com")
    domain = [cells[column] for column in range(start, start + len("pay.example.com"))]
    path = [cells[column] for column in range(start + len("pay.example.com"), start + len("pay.example.com/checkout"))]
    assert all(cell.bold and cell.reverse for cell in domain)
    assert not any(cell.reverse for cell in path)
    assert task.opened == []  # nothing opened while the human reads
    pipe.send_text("x\r")
    await terminal.wait_for("type o, p, d or c")
    assert not task.done()
    pipe.send_text("\x15o\r")
    assert await task == "accept"
    assert task.opened == [URL]
    await terminal.wait_for("Opened in your browser.")


async def test_print_shows_the_link_alone_on_its_line_and_opens_nothing(terminal, pipe):
    task = ask(terminal, pipe)
    pipe.send_text("p\r")
    assert await task == "accept"
    assert task.opened == []
    rows = terminal.rows()
    assert rows[terminal.row_with("Open this link in your browser:") + 1] == URL


@pytest.mark.parametrize(("keys", "exp_action", "exp_said"), [("d\r", "decline", "Declined"), ("\x18", "decline", "Declined"), ("\x03", "cancel", "Cancelled"), ("cancel\r", "cancel", "Cancelled")])
async def test_decline_and_cancel_open_nothing(terminal, pipe, keys, exp_action, exp_said):
    task = ask(terminal, pipe)
    pipe.send_text(keys)
    assert await task == exp_action
    assert task.opened == []
    await terminal.wait_for(f"{exp_said}; nothing was opened.")


async def test_a_browser_that_cannot_start_is_said_and_the_link_printed(terminal, pipe):
    task = ask(terminal, pipe, opener=lambda url: "no browser could be started")
    pipe.send_text("o\r")
    assert await task == "accept"
    await terminal.wait_for("Not opened: no browser could be started. Open this link yourself:")
    assert terminal.rows()[terminal.row_with("Open this link yourself:") + 1] == URL


async def test_end_of_input_cancels(terminal, pipe):
    task = ask(terminal, pipe)
    pipe.send_text("\x04")  # Ctrl-D on an empty line: end of input, as when stdin closes
    assert await task == "cancel"
    await terminal.wait_for("Input closed; cancelled, nothing was opened.")


def test_without_a_display_or_browser_nothing_is_launched(monkeypatch):
    # A text browser (lynx, w3m) would take over the REPL's terminal: say so instead.
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert open_in_browser(URL) == "no graphical display here (DISPLAY is not set) and no $BROWSER"


def test_a_browser_that_fails_is_reported(monkeypatch, tmp_path):
    import webbrowser

    failing = tmp_path / "browser.sh"
    failing.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    failing.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(failing))
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # the stdlib reads $BROWSER once per process
    assert open_in_browser(URL) == "no browser could be started"
