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


@pytest.mark.parametrize("text", ["Sapporo", "", "Kyo", "東京"])
def test_unknown_destinations_do_not_resolve(text):
    assert CATALOG.resolve(text) is None


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
