"""Text laid out for a terminal of a given width: wrapped between words, tables aligned.

Widths are display cells (a kanji takes two), so Japanese names keep columns aligned. Pure
functions: the REPL passes the terminal's width and prints the lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from prompt_toolkit.utils import get_cwidth

if TYPE_CHECKING:
    from agent.outcomes import ToolOutcome

# A run of spaces, a run of non-space Latin text (a word), or one wide character (CJK text has no
# spaces, and may break between any two characters).
_TOKENS = re.compile(r"\s+|[^\s\u1100-\uffff]+|.", re.DOTALL)
_LIST_MARKER = re.compile(r"([-*•>]|\d+\.) ")  # a list item's wrapped lines align under its text
_MIN_TEXT_COLUMNS = 20  # narrower than this beside a name column, text goes below the name instead
_GAP = "  "


def cells(text: str) -> int:
    return get_cwidth(text)


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Lines of at most `width` cells, each starting with `indent`; words are never split.

    A single word longer than the line stays whole on its own line (a URL is better overflowing
    than broken). Existing line breaks are kept.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        # A paragraph's own indentation (a list item's) is kept, and continues its wrapped lines.
        lead = paragraph[: len(paragraph) - len(paragraph.lstrip(" "))]
        marker = _LIST_MARKER.match(paragraph[len(lead) :])
        hanging = lead + " " * (len(marker.group(0)) if marker else 0)
        first, room = True, max(width - cells(indent) - len(lead), 1)
        line, used = "", 0
        for token in _TOKENS.findall(paragraph[len(lead) :]):
            if token.isspace():
                if line:
                    line, used = line + " ", used + 1
                continue
            size = cells(token)
            if line and used + size > room:
                lines.append(indent + (lead if first else hanging) + line.rstrip())
                first, room = False, max(width - cells(indent) - len(hanging), 1)
                line, used = "", 0
            line, used = line + token, used + size
        lines.append((indent + (lead if first else hanging) + line).rstrip())
    return lines


def two_columns(rows: Sequence[tuple[str, str]], width: int) -> list[str]:
    """Names aligned in one column, their text wrapped beside them (or below, when too narrow)."""
    name_width = max((cells(name) for name, _ in rows), default=0)
    beside = width - name_width - len(_GAP) >= _MIN_TEXT_COLUMNS
    lines: list[str] = []
    for name, text in rows:
        if not beside:
            lines.append(name)
            lines += wrap(text, width, "    ") if text else []
            continue
        indent = " " * (name_width + len(_GAP))
        wrapped = wrap(text, width, indent) if text else [indent]
        lines.append(name + " " * (name_width - cells(name)) + _GAP + wrapped[0][len(indent) :])
        lines += wrapped[1:]
    return [line.rstrip() for line in lines]


def table(records: Sequence[dict[str, Any]], width: int) -> list[str] | None:
    """The records as an aligned table of their plain fields (one level of nesting flattened).

    Returns:
        The header and one line per record, or None when the table would not fit in `width`
        (the caller then shows the text instead).
    """
    rows = [_flatten(record) for record in records]
    columns = [key for key in dict.fromkeys(key for row in rows for key in row) if any(row.get(key) not in (None, "") for row in rows)]
    if not rows or not columns:
        return None
    shown = [[_cell(key, row.get(key)) for key in columns] for row in rows]
    header = [key.removesuffix("_jpy").replace("_", " ") for key in columns]
    widths = [max(cells(text) for text in column) for column in zip(header, *shown)]
    if sum(widths) + len(_GAP) * (len(widths) - 1) > width:
        return None
    numeric = [all(isinstance(row.get(key), int | float) for row in rows if row.get(key) is not None) for key in columns]
    return [_row(values, widths, numeric) for values in (header, *shown)]


def outcome_lines(outcome: ToolOutcome, width: int) -> list[str]:
    """A tool's outcome in full: its status, then a table of its records when one fits, else its text."""
    lines = wrap(f"← {outcome.name} ({outcome.status})", width)
    records = _records(outcome.structured)
    if records is not None:
        key, items = records
        laid_out = table(items, width - 2)
        if laid_out is not None:
            return lines + [f"  {key}:"] + ["  " + line for line in laid_out]
    text = outcome.text.strip()
    body = text if outcome.message in text else f"{outcome.message}\n{text}".strip()
    return lines + wrap(body, width, "  ")


def _records(structured: dict[str, Any] | None) -> tuple[str, list[dict[str, Any]]] | None:
    """The first non-empty list of objects in a structured result, with its key."""
    for key, value in (structured or {}).items():
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            return key, value
    return None


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update({inner: item for inner, item in value.items() if _plain(item)})
        elif _plain(value):
            flat[key] = value
    return flat


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and key.endswith("_jpy"):
        return f"¥{value:,}"
    if isinstance(value, int | float):
        return f"{value:,}" if abs(value) >= 10_000 else f"{value:g}"
    return str(value)


def _row(values: Sequence[str], widths: Sequence[int], numeric: Sequence[bool]) -> str:
    cells_ = [
        " " * (width - cells(value)) + value if right else value + " " * (width - cells(value))
        for value, width, right in zip(values, widths, numeric)
    ]
    return _GAP.join(cells_).rstrip()


_STREAM_TOKENS = re.compile(r"\n|[^\S\n]+|[\u1100-\uffff]|[^\s\u1100-\uffff]+")


class StreamWrap:
    """Streamed text (a model's reply, a few characters at a time) wrapped between words.

    A word is held until it is complete (the next space, line break, wide character, or `flush`),
    so it can move whole to the next line.
    """

    def __init__(self, width: int) -> None:
        self._width = width
        self._column = 0
        self._word = ""
        self._spaces = ""

    def feed(self, delta: str) -> str:
        """The text to write now for `delta`."""
        out: list[str] = []
        for token in _STREAM_TOKENS.findall(delta):
            if token == "\n":
                out.append(self.flush() + "\n")
                self._column, self._spaces = 0, ""
            elif token.isspace():
                out.append(self.flush())
                self._spaces += token
            elif len(token) == 1 and cells(token) > 1:  # a wide character is a word of its own
                out.append(self.flush())
                self._word = token
                out.append(self.flush())
            else:
                self._word += token
        return "".join(out)

    def flush(self) -> str:
        """The held word, placed on this line or the next."""
        if not self._word:
            return ""
        size = cells(self._word)
        if self._column and self._column + len(self._spaces) + size > self._width:
            text, self._column = "\n" + self._word, size
        else:
            text = self._spaces + self._word
            self._column += len(self._spaces) + size
        self._word, self._spaces = "", ""
        return text
