"""agent/ui/layout.py: wrapping between words (display cells, kanji included), columns, tables."""

import pytest

from agent.ui.layout import StreamWrap, cells, table, two_columns, wrap

REPLY = "予約しました。Your trip to Kyoto is booked: reservation TRV-ABCDEFGH, two nights for two people.\nEnjoy!"


def words(lines):
    return " ".join(" ".join(lines).split())


def test_wrap_keeps_words_whole_and_list_items_hanging():
    tru = wrap("Recommendations:\n- Go to Fushimi Inari before 8 am to beat the crowds.", 30, "  ")
    assert tru == ["  Recommendations:", "  - Go to Fushimi Inari before", "    8 am to beat the crowds."]


def test_wrap_breaks_japanese_between_characters_by_display_width():
    tru = wrap("京都に2人で2泊したいです。予約をお願いします。", 20)
    assert all(cells(line) <= 20 for line in tru) and "".join(tru) == "京都に2人で2泊したいです。予約をお願いします。"


@pytest.mark.parametrize("chunk", [1, 3, 7, 200])
def test_a_streamed_reply_wraps_the_same_whatever_the_chunks(chunk):
    flow = StreamWrap(30)
    tru = "".join(flow.feed(REPLY[i : i + chunk]) for i in range(0, len(REPLY), chunk)) + flow.flush()
    assert tru.split("\n") == ["予約しました。Your trip to", "Kyoto is booked: reservation", "TRV-ABCDEFGH, two nights for", "two people.", "Enjoy!"]


def test_two_columns_align_long_names_and_go_below_when_narrow():
    rows = [("list_destinations", "The destinations and limits."), ("plan_trip", "Plan a trip.")]
    assert two_columns(rows, 60) == ["list_destinations  The destinations and limits.", "plan_trip          Plan a trip."]
    assert two_columns(rows, 30) == ["list_destinations", "    The destinations and", "    limits.", "plan_trip", "    Plan a trip."]


def test_table_aligns_wide_characters_and_declines_what_does_not_fit():
    records = [{"label": "Kyoto (京都)", "hotel_jpy": 12000, "note": None}, {"label": "Hokkaido (北海道)", "hotel_jpy": 9000, "note": None}]
    assert table(records, 60) == ["label                hotel", "Kyoto (京都)       ¥12,000", "Hokkaido (北海道)   ¥9,000"]
    assert table(records, 20) is None
