"""Everything the server says to people, in each language it speaks, as data.

`say(language, key, **params)` renders one message. A message with singular and plural English
forms holds both, split by "|" (the first for 1). Add a language by adding a column to every row:
`test_messages.py` checks that each row has every language and the same placeholders.
"""

from __future__ import annotations

import re
from typing import Any, Literal

Language = Literal["en", "ja"]
LANGUAGES: tuple[Language, ...] = ("en", "ja")
DEFAULT_LANGUAGE: Language = "en"

MESSAGES: dict[str, dict[str, str]] = {
    # --- questions and their fields
    "ask.destination": {
        "en": "Where would you like to go? Choose one of: {choices}.",
        "ja": "どちらへ行きますか？ 次から選んでください: {choices}。",
    },
    "ask.trip_type": {
        "en": "What kind of trip is it? Choose one of: {choices}.",
        "ja": "どんな旅行ですか？ 次から選んでください: {choices}。",
    },
    "ask.nights": {"en": "How many nights ({low}-{high})?", "ja": "何泊しますか？（{low}〜{high}泊）"},
    "ask.travelers": {"en": "How many travellers ({low}-{high})?", "ja": "何名で旅行しますか？（{low}〜{high}名）"},
    "ask.travelers_fixed": {
        "en": "How many travellers? A {trip_type} trip is for {low}.",
        "ja": "何名で旅行しますか？ {trip_type}は{low}名です。",
    },
    "field.destination": {"en": "Destination", "ja": "行き先"},
    "field.destination.help": {"en": "Where in Japan to go", "ja": "日本国内の行き先"},
    "field.trip_type": {"en": "Trip type", "ja": "旅行のタイプ"},
    "field.nights": {"en": "Nights", "ja": "泊数"},
    "field.nights.help": {"en": "Hotel nights, {low}-{high}", "ja": "ホテルの泊数（{low}〜{high}）"},
    "field.travelers": {"en": "Travellers", "ja": "人数"},
    "field.travelers.help": {
        "en": "How many people travel, {low}-{high} (two share a room)",
        "ja": "旅行する人数（{low}〜{high}名、2名で1室）",
    },
    "field.decision": {"en": "Decision", "ja": "ご判断"},
    # --- why an answer is asked again
    "invalid.destination_missing": {
        "en": "The destination must be one of {choices}.",
        "ja": "行き先は次から選んでください: {choices}。",
    },
    "invalid.destination_unknown": {
        "en": "{value} is not in the catalogue; choose one of {choices}.",
        "ja": "「{value}」はカタログにありません。次から選んでください: {choices}。",
    },
    "invalid.trip_type": {
        "en": "The trip type must be one of {choices}; {value} is not.",
        "ja": "旅行のタイプは次から選んでください: {choices}（{value} は選べません）。",
    },
    "invalid.number_type": {
        "en": "{what} must be a whole number from {low} to {high}; {value} is not.",
        "ja": "{what}は{low}から{high}までの整数で答えてください（{value} は使えません）。",
    },
    "invalid.number_range": {
        "en": "{what} must be from {low} to {high}; {number} is out of range.",
        "ja": "{what}は{low}から{high}までです（{number} は範囲外です）。",
    },
    "invalid.travelers_exactly": {
        "en": "A {trip_type} trip is for exactly {n} traveller|A {trip_type} trip is for exactly {n} travellers",
        "ja": "{trip_type}はちょうど{n}名です",
    },
    "invalid.travelers_span": {
        "en": "A {trip_type} trip is for from {low} to {high} travellers",
        "ja": "{trip_type}は{low}〜{high}名です",
    },
    "invalid.travelers_tail": {"en": "{head}; {number} does not fit.", "ja": "{head}（{number}名は当てはまりません）。"},
    "invalid.type_for_travelers": {
        "en": "{travelers} travellers do not fit a {trip_type} trip; choose one of {choices}.",
        "ja": "{travelers}名は{trip_type}に合いません。次から選んでください: {choices}。",
    },
    "what.nights": {"en": "Nights", "ja": "泊数"},
    "what.travelers": {"en": "Travellers", "ja": "人数"},
    "subject.destination": {"en": "destination", "ja": "行き先"},
    "subject.trip_type": {"en": "trip type", "ja": "旅行のタイプ"},
    "subject.nights": {"en": "nights", "ja": "泊数"},
    "subject.travelers": {"en": "travelers", "ja": "人数"},
    "subject.form": {"en": "form", "ja": "フォーム"},
    # --- what the flow tells the human on the way
    "note.place": {
        "en": "{place} is in {destination} — planning {destination}.",
        "ja": "{place}は{destination}にあります — {destination}の旅行として計画します。",
    },
    "note.language": {
        "en": "Language {value} is not supported; continuing in English.",
        "ja": "言語 {value} には対応していないため、日本語で続けます。",
    },
    "confirm.quote": {"en": "Quote {quote_id}: {summary}.", "ja": "見積もり {quote_id}: {summary}。"},
    "confirm.sampled": {
        "en": "Recommendations written by your model (unchecked text, not part of the quote):",
        "ja": "あなたのモデルが書いたおすすめ（未確認の文章で、見積もりには含まれません）:",
    },
    "confirm.catalogue": {
        "en": "Recommendations from the catalogue ({reason}):",
        "ja": "カタログのおすすめ（{reason}）:",
    },
    "quoted_line": {"en": "  > “{line}”", "ja": "  > 「{line}」"},
    "confirm.ask": {
        "en": "Book this trip for ¥{total}? Choose Book or Cancel.",
        "ja": "この旅行を ¥{total} で予約しますか？ Book（予約）か Cancel（キャンセル）を選んでください。",
    },
    "confirm.book": {"en": "Book (¥{total})", "ja": "予約する（¥{total}）"},
    "confirm.cancel": {"en": "Cancel (keep the quote for later)", "ja": "キャンセル（見積もりは保存）"},
    # --- why the catalogue's recommendations were used
    "reason.no_capability": {"en": "your client did not declare sampling", "ja": "クライアントがサンプリングに対応していません"},
    "reason.refused": {"en": "sampling was refused for this request", "ja": "このリクエストではサンプリングが拒否されました"},
    "reason.failed": {"en": "sampling failed: {detail}", "ja": "サンプリングに失敗しました: {detail}"},
    "reason.not_text": {"en": "the model's reply was not text", "ja": "モデルの返答がテキストではありません"},
    "review.empty": {"en": "your model's reply was empty", "ja": "モデルの返答が空でした"},
    "review.too_few": {
        "en": "your model wrote {n} usable line, not 3|your model wrote {n} usable lines, not 3",
        "ja": "モデルの返答で使える行が{n}行だけで、3行に足りません",
    },
    "review.too_long": {
        "en": "line {line} of your model's reply is longer than {detail} characters",
        "ja": "モデルの返答の{line}行目が{detail}文字を超えています",
    },
    "review.no_words": {
        "en": "line {line} of your model's reply has no real words",
        "ja": "モデルの返答の{line}行目に中身がありません",
    },
    "review.elsewhere": {
        "en": "line {line} of your model's reply is about {detail}, not this trip",
        "ja": "モデルの返答の{line}行目はこの旅行ではなく{detail}の話です",
    },
    "review.claim": {
        "en": "line {line} of your model's reply states a price, head count or quote",
        "ja": "モデルの返答の{line}行目に料金・人数・見積もりの記述があります",
    },
    "review.echo": {
        "en": "line {line} of your model's reply repeats the request",
        "ja": "モデルの返答の{line}行目は依頼文の繰り返しです",
    },
    "review.repeated": {
        "en": "line {line} of your model's reply repeats line {detail}",
        "ja": "モデルの返答の{line}行目は{detail}行目の繰り返しです",
    },
    "tips.sampled": {"en": "Recommendations (written by your model, unchecked):", "ja": "おすすめ（あなたのモデルが作成、未確認）:"},
    "tips.catalogue": {"en": "Recommendations from the catalogue ({reason}):", "ja": "カタログのおすすめ（{reason}）:"},
    "tip.visit": {"en": "Visit {place}.", "ja": "{place}を訪れましょう。"},
    "tip.time_for": {"en": "Make time for {first} and {second}.", "ja": "{first}と{second}にも時間を取りましょう。"},
    "tip.food": {"en": "Try the local food: {foods}.", "ja": "ご当地グルメ: {foods}。"},
    "list.separator": {"en": ", ", "ja": "、"},
    "sentence.separator": {"en": " ", "ja": ""},
    # --- the sampling request
    "sampling.system": {
        "en": (
            "You are a concise travel assistant for domestic trips in Japan. Reply with exactly three "
            "recommendations, one per line, each under 120 characters, no numbering, no preamble."
        ),
        "ja": (
            "あなたは日本国内旅行の簡潔なアシスタントです。おすすめをちょうど3つ、1行に1つずつ、"
            "各60文字以内で、番号や前置きなしで日本語で書いてください。"
        ),
    },
    "sampling.prompt": {
        "en": (
            "Trip: {destination}, {trip_type} trip, {nights}, {travelers}. Highlights: {highlights}. "
            "Local food: {foods}. Write three short recommendations in English."
        ),
        "ja": (
            "旅行: {destination}、{trip_type}、{nights}、{travelers}。見どころ: {highlights}。"
            "ご当地グルメ: {foods}。短いおすすめを日本語で3つ書いてください。"
        ),
    },
    # --- units
    "unit.nights": {"en": "{n} night|{n} nights", "ja": "{n}泊"},
    "unit.travelers": {"en": "{n} traveller|{n} travellers", "ja": "{n}名"},
    "unit.rooms": {"en": "{n} room|{n} rooms", "ja": "{n}室"},
    "summary": {
        "en": "{destination}, {trip_type}, {nights}, {travelers} ({rooms}): transport ¥{transport} + hotel ¥{hotel} = ¥{total}",
        "ja": "{destination}、{trip_type}、{nights}、{travelers}（{rooms}）: 交通費 ¥{transport} + ホテル ¥{hotel} = 合計 ¥{total}",
    },
    # --- book_quote and cancel_booking
    "ask.book_quote": {"en": "Book quote {quote_id}: {summary}?", "ja": "見積もり {quote_id} を予約しますか？ {summary}"},
    "ask.cancel_booking": {
        "en": "Cancel reservation {reservation_id} ({summary})?",
        "ja": "予約 {reservation_id} をキャンセルしますか？（{summary}）",
    },
    "field.confirm": {"en": "Confirm", "ja": "確認"},
    "kept.not_confirmed": {"en": "Not confirmed; nothing was changed.", "ja": "確認されなかったため、何も変更していません。"},
    "kept.decline": {"en": "You declined the confirmation; nothing was changed.", "ja": "確認を断りました。何も変更していません。"},
    "kept.cancel": {"en": "You cancelled the confirmation; nothing was changed.", "ja": "確認をキャンセルしました。何も変更していません。"},
    "kept.unsupported": {
        "en": "This client cannot ask for confirmation (no elicitation capability); nothing was changed.",
        "ja": "このクライアントは確認の質問ができません（elicitation 非対応）。何も変更していません。",
    },
    "confirmed.booked": {"en": "Booked: reservation {reservation_id}.", "ja": "予約しました: 予約番号 {reservation_id}。"},
    "confirmed.cancelled": {"en": "Reservation {reservation_id} is cancelled.", "ja": "予約 {reservation_id} をキャンセルしました。"},
    # --- how a flow ends
    "finish.booked": {"en": "Booked: reservation {reservation_id}. {summary}.", "ja": "予約しました: 予約番号 {reservation_id}。{summary}。"},
    "finish.quoted": {
        "en": "{how}; nothing was booked. Quote {quote_id} is saved until {expires_at}: book it later with book_quote.",
        "ja": "{how}。予約はしていません。見積もり {quote_id} は {expires_at} まで保存されます（book_quote で後から予約できます）。",
    },
    "how.accept": {"en": "You chose not to book", "ja": "予約しないことを選びました"},
    "how.decline": {"en": "You declined", "ja": "回答を断りました"},
    "how.cancel": {"en": "You cancelled", "ja": "キャンセルしました"},
    "how.unsupported": {"en": "Not booked", "ja": "予約していません"},
    "how.payment_decline": {"en": "You declined to open the payment page", "ja": "支払いページを開くことを断りました"},
    "how.payment_cancel": {"en": "You cancelled at the payment step", "ja": "支払いの段階でキャンセルしました"},
    "how.payment_unsupported": {
        "en": "This client cannot open the payment page (no URL elicitation)",
        "ja": "このクライアントは支払いページを開けません（URL elicitation 非対応）",
    },
    "how.payment_cancelled": {"en": "The payment was cancelled on the payment page", "ja": "支払いページで支払いがキャンセルされました"},
    "how.payment_expired": {
        "en": "The payment link expired before the payment was confirmed",
        "ja": "支払いが確認される前に支払いリンクの期限が切れました",
    },
    "kept.payment": {"en": "{how}; nothing was booked.", "ja": "{how}。予約はしていません。"},
    # --- the payment step (payment.py, payment_page.py)
    "payment.ask": {
        "en": (
            "To book quote {quote_id}, confirm the payment of ¥{total} on trip-server's payment page "
            "(a demo: no money moves). The booking is made once the payment is confirmed there."
        ),
        "ja": "見積もり {quote_id} を予約するには、trip-server の支払いページで ¥{total} の支払いを確定してください（デモのため実際の請求はありません）。支払いが確定すると予約します。",
    },
    "finish.declined": {
        "en": "You declined to answer when asked for the {field}. Nothing was booked.",
        "ja": "{field}の質問への回答を断りました。予約はしていません。",
    },
    "finish.cancelled": {
        "en": "You cancelled when asked for the {field}. Nothing was booked.",
        "ja": "{field}の質問でキャンセルしました。予約はしていません。",
    },
    "finish.unsupported": {
        "en": (
            "This client cannot answer questions (it did not declare elicitation), and {field} is missing "
            "or invalid. Pass {missing} as arguments. Nothing was booked."
        ),
        "ja": "このクライアントは質問に答えられず（elicitation 非対応）、{field}が未指定か無効です。{missing} を引数で渡してください。予約はしていません。",
    },
    "finish.too_many_invalid": {
        "en": "Stopped after {attempts} invalid answers for {field} ({error}). Nothing was booked.",
        "ja": "{field}に無効な回答が{attempts}回続いたため中止しました（{error}）。予約はしていません。",
    },
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_LANGUAGE_NAMES = {"english": "en", "英語": "en", "japanese": "ja", "日本語": "ja", "nihongo": "ja"}


def say(language: str, key: str, **params: Any) -> str:
    """Message `key` in `language` (English when the language has no such row)."""
    row = MESSAGES[key]
    template = row.get(language, row[DEFAULT_LANGUAGE])
    if "|" in template:
        singular, plural = template.split("|", 1)
        template = singular if str(params.get("n")) == "1" else plural
    return template.format(**params)


def placeholders(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


def detect_language(*texts: object) -> Language | None:
    """Japanese when any text has kana or kanji, else None (nothing to go by)."""
    return "ja" if any(isinstance(text, str) and _JAPANESE.search(text) for text in texts) else None


def parse_language(value: object) -> Language | None:
    """A supported language from a code or name ("ja", "ja-JP", "Japanese", "日本語"), else None."""
    if not isinstance(value, str):
        return None
    text = value.strip().casefold().replace("_", "-")
    if text in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[text]  # type: ignore[return-value]
    primary = text.split("-", 1)[0]
    return primary if primary in LANGUAGES else None  # type: ignore[return-value]


def join(language: str, items: list[str] | tuple[str, ...]) -> str:
    """A list in running text: "a, b, c" / "a、b、c"."""
    return say(language, "list.separator").join(items)


def sentences(language: str, items: list[str]) -> str:
    """Sentences one after another: spaced in English, run together in Japanese."""
    return say(language, "sentence.separator").join(items)
