import pytest

from agent.elicitation_schema import (
    Choice,
    FieldError,
    SchemaError,
    coerce,
    parse_schema,
    single_answer_field,
    validate_content,
)

TRIP_SCHEMA = {
    "type": "object",
    "properties": {
        "destination": {"type": "string", "title": "Destination", "enum": ["Kyoto", "Okinawa", "Hokkaido"]},
        "trip_type": {
            "type": "string",
            "oneOf": [{"const": "solo", "title": "Solo"}, {"const": "family", "title": "Family"}],
            "default": "solo",
        },
        "nights": {"type": "integer", "title": "Nights", "minimum": 1, "maximum": 7},
        "budget": {"type": "number", "minimum": 0},
        "email": {"type": "string", "format": "email"},
        "newsletter": {"type": "boolean", "default": False},
        "extras": {
            "type": "array",
            "items": {"anyOf": [{"const": "onsen", "title": "Hot spring"}, {"const": "food", "title": "Food tour"}]},
            "maxItems": 1,
        },
    },
    "required": ["destination", "nights"],
}


def field_named(schema, name):
    return next(field for field in parse_schema(schema) if field.name == name)


def test_parse_schema_reads_every_property_in_order():
    fields = parse_schema(TRIP_SCHEMA)

    tru_summary = [(field.name, field.kind, field.required) for field in fields]
    exp_summary = [
        ("destination", "enum", True),
        ("trip_type", "enum", False),
        ("nights", "integer", True),
        ("budget", "number", False),
        ("email", "string", False),
        ("newsletter", "boolean", False),
        ("extras", "multi", False),
    ]
    assert tru_summary == exp_summary
    assert fields[1].choices == (Choice("solo", "Solo"), Choice("family", "Family"))
    assert fields[1].default == "solo"
    assert fields[2].title == "Nights" and fields[3].title == "budget"
    assert (fields[2].minimum, fields[2].maximum) == (1, 7)
    assert fields[6].max_items == 1


def test_parse_schema_reads_legacy_enum_names_and_plain_array_enums():
    schema = {
        "type": "object",
        "properties": {
            "size": {"type": "string", "enum": ["s", "l"], "enumNames": ["Small", "Large"]},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "minItems": 1},
        },
    }

    size, tags = parse_schema(schema)

    assert size.choices == (Choice("s", "Small"), Choice("l", "Large"))
    assert tags.kind == "multi" and tags.choices == (Choice("a", "a"), Choice("b", "b"))
    assert tags.min_items == 1


@pytest.mark.parametrize(
    ("schema", "exp_words"),
    [
        ({"type": "array"}, "object"),
        ({"type": "object", "properties": {"x": {"type": "object"}}}, "unsupported type 'object'"),
        ({"type": "object", "properties": {"x": {"type": "string", "format": "ipv4"}}}, "format 'ipv4'"),
        ({"type": "object", "properties": {"x": {"type": "array", "items": {"type": "string"}}}}, "enum or anyOf"),
        ({"type": "object", "properties": {"x": {"type": "string", "enum": []}}}, "non-empty"),
        ({"type": "object", "properties": {"x": {"type": "string", "enum": ["a"], "enumNames": []}}}, "enumNames"),
        ({"type": "object", "properties": {"x": {"type": "string", "pattern": "("}}}, "invalid pattern"),
        ({"type": "object", "properties": {}, "required": ["x"]}, "not defined: x"),
        ({"type": "object", "properties": {"x": {"type": "integer", "maximum": 3, "default": 9}}}, "invalid default"),
    ],
)
def test_parse_schema_rejects_unsupported_shapes_with_a_reason(schema, exp_words):
    with pytest.raises(SchemaError, match=exp_words):
        parse_schema(schema)


@pytest.mark.parametrize("text", ["Okinawa", "okinawa", "2", " OKINAWA "])
def test_coerce_enum_accepts_value_number_any_case(text):
    assert coerce(field_named(TRIP_SCHEMA, "destination"), text) == "Okinawa"


@pytest.mark.parametrize("text", ["family", "Family", "FAMILY", "2"])
def test_coerce_titled_enum_accepts_value_title_or_number(text):
    assert coerce(field_named(TRIP_SCHEMA, "trip_type"), text) == "family"


@pytest.mark.parametrize("text", ["Osaka", "0", "4"])
def test_coerce_enum_rejects_other_answers(text):
    with pytest.raises(FieldError, match="not one of the choices"):
        coerce(field_named(TRIP_SCHEMA, "destination"), text)


def test_coerce_integer_reads_whole_numbers_and_explains_the_range():
    nights = field_named(TRIP_SCHEMA, "nights")

    assert coerce(nights, " 3 ") == 3
    assert coerce(nights, "3.0") == 3
    for text in ["0", "8", "2.5", "two", "nan"]:
        with pytest.raises(FieldError, match="^must be a whole number between 1 and 7$"):
            coerce(nights, text)


def test_coerce_number_accepts_fractions_and_checks_minimum():
    budget = field_named(TRIP_SCHEMA, "budget")

    assert coerce(budget, "1500.5") == 1500.5
    assert coerce(budget, "20") == 20
    for text in ["-1", "inf", "lots"]:
        with pytest.raises(FieldError, match="^must be a number of at least 0$"):
            coerce(budget, text)


@pytest.mark.parametrize(("text", "exp_value"), [("y", True), ("YES", True), ("true", True), ("n", False), ("no", False)])
def test_coerce_boolean_reads_yes_and_no(text, exp_value):
    assert coerce(field_named(TRIP_SCHEMA, "newsletter"), text) is exp_value


def test_coerce_boolean_rejects_other_words():
    with pytest.raises(FieldError, match="y or n"):
        coerce(field_named(TRIP_SCHEMA, "newsletter"), "maybe")


def test_coerce_multi_select_reads_numbers_values_and_titles():
    schema = {
        "type": "object",
        "properties": {
            "extras": {
                "type": "array",
                "items": {"anyOf": [{"const": "onsen", "title": "Hot spring"}, {"const": "food", "title": "Food tour"}, {"const": "tea", "title": "Tea"}]},
                "minItems": 1,
                "maxItems": 2,
            }
        },
    }
    extras = field_named(schema, "extras")

    assert coerce(extras, "3, hot spring") == ["tea", "onsen"]
    assert coerce(extras, "food,food") == ["food"]
    with pytest.raises(FieldError, match="pick 1 to 2 choices"):
        coerce(extras, "1,2,3")
    with pytest.raises(FieldError, match="not one of the choices"):
        coerce(extras, "1, spa")


@pytest.mark.parametrize(
    ("prop", "good", "bad", "exp_message"),
    [
        ({"type": "string", "minLength": 2, "maxLength": 4}, "abc", "abcde", "must be 2 to 4 characters"),
        ({"type": "string", "pattern": "^[A-Z]{3}$"}, "HND", "hnd", "must match the pattern"),
        ({"type": "string", "format": "email"}, "a@b.jp", "a@b", "must be an email address"),
        ({"type": "string", "format": "uri"}, "https://example.jp/x", "example", "must be a URI"),
        ({"type": "string", "format": "date"}, "2026-04-01", "2026-13-01", "must be a date"),
        ({"type": "string", "format": "date-time"}, "2026-04-01T09:30:00Z", "2026-04-01", "must be a date and time"),
    ],
)
def test_coerce_string_checks_length_pattern_and_format(prop, good, bad, exp_message):
    field = field_named({"type": "object", "properties": {"x": prop}}, "x")

    assert coerce(field, good) == good
    with pytest.raises(FieldError, match=exp_message):
        coerce(field, bad)


def test_validate_content_is_empty_for_a_valid_answer():
    content = {"destination": "Kyoto", "nights": 2, "newsletter": True, "extras": ["food"], "budget": 1.5}

    assert validate_content(TRIP_SCHEMA, content) == []


def test_validate_content_lists_every_problem():
    content = {
        "nights": "2",
        "trip_type": "Solo",
        "newsletter": "yes",
        "extras": ["food", "onsen"],
        "email": "nobody",
        "surprise": 1,
    }

    tru_problems = validate_content(TRIP_SCHEMA, content)

    exp_problems = [
        "surprise: not a field of this form",
        "destination: required",
        "trip_type: must be one of: solo, family",
        "nights: must be a whole number between 1 and 7",
        "email: must be an email address",
        "newsletter: must be true or false",
        "extras: pick at most 1 choice",
    ]
    assert tru_problems == exp_problems


def test_validate_content_rejects_booleans_as_numbers_and_reports_bad_schemas():
    assert validate_content(TRIP_SCHEMA, {"destination": "Kyoto", "nights": True}) == [
        "nights: must be a whole number between 1 and 7"
    ]
    assert validate_content({"type": "string"}, {}) == ['unsupported schema: the requested schema must be {"type": "object", ...}']
    assert validate_content(TRIP_SCHEMA, ["Kyoto"]) == ["content must be an object of field values"]


def test_single_answer_field_is_the_only_field_or_the_first_required():
    only = {"type": "object", "properties": {"value": {"type": "string"}}}
    none_required = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}

    assert single_answer_field(parse_schema(only)).name == "value"
    assert single_answer_field(parse_schema(TRIP_SCHEMA)).name == "destination"
    assert single_answer_field(parse_schema(none_required)) is None


TITLED = {
    "type": "object",
    "properties": {
        "where": {
            "type": "string",
            "oneOf": [
                {"const": "kyoto", "title": "Kyoto (京都, きょうと)"},
                {"const": "hokkaido", "title": "Hokkaido（北海道）"},
                {"const": "sapporo", "title": "Sapporo (北海道)"},
            ],
        }
    },
}


@pytest.mark.parametrize(("text", "exp_value"), [("京都", "kyoto"), ("きょうと", "kyoto"), ("ＫＹＯＴＯ", "kyoto"), ("hokkaido", "hokkaido"), ("Hokkaido (北海道)", "hokkaido")])
def test_coerce_enum_reads_each_part_of_a_title(text, exp_value):
    assert coerce(field_named(TITLED, "where"), text) == exp_value


def test_coerce_enum_refuses_to_guess_between_choices_sharing_an_alias():
    with pytest.raises(FieldError, match=r"^'北海道' could be 2\. Hokkaido（北海道） or 3\. Sapporo \(北海道\): type its number$"):
        coerce(field_named(TITLED, "where"), "北海道")
