"""Grounding and the call grammar's schema (pure: no model)."""

import json

import pytest

from agent.providers.local_prompt import (
    call_schema,
    chat_messages,
    choice_grammar,
    ground,
    grounded_lead,
    lead_messages,
    mentions_number,
    template_tools,
    usable_tool_names,
    with_user_language,
)

pytestmark = pytest.mark.usefixtures("isolated_aws")  # no AWS credentials or settings from this machine

PLAN = {
    "type": "object",
    "properties": {
        "destination": {"type": "string", "enum": ["Kyoto", "京都"]},
        "trip_type": {"type": "string", "oneOf": [
            {"const": "solo", "title": "solo (1 traveller, 一人, ひとり)"},
            {"const": "family", "title": "family (家族, 子供)"},
        ]},
        "nights": {"type": "integer", "minimum": 1, "maximum": 7, "description": "Hotel nights (泊), 1-7."},
        "travelers": {"type": "integer", "minimum": 1, "maximum": 8, "description": "Number of travellers (people, 人, 名), 1-8."},
    },
}  # fmt: skip


def said(*texts):
    return [{"role": "user", "content": [{"text": text}]} for text in texts]


@pytest.mark.parametrize(
    ("text", "arguments", "exp_kept"),
    [
        ("家族4人で京都に行きたい", {"destination": "京都", "trip_type": "family", "nights": 4, "travelers": 4},
         {"destination": "京都", "trip_type": "family", "travelers": 4}),
        ("A solo trip to Kyoto for 2 nights", {"destination": "Kyoto", "trip_type": "solo", "nights": 2, "travelers": 2},
         {"destination": "Kyoto", "trip_type": "solo", "nights": 2}),
        ("一人で京都に三泊", {"trip_type": "solo", "nights": 3, "travelers": 1}, {"trip_type": "solo", "nights": 3, "travelers": 1}),
        ("Plan a trip to Kyoto.", {"destination": "Kyoto", "trip_type": "solo", "nights": 3}, {"destination": "Kyoto"}),
        ("How much for Kyoto for two?", {"destination": "Kyoto", "nights": 2, "travelers": 2}, {"destination": "Kyoto", "travelers": 2}),
    ],
)  # fmt: skip
def test_grounding_keeps_what_the_user_said_and_drops_the_rest(text, arguments, exp_kept):
    kept, dropped = ground(arguments, said(text), PLAN)

    assert kept == exp_kept
    assert dropped == {name: value for name, value in arguments.items() if name not in exp_kept}


def test_an_id_returned_by_a_tool_grounds_a_string_but_its_numbers_do_not():
    messages = [
        *said("Book it."),
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t", "status": "success", "content": [{"text": "Booked TRV-AB12C for 3 nights"}]}}]},
    ]  # fmt: skip

    kept, dropped = ground({"reservation_id": "TRV-AB12C", "nights": 3}, messages, PLAN)

    assert (kept, dropped) == ({"reservation_id": "TRV-AB12C"}, {"nights": 3})


@pytest.mark.parametrize(
    ("text", "number", "about", "exp"),
    [
        ("3泊", 3, "nights (泊)", True),
        ("3泊", 3, "travellers (people, 人, 名)", False),
        ("for ３ people", 3, "travellers (people, 人, 名)", True),  # full-width digit
        ("just me", 1, "travellers (people, 人, 名)", True),
        ("three nights", 3, "nights", True),
        ("2026年", 2, "nights", False),
    ],
)
def test_a_count_is_said_only_with_a_unit_that_fits(text, number, about, exp):
    assert mentions_number(text, number, about) is exp


def test_the_call_schema_keeps_required_arguments_and_makes_small_ranges_enums():
    spec = {"name": "plan_trip", "description": "Plan.", "inputSchema": {"json": {**PLAN, "required": ["destination"]}}}

    tru = call_schema(template_tools([spec]))

    assert tru["properties"]["name"] == {"const": "plan_trip"}
    arguments = tru["properties"]["arguments"]
    assert arguments["required"] == ["destination"] and arguments["additionalProperties"] is False
    assert arguments["properties"]["nights"] == {"enum": [1, 2, 3, 4, 5, 6, 7]}
    assert [c["const"] for c in arguments["properties"]["trip_type"]["oneOf"]] == ["solo", "family"]
    json.dumps(tru)  # what LlamaGrammar.from_json_schema receives


QUOTE = {**PLAN, "required": ["destination", "trip_type", "nights", "travelers"]}


def test_the_call_schema_given_the_conversation_allows_only_the_values_it_supports():
    spec = {"name": "get_quote", "description": "Price.", "inputSchema": {"json": QUOTE}}

    tru = call_schema(template_tools([spec]), said("How much would a solo trip to Kyoto for 2 nights cost?"))

    arguments = tru["properties"]["arguments"]
    # "solo" is one traveller; "2 nights" is not two travellers.
    assert arguments["properties"]["travelers"] == {"enum": [1]}
    assert arguments["properties"]["nights"] == {"enum": [2]}
    assert arguments["properties"]["destination"] == {"enum": ["Kyoto"]}
    assert [c["const"] for c in arguments["properties"]["trip_type"]["oneOf"]] == ["solo"]
    assert arguments["required"] == ["destination", "trip_type", "nights", "travelers"]


def test_an_argument_the_conversation_does_not_support_is_left_out_of_the_call_schema_even_when_required():
    spec = {"name": "get_quote", "description": "Price.", "inputSchema": {"json": QUOTE}}

    tru = call_schema(template_tools([spec]), said("How much is Kyoto?"))["properties"]["arguments"]

    assert list(tru["properties"]) == tru["required"] == ["destination"]


def test_an_identifier_argument_may_only_be_one_the_conversation_holds():
    spec = {"name": "cancel_booking", "description": "", "inputSchema": {"json": {
        "type": "object", "properties": {"reservation_id": {"type": "string"}}, "required": ["reservation_id"]}}}
    messages = [
        *said("その予約をキャンセルして"),
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t", "status": "success", "content": [{"text": "予約しました: 予約番号 TRV-7K3Q9。"}]}}]},
    ]  # fmt: skip

    tru = call_schema(template_tools([spec]), messages)["properties"]["arguments"]

    assert tru["properties"]["reservation_id"] == {"enum": ["TRV-7K3Q9"]}


def test_the_choice_grammar_names_exactly_the_given_tools():
    tru = choice_grammar(["plan_trip", "reply_in_words"])

    assert tru == 'root ::= "{\\"name\\": \\"" ("plan_trip" | "reply_in_words") "\\""'


def test_the_lead_prompt_is_the_result_alone_and_asks_in_the_user_language():
    messages = [
        *said("一人で沖縄に1泊の旅行を予約して"),
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "plan_trip", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t", "status": "success", "content": [{"text": "予約しました"}]}}]},
    ]  # fmt: skip

    tru = lead_messages(messages, [{"name": "plan_trip", "description": "Plan a trip in Japan and book it.\n\nMore.", "inputSchema": {}}])

    assert "Japanese" in tru[0]["content"] and tru[1] == {"role": "user", "content": "予約しました"}
    assert "plan_trip (Plan a trip in Japan and book it.)" in tru[0]["content"]
    assert "キャンセル" not in tru[0]["content"]  # nothing was cancelled: no example says so


def test_the_lead_prompt_offers_the_cancelled_example_only_after_a_cancelling_tool():
    messages = [
        *said("Cancel TRV-7K3Q9"),
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "cancel_booking", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t", "status": "success", "content": [{"text": "Cancelled."}]}}]},
    ]  # fmt: skip

    assert "Your booking is cancelled." in lead_messages(messages, [])[0]["content"]


@pytest.mark.parametrize(
    ("lead", "exp"),
    [
        ("Your trip to Kyoto is booked (TRV-7K3Q9) for ¥26,000.", True),
        ("Your trip is booked for ¥25,000.", False),  # a price the result does not say
        ("Booked as TRV-0000X.", False),  # another reservation number
        ("京都の旅行を予約しました。", True),
        ("Booked: reservation TRV-7K3Q9.", False),  # a copy of the result's first sentence adds nothing
    ],
)
def test_a_lead_may_only_repeat_figures_and_identifiers_of_the_result(lead, exp):
    result = "Booked: reservation TRV-7K3Q9. Kyoto, solo, 1 night: transport ¥14,000 + hotel ¥12,000 = ¥26,000."

    assert grounded_lead(lead, result) is exp


def test_a_short_latin_value_is_grounded_only_as_a_whole_word():
    language = {"type": "object", "properties": {"language": {"type": "string"}, "trip_type": PLAN["properties"]["trip_type"]}}
    messages = [
        *said("Plan a couple's trip to Fukuoka for 2 nights."),
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t", "status": "success", "content": [{"text": "Try Japanese food."}]}}]},
        *said("Two solos then, and in ja please."),
    ]  # fmt: skip

    kept, dropped = ground({"language": "ja", "trip_type": "solo"}, messages[:2], language)
    assert (kept, dropped) == ({}, {"language": "ja", "trip_type": "solo"})
    kept, _ = ground({"language": "ja", "trip_type": "solo"}, messages, language)
    assert kept == {"language": "ja", "trip_type": "solo"}


BOOK = {"type": "object", "properties": {
    "quote_id": {"type": "string"},
    "language": {"type": "string", "enum": ["en", "ja"], "description": "Language to ask the user in: en or ja."},
}, "required": ["quote_id"]}  # fmt: skip


@pytest.mark.parametrize(("text", "exp_code"), [("やっぱり予約してください", "ja"), ("Go ahead and book it.", "en")])
def test_a_language_code_argument_can_only_be_the_language_the_user_writes_in(text, exp_code):
    spec = {"name": "book_quote", "description": "", "inputSchema": {"json": BOOK}}
    other = {"en": "ja", "ja": "en"}[exp_code]

    tru = call_schema(template_tools([spec]), said(text))["properties"]["arguments"]["properties"]["language"]

    assert tru == {"enum": [exp_code]}
    assert ground({"language": other}, said(text), BOOK) == ({}, {"language": other})
    assert ground({"language": exp_code}, said(text), BOOK) == ({"language": exp_code}, {})


def test_a_call_without_the_language_gets_the_users_and_other_tools_are_left_alone():
    japanese = said("Q-AB12CD34 を予約して")

    assert with_user_language({"quote_id": "Q-AB12CD34"}, japanese, BOOK) == {"quote_id": "Q-AB12CD34", "language": "ja"}
    assert with_user_language({"quote_id": "Q-AB12CD34", "language": "en"}, japanese, BOOK)["language"] == "en"
    assert with_user_language({}, japanese, PLAN) == {}  # no language parameter
    free = {"type": "object", "properties": {"language": {"type": "string"}}}  # not a list of codes: e.g. a programming language
    assert with_user_language({}, japanese, free) == {}


def test_tool_calls_and_results_become_chat_template_messages():
    messages = [
        {"role": "user", "content": [{"text": "Weather in Tokyo?"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Tokyo"}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "status": "error", "content": [{"text": "down"}]}}]},
    ]

    tru = chat_messages(messages, "Be brief.")

    assert tru == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Tokyo?"},
        {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Tokyo"}}}]},
        {"role": "tool", "content": "Error: down"},
    ]  # fmt: skip


SPECS = [
    {"name": name, "description": "", "inputSchema": {"json": {"type": "object", "properties": props, "required": list(props)}}}
    for name, props in [("list_bookings", {}), ("cancel_booking", {"reservation_id": {"type": "string"}})]
]


@pytest.mark.parametrize(
    ("texts", "exp_names"),
    [
        (["Show my bookings."], ["list_bookings"]),
        (["私の予約を見せて"], ["list_bookings"]),
        (["予約TRV-7K3Q9をキャンセル"], ["list_bookings", "cancel_booking"]),
        (["A well-known place for COVID-19 rules?"], ["list_bookings"]),
    ],
)
def test_tools_needing_an_id_are_callable_only_when_the_conversation_has_one(texts, exp_names):
    messages = [{"role": "user", "content": [{"text": text}]} for text in texts]

    assert usable_tool_names(SPECS, messages) == exp_names
