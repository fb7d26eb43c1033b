"""The --transcript FILE: one JSON object per line, each with `type` and `t` (seconds since start)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

# Keys whose values never reach the file, wherever they appear in a tool input or form answer: a
# key is secret when one of its words (snake_case, camelCase or kebab-case) is one of these, or it
# holds "api" then "key". Whole words: `maxTokens` (a count, e.g. the everything server's sampling
# tool) is kept, `access_token` is not.
_SECRET_WORDS = {"token", "password", "passwd", "secret", "authorization", "credential", "credentials", "apikey"}
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
REDACTED = "[redacted]"


def _secret(key: object) -> bool:
    words = [word.lower() for word in _WORDS.findall(str(key))]
    pairs = zip(words, words[1:])
    return bool(_SECRET_WORDS.intersection(words)) or ("api", "key") in pairs


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: REDACTED if _secret(key) else _redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value


class Transcript:
    """Writes events as JSON Lines, flushing each line so a crash loses nothing; keeps them too,
    for `/save` (so a session without --transcript can still be saved and replayed).

    Events arrive from the REPL and from the MCP client's thread, so writes are serialised.
    """

    def __init__(self, file: TextIO | None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._file = file
        self._clock = clock
        self._start = clock()
        self._lock = threading.Lock()
        self._lines: list[str] = []

    def save(self, path: Path) -> None:
        """Write every event so far to `path`, in the --transcript format `trip-agent replay` reads.

        Raises:
            OSError: The file cannot be written.
        """
        with self._lock:
            text = "".join(line + "\n" for line in self._lines)
        path.write_text(text, encoding="utf-8")

    @classmethod
    def open(cls, path: Path, *, clock: Callable[[], float] = time.monotonic) -> Transcript:
        """Start a transcript at `path`, replacing any earlier one.

        Raises:
            OSError: The file cannot be created.
        """
        return cls(path.open("w", encoding="utf-8"), clock=clock)

    @classmethod
    def disabled(cls) -> Transcript:
        """A transcript with no file, for runs without --transcript (events are kept for `save`)."""
        return cls(None)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def _write(self, kind: str, **fields: Any) -> None:
        event = {"type": kind, "t": round(self._clock() - self._start, 3), **fields}
        line = json.dumps(event, ensure_ascii=False, default=str)
        with self._lock:
            self._lines.append(line)
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()

    def user(self, text: str) -> None:
        self._write("user", text=text)

    def assistant(self, text: str) -> None:
        self._write("assistant", text=text)

    # Every event from or about an MCP server names it (`server`), as there may be several.

    def tool_call(self, name: str, input: dict[str, Any], *, server: str | None = None) -> None:
        self._write("tool_call", name=name, input=_redact(input), **_server(server))

    def tool_result(self, name: str, status: str, text: str, *, server: str | None = None) -> None:
        self._write("tool_result", name=name, status=status, text=text, **_server(server))

    def tool_structured(self, name: str, content: dict[str, Any], *, server: str | None = None) -> None:
        """A tool's structured result (e.g. plan_trip's supplied/elicited fields), which the model never sees."""
        self._write("tool_structured", name=name, content=_redact(content), **_server(server))

    def elicitation_request(self, server: str, message: str, schema: dict[str, Any]) -> None:
        self._write("elicitation_request", server=server, message=message, schema=schema)

    def url_request(self, server: str, message: str, site: str | None) -> None:
        """A URL-mode elicitation_request: only the page's `site` (scheme and domain; None for a
        refused link), never its path, which may hold a secret."""
        self._write("elicitation_request", server=server, message=message, schema=None, mode="url", url=site)

    def elicitation_response(
        self, action: str, content: dict[str, Any] | None, wait_s: float, *, server: str | None = None
    ) -> None:
        self._write(
            "elicitation_response", action=action, content=_redact(content), wait_s=round(wait_s, 3), **_server(server)
        )

    def sampling_request(
        self,
        server: str,
        messages: list[dict[str, str]],
        system_prompt: str | None,
        max_tokens: int,
        model_preferences: dict[str, Any] | None,
    ) -> None:
        self._write(
            "sampling_request",
            server=server,
            messages=messages,
            system_prompt=system_prompt,
            max_tokens=max_tokens,
            model_preferences=model_preferences,
        )

    def sampling_response(self, model: str, text: str, approved: bool, *, server: str | None = None) -> None:
        self._write("sampling_response", model=model, text=text, approved=approved, **_server(server))

    def progress(
        self, tool: str, progress: float, total: float | None, message: str | None, *, server: str | None = None
    ) -> None:
        self._write("progress", tool=tool, progress=progress, total=total, message=message, **_server(server))

    def error(self, message: str, *, server: str | None = None) -> None:
        self._write("error", message=message, **_server(server))


def _server(server: str | None) -> dict[str, str]:
    return {"server": server} if server is not None else {}
