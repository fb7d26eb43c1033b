import pytest

from mcp_server.catalog import load_catalog
from mcp_server.pricing import price_trip

CATALOG = load_catalog()


@pytest.mark.parametrize(
    ("destination", "nights", "travelers", "rooms", "total"),
    [
        ("Kyoto", 2, 1, 1, 14_000 + 12_000 * 2),  # the brief's example: 38,000
        ("Kyoto", 1, 2, 1, 14_000 * 2 + 12_000),
        ("Okinawa", 3, 3, 2, 40_000 * 3 + 10_000 * 3 * 2),  # three travellers need two rooms
        ("Hokkaido", 7, 4, 2, 35_000 * 4 + 9_000 * 7 * 2),
        ("Fukuoka", 1, 5, 3, 22_000 * 5 + 8_000 * 3),
    ],
)
def test_price_follows_the_brief(destination, nights, travelers, rooms, total):
    price = price_trip(CATALOG.resolve(destination), "friends", nights, travelers)
    assert (price.rooms, price.total_jpy) == (rooms, total)
    assert price.transport_jpy + price.hotel_jpy == price.total_jpy


def test_brief_example_is_38000():
    price = price_trip(CATALOG.resolve("Kyoto"), "solo", 2, 1)
    assert price.transport_jpy == 14_000 and price.hotel_jpy == 24_000 and price.total_jpy == 38_000
    assert "¥38,000" in price.summary()
