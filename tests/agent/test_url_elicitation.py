"""agent/url_elicitation.py: which links are offered to open, and what of a server's message is shown."""

from __future__ import annotations

import pytest

from agent.url_elicitation import MAX_URL_CHARS, UrlRefused, check_url, clean_message


@pytest.mark.parametrize(
    ("url", "exp_domain", "exp_loopback"),
    [
        ("https://pay.example.com/checkout?id=1#top", "pay.example.com", False),
        ("https://xn--80ak6aa92e.com/", "xn--80ak6aa92e.com", False),  # an international domain, as punycode
        ("https://example.com:8443/x", "example.com:8443", False),
        ("http://127.0.0.1:8000/pay/abc", "127.0.0.1:8000", True),
        ("http://localhost:5173/", "localhost:5173", True),
        ("http://[::1]:9000/pay", "[::1]:9000", True),
        ("http://127.0.0.2/", "127.0.0.2", True),  # all of 127.0.0.0/8 is this computer
        ("https://127.0.0.1/", "127.0.0.1", True),
    ],
)
def test_https_and_loopback_http_are_offered_with_their_site(url, exp_domain, exp_loopback):
    request = check_url("srv", "Pay here.", url)
    assert request.domain == exp_domain and request.loopback is exp_loopback
    assert request.before + request.domain + request.after == url


@pytest.mark.parametrize(
    ("url", "exp_reason"),
    [
        ("http://example.com/pay", "not https://; only https links are opened, or http:// on this computer"),
        ("http://10.0.0.5/pay", "not https://"),
        ("http://localhost.evil.example/", "not https://"),
        ("javascript:alert(1)", "names no web site"),
        ("file:///etc/passwd", "names no web site"),
        ("ftp://example.com/x", "is ftp://, not https://"),
        ("data:text/html,<b>hi</b>", "names no web site"),
        ("https://bank.example@evil.example/", "hides its real site behind a user name (it goes to evil.example"),
        ("https://pay.example\u202e.com/", "characters a URL cannot"),  # a bidi override
        ("https://pay.example.com/\x1b]8;;https://evil/\x07", "characters a URL cannot"),
        ("https://pаypal.com/", "characters a URL cannot"),  # a Cyrillic а
        ("https://pay.example.com/a b", "characters a URL cannot"),
        ("https://good.example\\.evil.example/", "is not a plain domain name"),
        ("https://example.com:99999/", "not a valid URL"),
        ("", "empty"),
        ("https://example.com/" + "a" * MAX_URL_CHARS, "longer than"),
    ],
)
def test_other_links_are_refused_with_the_reason(url, exp_reason):
    with pytest.raises(UrlRefused) as refused:
        check_url("srv", "Pay here.", url)
    assert exp_reason in str(refused.value)


def test_the_message_loses_escapes_and_invisible_characters():
    message = (
        "\x1b[2J\x1b[31mPay\x1b[0m now\u200b at the\u202e page\r\n"
        "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\n\n\n\tthen   come back\x07"
    )
    assert clean_message(message) == "Pay now at the page\nclick\nthen come back"


def test_a_checked_request_carries_the_cleaned_message():
    assert check_url("srv", "Pay \x1b[1mhere\x1b[0m.", "https://example.com/").message == "Pay here."
