"""The message table: every message in every language, with the same placeholders."""

import pytest

from mcp_server.messages import LANGUAGES, MESSAGES, detect_language, parse_language, placeholders, say


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_every_language_and_the_same_placeholders(key):
    row = MESSAGES[key]
    assert set(row) == set(LANGUAGES)
    expected = placeholders(row["en"])
    for language in LANGUAGES:
        assert row[language].strip() or key.endswith(".separator"), f"{key} is empty in {language}"
        assert placeholders(row[language]) == expected, f"{key} in {language}"
        if "|" in row[language]:
            assert "n" in expected, f"{key} has plural forms but no {{n}} to choose by"


def test_plural_forms_follow_n():
    assert say("en", "unit.nights", n=1) == "1 night" and say("en", "unit.nights", n=3) == "3 nights"
    assert say("ja", "unit.nights", n=3) == "3泊"


@pytest.mark.parametrize(
    ("value", "language"),
    [("en", "en"), ("ja", "ja"), ("JA", "ja"), ("ja-JP", "ja"), ("ja_JP", "ja"), ("en-GB", "en"), ("Japanese", "ja"),
     ("日本語", "ja"), ("English", "en"), ("fr", None), ("", None), (None, None), (3, None), ("jap", None)],
)
def test_language_names_and_codes(value, language):
    assert parse_language(value) == language


def test_japanese_text_is_detected():
    assert detect_language("札幌") == "ja" and detect_language(None, "ｻｯﾎﾟﾛ") == "ja" and detect_language("きょうと") == "ja"
    assert detect_language("Sapporo", 3, None) is None
