"""book_quote's and cancel_booking's flows: one question, then one effect."""

import pytest

from mcp_server.catalog import load_catalog
from mcp_server.flows.actions import Answer, Book, Booked, CancelBooking, Elicit
from mcp_server.flows.confirm import confirm_booking, confirm_cancellation
from mcp_server.pricing import price_trip
from tests.mcp_server.flows.conftest import apply_pending

CATALOG = load_catalog()

KYOTO_SOLO = price_trip(CATALOG.resolve("Kyoto"), "solo", 2, 1, CATALOG.travelers_per_room)  # ¥38,000


@pytest.mark.parametrize(
    ("language", "exp_message", "exp_choices"),
    [
        (None, "Book quote Q-1: Kyoto, solo, 2 nights, 1 traveller (1 room): transport ¥14,000 + hotel ¥24,000 = ¥38,000?",
         ["Book (¥38,000)", "Cancel (keep the quote for later)"]),
        ("ja", "見積もり Q-1 を予約しますか？ 京都、一人旅（1名）、2泊、1名（1室）: 交通費 ¥14,000 + ホテル ¥24,000 = 合計 ¥38,000",
         ["予約する（¥38,000）", "キャンセル（見積もりは保存）"]),
    ],
)
def test_book_quote_asks_book_or_cancel_with_the_real_total(language, exp_message, exp_choices):
    flow = confirm_booking(CATALOG, "Q-1", KYOTO_SOLO, language)
    ask = flow.next_action(flow.start())
    decision = ask.schema["properties"]["decision"]
    assert ask.key == "confirm" and ask.message == exp_message and ask.schema["required"] == ["decision"]
    assert [choice["const"] for choice in decision["oneOf"]] == ["Book", "Cancel"]
    assert [choice["title"] for choice in decision["oneOf"]] == exp_choices


@pytest.mark.parametrize(("language", "exp_message"), [(None, "Booked: reservation TRV-1."), ("ja", "予約しました: 予約番号 TRV-1。")])
def test_book_quote_books_on_book(language, exp_message):
    flow = confirm_booking(CATALOG, "Q-1", KYOTO_SOLO, language)
    state = apply_pending(flow, flow.start(), Answer("accept", {"decision": " book "}))
    assert flow.next_action(state) == Book("Q-1")
    finish = flow.next_action(apply_pending(flow, state, Booked("TRV-1")))
    assert (finish.status, finish.message, finish.data) == ("booked", exp_message, {"reservation_id": "TRV-1"})


@pytest.mark.parametrize(
    ("language", "exp_message"), [(None, "Not confirmed; nothing was changed."), ("ja", "確認されなかったため、何も変更していません。")]
)
def test_book_quote_keeps_the_quote_on_cancel(language, exp_message):
    flow = confirm_booking(CATALOG, "Q-1", KYOTO_SOLO, language)
    finish = flow.next_action(apply_pending(flow, flow.start(), Answer("accept", {"decision": "Cancel"})))
    assert (finish.status, finish.message) == ("kept", exp_message)


def test_book_quote_asks_again_after_an_answer_that_is_neither_book_nor_cancel():
    flow = confirm_booking(CATALOG, "Q-1", KYOTO_SOLO, None)
    ask = flow.next_action(flow.start())
    state = apply_pending(flow, flow.start(), Answer("accept", {"confirm": True}))  # yesterday's yes/no answer is not a decision
    assert flow.next_action(state) == ask
    state = apply_pending(flow, state, Answer("accept", {"decision": "maybe"}))
    assert flow.next_action(state) == ask
    assert flow.next_action(apply_pending(flow, state, Answer("accept", {"decision": "Book"}))) == Book("Q-1")


@pytest.mark.parametrize("max_attempts", [1, 3])
def test_book_quote_keeps_the_quote_after_max_attempts_unusable_answers(max_attempts):
    flow = confirm_booking(CATALOG, "Q-1", KYOTO_SOLO, None, max_attempts)
    state = flow.start()
    for _ in range(max_attempts):
        assert isinstance(flow.next_action(state), Elicit)
        state = apply_pending(flow, state, Answer("accept", {"decision": 1}))
    finish = flow.next_action(state)
    assert (finish.status, finish.message) == ("kept", "Not confirmed; nothing was changed.")


@pytest.mark.parametrize(("answer", "exp_message"), [
    ("decline", "You declined the confirmation; nothing was changed."),
    ("cancel", "You cancelled the confirmation; nothing was changed."),
])
def test_book_quote_decline_and_cancel_keep_the_quote(answer, exp_message):
    flow = confirm_booking(CATALOG, "Q-1", KYOTO_SOLO, None)
    finish = flow.next_action(apply_pending(flow, flow.start(), Answer(answer)))
    assert (finish.status, finish.message) == ("kept", exp_message)


def test_cancel_booking_still_asks_yes_or_no():
    flow = confirm_cancellation(CATALOG, "TRV-1", KYOTO_SOLO, None)
    ask = flow.next_action(flow.start())
    assert ask.schema["properties"]["confirm"]["type"] == "boolean"
    assert flow.next_action(apply_pending(flow, flow.start(), Answer("accept", {"confirm": True}))) == CancelBooking("TRV-1")
    assert flow.next_action(apply_pending(flow, flow.start(), Answer("accept", {"confirm": "maybe"}))).status == "kept"
