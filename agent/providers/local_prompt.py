"""What the local model sees and what its tool calls may say: pure functions, no llama.cpp.

- `chat_messages`: a Strands conversation as chat-template messages (system, user, assistant with
  tool_calls, tool), rendered by the GGUF's own chat template (Qwen's renders the tools and the
  `<tool_call>` format itself).
- `call_schema`: one JSON schema for "a call to one of these tools", from the tools' own input
  schemas, for a llama.cpp grammar: a call always parses, every enum value is a valid one, and
  (given the conversation) only values the conversation supports can be written at all.
- `ground`: drops argument values the user's messages do not support (a number never mentioned, a
  name never written), so the server asks the human instead of acting on a guess;
  `with_user_language` adds the one argument the agent knows without being told: the language
  the user writes in.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from strands.types.content import Messages
from strands.types.tools import ToolSpec

from mcp_server.messages import detect_language

# Strings in arguments get at most this many characters: a free string otherwise runs until max_tokens.
STRING_CHARS = 80
# A tool result longer than this is cut for the model: it is re-read at every later turn's prefill.
RESULT_CHARS = 1500
# Integer ranges up to this wide become an enum in the grammar (llama-cpp-python's converter ignores
# minimum/maximum).
_ENUM_RANGE = 64
# Something a user types as an identifier: letters, a dash, then 4+ capitals or digits (TRV-7K3Q9, Q-AB12CD34).
# Bounded by ASCII letters and digits only, so it is found inside Japanese text too.
IDENTIFIER = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+-[A-Z0-9]{4,}(?![A-Za-z0-9])")


# --- the conversation -------------------------------------------------------------------------


def _result_text(result: dict[str, Any]) -> str:
    texts = [item["text"] for item in result["content"] if "text" in item]
    if not texts:
        texts = [json.dumps(item["json"], ensure_ascii=False) for item in result["content"] if "json" in item]
    text = "\n".join(texts)
    if result.get("status") == "error":
        text = f"Error: {text}"
    return text if len(text) <= RESULT_CHARS else text[: RESULT_CHARS - 1] + "…"


def chat_messages(messages: Messages, system_prompt: str | None) -> list[dict[str, Any]]:
    """The conversation as chat-template messages; tool results become `tool` messages."""
    chat: list[dict[str, Any]] = []
    if system_prompt and system_prompt.strip():
        chat.append({"role": "system", "content": system_prompt.strip()})
    for message in messages:
        texts = [block["text"] for block in message["content"] if "text" in block]
        if message["role"] == "assistant":
            calls = [
                {"name": block["toolUse"]["name"], "arguments": block["toolUse"]["input"]}
                for block in message["content"]
                if "toolUse" in block
            ]
            entry: dict[str, Any] = {"role": "assistant", "content": "\n".join(texts)}
            if calls:
                entry["tool_calls"] = [{"type": "function", "function": call} for call in calls]
            chat.append(entry)
            continue
        for block in message["content"]:
            if "toolResult" in block:
                chat.append({"role": "tool", "content": _result_text(block["toolResult"])})
        if texts:
            chat.append({"role": "user", "content": "\n".join(texts)})
    return chat


def user_text(messages: Messages) -> str:
    """Everything the user typed in the conversation (not tool results), for grounding numbers."""
    return "\n".join(
        block["text"] for message in messages if message["role"] == "user" for block in message["content"] if "text" in block
    )


def conversation_text(messages: Messages) -> str:
    """What the user typed and what tools returned (a reservation id, say), for grounding strings."""
    results = [
        _result_text(block["toolResult"])
        for message in messages
        if message["role"] == "user"
        for block in message["content"]
        if "toolResult" in block
    ]
    return "\n".join([user_text(messages), *results])


def after_tool_result(messages: Messages) -> bool:
    """Whether the conversation ends with a tool result: the model then answers in words."""
    return bool(messages) and any("toolResult" in block for block in messages[-1]["content"])


def last_result(messages: Messages) -> str:
    """The text of the tool results that end the conversation."""
    blocks = messages[-1]["content"] if messages else []
    return "\n".join(_result_text(block["toolResult"]) for block in blocks if "toolResult" in block)


def user_language_code(messages: Messages) -> str:
    """The language of the user's latest message: "ja" when it has any Japanese, else "en"."""
    for message in reversed(messages):
        texts = [block["text"] for block in message["content"] if "text" in block]
        if message["role"] == "user" and texts:
            return detect_language(*texts) or "en"
    return "en"


def user_language(messages: Messages) -> str:
    """The language of the user's latest message, by name: "Japanese" or "English"."""
    return "Japanese" if user_language_code(messages) == "ja" else "English"


# A `language` argument that lists language codes is the language the user writes in (the trip
# server's tools ask "set it to the language the user writes in"): the agent knows it, so the model
# may write only that code, and a call without it gets it (else a Japanese user is asked in English).
LANGUAGE = "language"


def _language_choices(prop: dict[str, Any]) -> list[Any]:
    return list(_grammar_value(prop).get("enum", [])) if isinstance(prop, dict) else []


def with_user_language(arguments: dict[str, Any], messages: Messages, schema: dict[str, Any]) -> dict[str, Any]:
    """`arguments` with `language` set to the user's language when the tool takes that code."""
    code = user_language_code(messages)
    if LANGUAGE in arguments or code not in _language_choices(schema.get("properties", {}).get(LANGUAGE, {})):
        return arguments
    return {**arguments, LANGUAGE: code}


# The one sentence the model writes before a tool result it passes on (see lead_messages), with
# examples in each language: without them it copied the result's first line.
_LEAD_PROMPT = (
    "The travel planner's tool {tool} returned the result below. Write one short sentence in {language} that tells "
    "the user, in your own words, what happened: for example {examples} Do not copy the result, do not "
    "ask anything, and use only facts from the result."
)
_LEAD_EXAMPLES = {
    "English": '"Your trip is booked.", "Here is the price.", "Nothing was booked."',
    "Japanese": "「予約が完了しました。」「料金はこちらです。」「予約はしていません。」",
}
# Only after a cancelling tool: offered after plan_trip's "not booked, quote kept" result, the model
# led it with "予約をキャンセルしました。" (your booking is cancelled), which nothing was.
_CANCELLED_EXAMPLE = {"English": ' "Your booking is cancelled."', "Japanese": "「予約をキャンセルしました。」"}


def lead_messages(messages: Messages, tool_specs: list[ToolSpec]) -> list[dict[str, Any]]:
    """Chat messages asking for a one-sentence lead to the result that ends the conversation, naming the
    tool that returned it with its description (without it, a get_quote price was led by "You have booked")."""
    language = user_language(messages)
    called = [block["toolUse"]["name"] for message in messages[-2:-1] for block in message["content"] if "toolUse" in block]
    described = {spec["name"]: spec.get("description", "").strip().split("\n")[0] for spec in tool_specs}
    tool = " and ".join(f"{name} ({described[name]})" if described.get(name) else name for name in called) or "call"
    examples = _LEAD_EXAMPLES[language]
    if any("cancel" in name for name in called):
        examples += _CANCELLED_EXAMPLE[language]
    return [
        {"role": "system", "content": _LEAD_PROMPT.format(tool=tool, language=language, examples=examples)},
        {"role": "user", "content": last_result(messages)},
    ]


_FIGURE = re.compile(r"\d[\d,.]*")


def grounded_lead(lead: str, result: str) -> bool:
    """Whether `lead` may go before `result`: every figure and identifier in it is in the result (a lead that
    changes the price or the reservation number is dropped, and the result speaks alone), and it is not
    a copy of part of the result."""
    def figures(text: str) -> set[str]:
        return {figure.replace(",", "").rstrip(".") for figure in _FIGURE.findall(unicodedata.normalize("NFKC", text))}

    copied = _normal(lead).rstrip(".。") in _normal(result)  # adds nothing
    return not copied and figures(lead) <= figures(result) and set(IDENTIFIER.findall(lead)) <= set(IDENTIFIER.findall(result))


# --- the tools ----------------------------------------------------------------------------------


def _simplified(schema: Any) -> Any:
    """A schema without what costs tokens and tells the model nothing: parameter titles, null defaults, `| null`."""
    if isinstance(schema, list):
        return [_simplified(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    variants = schema.get("anyOf")
    if isinstance(variants, list):
        kept = [variant for variant in variants if variant.get("type") != "null"]
        if len(kept) == 1 and len(kept) < len(variants):
            merged = {key: value for key, value in schema.items() if key != "anyOf"}
            schema = {**kept[0], **merged}
    # A choice's title says what the value means (kept); a parameter's title repeats its name (dropped).
    dropped = ("additionalProperties",) if "const" in schema else ("title", "additionalProperties")
    return {
        key: _simplified(value)
        for key, value in schema.items()
        if key not in dropped and not (key == "default" and value is None)
    }


def template_tools(tool_specs: list[ToolSpec]) -> list[dict[str, Any]]:
    """The tools in the OpenAI form chat templates expect, with simplified parameter schemas."""
    return [
        {
            "type": "function",
            "function": {
                "name": spec["name"],
                "description": spec.get("description", "").strip(),
                "parameters": _simplified(spec["inputSchema"].get("json", {"type": "object", "properties": {}})),
            },
        }
        for spec in tool_specs
    ]


# Listed after the real tools: choosing it is how the model says "answer in words". A choice among
# names, made under a grammar, separates requests from small talk where the first token's odds did
# not ("Hello!" and "Plan a trip for me." both scored 0.77-0.78 for a call once tools took `language`).
WORDS_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "reply_in_words",
        "description": (
            "Only for greetings, thanks and small talk: answer in words. Never for a request another tool "
            "handles, even when details are missing: that tool asks the user for them."
        ),
        "parameters": {"type": "object", "properties": {}},
    },
}


def choice_grammar(names: list[str]) -> str:
    """A GBNF grammar for the opening of a call, `{"name": "<one of names>"`: the model's choice of tool."""
    options = " | ".join(json.dumps(json.dumps(name)[1:-1]) for name in names)
    return f'root ::= "{{\\"name\\": \\"" ({options}) "\\""'


def needs_identifier(spec: ToolSpec) -> bool:
    """Whether the tool requires a string parameter named `..._id`, which only the user can supply."""
    schema = spec["inputSchema"].get("json", {})
    properties = schema.get("properties", {})
    return any(name.endswith("_id") and properties.get(name, {}).get("type") == "string" for name in schema.get("required", []))


def usable_tool_names(tool_specs: list[ToolSpec], messages: Messages) -> list[str]:
    """The tools this turn can call: those needing an identifier only when the conversation has one
    (typed by the user or returned by a tool).

    The model otherwise answers "show my booking" with an invented id; without one, the tool to call is
    list_bookings, or a question in words.
    """
    has_identifier = IDENTIFIER.search(conversation_text(messages)) is not None
    return [spec["name"] for spec in tool_specs if has_identifier or not needs_identifier(spec)]


def _grammar_value(schema: Any) -> Any:
    """A parameter schema as the grammar should enforce it: bounded strings, small integer ranges as enums."""
    if isinstance(schema, list):
        return [_grammar_value(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: _grammar_value(value) for key, value in schema.items() if key != "description"}
    if bounded.get("type") == "string" and "enum" not in bounded:
        bounded.setdefault("maxLength", STRING_CHARS)
    low, high = bounded.get("minimum"), bounded.get("maximum")
    if bounded.get("type") == "integer" and isinstance(low, int) and isinstance(high, int) and high - low <= _ENUM_RANGE:
        bounded = {"enum": list(range(low, high + 1))}
    return bounded


def call_schema(tools: list[dict[str, Any]], messages: Messages | None = None) -> dict[str, Any]:
    """`{"name": <one of the tools>, "arguments": {...}}` for template_tools entries.

    With `messages`, each argument may only take a value the conversation supports (see ground):
    its enum or choices are cut down to those, an identifier (`..._id`) to the ones the user wrote or
    a tool returned, and an argument with no supported value is left out of the grammar, required
    or not. The model then chooses among what was said and cannot write anything else ("solo" and
    "2 nights" leave travellers exactly 1, not 2); the server asks for whatever is left out.
    """
    said, written = (user_text(messages), conversation_text(messages)) if messages is not None else ("", "")
    code = user_language_code(messages) if messages is not None else ""
    calls = []
    for tool in tools:
        function = tool["function"]
        parameters = function["parameters"]
        properties: dict[str, Any] = {}
        for name, prop in parameters.get("properties", {}).items():
            value = _grammar_value(prop)
            if messages is not None:
                value = _supported_values(name, prop, value, said, written, code)
            if value is not None:
                properties[name] = value
        arguments = {
            "type": "object",
            "properties": properties,
            "required": [name for name in parameters.get("required", []) if name in properties],
            "additionalProperties": False,
        }
        calls.append(
            {
                "type": "object",
                "properties": {"name": {"const": function["name"]}, "arguments": arguments},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    return calls[0] if len(calls) == 1 else {"oneOf": calls}


def _supported_values(
    name: str, prop: dict[str, Any], value: dict[str, Any], said: str, written: str, code: str
) -> dict[str, Any] | None:
    """A parameter's grammar cut down to the values the conversation supports; None when it supports none."""
    if "enum" in value:
        kept = [item for item in value["enum"] if _supports(name, prop, item, said, written, code)]
        return {"enum": kept} if kept else None
    if isinstance(value.get("oneOf"), list):
        choices = [c for c in value["oneOf"] if "const" in c and _supports(name, prop, c["const"], said, written, code)]
        return {**value, "oneOf": choices} if choices else None
    if value.get("type") == "string" and name.endswith("_id"):
        identifiers = list(dict.fromkeys(IDENTIFIER.findall(written)))
        return {"enum": identifiers} if identifiers else None
    return value


# --- grounding ----------------------------------------------------------------------------------


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


# Counts said in words: number words (their unit follows them), and words that mean a head count.
_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_PEOPLE_WORDS = {
    1: ("solo", "alone", "just me", "by myself", "only me", "一人", "ひとり", "独り"),
    2: ("couple", "both of us", "my wife", "my husband", "my partner", "二人", "ふたり", "カップル", "夫婦", "ペア"),
}
_KANJI_DIGITS = "一二三四五六七八九十"
# What a count can be of. A number said with one of these counts only for a parameter whose name or
# description names that unit: "4 people" is not 4 nights.
_UNITS = {
    "night": "night", "nights": "night", "泊": "泊", "晩": "泊", "day": "day", "days": "day", "日": "day",
    "people": "people", "person": "people", "persons": "people", "人": "people", "名": "people",
    "traveller": "people", "travellers": "people", "traveler": "people", "travelers": "people", "adults": "people",
}  # fmt: skip
_UNIT_WORDS = {"night": ("night", "泊"), "泊": ("night", "泊"), "day": ("day", "日"), "people": ("people", "人", "名", "travel")}
_MENTION = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*([a-z]+|[泊晩日人名])?")


def _unit(normal: str, start: int, word: str | None) -> str | None:
    """The unit of a count at `start` followed by `word`; "for two" with no unit is a head count."""
    unit = _UNITS.get(word or "")
    if unit is None and normal[:start].endswith("for "):
        return "people"
    return unit


def _mentions(text: str) -> list[tuple[float, str | None]]:
    """Every count in `text`, with its unit when one follows it."""
    normal = _normal(text)
    found = [(float(m.group(1)), _unit(normal, m.start(), m.group(2))) for m in _MENTION.finditer(normal)]
    for index, word in enumerate(_NUMBER_WORDS, start=1):
        for match in re.finditer(rf"(?<![a-z]){word}\s*([a-z]+)?", normal):
            found.append((float(index), _unit(normal, match.start(), match.group(1))))
    for count, words in _PEOPLE_WORDS.items():
        found += [(float(count), "people") for word in words if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", normal)]
    for index, digit in enumerate(_KANJI_DIGITS, start=1):
        for match in re.finditer(rf"{digit}([泊晩日人名])", normal):
            found.append((float(index), _UNITS[match.group(1)]))
    return found


def mentions_number(text: str, number: int | float, about: str = "") -> bool:
    """Whether `text` says `number` as a count that can be about a parameter described by `about`.

    Digits of any width, English number words, a kanji numeral before a counter (二泊, 三人), or a
    word that means the count (solo, couple, ふたり). A count with a unit ("4 people", "2泊") is
    about a parameter only when `about` names that unit.
    """
    about = _normal(about)
    for value, unit in _mentions(text):
        if value == number and (unit is None or any(word in about for word in _UNIT_WORDS[unit])):
            return True
    return False


def _terms(schema: dict[str, Any], value: str) -> list[str]:
    """The words that mean `value`: itself, and those in its title when the schema lists titled choices
    (`{"const": "couple", "title": "couple (2 travellers, カップル, 夫婦)"}`)."""
    terms = [value]
    for choice in schema.get("oneOf", []):
        if isinstance(choice, dict) and choice.get("const") == value:
            inside = re.findall(r"\(([^)]*)\)", choice.get("title", ""))
            terms += [term.strip() for part in inside for term in part.split(",") if term.strip() and not term.strip()[0].isdigit()]
    return terms


def _mentions_string(text: str, schema: dict[str, Any], value: str) -> bool:
    """Whether `text` writes `value` (or a word of its title): a Latin term as a whole word (a plural
    too), since as a substring "ja" was found in "Japanese" and an English user was asked in Japanese."""
    normal = _normal(text)
    for term in (_normal(term.strip()) for term in _terms(schema, value) if term.strip()):
        if not term.isascii() and term in normal:
            return True
        if term.isascii() and re.search(rf"(?<![a-z0-9]){re.escape(term)}(?:e?s)?(?![a-z0-9])", normal):
            return True
    return False


def ground(arguments: dict[str, Any], messages: Messages, schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a call's arguments into those the conversation supports and those it does not.

    Numbers must be said by the user as a count that can be about that parameter (mentions_number);
    strings must be written by the user or returned by a tool (or, for titled choices, a word of
    their title must be); a `language` code must be the language the user writes in; booleans,
    lists and objects are kept (the server validates them).

    Args:
        arguments: The call's arguments.
        messages: The conversation.
        schema: The tool's input schema (parameter descriptions and titled choices).

    Returns:
        (kept, dropped).
    """
    said, written = user_text(messages), conversation_text(messages)
    code = user_language_code(messages)
    properties = schema.get("properties", {})
    kept: dict[str, Any] = {}
    dropped: dict[str, Any] = {}
    for name, value in arguments.items():
        (kept if _supports(name, properties.get(name, {}), value, said, written, code) else dropped)[name] = value
    return kept, dropped


def _supports(name: str, prop: dict[str, Any], value: Any, said: str, written: str, code: str) -> bool:
    """Whether the conversation supports `value` for parameter `name` (see ground); `code`: the user's language."""
    if name == LANGUAGE and code in _language_choices(prop):
        return value == code
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return True
    if isinstance(value, str):
        return _mentions_string(written, prop, value)
    return mentions_number(said, value, f"{name} {prop.get('description', '')}")
