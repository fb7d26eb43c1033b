"""plan_trip end to end through real fastmcp clients, in both protocol revisions, in-process and over HTTP."""

import json

import pytest

from tests.mcp_server.conftest import MODES, Human, Progress, client

FULL = [{"destination": "Okinawa"}, {"trip_type": "friends"}, {"nights": 3}, {"travelers": 3}, {"decision": "Book"}]


@pytest.mark.parametrize("mode", MODES)
async def test_plan_and_book_from_nothing(target, mode):
    human, progress = Human(list(FULL)), Progress()
    before = len(target.bookings())
    async with client(target.connect, human, mode=mode, progress=progress) as c:
        result = await c.call_tool("plan_trip", {})
    data = result.structured_content
    assert data["status"] == "booked"
    assert human.asked == ["destination", "trip_type", "nights", "travelers", "decision"]
    assert data["quote"]["total_jpy"] == 40_000 * 3 + 10_000 * 3 * 2
    assert data["recommendations_source"] == "sampling"
    assert data["recommendations"][0] == "Walk Fushimi Inari at dawn."
    assert data["elicited"] == ["destination", "trip_type", "nights", "travelers"] and data["supplied"] == []
    assert [(p, t) for p, t, _ in progress.events] == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert progress.events[1][2] == "Comparing transport…"
    rows = target.bookings()
    assert len(rows) == before + 1
    assert dict(rows)[data["reservation_id"]] and json.loads(dict(rows)[data["reservation_id"]])["travelers"] == 3


@pytest.mark.parametrize("mode", MODES)
async def test_what_the_caller_knows_is_not_asked(server, mode):
    human = Human([{"decision": "Book"}])
    async with client(server, human, mode=mode) as c:
        result = await c.call_tool("plan_trip", {"destination": "京都", "trip_type": "solo", "nights": 2})
    assert human.asked == ["decision"]
    assert result.structured_content["quote"]["total_jpy"] == 38_000
    assert result.structured_content["supplied"] == ["destination", "trip_type", "nights"]


@pytest.mark.parametrize("mode", MODES)
async def test_invalid_answers_are_asked_again(server, mode):
    human = Human([{"destination": "Atlantis"}, {"destination": "hakata"}, {"nights": 0}, {"nights": 2}, {"decision": "Book"}])
    async with client(server, human, mode=mode) as c:
        result = await c.call_tool("plan_trip", {"trip_type": "couple"})
    assert human.asked == ["destination", "destination", "nights", "nights", "decision"]
    assert human.questions[1][0].startswith("Atlantis is not in the catalogue; choose one of Kyoto, Okinawa, Hokkaido, Fukuoka.")
    assert human.questions[3][0].startswith("Nights must be from 1 to 7; 0 is out of range.")
    assert result.structured_content["quote"]["destination"] == "Fukuoka"


@pytest.mark.parametrize("mode", MODES)
async def test_a_city_plans_its_destination_and_says_so(server, mode):
    human = Human([{"destination": "Sapporo"}, {"nights": 2}, {"decision": "Book"}])
    async with client(server, human, mode=mode) as c:
        result = await c.call_tool("plan_trip", {"trip_type": "solo"})
    assert human.asked == ["destination", "nights", "decision"]
    assert human.questions[1][0] == "Sapporo is in Hokkaido — planning Hokkaido. How many nights (1-7)?"
    assert "Sapporo is in Hokkaido" not in human.questions[2][0]  # said once, not at every question
    data = result.structured_content
    assert data["status"] == "booked" and data["quote"]["destination"] == "Hokkaido"
    assert data["message"].startswith("Sapporo is in Hokkaido — planning Hokkaido. Booked: reservation TRV-")


def sampling_returns(text):
    """A client model that answers every sampling request with `text`; `.seen` keeps the requests."""

    async def model(messages, params, context):
        model.seen.append(params)
        return text

    model.seen = []
    return model


GOOD_TIPS = "Walk Fushimi Inari at dawn.\nTake the Sagano scenic train.\nTry yudofu near Nanzen-ji."

STEPS = ["destination", "trip_type", "nights", "travelers", "decision"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("step", range(len(STEPS)))
@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_decline_or_cancel_at_any_step_books_nothing(server, store, mode, step, action):
    human = Human(FULL[:step] + [action])
    async with client(server, human, mode=mode) as c:
        result = await c.call_tool("plan_trip", {})
    data = result.structured_content
    assert human.asked[-1] == STEPS[step]
    assert await store.list_bookings("local") == []
    assert "nothing was booked" in data["message"].lower()
    if STEPS[step] == "decision":
        assert data["status"] == "quoted" and data["quote_id"].startswith("Q-")
        assert (await store.get_quote("local", data["quote_id"])).price.travelers == 3
    else:
        assert data["status"] == ("declined" if action == "decline" else "cancelled")


@pytest.mark.parametrize("mode", MODES)
async def test_choosing_cancel_keeps_the_quote_for_book_quote(server, store, mode):
    async with client(server, Human([{"decision": "Cancel"}, {"decision": "Book"}]), mode=mode) as c:
        planned = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
        quote_id = planned.structured_content["quote_id"]
        assert await store.list_bookings("local") == []
        booked = await c.call_tool("book_quote", {"quote_id": quote_id})
    assert booked.structured_content["status"] == "booked"
    assert (await store.get_booking("local", booked.structured_content["reservation_id"])).quote_id == quote_id


@pytest.mark.parametrize("mode", MODES)
async def test_without_sampling_the_catalogue_is_used_and_named(server, mode):
    human = Human([{"decision": "Book"}])
    async with client(server, human, mode=mode, sampling=None) as c:
        result = await c.call_tool("plan_trip", {"destination": "Hokkaido", "trip_type": "solo", "nights": 1})
    assert result.structured_content["recommendations_source"] == "catalogue"
    assert "did not declare sampling" in human.questions[-1][0]
    assert "Furano lavender fields" in result.structured_content["recommendations"][0]


async def broken_llm(messages, params, context):
    raise RuntimeError("model unavailable")


async def test_failing_sampling_falls_back_to_the_catalogue_on_a_legacy_session(server):
    human = Human([{"decision": "Book"}])
    async with client(server, human, mode="legacy", sampling=broken_llm) as c:
        result = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
    assert result.structured_content["status"] == "booked"
    assert result.structured_content["recommendations_source"] == "catalogue"
    assert "sampling failed: model unavailable" in human.questions[-1][0]


async def test_failing_sampling_on_a_modern_request_ends_the_call_and_books_nothing(server, store):
    # 2026-07-28 has no way to return an error inside inputResponses: the client SDK aborts the
    # call itself, so the server never gets to fall back. Nothing may be booked.
    async with client(server, Human([{"decision": "Book"}]), mode="auto", sampling=broken_llm) as c:
        with pytest.raises(Exception, match="model unavailable"):
            await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
    assert await store.list_bookings("local") == []


@pytest.mark.parametrize("mode", MODES)
async def test_sampling_request_carries_prompt_and_limits(server, mode):
    model = sampling_returns("one\ntwo\nthree")
    async with client(server, Human([{"decision": "Book"}]), mode=mode, sampling=model) as c:
        await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
    (params,) = model.seen
    assert "exactly three recommendations" in params.system_prompt
    assert params.max_tokens == 300
    assert params.model_preferences.hints[0].name == "claude-haiku"
    assert "Kyoto (京都)" in params.messages[0].content.text


@pytest.mark.parametrize("mode", MODES)
async def test_a_client_without_elicitation_gets_a_clear_answer(server, store, mode):
    async with client(server, None, mode=mode) as c:
        missing = await c.call_tool("plan_trip", {"destination": "Kyoto"})
        complete = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
    assert missing.structured_content["status"] == "failed"
    assert "cannot answer questions" in missing.structured_content["message"]
    assert "Pass destination, trip_type, nights, travelers" in missing.structured_content["message"]
    assert complete.structured_content["status"] == "quoted"  # no confirmation possible: nothing booked
    assert await store.list_bookings("local") == []


@pytest.mark.parametrize("mode", MODES)
async def test_two_bookings_in_one_session_do_not_collide(server, store, mode):
    async with client(server, Human([{"decision": "Book"}, {"decision": "Book"}]), mode=mode) as c:
        first = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
        second = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
    ids = {first.structured_content["reservation_id"], second.structured_content["reservation_id"]}
    assert len(ids) == 2 and {b.reservation_id for b in await store.list_bookings("local")} == ids


async def test_form_style_asks_one_form(tmp_path):
    from mcp_server.server import build_server
    from mcp_server.settings import load_settings

    mcp = build_server(load_settings(overrides={"db": tmp_path / "f.db", "elicitation_style": "form"}))
    human = Human([{"trip_type": "family", "nights": 2, "travelers": 4}, {"decision": "Book"}])
    async with client(mcp, human) as c:
        result = await c.call_tool("plan_trip", {"destination": "Kyoto"})
    assert list(human.questions[0][1]["properties"]) == ["trip_type", "nights", "travelers"]
    assert result.structured_content["quote"]["rooms"] == 2


JUNK = [
    ("- 1.\n- 2.\n- 3.", "line 1 of your model's reply has no real words"),
    ("1. 1. 1. 2. 2. 2. 3. 3. 3.", "your model wrote 1 usable line, not 3"),
    ("1. Tokyo, 2 nights, 10 people, 200 yen\n2. Osaka\n3. Nara", "line 1 of your model's reply is about tokyo, not this trip"),
    ("Write three short recommendations.\nWrite three short recommendations.\nWrite three short recommendations.",
     "line 1 of your model's reply repeats the request"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("junk", "reason"), JUNK)
async def test_junk_from_a_weak_model_is_replaced_by_the_catalogue_and_the_reason_shown(server, mode, junk, reason):
    human = Human([{"decision": "Book"}])
    async with client(server, human, mode=mode, sampling=sampling_returns(junk)) as c:
        result = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
    data = result.structured_content
    assert data["status"] == "booked" and data["recommendations_source"] == "catalogue"
    assert data["recommendations"] == ["Visit Fushimi Inari Taisha.", "Make time for Arashiyama bamboo grove and Kiyomizu-dera.",
                                       "Try the local food: yudofu, matcha sweets, nishin soba."]
    assert data["recommendations_note"] == reason
    assert f"Recommendations from the catalogue ({reason}):" in human.questions[0][0]
    assert f"Recommendations from the catalogue ({reason}):" in result.content[0].text
    assert "Tokyo" not in human.questions[0][0] and "1." not in human.questions[0][0]


@pytest.mark.parametrize("mode", MODES)
async def test_sampled_lines_are_shown_as_quoted_untrusted_text_apart_from_the_quote_and_the_decision(server, mode):
    tips = "Walk Fushimi Inari at dawn.\u2060\U000e0041\nTake the \u202eSagano scenic train.\ufeff\nTry yudofu near Nanzen-ji.\u00ad\u061c\u180e"
    human = Human([{"decision": "Book"}])
    async with client(server, human, mode=mode, sampling=sampling_returns(tips)) as c:
        result = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
    message = human.questions[0][0]
    quote, tips_block, decision = message.split("\n\n")
    assert quote.startswith("Quote Q-") and quote.endswith("= ¥26,000.")
    assert tips_block.splitlines() == [
        "Recommendations written by your model (unchecked text, not part of the quote):",
        "  > “Walk Fushimi Inari at dawn.”",
        "  > “Take the Sagano scenic train.”",
        "  > “Try yudofu near Nanzen-ji.”",
    ]
    assert decision == "Book this trip for ¥26,000? Choose Book or Cancel."
    data = result.structured_content
    assert data["recommendations_source"] == "sampling" and data["recommendations_note"] == ""
    assert data["recommendations"][1] == "Take the Sagano scenic train."
    assert all(ord(char) < 0x2000 for item in data["recommendations"] for char in item)


@pytest.mark.parametrize("mode", MODES)
async def test_a_sampled_fake_quote_never_reaches_the_question(server, mode):
    fake = "Walk Fushimi Inari at dawn.\nQuote Q-FAKE01: Kyoto, solo, 1 night = ¥1\u200b\nTry yudofu near Nanzen-ji."
    human = Human([{"decision": "Book"}])
    async with client(server, human, mode=mode, sampling=sampling_returns(fake)) as c:
        result = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
    assert "Q-FAKE01" not in human.questions[0][0] and "¥1\n" not in human.questions[0][0]
    assert result.structured_content["recommendations_note"] == "line 2 of your model's reply states a price, head count or quote"


@pytest.mark.parametrize("mode", MODES)
async def test_questions_and_the_sampling_request_speak_japanese(server, mode):
    model = sampling_returns("早朝の伏見稲荷大社を歩きましょう。\n嵯峨野トロッコ列車に乗りましょう。\n南禅寺のそばで湯豆腐を味わいましょう。")

    human = Human([{"destination": "Kyoto"}, {"trip_type": "family"}, {"nights": 2}, {"travelers": 3}, {"decision": "Book"}])
    async with client(server, human, mode=mode, sampling=model) as c:
        result = await c.call_tool("plan_trip", {"language": "ja"})
    messages = [message for message, _ in human.questions]
    assert messages[0].startswith("どちらへ行きますか？ 次から選んでください: 京都 (Kyoto)、沖縄 (Okinawa)")
    destination = human.questions[0][1]["properties"]["destination"]
    assert destination["title"] == "行き先" and {"const": "Kyoto", "title": "京都 (Kyoto)"} in destination["oneOf"]
    assert messages[1].startswith("どんな旅行ですか？") and "家族旅行" in messages[1]
    assert messages[2] == "何泊しますか？（1〜7泊）"
    assert "あなたのモデルが書いたおすすめ" in messages[4] and "  > 「嵯峨野トロッコ列車に乗りましょう。」" in messages[4]
    assert human.questions[4][1]["properties"]["decision"]["oneOf"][0]["title"] == "予約する（¥90,000）"
    (params,) = model.seen
    assert "日本語" in params.system_prompt and "京都 (Kyoto)" in params.messages[0].content.text
    assert "伏見稲荷大社" in params.messages[0].content.text
    data = result.structured_content
    assert data["status"] == "booked" and data["language"] == "ja" and data["recommendations_source"] == "sampling"
    assert data["message"].startswith("予約しました: 予約番号 TRV-")


@pytest.mark.parametrize("mode", MODES)
async def test_a_japanese_place_asks_in_japanese_and_names_the_destination(server, mode):
    human = Human([{"nights": 2}, {"decision": "Cancel"}])
    async with client(server, human, mode=mode, sampling=None) as c:
        result = await c.call_tool("plan_trip", {"destination": "札幌", "trip_type": "solo"})
    assert human.questions[0][0] == "札幌は北海道にあります — 北海道の旅行として計画します。何泊しますか？（1〜7泊）"
    assert "カタログのおすすめ（クライアントがサンプリングに対応していません）:" in human.questions[1][0]
    assert "富良野のラベンダー畑を訪れましょう。" in human.questions[1][0]
    data = result.structured_content
    assert data["status"] == "quoted" and data["quote"]["destination"] == "Hokkaido" and data["language"] == "ja"


async def test_an_unsupported_language_says_so_and_asks_in_english(server):
    human = Human([{"decision": "Cancel"}])
    async with client(server, human, sampling=None) as c:
        await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1, "language": "fr"})
    assert human.questions[0][0].startswith("Language 'fr' is not supported; continuing in English. Quote Q-")


async def test_the_tool_result_quotes_sampled_lines_too(server):
    async with client(server, Human([{"decision": "Book"}]), sampling=sampling_returns(GOOD_TIPS)) as c:
        result = await c.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "solo", "nights": 1})
    assert result.content[0].text.splitlines()[1:] == [
        "Recommendations (written by your model, unchecked):",
        "  > “Walk Fushimi Inari at dawn.”",
        "  > “Take the Sagano scenic train.”",
        "  > “Try yudofu near Nanzen-ji.”",
    ]
