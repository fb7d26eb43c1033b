import json
from importlib import resources

import pytest

from mcp_server.catalog import load_catalog
from mcp_server.errors import CatalogError

CATALOG = load_catalog()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Kyoto", "Kyoto"),
        ("kyoto", "Kyoto"),
        ("  KYOTO ", "Kyoto"),
        ("京都", "Kyoto"),
        ("ＫＹＯＴＯ", "Kyoto"),  # full-width
        ("沖縄", "Okinawa"),
        ("北海道", "Hokkaido"),
        ("hakata", "Fukuoka"),
        ("福岡", "Fukuoka"),
    ],
)
def test_aliases_resolve(text, name):
    assert CATALOG.resolve(text).name == name


@pytest.mark.parametrize("text", ["Atlantis", "", "Kyo", "東京", "Tokyo"])
def test_unknown_destinations_do_not_resolve(text):
    assert CATALOG.resolve(text) is None and CATALOG.lookup(text) is None


@pytest.mark.parametrize(
    ("text", "name", "place"),
    [
        ("Sapporo", "Hokkaido", "Sapporo"),
        ("札幌", "Hokkaido", "札幌"),
        ("otaru", "Hokkaido", "Otaru"),
        ("Hakodate", "Hokkaido", "Hakodate"),
        ("Naha", "Okinawa", "Naha"),
        ("那覇", "Okinawa", "那覇"),
        ("ISHIGAKI", "Okinawa", "Ishigaki"),
        ("hakata", "Fukuoka", "Hakata"),
        ("博多", "Fukuoka", "博多"),
        ("Arashiyama", "Kyoto", "Arashiyama"),
        ("嵐山", "Kyoto", "嵐山"),
        ("Uji", "Kyoto", "Uji"),
    ],
)
def test_well_known_places_resolve_to_their_destination_and_are_named(text, name, place):
    match = CATALOG.lookup(text)
    assert (match.destination.name, match.place) == (name, place)
    assert CATALOG.resolve(text).name == name


def test_a_name_or_alias_is_no_place():
    assert CATALOG.lookup("京都").place is None and CATALOG.lookup("Hokkaido").place is None


def test_places_and_other_places_never_collide():
    # A place must name one destination only, and a place elsewhere must not be one of ours.
    keys = [p.casefold() for d in CATALOG.destinations for p in (d.name, *d.aliases, *d.places)]
    assert len(keys) == len(set(keys))
    assert not set(keys) & {p.casefold() for p in CATALOG.other_places}


def test_every_destination_and_trip_type_speaks_japanese():
    for destination in CATALOG.destinations:
        words = destination.words("ja")
        assert words.name == destination.native_name and destination.label_in("ja") == f"{words.name} ({destination.name})"
        assert len(words.highlights) == len(destination.highlights) and len(words.local_food) == len(destination.local_food)
    assert CATALOG.trip_types["solo"].title_in("ja") == "一人旅（1名）"
    assert CATALOG.trip_type("家族旅行").name == "family"


def test_catalogue_is_data_a_new_destination_needs_no_code(tmp_path):
    data = json.loads((resources.files("mcp_server") / "data/catalog.json").read_text(encoding="utf-8"))
    data["destinations"].append(
        {"name": "Nara", "aliases": ["奈良"], "transport_jpy": 15000, "hotel_jpy": 9000,
         "highlights": ["Todai-ji", "Nara Park", "Kasuga Taisha"], "local_food": ["kakinoha-zushi"]}
    )
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    assert load_catalog(path).resolve("奈良").transport_jpy == 15000


def test_broken_catalogue_is_a_clear_error(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text('{"destinations": []}')
    with pytest.raises(CatalogError, match="invalid"):
        load_catalog(path)
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.json")
