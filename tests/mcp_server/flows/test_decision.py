"""The Book/Cancel decision: which answers decide what, and the summary it is taken on."""

import pytest

from mcp_server.catalog import load_catalog
from mcp_server.flows.actions import Answer
from mcp_server.flows.decision import decided, out_of_attempts, trip_summary
from mcp_server.flows.state import ConfirmState
from mcp_server.pricing import price_trip

CATALOG = load_catalog()


@pytest.mark.parametrize(
    ("answer", "exp"),
    [
        (Answer("accept", {"decision": "Book"}), "book"),
        (Answer("accept", {"decision": " BOOK "}), "book"),
        (Answer("accept", {"decision": "cancel"}), "cancel"),
        (Answer("accept", {"decision": "Book\u200b"}), None),
        (Answer("accept", {"decision": True}), None),
        (Answer("accept", {"confirm": True}), None),
        (Answer("accept"), None),
        (Answer("decline", {"decision": "Book"}), None),  # only an accepted answer decides
    ],
)
def test_only_an_accepted_book_or_cancel_decides(answer, exp):
    assert decided(answer) == exp


def test_unusable_answers_are_counted_until_none_is_left():
    state = ConfirmState(flow="book_quote", flow_id="f")
    assert [out_of_attempts(state, 3) for _ in range(3)] == [False, False, True]
    assert state.attempts == {"confirm": 3}


def test_the_summary_is_the_prices_in_english_and_localized_in_japanese():
    price = price_trip(CATALOG.resolve("Kyoto"), "couple", 2, 2, CATALOG.travelers_per_room)
    assert trip_summary(CATALOG, price, "en") == price.summary()
    assert trip_summary(CATALOG, price, "ja") == "京都、カップル（2名）、2泊、2名（1室）: 交通費 ¥28,000 + ホテル ¥24,000 = 合計 ¥52,000"
