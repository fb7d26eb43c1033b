"""Recommendations written by the client's model: untrusted text, cleaned, then judged.

Sampled text is used only when it is three real lines about this trip. A weak model returns
numbering with nothing after it (`- 1.`), babble (`1. 1. 1. 2. 2…`), the prompt echoed back, or a
different trip ("1. Tokyo, 2 nights, 10 people, 200 yen" for Kyoto): all of that is refused with
the reason, and the caller uses the catalogue's recommendations instead. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from mcp_server.catalog import normalize_name

LINES = 3
MAX_LINE_CHARS = 200
# Unicode categories never shown: controls, format characters (bidi controls, zero-width and tag
# characters, U+2060, U+FEFF, U+061C, U+180E, U+00AD…), surrogates, private use and unassigned.
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn"}
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Terminal escape sequences (CSI, OSC) go whole, not just their ESC byte.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
_BULLET = re.compile(r"^(?:[-*•・‣◦▪>#]+|\(?\d{1,2}[.)、．:：]|[①-⑩])\s*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CLAIMS = re.compile(
    r"[¥$€£]|円|見積|\b(?:yen|jpy|usd|dollars?|quote|q-\w{4,}|trv-\w{4,})\b"
    r"|\d\s*(?:people|persons?|pax|travell?ers?|guests?|adults?|children|kids|人|名|nights?|泊)"
)


@dataclass(frozen=True)
class TripText:
    """What sampled lines are judged against: this trip's own names, other places, and the prompt."""

    own_places: frozenset[str]
    other_places: frozenset[str]
    prompt: str


@dataclass(frozen=True)
class Review:
    """Accepted lines, or none and the first problem found (`problem` is a messages key suffix)."""

    lines: tuple[str, ...]
    problem: str = ""
    line: int = 0  # 1-based line the problem is on, 0 for the whole text
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return bool(self.lines)


def strip_invisible(text: str) -> str:
    """`text` without escape sequences or invisible characters; line breaks become "\\n", tabs spaces."""
    text = _LINE_BREAKS.sub("\n", _ESCAPES.sub("", text)).replace("\t", " ")
    return "".join(char for char in text if char == "\n" or unicodedata.category(char) not in _HIDDEN)


def candidate_lines(text: str) -> list[str]:
    """The recommendation lines in cleaned text: bullets, numbering, headers and blank lines removed."""
    lines = []
    for raw in strip_invisible(text).split("\n"):
        line = " ".join(raw.split())  # also folds ideographic and other odd spaces into one space
        line = _BULLET.sub("", line).replace("**", "").strip()
        if line and not line.endswith((":", "：")):  # "Here are three recommendations:" is no tip
            lines.append(line)
    return lines


# Where a sentence ends: after . ! ? before a capital or a quote, or after 。！？.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])|(?<=[。！？])")


def _sentences(lines: list[str]) -> list[str]:
    """The sentences of `lines`: a model asked for one tip per line sometimes writes them as one paragraph."""
    return [sentence.strip() for line in lines for sentence in _SENTENCE_END.split(line) if sentence.strip()]


def review(text: str | None, trip: TripText) -> Review:
    """Three real lines about this trip from `text`, or the reason there are none.

    Fewer than three lines are read as sentences ("A is worth it. B is calm. C is…" in one line is
    three tips); each is then judged as a line would be.
    """
    lines = candidate_lines(text or "")
    if not lines:
        return Review((), "empty")
    if len(lines) < LINES:
        sentences = _sentences(lines)
        lines = sentences if len(sentences) >= LINES else lines
    if len(lines) < LINES:
        return Review((), "too_few", detail=str(len(lines)))
    lines = lines[:LINES]
    for number, line in enumerate(lines, 1):
        problem, detail = _line_problem(line, trip)
        if problem:
            return Review((), problem, number, detail)
    keys = [_key(line) for line in lines]
    for first in range(LINES):
        for second in range(first + 1, LINES):
            if SequenceMatcher(None, keys[first], keys[second]).ratio() >= 0.85:
                return Review((), "repeated", second + 1, str(first + 1))
    return Review(tuple(lines))


def _line_problem(line: str, trip: TripText) -> tuple[str, str]:
    if len(line) > MAX_LINE_CHARS:
        return "too_long", str(MAX_LINE_CHARS)
    if not _has_words(line):
        return "no_words", ""
    folded = unicodedata.normalize("NFKC", line).casefold()
    place = next((p for p in sorted(trip.other_places) if p not in trip.own_places and _mentions(folded, p)), None)
    if place:
        return "elsewhere", place
    if _CLAIMS.search(folded):
        return "claim", ""
    if _is_echo(line, trip.prompt):
        return "echo", ""
    return "", ""


def _has_words(line: str) -> bool:
    """Real words: enough letters, not one word or character over and over."""
    letters = [char for char in line if unicodedata.category(char).startswith("L")]
    if _CJK.search(line):
        return len(letters) >= 4 and len(set(letters)) / len(letters) > 0.3
    words = [word.casefold() for word in re.findall(r"[^\W\d_]{2,}", line)]
    if len(letters) < 8 or len(words) < 2:
        return False
    return len(words) < 4 or len(set(words)) / len(words) >= 0.5


def _mentions(folded: str, place: str) -> bool:
    if _CJK.search(place):
        return place in folded
    return re.search(rf"(?<![^\W\d_]){re.escape(place)}(?![^\W\d_])", folded) is not None


def _key(text: str) -> str:
    """Letters and digits only, folded: how lines and the prompt are compared."""
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


def _is_echo(line: str, prompt: str) -> bool:
    key, source = _key(line), _key(prompt)
    if len(key) >= 8 and key in source:
        return True
    sentences = [_key(part) for part in re.split(r"[.。!?！？\n]", prompt) if part.strip()]
    return any(SequenceMatcher(None, key, sentence).ratio() >= 0.8 for sentence in sentences)


def place_keys(names: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Place names as `review` compares them: folded as the catalogue folds names."""
    return frozenset(normalize_name(name) for name in names if name.strip())
