"""The other tools and the destinations resource, through a real client."""

import json

import pytest
from fastmcp.exceptions import ToolError

from tests.mcp_server.conftest import MODES, Human, client


async def test_list_destinations_and_resource_agree(server):
    async with client(server) as c:
        listed = await c.call_tool("list_destinations", {})
        resource = await c.read_resource("trip://destinations")
    data = listed.structured_content
    assert [d["name"] for d in data["destinations"]] == ["Kyoto", "Okinawa", "Hokkaido", "Fukuoka"]
    assert json.loads(resource[0].text) == data
    assert "Kyoto (京都): transport ¥14,000/person" in listed.content[0].text


async def test_server_names_itself_with_the_project_version(server):
    from importlib import metadata

    async with client(server, mode="legacy") as c:
        info = c.initialize_result.server_info
    assert (info.name, info.version) == ("travel-planner", metadata.version("trip-agent"))


async def test_tools_declare_output_schemas(server):
    async with client(server) as c:
        tools = {tool.name: tool for tool in await c.list_tools()}
    assert set(tools) == {"plan_trip", "list_destinations", "get_quote", "book_quote", "get_booking", "list_bookings", "cancel_booking"}
    assert all(tool.output_schema for tool in tools.values())
    assert tools["cancel_booking"].annotations.destructive_hint is True
    assert tools["plan_trip"].input_schema.get("required", []) == []


async def test_trip_arguments_advertise_the_catalogues_valid_values(server):
    async with client(server) as c:
        tools = {tool.name: tool for tool in await c.list_tools()}
    for name in ("plan_trip", "get_quote"):
        properties = tools[name].input_schema["properties"]
        assert properties["destination"]["enum"] == ["Kyoto", "京都", "Okinawa", "沖縄", "Hokkaido", "北海道", "Fukuoka", "福岡"]
        trip_types = properties["trip_type"]["oneOf"]
        assert [choice["const"] for choice in trip_types] == ["solo", "couple", "family", "friends"]
        assert trip_types[0]["title"] == "solo (1 traveller, 一人, ひとり)"
        assert (properties["nights"]["type"], properties["nights"]["minimum"], properties["nights"]["maximum"]) == ("integer", 1, 7)
        assert (properties["travelers"]["minimum"], properties["travelers"]["maximum"]) == (1, 8)
    for name in ("plan_trip", "book_quote", "cancel_booking"):
        language = tools[name].input_schema["properties"]["language"]
        assert (language["enum"], "en or ja" in language["description"]) == (["en", "ja"], True)


@pytest.mark.parametrize("mode", MODES)
async def test_values_outside_the_advertised_schema_reach_the_flow_and_are_asked_again(server, mode):
    human = Human([{"destination": "Kyoto"}, {"trip_type": "solo"}, {"nights": 2}, {"decision": "Book"}])
    arguments = {"destination": "Tokyo", "trip_type": "weekend", "nights": 9, "travelers": "1"}
    async with client(server, human, mode=mode) as c:
        result = await c.call_tool("plan_trip", arguments)
    assert human.asked == ["destination", "trip_type", "nights", "decision"]
    assert "Tokyo" in human.questions[0][0]
    assert "'weekend' is not" in human.questions[1][0]
    assert human.questions[2][0].startswith("Nights must be from 1 to 7; 9 is out of range.")
    assert result.structured_content["status"] == "booked"


async def test_get_quote_answers_price_questions_without_asking(server, store):
    human = Human([])
    async with client(server, human) as c:
        result = await c.call_tool("get_quote", {"destination": "京都", "trip_type": "solo", "nights": 2, "travelers": 1})
    assert result.structured_content["total_jpy"] == 38_000
    assert human.questions == [] and await store.list_bookings("local") == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"destination": "Atlantis", "trip_type": "solo", "nights": 2, "travelers": 1}, "Atlantis is not in the catalogue"),
        ({"destination": "Kyoto", "trip_type": "solo", "nights": 9, "travelers": 1}, "Nights must be from 1 to 7"),
        ({"destination": "Kyoto", "trip_type": "couple", "nights": 2, "travelers": 3}, "A couple trip is for exactly 2"),
    ],
)
async def test_get_quote_rejects_bad_arguments_clearly(server, arguments, message):
    async with client(server) as c:
        with pytest.raises(ToolError, match=message):
            await c.call_tool("get_quote", arguments)


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("get_quote", {"trip_type": "solo"}, "Invalid arguments for get_quote: destination: missing; nights: missing; travelers: missing."),
        ("get_quote", {"destination": 5, "trip_type": "solo", "nights": 2, "travelers": 1},
         "Invalid arguments for get_quote: destination: should be a valid string (got 5)."),
        ("plan_trip", {"nights": [1]},
         "Invalid arguments for plan_trip: nights: should be a valid integer or a valid number or a valid string (got [1])."),
    ],
)
async def test_wrong_argument_types_get_a_short_actionable_error(server, tool, arguments, message):
    async with client(server) as c:
        result = await c.call_tool(tool, arguments, raise_on_error=False)
    assert result.is_error and result.content[0].text == message


@pytest.mark.parametrize("mode", MODES)
async def test_book_look_up_list_and_cancel(server, store, mode):
    human = Human([{"decision": "Book"}, {"confirm": True}])
    async with client(server, human, mode=mode) as c:
        booked = (await c.call_tool("plan_trip", {"destination": "Fukuoka", "trip_type": "couple", "nights": 2})).structured_content
        reservation = booked["reservation_id"]
        looked_up = (await c.call_tool("get_booking", {"reservation_id": reservation.lower()})).structured_content
        listed = (await c.call_tool("list_bookings", {})).structured_content
        cancelled = (await c.call_tool("cancel_booking", {"reservation_id": reservation})).structured_content
        again = (await c.call_tool("cancel_booking", {"reservation_id": reservation})).structured_content
    assert looked_up["status"] == "confirmed" and looked_up["quote"]["total_jpy"] == 22_000 * 2 + 8_000 * 2
    assert [b["reservation_id"] for b in listed["bookings"]] == [reservation]
    assert cancelled["status"] == "cancelled" and "Cancel reservation" in human.questions[-1][0]
    assert again["message"] == "already cancelled"
    assert (await store.get_booking("local", reservation)).status == "cancelled"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("answer", ["decline", "cancel", {"confirm": False}])
async def test_cancel_booking_needs_a_yes(server, store, mode, answer):
    booking = await store.book("local", (await store.save_quote("local", _price())).id)
    async with client(server, Human([answer]), mode=mode) as c:
        result = await c.call_tool("cancel_booking", {"reservation_id": booking.reservation_id})
    assert result.structured_content["status"] == "kept"
    assert "nothing was changed" in result.structured_content["message"]
    assert (await store.get_booking("local", booking.reservation_id)).status == "confirmed"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("answers", "exp_message"),
    [
        (["decline"], "You declined the confirmation; nothing was changed."),
        ([{"decision": "Cancel"}], "Not confirmed; nothing was changed."),
        ([{"confirm": True}, {"decision": "maybe"}, {"decision": ""}], "Not confirmed; nothing was changed."),
    ],
)
async def test_book_quote_books_nothing_without_book(server, store, mode, answers, exp_message):
    quote = await store.save_quote("local", _price())
    human = Human(list(answers))
    async with client(server, human, mode=mode) as c:
        result = await c.call_tool("book_quote", {"quote_id": quote.id})
    assert (result.structured_content["status"], result.structured_content["message"]) == ("kept", exp_message)
    assert len(human.questions) == len(answers) and human.asked == ["decision"] * len(answers)  # re-asked up to max_attempts
    assert await store.list_bookings("local") == []


async def test_book_quote_with_an_expired_quote_is_a_clear_error(server, store):
    quote = await store.save_quote("local", _price())
    store.clock = lambda: 10**12  # far past the quote's 24 hours
    async with client(server, Human([])) as c:
        with pytest.raises(ToolError, match=f"Quote {quote.id} expired at .*run plan_trip again"):
            await c.call_tool("book_quote", {"quote_id": quote.id})


async def test_unknown_ids_are_clear_errors(server):
    async with client(server) as c:
        with pytest.raises(ToolError, match="No booking 'TRV-NOPE'"):
            await c.call_tool("get_booking", {"reservation_id": "TRV-NOPE"})
        with pytest.raises(ToolError, match="No quote 'Q-NOPE'"):
            await c.call_tool("book_quote", {"quote_id": "Q-NOPE"})


def _price():
    from mcp_server.catalog import load_catalog
    from mcp_server.pricing import price_trip

    return price_trip(load_catalog().resolve("Kyoto"), "solo", 1, 1)


@pytest.mark.parametrize("mode", MODES)
async def test_book_quote_and_cancel_booking_ask_in_the_callers_language(server, mode):
    human = Human([{"decision": "Cancel"}, {"decision": "Book"}, {"confirm": True}])
    async with client(server, human, mode=mode, sampling=None) as c:
        planned = await c.call_tool("plan_trip", {"destination": "京都", "trip_type": "solo", "nights": 2})
        booked = await c.call_tool("book_quote", {"quote_id": planned.structured_content["quote_id"], "language": "ja"})
        reservation = booked.structured_content["reservation_id"]
        cancelled = await c.call_tool("cancel_booking", {"reservation_id": reservation, "language": "ja"})
    quote_id = planned.structured_content["quote_id"]
    assert human.questions[1][0] == (
        f"見積もり {quote_id} を予約しますか？ 京都、一人旅（1名）、2泊、1名（1室）: 交通費 ¥14,000 + ホテル ¥24,000 = 合計 ¥38,000"
    )
    decision = human.questions[1][1]["properties"]["decision"]
    assert [(c["const"], c["title"]) for c in decision["oneOf"]] == [("Book", "予約する（¥38,000）"), ("Cancel", "キャンセル（見積もりは保存）")]
    assert human.questions[2][1]["properties"]["confirm"]["title"] == "確認"  # cancel_booking stays yes/no
    assert booked.structured_content["message"] == f"予約しました: 予約番号 {reservation}。"
    assert human.questions[2][0].startswith(f"予約 {reservation} をキャンセルしますか？")
    assert cancelled.structured_content["status"] == "cancelled"
    assert cancelled.structured_content["message"] == f"予約 {reservation} をキャンセルしました。"
