"""MCP 2025-11-25 elicitation schemas: parse, coerce typed text, validate answers.

Pure and synchronous: the terminal form (`agent/ui/forms.py`) and the `--answers`
file reader both build on it, so a scripted answer is held to the same rules as
a typed one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

FieldKind = Literal["string", "number", "integer", "boolean", "enum", "multi"]

STRING_FORMATS = ("email", "uri", "date", "date-time")
TRUE_WORDS = ("y", "yes", "true", "1")
FALSE_WORDS = ("n", "no", "false", "0")

# "Name (alias, alias)", after folding (full-width brackets become ASCII ones).
_TITLE_PARTS = re.compile(r"(?P<outer>[^()]*)\((?P<inner>[^()]*)\)")
# Deliberately loose: one "@" with a dotted domain; the server has the final say.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class SchemaError(ValueError):
    """The requested schema has a shape this client cannot present."""


class FieldError(ValueError):
    """A value for one field breaks the field's rules; the message is for humans."""


@dataclass(frozen=True)
class Choice:
    value: str
    title: str


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind
    title: str
    description: str | None = None
    required: bool = False
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Choice, ...] = ()
    min_items: int | None = None
    max_items: int | None = None


def parse_schema(schema: dict) -> list[Field]:
    """Turn a `requestedSchema` into fields, in the order the server listed them.

    Raises:
        SchemaError: the schema is not a flat object of supported primitive properties.
    """
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise SchemaError('the requested schema must be {"type": "object", ...}')
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        raise SchemaError('"properties" must be an object')
    required = schema.get("required", [])
    if not isinstance(required, list):
        raise SchemaError('"required" must be a list of property names')
    missing = [name for name in required if name not in properties]
    if missing:
        raise SchemaError(f"required properties are not defined: {', '.join(map(str, missing))}")
    fields = [_parse_property(name, prop, name in required) for name, prop in properties.items()]
    for field in fields:
        if field.default is not None:
            _check_default(field)
    return fields


def coerce(field: Field, text: str) -> Any:
    """Read what a human typed for `field` as the value to send.

    Enums accept the value, its title, a 1-based choice number or a part of the title, in any
    case or width (see `_matching_choices`); multi-selects take those separated by commas.

    Raises:
        FieldError: the text cannot be read as a valid value for the field.
    """
    text = text.strip()
    value = _READERS[field.kind](field, text)
    problem = check_value(field, value)
    if problem:
        raise FieldError(problem)
    return value


def check_value(field: Field, value: Any) -> str | None:
    """Return why an already typed `value` is not acceptable for `field`, or None."""
    return _CHECKERS[field.kind](field, value)


def validate_content(schema: dict, content: dict) -> list[str]:
    """List every problem with `content` as an answer to `schema`; empty when valid.

    A schema that cannot be parsed is reported as a problem rather than raised,
    since the caller's only use for the answer is to refuse it.
    """
    try:
        fields = parse_schema(schema)
    except SchemaError as error:
        return [f"unsupported schema: {error}"]
    if not isinstance(content, dict):
        return ["content must be an object of field values"]
    by_name = {field.name: field for field in fields}
    problems = [f"{name}: not a field of this form" for name in content if name not in by_name]
    for field in fields:
        if field.name not in content:
            if field.required:
                problems.append(f"{field.name}: required")
            continue
        problem = check_value(field, content[field.name])
        if problem:
            problems.append(f"{field.name}: {problem}")
    return problems


def single_answer_field(fields: list[Field]) -> Field | None:
    """The field a bare `--answers` value fills: the only one, else the first required."""
    if len(fields) == 1:
        return fields[0]
    return next((field for field in fields if field.required), None)


def read_bare_answer(field: Field, value: Any) -> Any:
    """A bare `--answers` value for `field`: a choice's title, alias or number reads as its value, as typed.

    Anything that names no choice is returned as it is, for the schema check to refuse with the
    list of allowed values.

    Raises:
        FieldError: the value names more than one choice.
    """
    if field.kind == "enum" and isinstance(value, str):
        return _bare_choice(field, value)
    if field.kind == "multi" and _is_string_list(value):
        return [_bare_choice(field, item) for item in value]
    return value


def choice_label(choice: Choice) -> str:
    """How a choice is listed: its title, with the value only when the title does not already say it."""
    if _fold(choice.value) in _fold(choice.title):
        return choice.title
    return f"{choice.title} ({choice.value})"


def display_value(field: Field, value: Any) -> str:
    """Write `value` the way `coerce` reads it back, for defaults and the review step."""
    if field.kind == "boolean":
        return "yes" if value else "no"
    if field.kind == "multi":
        return ", ".join(value)
    return str(value)


def describe_constraints(field: Field) -> str:
    """A short phrase of the field's rules, e.g. "whole number between 1 and 7"."""
    if field.kind in ("number", "integer"):
        return _number_phrase(field)
    if field.kind == "boolean":
        return "y/n"
    if field.kind == "enum":
        return ""  # the numbered list of choices says it
    if field.kind == "multi":
        counted = _count_phrase(field.min_items, field.max_items, "choice")
        return "comma-separated" + (f", {counted}" if counted else "")
    parts = [f"format {field.format}"] if field.format else []
    length = _count_phrase(field.min_length, field.max_length, "character")
    if length:
        parts.append(length)
    if field.pattern:
        parts.append(f"matching {field.pattern}")
    return ", ".join(parts)


def says_bounds(field: Field, text: str) -> bool:
    """Whether `text` already names every bound of a number field, as "How many nights (1-7)?" does."""
    bounds = [_plain(bound) for bound in (field.minimum, field.maximum) if bound is not None]
    return bool(bounds) and all(re.search(rf"(?<![\d.]){re.escape(bound)}(?![\d.])", text) for bound in bounds)


# --- parsing -----------------------------------------------------------------


def _parse_property(name: str, prop: Any, required: bool) -> Field:
    if not isinstance(prop, dict):
        raise SchemaError(f"property {name!r} must be an object")
    common = {
        "name": name,
        "title": str(prop.get("title") or name),
        "description": prop.get("description"),
        "required": required,
        "default": prop.get("default"),
    }
    kind = prop.get("type")
    if kind == "string" and ("enum" in prop or "oneOf" in prop):
        return Field(kind="enum", choices=_single_choices(name, prop), **common)
    if kind == "string":
        return _string_field(name, prop, common)
    if kind in ("number", "integer"):
        return Field(
            kind=kind,
            minimum=_optional_number(name, prop, "minimum"),
            maximum=_optional_number(name, prop, "maximum"),
            **common,
        )
    if kind == "boolean":
        return Field(kind="boolean", **common)
    if kind == "array":
        return Field(
            kind="multi",
            choices=_multi_choices(name, prop.get("items")),
            min_items=_optional_count(name, prop, "minItems"),
            max_items=_optional_count(name, prop, "maxItems"),
            **common,
        )
    raise SchemaError(f"property {name!r} has unsupported type {kind!r}")


def _string_field(name: str, prop: dict, common: dict) -> Field:
    string_format = prop.get("format")
    if string_format is not None and string_format not in STRING_FORMATS:
        raise SchemaError(f"property {name!r} has unsupported format {string_format!r}")
    pattern = prop.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as error:
            raise SchemaError(f"property {name!r} has an invalid pattern: {error}") from error
    return Field(
        kind="string",
        min_length=_optional_count(name, prop, "minLength"),
        max_length=_optional_count(name, prop, "maxLength"),
        pattern=pattern,
        format=string_format,
        **common,
    )


def _single_choices(name: str, prop: dict) -> tuple[Choice, ...]:
    if "oneOf" in prop:
        return _titled_choices(name, prop["oneOf"], "oneOf")
    values = prop["enum"]
    titles = prop.get("enumNames", values)  # legacy titled enums
    if not _is_string_list(values) or not values:
        raise SchemaError(f"property {name!r}: enum must be a non-empty list of strings")
    if not _is_string_list(titles) or len(titles) != len(values):
        raise SchemaError(f"property {name!r}: enumNames must name each enum value")
    return tuple(Choice(value, title) for value, title in zip(values, titles))


def _multi_choices(name: str, items: Any) -> tuple[Choice, ...]:
    if isinstance(items, dict) and "anyOf" in items:
        return _titled_choices(name, items["anyOf"], "anyOf")
    if isinstance(items, dict) and _is_string_list(items.get("enum")) and items["enum"]:
        return tuple(Choice(value, value) for value in items["enum"])
    raise SchemaError(f"property {name!r}: array items must be an enum or anyOf of constants")


def _titled_choices(name: str, options: Any, keyword: str) -> tuple[Choice, ...]:
    valid = (
        isinstance(options, list)
        and options
        and all(isinstance(option, dict) and isinstance(option.get("const"), str) for option in options)
    )
    if not valid:
        raise SchemaError(f"property {name!r}: {keyword} must list {{const, title}} objects")
    return tuple(Choice(option["const"], str(option.get("title") or option["const"])) for option in options)


def _optional_number(name: str, prop: dict, key: str) -> float | None:
    value = prop.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise SchemaError(f"property {name!r}: {key} must be a number")
    return value


def _optional_count(name: str, prop: dict, key: str) -> int | None:
    value = prop.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise SchemaError(f"property {name!r}: {key} must be a non-negative integer")
    return value


def _check_default(field: Field) -> None:
    problem = check_value(field, field.default)
    if problem:
        raise SchemaError(f"property {field.name!r} has an invalid default: {problem}")


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


# --- reading typed text --------------------------------------------------------


def _read_string(field: Field, text: str) -> str:
    return text


def _read_number(field: Field, text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError as error:
        raise FieldError(f"must be a {_number_phrase(field)}") from error
    if field.kind == "integer" and number.is_integer():
        return int(number)
    return number


def _read_boolean(field: Field, text: str) -> bool:
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldError("answer y or n")


def _read_enum(field: Field, text: str) -> str:
    return _match_choice(field, text)


def _matching_choices(field: Field, text: str) -> list[Choice]:
    """The choices `text` names, in any case and width: by value, else title, else number, else alias.

    An alias is a part of the title: "Hokkaido (北海道)" is also "Hokkaido" and "北海道". Values win
    over everything, so a pre-filled value always reads back as itself; more than one match at the
    first level that has any means the text is ambiguous.
    """
    wanted = _fold(text)
    by_value = [choice for choice in field.choices if _fold(choice.value) == wanted]
    by_title = [choice for choice in field.choices if _fold(choice.title) == wanted]
    if by_value or by_title:
        return by_value or by_title
    if wanted.isdigit() and 1 <= int(wanted) <= len(field.choices):
        return [field.choices[int(wanted) - 1]]
    return [choice for choice in field.choices if wanted in _aliases(choice)]


def _bare_choice(field: Field, text: str) -> str:
    matches = _matching_choices(field, text)
    if len(matches) > 1:
        raise FieldError(_ambiguous(field, text, matches))
    return matches[0].value if matches else text


def _ambiguous(field: Field, text: str, matches: list[Choice]) -> str:
    listed = " or ".join(f"{field.choices.index(choice) + 1}. {choice.title}" for choice in matches)
    return f"{text!r} could be {listed}: type its number"


def _fold(text: str) -> str:
    """Compare text the way a person reads it: full-width letters, digits and brackets fold to ASCII,
    case is ignored, and so is spacing around brackets ("Hokkaido（北海道）" is "hokkaido (北海道)")."""
    words = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return re.sub(r" ?([()]) ?", r"\1", words)


def _aliases(choice: Choice) -> set[str]:
    """The parts of a title, e.g. "Kyoto (京都, きょうと)" -> {"kyoto", "京都", "きょうと"}."""
    title = _fold(choice.title)
    found = _TITLE_PARTS.fullmatch(title)
    if found is None:
        return set()
    inner = {part.strip() for part in re.split(r"[,/、]", found["inner"])}
    return {found["outer"], *inner} - {""}


def _read_multi(field: Field, text: str) -> list[str]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    chosen: list[str] = []
    for part in parts:
        value = _match_choice(field, part)
        if value not in chosen:
            chosen.append(value)
    return chosen


def _match_choice(field: Field, text: str) -> str:
    matches = _matching_choices(field, text)
    if len(matches) == 1:
        return matches[0].value
    if matches:
        raise FieldError(_ambiguous(field, text, matches))
    raise FieldError(f"{text!r} is not one of the choices (1-{len(field.choices)})")


_READERS = {
    "string": _read_string,
    "number": _read_number,
    "integer": _read_number,
    "boolean": _read_boolean,
    "enum": _read_enum,
    "multi": _read_multi,
}


# --- checking typed values -----------------------------------------------------


def _check_string(field: Field, value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be text"
    length = _count_phrase(field.min_length, field.max_length, "character")
    if field.min_length is not None and len(value) < field.min_length:
        return f"must be {length}"
    if field.max_length is not None and len(value) > field.max_length:
        return f"must be {length}"
    if field.pattern is not None and not re.search(field.pattern, value):
        return f"must match the pattern {field.pattern}"
    if field.format and not _FORMAT_CHECKS[field.format](value):
        return f"must be {_FORMAT_NAMES[field.format]}"
    return None


def _check_number(field: Field, value: Any) -> str | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if field.kind == "integer":
        is_number = is_number and math.isfinite(value) and float(value).is_integer()
    too_low = is_number and field.minimum is not None and value < field.minimum
    too_high = is_number and field.maximum is not None and value > field.maximum
    if not is_number or not math.isfinite(value) or too_low or too_high:
        return f"must be a {_number_phrase(field)}"
    return None


def _check_boolean(field: Field, value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _check_enum(field: Field, value: Any) -> str | None:
    if value in [choice.value for choice in field.choices]:
        return None
    return "must be one of: " + ", ".join(choice.value for choice in field.choices)


def _check_multi(field: Field, value: Any) -> str | None:
    if not isinstance(value, list):
        return "must be a list of choices"
    for item in value:
        problem = _check_enum(field, item)
        if problem:
            return f"{item!r} is not allowed; each item {problem}"
    if len(set(value)) != len(value):
        return "must not repeat a choice"
    counted = _count_phrase(field.min_items, field.max_items, "choice")
    if field.min_items is not None and len(value) < field.min_items:
        return f"pick {counted}"
    if field.max_items is not None and len(value) > field.max_items:
        return f"pick {counted}"
    return None


_CHECKERS = {
    "string": _check_string,
    "number": _check_number,
    "integer": _check_number,
    "boolean": _check_boolean,
    "enum": _check_enum,
    "multi": _check_multi,
}


def _is_email(value: str) -> bool:
    return _EMAIL.fullmatch(value) is not None


def _is_uri(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def _is_iso(parser: Any, value: str) -> bool:
    try:
        parser(value)
    except ValueError:
        return False
    return True


_FORMAT_CHECKS = {
    "email": _is_email,
    "uri": _is_uri,
    "date": lambda value: _is_iso(date.fromisoformat, value),
    "date-time": lambda value: "T" in value.upper() and _is_iso(datetime.fromisoformat, value),
}
_FORMAT_NAMES = {
    "email": "an email address",
    "uri": "a URI such as https://example.com",
    "date": "a date like 2026-04-01",
    "date-time": "a date and time like 2026-04-01T09:30:00",
}


# --- wording ---------------------------------------------------------------------


def _number_phrase(field: Field) -> str:
    noun = "whole number" if field.kind == "integer" else "number"
    low, high = _plain(field.minimum), _plain(field.maximum)
    if low is not None and high is not None:
        return f"{noun} between {low} and {high}"
    if low is not None:
        return f"{noun} of at least {low}"
    if high is not None:
        return f"{noun} of at most {high}"
    return noun


def _count_phrase(low: int | None, high: int | None, noun: str) -> str:
    if low is not None and high is not None and low != high:
        return f"{low} to {high} {noun}s"
    if low is not None and high is not None:
        return f"exactly {_counted(low, noun)}"
    if low is not None:
        return f"at least {_counted(low, noun)}"
    if high is not None:
        return f"at most {_counted(high, noun)}"
    return ""


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _plain(number: float | None) -> str | None:
    """Write 7.0 as "7" so messages read naturally."""
    if number is None:
        return None
    return str(int(number)) if float(number).is_integer() else str(number)
